// Player benchmark: a generated 30-minute session (tens of MB) stored in and served by the
// real replaykit server (SQLite, loopback), replayed in headless Chromium. Prints the time
// to first frame after the first chunk (replaykit's streaming player) and seek latency
// (median and 95th percentile over 50 random seeks), against rrweb-player loading the same
// session whole from `/events`, measured in the same run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EventType,
  INGEST_PATH,
  IncrementalSource,
  type RecordedEvent,
  WIRE_VERSION,
  WRITE_KEY_HEADER,
} from '@replaykit/core';
import { createReplayServer, createSqliteStore } from '@replaykit/server';
import { startNodeServer } from '@replaykit/server/node';
import { build } from 'esbuild';
import { launchChromium } from '../../tests/support/browser.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Length of the generated session. */
const SESSION_MS = 30 * 60 * 1000;
/** A Meta + FullSnapshot pair this often, as the recorder's periodic checkouts do. */
const FULL_SNAPSHOT_EVERY_MS = 5 * 60 * 1000;
/** Mouse-move events per second, each with a few positions. */
const MOUSE_MOVES_PER_SECOND = 10;
/** DOM mutations per second, each adding a block of text and removing an older one. */
const MUTATIONS_PER_SECOND = 4;
/** Text in each added block, in characters. */
const BLOCK_TEXT_CHARS = 2_500;
/** Events per stored batch (the recorder sends smaller ones; fewer keep ingest quick). */
const BATCH_EVENTS = 2_000;
const SEEKS = 50;
const BARS = { firstFrameMs: 500, seekP95Ms: 150 };
const PROJECT = { id: 'bench', writeKey: 'rk_write_bench', readKey: 'rk_read_bench' };
const SESSION_ID = '0192e4a0-7b1c-7def-8000-00000000b3c4';

