// The recorder as a host app ships it (Vite build, minified), not from source: its compression
// worker runs `encodeWireDeltas` and `gzipText` by their source text, so only the minified
// bundle shows whether that text still runs on its own inside the worker. A worker that
// cannot run it answers `[id]` and the job is silently redone on the main thread, so this
// test watches the worker's answers, not just what reaches the server.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  API_PATHS,
  EventType,
  INGEST_PATH,
  parseWireBody,
  type RecordedEvent,
  type SessionEventsResponse,
} from '@replaykit/core';
import { createReplayServer, createSqliteStore } from '@replaykit/server';
import { type NodeServerHandle, startNodeServer } from '@replaykit/server/node';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import type { Rollup } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLikeHostApp } from '../../packages/recorder/src/test/host-build.ts';
import { launchChromium } from '../support/browser.ts';

const RECORDER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/recorder');
const WRITE_KEY = 'rk_write_bundle_e2e';
const READ_KEY = 'rk_read_bundle_e2e';
/** List items on the page: enough for a full snapshot well over the worker's 16 K characters. */
const ITEMS = 600;

let chunks: Rollup.OutputChunk[] = [];
/** The recorder as a host that targets older browsers builds it: async functions and `**` lowered to helpers. */
let olderTarget = '';
let backend: NodeServerHandle;
let pages: Server;
let pagesUrl = '';
let browser: Browser;
let dataDir = '';
let closeStore: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  chunks = await buildLikeHostApp(RECORDER_DIR, {
    '.e2e-production-entry.ts': `import { createRecorder } from '@replaykit/recorder';\n(window as unknown as { replaykit: unknown }).replaykit = { createRecorder };\n`,
  });
  const older = await build({
    stdin: {
      contents: `import { createRecorder } from '@replaykit/recorder'; window.replaykit = { createRecorder };`,
      resolveDir: RECORDER_DIR,
      loader: 'ts',
    },
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2015',
    platform: 'browser',
    write: false,
    conditions: ['source'],
    logLevel: 'silent',
  });
  olderTarget = older.outputFiles[0]?.text ?? '';
  dataDir = mkdtempSync(join(tmpdir(), 'replaykit-bundle-e2e-'));
  const store = createSqliteStore({ filename: join(dataDir, 'replays.db') });
  closeStore = () => store.close();
  const server = createReplayServer({
    store,
    projects: [{ id: 'bundle-e2e', writeKey: WRITE_KEY, readKey: READ_KEY }],
  });
  backend = await startNodeServer({ server, port: 0 });
  const entry = chunks.find((chunk) => chunk.isEntry);
  pages = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const chunk = chunks.find((item) => `/${item.fileName}` === path);
    if (chunk || path === '/older-target.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(chunk ? chunk.code : olderTarget);
      return;
    }
    const items = Array.from(
      { length: ITEMS },
      (_, index) => `<li class="row r${index % 7}">Item ${index}</li>`,
    );
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<!doctype html><html><head><title>bundle test</title></head><body>
<ul id="list">${items.join('')}</ul>
${path === '/older' ? '<script src="/older-target.js"></script>' : ''}
<script type="module">
  ${path === '/older' ? '' : `import '/${entry?.fileName}';`}
  window.recorder = window.replaykit.createRecorder({ endpoint: ${JSON.stringify(backend.url)}, writeKey: ${JSON.stringify(WRITE_KEY)}, flushDelayMs: 100 });
  window.recorder.start();
