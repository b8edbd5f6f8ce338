// Recording cost in Chromium: the same deterministic workloads with no recorder, with bare
// @rrweb/record (its events gzip-batched every 2 s, the plain way), and with replaykit,
// interleaved over several rounds. Prints medians of main-thread time (CDP Performance
// metrics: the duration of every task on the page's main thread, and the script part of
// it), total blocking time, bytes on the wire and time to the first full snapshot, with
// replaykit's ratio to bare rrweb. Durations are the main thread's CPU time (CDP's
// `threadTicks` time domain), not wall time, so other processes on a shared machine
// inflate them much less. RECORDER_BENCH_ROUNDS and RECORDER_BENCH_SECONDS
// shorten or lengthen it.
//
// The page load also runs replaykit as a host's code-split build ships it (the Vite build of
// the bundle-size test: a module script imports the small entry, whose start() fetches the
// rest as a chunk), printed on lines of its own below the table: in the table's replaykit
// column the whole recorder is one classic script, so its start-up runs inside the parser's
// script, as a host that bundles it into one script would see it.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseWireBody } from '@replaykit/core';
import type { Browser, Page } from 'playwright-core';
import { buildLikeHostApp } from '../../packages/recorder/src/test/host-build.ts';
import { launchChromium } from '../../tests/support/browser.ts';
import { bundleForPage } from '../../tests/support/recorder-bundle.ts';

const ROUNDS = Number(process.env.RECORDER_BENCH_ROUNDS ?? 5);
// A page load takes a second, and its figures swing most between runs: three times the rounds.
const PAGE_LOAD_ROUNDS = ROUNDS * 3;
const INTERACTION_SECONDS = Number(process.env.RECORDER_BENCH_SECONDS ?? 10);
const VARIANTS = ['none', 'rrweb', 'replaykit'] as const;
/** replaykit as a host's code-split build ships it; page load only, not in the table. */
const HOST_BUILD = 'replaykit-host-build';
type Variant = (typeof VARIANTS)[number] | typeof HOST_BUILD;
const PAGE_LOAD = '10,000-element page load' as const;
const RECORDER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/recorder');
const ALL_WORKLOADS = ['mutation storm', 'interaction script', PAGE_LOAD] as const;
const WORKLOADS = ALL_WORKLOADS.filter(
  (name) => !process.env.RECORDER_BENCH_ONLY || name.startsWith(process.env.RECORDER_BENCH_ONLY),
);
type Workload = (typeof ALL_WORKLOADS)[number];

interface Sample {
  scriptMs: number;
  taskMs: number;
  blockingMs: number;
  bytes: number;
  /**
   * replaykit only: what plain gzip batches of the same events would weigh (each batch's
   * events alone, `{"events":[…]}`, gzipped as bare rrweb's are): the issue's bytes bar.
   */
  plainBytes: number | undefined;
  firstSnapshotMs: number | undefined;
  /** When DOMContentLoaded fired: a recorder's own start-up runs before it. */
  domContentLoadedMs: number;
}

const bundle = (contents: string) => bundleForPage(contents, { minify: true });

function readBody(request: IncomingMessage): Promise<number> {
  return new Promise((done) => {
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.byteLength;
    });
    request.on('end', () => done(bytes));
  });
}

