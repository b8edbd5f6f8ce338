// Cost of replaykit's privacy rules on rrweb's first full snapshot, in headless Chromium:
// bare rrweb, rrweb masking every text and input itself, and each replaykit preset
// (rrweb options + the event processor), measured in the same page, in the same run. rrweb is
// replaykit's copy (trim-rrweb.mjs); @rrweb/record as published is measured beside it, since
// the copy's serialization is faster.
import { launchChromium } from '../../tests/support/browser.ts';
import { bundleForPage } from '../../tests/support/recorder-bundle.ts';

/** Elements of the synthetic page: rows of text, inputs, links and images with attributes. */
const PAGE_ROWS = 2_000;
/** Measured snapshots per case (after one warm-up); the median is reported. */
const RUNS = 9;

const bundle = () =>
  bundleForPage(`
    import { record as published } from '@rrweb/record';
    import { record } from './src/vendor/rrweb-record.js';
    import { createPrivacy } from './src/privacy.ts';
    window.__bench = { record, published, createPrivacy };`);

function pageHtml(): string {
  const rows: string[] = [];
  for (let index = 0; index < PAGE_ROWS; index++) {
    rows.push(
      `<li title="Row ${index}"><p>Order ${index} for customer${index}@example.com, total 12.${index % 100}</p>` +
        `<label>Note <input placeholder="Write a note" value="note ${index}"></label>` +
        `<a href="/orders/${index}?ref=list&token=t${index}">open</a><img alt="thumb ${index}" src="/t.png?id=${index}"></li>`,
    );
  }
  return `<!doctype html><html><body><main data-rk-unmask><h1>Orders</h1></main><ul>${rows.join('')}</ul></body></html>`;
}

// Runs in the page. Kept as text: tsx's name-keeping helpers do not exist in the page.
const SNAPSHOT_IN_PAGE = `(caseName) => {
  const bench = window.__bench;
  let options = {};
  let processEvent = (event) => event;
  if (caseName === 'rrweb-mask-all') {
    options = { maskAllInputs: true, maskTextSelector: '*' };
  } else if (caseName !== 'bare' && caseName !== 'published') {
    const config = { preset: caseName.replace('opt-', '') };
    // As the recorder does: options and processor from one createPrivacy, sharing its cache.
    const privacy = bench.createPrivacy(config);
    options = privacy.options;
    if (!caseName.startsWith('opt-')) {
      processEvent = privacy.processEvent;
    }
  }
  let events = 0;
  const started = performance.now();
  const record = caseName === 'published' ? bench.published : bench.record;
  const stop = record({ ...options, emit: (event) => { events += processEvent(event) ? 1 : 0; } });
  const ms = performance.now() - started;
  stop?.();
  return events > 0 ? ms : Number.NaN;
}`;

/** `opt-` cases use replaykit's rrweb options without the event processor, to split the cost. */
type Case = string;
const CASES: Case[] = [
  'bare',
  'published',
  'rrweb-mask-all',
  'opt-strict',
  'opt-balanced',
  'opt-relaxed',
  'strict',
  'balanced',
  'relaxed',
];

/** Prints the median time of one full snapshot per case and its ratio to bare rrweb. */
export async function run(): Promise<void> {
  const script = await bundle();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent(pageHtml());
    await page.addScriptTag({ content: script });
    const timings: Record<Case, number[]> = Object.fromEntries(CASES.map((c) => [c, []]));
    for (let round = 0; round <= RUNS; round++) {
      for (const name of CASES) {
        const elapsed = (await page.evaluate(`(${SNAPSHOT_IN_PAGE})(${JSON.stringify(name)})`)) as number;
        if (round > 0) {
          timings[name]?.push(elapsed);
        }
      }
    }
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    };
    const baseline = median(timings.bare ?? []);
    console.log(`First full snapshot of a ${PAGE_ROWS * 6}-element page, median of ${RUNS} (Chromium)`);
    for (const name of CASES) {
      const value = median(timings[name] ?? []);
      const label =
        name === 'bare'
          ? "bare rrweb, replaykit's copy (baseline)"
          : name === 'published'
            ? 'bare rrweb, @rrweb/record as published'
            : name === 'rrweb-mask-all'
              ? 'rrweb masking all text and inputs'
              : name.startsWith('opt-')
                ? `replaykit ${name.slice(4)}, rrweb options only`
                : `replaykit ${name} (options + event processor)`;
      console.log(
        `  ${label.padEnd(48)} ${value.toFixed(1).padStart(8)} ms  ${(value / baseline).toFixed(2)}×`,
      );
    }
  } finally {
    await browser.close();
  }
}