</script></body></html>`);
  });
  await new Promise<void>((done) => pages.listen(0, '127.0.0.1', done));
  pagesUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((done) => (pages ? pages.close(() => done()) : done()));
  await backend?.close();
  await closeStore();
  if (dataDir) {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** Node ids of a serialised node tree, in document order. */
function treeIds(node: { id?: number; childNodes?: unknown[] } = {}, into: number[] = []): number[] {
  if (typeof node.id === 'number') {
    into.push(node.id);
  }
  for (const child of node.childNodes ?? []) {
    treeIds(child as { id?: number; childNodes?: unknown[] }, into);
  }
  return into;
}

describe('the minified recorder bundle', () => {
  it.each([
    ['as a Vite app builds it', '/shop'],
    ['built for older browsers (ES2015)', '/older'],
  ])(
    'packs large batches as wire format 2 in its worker, %s, and the server gives back the snapshot as recorded',
    async (_, path) => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        // The worker's answers: `[id, bytes]` when it packed the batch, `[id]` when it could not.
        await page.addInitScript(() => {
          const answers: number[] = [];
          (window as unknown as { workerAnswers: number[] }).workerAnswers = answers;
          const Original = window.Worker;
          window.Worker = class extends Original {
            constructor(url: string | URL, options?: WorkerOptions) {
              super(url, options);
              this.addEventListener('message', (event: MessageEvent<unknown[]>) => {
                answers.push(event.data.length);
              });
            }
          };
        });
        const sent: string[] = [];
        await page.route(`${backend.url}${INGEST_PATH}*`, async (route) => {
          const body = route.request().postDataBuffer() ?? Buffer.alloc(0);
          sent.push((body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body).toString('utf8'));
          await route.continue();
        });
        await page.goto(`${pagesUrl}${path}`);
        await page.waitForFunction(
          () => (window as unknown as { workerAnswers: number[] }).workerAnswers.length > 0,
          undefined,
          { timeout: 20_000 },
        );
        const answers = await page.evaluate(
          () => (window as unknown as { workerAnswers: number[] }).workerAnswers,
        );
        // Every answer carried bytes: the worker itself encoded and gzipped (no main-thread rescue).
        expect(answers.length).toBeGreaterThan(0);
        expect(answers.every((length) => length === 2)).toBe(true);
        const sessionId = await page.evaluate(() =>
          (window as unknown as { recorder: { getSessionId(): string } }).recorder.getSessionId(),
        );
        let stored: RecordedEvent[] = [];
        const deadline = Date.now() + 20_000;
        while (!stored.some((event) => event.type === EventType.FullSnapshot) && Date.now() < deadline) {
          const response = await fetch(`${backend.url}${API_PATHS.sessionEvents(sessionId)}`, {
            headers: { authorization: `Bearer ${READ_KEY}` },
          });
          stored = response.ok ? ((await response.json()) as SessionEventsResponse).events : [];
          await new Promise((done) => setTimeout(done, 100));
        }
        // The body with the snapshot went out as format 2 ...
        const snapshotBody = sent.find((text) => text.includes(`Item ${ITEMS - 1}`));
        expect(snapshotBody?.startsWith('{"v":2,')).toBe(true);
        // ... with its ids as differences, not as recorded ...
        const raw = (JSON.parse(snapshotBody ?? '{}') as { events: RecordedEvent[] }).events;
        const rawIds = treeIds(
          (
            raw.find((event) => event.type === EventType.FullSnapshot)?.data as
              | { node?: { id: number } }
              | undefined
          )?.node,
        );
        const snapshot = stored.find((event) => event.type === EventType.FullSnapshot);
        const ids = treeIds((snapshot?.data as { node?: { id: number } } | undefined)?.node);
        // ... and the server restores them: unique, counting up in document order, one per node.
        expect(ids.length).toBeGreaterThan(ITEMS * 2);
        expect(ids.every((id, index) => index === 0 || id > (ids[index - 1] as number))).toBe(true);
        expect(rawIds).not.toEqual(ids);
        const sentSnapshot = (parseWireBody(snapshotBody ?? '') as { events: RecordedEvent[] }).events.find(
          (event) => event.type === EventType.FullSnapshot,
        );
        expect(sentSnapshot?.data).toEqual(snapshot?.data);
      } finally {
        await context.close();
      }
    },
  );
});