/** The page: long-task observer first, then the variant's recorder, then the workload's markup. */
function pageHtml(variant: Variant, workload: Workload, hostEntry: string): string {
  const bigPage =
    workload === PAGE_LOAD
      ? `<section id="big">${Array.from(
          { length: 2_000 },
          (_, index) =>
            `<div class="row"><span>Item ${index}</span><a href="#${index}">link</a><b>${index % 7}</b><i>x</i></div>`,
        ).join('')}</section>`
      : '';
  const recorder =
    variant === 'rrweb'
      ? `<script src="/rrweb.js"></script><script>
  (function () {
    var events = [];
    var send = function () {
      if (!events.length) { return Promise.resolve(); }
      var body = JSON.stringify({ events: events }); events = [];
      var stream = new Response(body).body.pipeThrough(new CompressionStream('gzip'));
      return new Response(stream).arrayBuffer().then(function (bytes) {
        return fetch('/v1/ingest', { method: 'POST', body: bytes, headers: { 'content-type': 'text/plain' } });
      });
    };
    var marked = false;
    window.benchRecorder = { stop: window.rrwebRecord({ emit: function (event) {
      if (!marked && event.type === 2) { marked = true; performance.mark('replaykit:first-full-snapshot'); }
      events.push(event);
    }, checkoutEveryNms: 300000, maskAllInputs: true }), flush: send };
    setInterval(send, 2000);
  })();
</script>`
      : variant === 'replaykit'
        ? `<script src="/replaykit.js"></script><script>
  window.benchRecorder = window.replaykit.createRecorder(Object.assign({ endpoint: location.origin, writeKey: 'bench' }, ${process.env.RECORDER_BENCH_OPTIONS ?? '{}'}));
  window.benchRecorder.start();
</script>`
        : variant === HOST_BUILD
          ? `<script type="module">
  import { createRecorder } from '/host/${hostEntry}';
  window.benchRecorder = createRecorder(Object.assign({ endpoint: location.origin, writeKey: 'bench' }, ${process.env.RECORDER_BENCH_OPTIONS ?? '{}'}));
  window.benchRecorder.start();
</script>`
          : '<script>window.benchRecorder = { flush: function () { return Promise.resolve(); } };</script>';
  return `<!doctype html><html><head><title>bench</title><script>
  window.blockingMs = 0;
  new PerformanceObserver(function (list) {
    for (var entry of list.getEntries()) { window.blockingMs += Math.max(0, entry.duration - 50); }
  }).observe({ type: 'longtask', buffered: true });
</script></head><body>
<form><input id="name"><textarea id="notes"></textarea><button type="button" id="go">Go</button></form>
<ul id="list"></ul>${bigPage}
${recorder}
</body></html>`;
}

/**
 * A deterministic storm: 150 frames, each adding 60 nodes, editing 60 texts and attributes
 * and removing 30. Kept as source text: the benchmark runner's transpiler decorates
 * functions with helpers that do not exist in the page.
 */
const MUTATION_STORM = `(async () => {
  const list = document.getElementById('list');
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let frame = 0; frame < 150; frame++) {
    for (let index = 0; index < 60; index++) {
      const item = document.createElement('li');
      item.className = 'item c' + Math.floor(random() * 10);
      item.textContent = 'row ' + frame + '-' + index + ' ' + random().toString(36).slice(2, 8);
      list.appendChild(item);
    }
    const items = list.children;
    for (let index = 0; index < 60 && items.length > 0; index++) {
      const item = items[Math.floor(random() * items.length)];
      item.textContent = 'edited ' + frame;
      item.setAttribute('data-frame', String(frame));
    }
    for (let index = 0; index < 30 && items.length > 0; index++) {
      items[Math.floor(random() * items.length)].remove();
    }
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
})()`;

async function interact(page: Page, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  let step = 0;
  while (Date.now() < end) {
    await page.mouse.move(100 + ((step * 37) % 600), 100 + ((step * 53) % 400), { steps: 5 });
    if (step % 4 === 0) {
      await page.click('#go');
      await page.evaluate(
        `document.getElementById('list').appendChild(Object.assign(document.createElement('li'), { textContent: 'clicked ${step}' }))`,
      );
    }
    if (step % 6 === 0) {
      await page.type('#name', 'abc', { delay: 20 });
    }
    if (step % 5 === 0) {
      await page.mouse.wheel(0, step % 10 === 0 ? 300 : -300);
    }
    step++;
  }
}