/** Deterministic pseudo-random numbers, so every run replays and seeks the same session. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) % 4_294_967_296;
    return state / 4_294_967_296;
  };
}

function maxId(node: { id?: number; childNodes?: unknown[] }): number {
  let max = node.id ?? 0;
  for (const child of (node.childNodes ?? []) as { id?: number; childNodes?: unknown[] }[]) {
    max = Math.max(max, maxId(child));
  }
  return max;
}

function findBodyId(node: { id?: number; tagName?: string; childNodes?: unknown[] }): number | undefined {
  if (node.tagName === 'body') {
    return node.id;
  }
  for (const child of (node.childNodes ?? []) as {
    id?: number;
    tagName?: string;
    childNodes?: unknown[];
  }[]) {
    const found = findBodyId(child);
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

/** Builds the session from the real recorded checkout page: periodic full snapshots, mouse moves and mutations. */
function generateSession(start: number): RecordedEvent[] {
  const fixture = JSON.parse(
    readFileSync(join(ROOT, 'stories/fixtures/checkout-session.json'), 'utf8'),
  ) as RecordedEvent[];
  const metaEvent = fixture.find((event) => event.type === EventType.Meta)!;
  const fullSnapshot = fixture.find((event) => event.type === EventType.FullSnapshot)!;
  const tree = (fullSnapshot.data as { node: { id: number; childNodes: unknown[] } }).node;
  const bodyId = findBodyId(tree) ?? 1;
  const baseMaxId = maxId(tree);
  const rand = random(42);
  const events: RecordedEvent[] = [];
  let nextId = baseMaxId + 1;
  let live: number[] = [];
  const text = (n: number) =>
    `Line ${n} `.repeat(Math.ceil(BLOCK_TEXT_CHARS / 10)).slice(0, BLOCK_TEXT_CHARS);
  for (let t = 0; t < SESSION_MS; t += 1_000) {
    if (t % FULL_SNAPSHOT_EVERY_MS === 0) {
      events.push({ ...metaEvent, timestamp: start + t });
      events.push({ ...fullSnapshot, timestamp: start + t + 20 });
      nextId = baseMaxId + 1;
      live = [];
    }
    for (let i = 0; i < MOUSE_MOVES_PER_SECOND; i++) {
      const at = t + 30 + i * (1_000 / MOUSE_MOVES_PER_SECOND);
      const positions = [0, 1, 2].map((k) => ({
        x: Math.round(rand() * 1000),
        y: Math.round(rand() * 700),
        id: bodyId,
        timeOffset: -k * 30,
      }));
      events.push({
        type: EventType.IncrementalSnapshot,
        timestamp: start + at,
        data: { source: IncrementalSource.MouseMove, positions },
      });
    }
    for (let i = 0; i < MUTATIONS_PER_SECOND; i++) {
      const at = t + 50 + i * (1_000 / MUTATIONS_PER_SECOND);
      const divId = nextId++;
      const textId = nextId++;
      const removes = live.length > 20 ? [{ parentId: bodyId, id: live.shift()! }] : [];
      live.push(divId);
      events.push({
        type: EventType.IncrementalSnapshot,
        timestamp: start + at,
        data: {
          source: IncrementalSource.Mutation,
          texts: [],
          attributes: [],
          removes,
          adds: [
            {
              parentId: bodyId,
              nextId: null,
              node: { type: 2, tagName: 'p', attributes: { class: 'log' }, childNodes: [], id: divId },
            },
            { parentId: divId, nextId: null, node: { type: 3, textContent: text(divId), id: textId } },
          ],
        },
      });
    }
  }
  return events;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const PAGE_SCRIPT = `
import { createElement, createRef } from 'react';
import { createRoot } from 'react-dom/client';
import { flushSync } from 'react-dom';
import { ReplayPlayer, streamSessionChunks } from '@replaykit/player';
import RrwebPlayer from 'rrweb-player';

function nextFrame() { return new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now()))); }

async function waitForFrame(container) {
  for (;;) {
    const failed = container.querySelector('.rk-player:not([data-state="ready"]):not([data-state="loading"])');
    if (failed) { throw new Error('The player failed: ' + failed.textContent); }
    const doc = container.querySelector('iframe')?.contentDocument;
    if (doc && doc.body && doc.body.childElementCount > 0) { return performance.now(); }
    await nextFrame();
  }
}

async function seekTimes(seek, targets) {
  const times = [];
  for (const target of targets) {
    await nextFrame();
    const started = performance.now();
    seek(target);
    // The seek is applied synchronously; the next frame paints it.
    const painted = await nextFrame();
    times.push(painted - started);
  }
  return times;
}

window.benchReplaykit = async ({ baseUrl, readKey, sessionId, targets }) => {
  const container = document.getElementById('root');
  const ref = createRef();
  const started = performance.now();
  let firstChunkAt = null;
  let done;
  const complete = new Promise((resolve) => { done = resolve; });
  async function* loader({ signal }) {
    for await (const chunk of streamSessionChunks({ sessionId, baseUrl, readKey, signal })) {
      firstChunkAt ??= performance.now();
      yield chunk;
    }
    done();
  }
  const root = createRoot(container);
  root.render(createElement(ReplayPlayer, { ref, loader, inspector: false }));
  const frameAt = await waitForFrame(container);
  await complete;
  // Let the last timeline rebuild reach the store.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const loadedAt = performance.now();
  const seeks = await seekTimes((t) => flushSync(() => ref.current.seek(t)), targets);
  root.unmount();
  return { firstChunkMs: firstChunkAt - started, firstFrameAfterChunkMs: frameAt - firstChunkAt, firstFrameMs: frameAt - started, loadedMs: loadedAt - started, seeks };
};

window.benchRrwebPlayer = async ({ baseUrl, readKey, sessionId, targets }) => {
  const container = document.getElementById('root');
  container.replaceChildren();
  const started = performance.now();
  const response = await fetch(baseUrl + '/v1/sessions/' + sessionId + '/events', { headers: { authorization: 'Bearer ' + readKey } });
  const { events } = await response.json();
  const receivedAt = performance.now();
  const player = new RrwebPlayer({ target: container, props: { events, width: 1024, height: 576, showController: false, autoPlay: false, skipInactive: false, triggerFocus: false, mouseTail: false } });
  const frameAt = await waitForFrame(container);
  const seeks = await seekTimes((t) => player.goto(t, false), targets);
  return { bodyMs: receivedAt - started, firstFrameAfterBodyMs: frameAt - receivedAt, firstFrameMs: frameAt - started, seeks };
};
`;

async function bundlePage(): Promise<string> {
  const result = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: join(ROOT, 'packages/player'), loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    minify: true,
    conditions: ['source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

const ms = (value: number) => `${value.toFixed(0)} ms`;

/** Prints first-frame and seek figures for replaykit's player and for whole-session rrweb-player. */
export async function run(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'replaykit-bench-player-'));
  const store = createSqliteStore({ filename: join(dataDir, 'bench.db') });
  const server = await startNodeServer({
    server: createReplayServer({
      store,
      projects: [PROJECT],
      limits: { ratePerSecond: 10_000, rateBurst: 10_000 },
    }),
    port: 0,
  });
  const browser = await launchChromium();
  try {
    const start = Date.now() - SESSION_MS - 60_000;
    const events = generateSession(start);
    let bytes = 0;
    let seq = 0;
    for (let index = 0; index < events.length; index += BATCH_EVENTS) {
      const body = JSON.stringify({
        v: WIRE_VERSION,
        sessionId: SESSION_ID,
        windowId: 'bench-window',
        seq: seq++,
        events: events.slice(index, index + BATCH_EVENTS),
      });
      bytes += body.length;
      const response = await fetch(`${server.url}${INGEST_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WRITE_KEY_HEADER]: PROJECT.writeKey },
        body,
      });
      if (!response.ok) {
        throw new Error(
          `Ingest of batch ${seq - 1} failed: HTTP ${response.status} ${await response.text()}`,
        );
      }
    }
    console.log(
      `Session: ${(SESSION_MS / 60_000).toFixed(0)} min, ${events.length} events, ${(bytes / 1024 / 1024).toFixed(1)} MB of JSON in ${seq} batches`,
    );

    const rand = random(7);
    // Seek targets inside the recording, away from the Meta/FullSnapshot instants.
    const targets = Array.from({ length: SEEKS }, () => Math.round(1_000 + rand() * (SESSION_MS - 2_000)));
    const script = await bundlePage();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // The bench page is served on the server's own origin (intercepted under /bench/), so
    // the player's requests are same-origin, as in an app that mounts the server's routes.
    await page.route(`${server.url}/bench/**`, (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === '/bench/bench.js') {
        return route.fulfill({ contentType: 'text/javascript', body: script });
      }
      return route.fulfill({
        contentType: 'text/html',
        body: '<!doctype html><html><body><div id="root" style="width:1024px;height:640px"></div><script type="module" src="/bench/bench.js"></script></body></html>',
      });
    });
    page.on('pageerror', (error) => console.error(`Page error: ${error.message}`));
    page.setDefaultTimeout(120_000);
    await page.goto(`${server.url}/bench/`);
    await page.waitForFunction(() => 'benchReplaykit' in window);
    const args = { baseUrl: server.url, readKey: PROJECT.readKey, sessionId: SESSION_ID, targets };
    type Result = { firstFrameMs: number; seeks: number[] } & Record<string, number | number[]>;
    const ours = (await page.evaluate(
      (a) => (window as unknown as { benchReplaykit: (x: typeof a) => Promise<Result> }).benchReplaykit(a),
      args,
    )) as Result;
    const baseline = (await page.evaluate(
      (a) =>
        (window as unknown as { benchRrwebPlayer: (x: typeof a) => Promise<Result> }).benchRrwebPlayer(a),
      args,
    )) as Result;

    const oursSeeks = [...ours.seeks].sort((a, b) => a - b);
    const baseSeeks = [...baseline.seeks].sort((a, b) => a - b);
    const rows = [
      ['', 'replaykit player (streamed)', 'rrweb-player (whole session)', 'ratio'],
      [
        'first chunk / whole body received',
        ms(ours.firstChunkMs as number),
        ms(baseline.bodyMs as number),
        '',
      ],
      [
        'first frame after first chunk / after body',
        ms(ours.firstFrameAfterChunkMs as number),
        ms(baseline.firstFrameAfterBodyMs as number),
        ((ours.firstFrameAfterChunkMs as number) / (baseline.firstFrameAfterBodyMs as number)).toFixed(2),
      ],
      [
        'first frame after request',
        ms(ours.firstFrameMs),
        ms(baseline.firstFrameMs),
        (ours.firstFrameMs / baseline.firstFrameMs).toFixed(2),
      ],
      [
        'seek median',
        ms(quantile(oursSeeks, 0.5)),
        ms(quantile(baseSeeks, 0.5)),
        (quantile(oursSeeks, 0.5) / quantile(baseSeeks, 0.5)).toFixed(2),
      ],
      [
        'seek p95',
        ms(quantile(oursSeeks, 0.95)),
        ms(quantile(baseSeeks, 0.95)),
        (quantile(oursSeeks, 0.95) / quantile(baseSeeks, 0.95)).toFixed(2),
      ],
    ];
    for (const row of rows) {
      console.log(
        `${row[0]!.padEnd(44)} ${row[1]!.padStart(28)} ${row[2]!.padStart(30)} ${row[3]!.padStart(6)}`,
      );
    }
    const firstFrameOk = (ours.firstFrameAfterChunkMs as number) <= BARS.firstFrameMs;
    const seekOk = quantile(oursSeeks, 0.95) <= BARS.seekP95Ms;
    console.log(
      `Bars: first frame ≤ ${BARS.firstFrameMs} ms after the first chunk: ${firstFrameOk ? 'met' : 'MISSED'}; seek p95 ≤ ${BARS.seekP95Ms} ms: ${seekOk ? 'met' : 'MISSED'}`,
    );
  } finally {
    await browser.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