async function measure(
  browser: Browser,
  origin: string,
  variant: Variant,
  workload: Workload,
  sink: Map<string, number>,
): Promise<Sample> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  // CPU time of the main thread: wall time also counts the moments it waited for a core.
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  const run = `${variant}-${Math.random().toString(36).slice(2)}`;
  // replaykit's bodies, kept to weigh their events as plain gzip once the page is closed: doing
  // it meanwhile would take CPU from the page being measured.
  const bodies: Buffer[] = [];
  await page.route('**/v1/ingest**', async (route) => {
    const body = route.request().postDataBuffer();
    sink.set(run, (sink.get(run) ?? 0) + (body?.byteLength ?? 0));
    if (body && variant === 'replaykit' && workload !== PAGE_LOAD) {
      bodies.push(body);
    }
    await route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: '{"ok":true,"duplicate":false}',
    });
  });
  const metrics = async () => {
    const { metrics: list } = (await cdp.send('Performance.getMetrics')) as {
      metrics: Array<{ name: string; value: number }>;
    };
    const value = (name: string) => list.find((metric) => metric.name === name)?.value ?? 0;
    return { script: value('ScriptDuration'), task: value('TaskDuration') };
  };
  const before = workload === PAGE_LOAD ? { script: 0, task: 0 } : undefined;
  await page.goto(`${origin}/${encodeURIComponent(workload)}/${variant}`);
  await page.waitForLoadState('load');
  let firstSnapshotMs: number | undefined;
  if (variant !== 'none') {
    await page.waitForFunction(`performance.getEntriesByName('replaykit:first-full-snapshot').length > 0`);
    firstSnapshotMs = (await page.evaluate(
      `performance.getEntriesByName('replaykit:first-full-snapshot')[0].startTime`,
    )) as number;
  }
  const domContentLoadedMs = (await page.evaluate(
    `performance.getEntriesByType('navigation')[0].domContentLoadedEventStart`,
  )) as number;
  const start = before ?? (await metrics());
  if (workload === 'mutation storm') {
    await page.evaluate(MUTATION_STORM);
  } else if (workload === 'interaction script') {
    await interact(page, INTERACTION_SECONDS);
  } else {
    await page.waitForTimeout(500);
  }
  await page.evaluate('window.benchRecorder.flush()');
  await page.waitForTimeout(300);
  const end = await metrics();
  const blockingMs = (await page.evaluate('window.blockingMs')) as number;
  await context.close();
  return {
    scriptMs: (end.script - start.script) * 1000,
    taskMs: (end.task - start.task) * 1000,
    blockingMs,
    bytes: sink.get(run) ?? 0,
    plainBytes: bodies.length > 0 ? bodies.reduce((sum, body) => sum + plainGzipBytes(body), 0) : undefined,
    firstSnapshotMs,
    domContentLoadedMs,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** What plain gzip of one replaykit body's events weighs: `{"events":[…]}`, as bare rrweb sends them. */
function plainGzipBytes(body: Buffer): number {
  const { events } = parseWireBody(gunzipSync(body).toString('utf8')) as { events: unknown[] };
  return gzipSync(JSON.stringify({ events })).byteLength;
}

/** A median ratio and the rounds' spread, as every ratio line prints them. */
function describeRatios(ratios: number[], digits = 2): string {
  return `${median(ratios).toFixed(digits)}× (rounds ${Math.min(...ratios).toFixed(digits)}–${Math.max(...ratios).toFixed(digits)}×)`;
}

/** Each round's `variant` / bare rrweb ratio of one figure (rounds are interleaved, so a pair ran under the same load). */
function pairedRatios(
  samples: Map<string, Sample[]>,
  workload: Workload,
  variant: Variant,
  pick: (sample: Sample) => number | undefined,
): number[] {
  const bareSamples = samples.get(`${workload}|rrweb`) ?? [];
  return (samples.get(`${workload}|${variant}`) ?? [])
    .map((sample, index) => {
      const own = pick(sample);
      const base = bareSamples[index] ? pick(bareSamples[index]) : undefined;
      return own !== undefined && base ? own / base : undefined;
    })
    .filter((value): value is number => value !== undefined && Number.isFinite(value));
}

/** Runs every workload with every variant, interleaved, and prints medians and ratios. */
export async function run(): Promise<void> {
  const [rrwebScript, replaykitScript, hostChunks] = await Promise.all([
    bundle(`import { record } from '@rrweb/record'; window.rrwebRecord = record;`),
    bundle(`import { createRecorder } from '@replaykit/recorder'; window.replaykit = { createRecorder };`),
    WORKLOADS.includes(PAGE_LOAD)
      ? buildLikeHostApp(RECORDER_DIR, {
          '.bench-host-entry.ts': `export { createRecorder } from '@replaykit/recorder';\n`,
        })
      : Promise.resolve([]),
  ]);
  // Chunks import each other by relative paths: all are served from one folder.
  const hostFiles = new Map(hostChunks.map((chunk) => [chunk.fileName.split('/').pop() as string, chunk]));
  const hostEntry =
    hostChunks
      .find((chunk) => chunk.isEntry)
      ?.fileName.split('/')
      .pop() ?? '';
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/rrweb.js' || url.pathname === '/replaykit.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(url.pathname === '/rrweb.js' ? rrwebScript : replaykitScript);
      return;
    }
    const hostFile = url.pathname.startsWith('/host/') ? hostFiles.get(url.pathname.slice(6)) : undefined;
    if (hostFile) {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(hostFile.code);
      return;
    }
    if (request.method === 'POST') {
      void readBody(request).then(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"ok":true}');
      });
      return;
    }
    const [, workloadPart = '', variant = 'none'] = url.pathname.split('/');
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(pageHtml(variant as Variant, decodeURIComponent(workloadPart) as Workload, hostEntry));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  const sink = new Map<string, number>();
  const samples = new Map<string, Sample[]>();
  try {
    for (let round = 0; round < PAGE_LOAD_ROUNDS; round++) {
      for (const workload of WORKLOADS) {
        if (round >= ROUNDS && workload !== PAGE_LOAD) {
          continue;
        }
        // Rotate the order each round so no variant always runs first (warm caches, CPU boost).
        const variants: Variant[] = workload === PAGE_LOAD ? [...VARIANTS, HOST_BUILD] : [...VARIANTS];
        const order = variants.map((_, index) => variants[(index + round) % variants.length] as Variant);
        for (const variant of order) {
          const sample = await measure(browser, origin, variant, workload, sink);
          const key = `${workload}|${variant}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
        }
      }
      console.log(`  round ${round + 1}/${round < ROUNDS ? ROUNDS : PAGE_LOAD_ROUNDS} done`);
    }
  } finally {
    await browser.close();
    server.close();
  }

  console.log(
    `\nRecorder cost in Chromium, medians of ${ROUNDS} interleaved rounds, ${PAGE_LOAD_ROUNDS} for the page load (interaction: ${INTERACTION_SECONDS} s)`,
  );
  // The issue's bars, as ratios to bare rrweb: main-thread time at most 1.05× on the storm
  // and the interaction, fewer bytes than plain gzip batches there, and the first full
  // snapshot of the 10,000-element page no later. Other cells are printed without a verdict.
  const fields: Array<
    [
      string,
      (sample: Sample) => number | undefined,
      (value: number) => string,
      string?,
      ((ratio: number) => boolean)?,
    ]
  > = [
    [
      'main-thread time (CPU of all its tasks)',
      (sample) => sample.taskMs,
      (value) => `${value.toFixed(0)} ms`,
      '≤ 1.05×',
      (ratio) => ratio <= 1.05,
    ],
    // JavaScript alone: part of the main-thread time above, printed to show where it goes.
    ['  of which script', (sample) => sample.scriptMs, (value) => `${value.toFixed(0)} ms`],
    ['total blocking time', (sample) => sample.blockingMs, (value) => `${value.toFixed(0)} ms`],
    // Each variant's own run: their events differ (mouse sampling, batch boundaries), so this
    // ratio moves by about ±8% between rounds; the bar is judged on the same events below.
    ['bytes on the wire', (sample) => sample.bytes, (value) => `${(value / 1024).toFixed(1)} KB`],
    [
      'DOMContentLoaded after navigation',
      (sample) => sample.domContentLoadedMs,
      (value) => `${value.toFixed(0)} ms`,
    ],
    // How long the snapshot itself took once the DOM was complete (rrweb alone starts it at
    // `load`, replaykit at DOMContentLoaded).
    [
      'first full snapshot after DOMContentLoaded',
      (sample) =>
        sample.firstSnapshotMs === undefined ? undefined : sample.firstSnapshotMs - sample.domContentLoadedMs,
      (value) => `${value.toFixed(0)} ms`,
    ],
    [
      'first full snapshot after navigation',
      (sample) => sample.firstSnapshotMs,
      (value) => `${value.toFixed(0)} ms`,
      '≤ 1.00×',
      (ratio) => ratio <= 1,
    ],
  ];
  for (const workload of WORKLOADS) {
    console.log(`\n  ${workload}`);
    console.log(
      `    ${'metric'.padEnd(38)}${'none'.padStart(11)}${'rrweb'.padStart(11)}${'replaykit'.padStart(11)}  replaykit/rrweb, median of the rounds' ratios`,
    );
    for (const [name, pick, format, barText, meetsBar] of fields) {
      const medians = VARIANTS.map((variant) => {
        const values = (samples.get(`${workload}|${variant}`) ?? [])
          .map(pick)
          .filter((value): value is number => value !== undefined);
        return values.length ? median(values) : undefined;
      });
      // Rounds are interleaved, so each round's replaykit/rrweb pair ran under the same load:
      // the median of those ratios is what the verdict uses, and their spread says how far
      // to trust it.
      const paired = pairedRatios(samples, workload, 'replaykit', pick);
      const judged = workload === PAGE_LOAD ? name.startsWith('first') : !name.startsWith('first');
      const verdict =
        paired.length && meetsBar && judged
          ? `  bar ${barText}: ${meetsBar(median(paired)) ? 'met' : 'NOT met'}`
          : '';
      const ratio = paired.length ? `${describeRatios(paired)}${verdict}` : '–';
      console.log(
        `    ${name.padEnd(38)}${medians.map((value) => (value === undefined ? '–' : format(value)).padStart(11)).join('')}  ${ratio}`,
      );
    }
    // The issue's bytes bar: fewer bytes than plain gzip batches of the same events.
    const own = (samples.get(`${workload}|replaykit`) ?? []).flatMap((sample) =>
      sample.plainBytes ? [sample.bytes / sample.plainBytes] : [],
    );
    if (own.length > 0) {
      console.log(
        `    ${'bytes / plain gzip of the same events'.padEnd(71)}  ${describeRatios(own, 3)}  bar < 1.00×: ${median(own) < 1 ? 'met' : 'NOT met'}`,
      );
    }
  }
  const hostSamples = samples.get(`${PAGE_LOAD}|${HOST_BUILD}`) ?? [];
  if (hostSamples.length > 0) {
    // Informative, without a verdict: the bar is judged in the table above.
    console.log(
      `\n  ${PAGE_LOAD}, replaykit as a code-split host build ships it (module script, lazy chunk)`,
    );
    for (const [name, pick] of [
      ['DOMContentLoaded after navigation', (sample: Sample) => sample.domContentLoadedMs],
      ['first full snapshot after navigation', (sample: Sample) => sample.firstSnapshotMs],
    ] as const) {
      const values = hostSamples.map(pick).filter((value): value is number => value !== undefined);
      const paired = pairedRatios(samples, PAGE_LOAD, HOST_BUILD, pick);
      const spread = paired.length ? `${describeRatios(paired)} to bare rrweb` : '–';
      console.log(`    ${name.padEnd(38)}${`${median(values).toFixed(0)} ms`.padStart(11)}  ${spread}`);
    }
  }
}
