import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { API_PATHS, type IngestBatch, parseWireBody, type RecordedEvent } from '@replaykit/core';
import { createReplayServer, createSqliteStore } from '@replaykit/server';
import { type NodeServerHandle, startNodeServer } from '@replaykit/server/node';
import type { BrowserContext, Page } from 'playwright-core';
import { bundleForPage } from './recorder-bundle.ts';

declare global {
  interface Window {
    /** The recorder a test page started (see {@link RecorderHarness.pageUrl}). */
    recorder: {
      capture(name: string, properties?: Record<string, unknown>): void;
      getSessionId(): string | undefined;
      getWindowId(): string | undefined;
      getStatus(): string;
      getLastError(): string | undefined;
      flush(): Promise<void>;
      start(): void;
      stop(): void;
      optOut(): void;
    };
    /** The recorder bundle's export, to make another recorder on a test page. */
    replaykit: { createRecorder(options: Record<string, unknown>): Window['recorder'] };
  }
}

const WRITE_KEY = 'rk_write_recorder_e2e';
const READ_KEY = 'rk_read_recorder_e2e';

/** One ingest request as the proxy saw it, and what was answered. */
export interface IngestLogEntry {
  sessionId: string;
  windowId: string;
  seq: number;
  eventCount: number;
  bytes: number;
  status: number;
  /** When the proxy received it (ms since 1970). */
  at: number;
  /** True when the real server said it had stored this batch before. */
  duplicate?: boolean;
}

/** What the next ingest requests get instead of reaching the real server. */
export type Fault =
  | { kind: 'network' }
  /** The body is read and never answered (until the harness closes). */
  | { kind: 'hang' }
  /** The body is read, then handled as usual after `ms` (a request still under way meanwhile). */
  | { kind: 'delay'; ms: number }
  | { kind: 'status'; status: number; headers?: Record<string, string> };

export interface RecorderHarness {
  /** Origin of the test pages; the ingest route is proxied from here to the real server. */
  url: string;
  serverUrl: string;
  writeKey: string;
  readKey: string;
  log: IngestLogEntry[];
  /** Answers the next ingest requests with these faults, in order. */
  faults: Fault[];
  /**
   * While true, every ingest request fails at the network level (the server is "down"); a
   * function decides per request, from its batch (unreadable: undefined).
   */
  down: boolean | ((batch: IngestBatch | undefined) => boolean);
  /** Bodies (compressed bytes) over this size get {@link oversizeStatus} from the proxy. */
  maxBodyBytes: number;
  /**
   * What a body over {@link maxBodyBytes} gets: 413 (a body size limit), or 408 (the server's
   * time limit for receiving a body, which on a slow uplink only large bodies miss).
   */
  oversizeStatus: 413 | 408;
  /** A page that starts a recorder with these options (JSON-serialisable) and optional extra markup. */
  pageUrl(path: string, options?: Record<string, unknown>, body?: string): string;
  /** The stored events of a session, from the real read API. */
  storedEvents(sessionId: string): Promise<RecordedEvent[]>;
  /** Forgets the log and lets ingest through again: no faults, up, no size limit. */
  reset(): void;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const bundleRecorder = () =>
  bundleForPage(
    `import { createRecorder } from '@replaykit/recorder'; window.replaykit = { createRecorder };`,
  );

/**
 * The real replaykit server (SQLite in a temp dir) behind a small same-origin proxy that
 * serves test pages and the recorder bundle, and can fail ingest requests on demand
 * (network errors, any status, 413 or 408 over a size); every other request reaches the real server.
 */
export async function startRecorderHarness(): Promise<RecorderHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'replaykit-recorder-e2e-'));
  const store = createSqliteStore({ filename: join(dataDir, 'replays.db') });
  const replayServer = createReplayServer({
    store,
    projects: [{ id: 'recorder-e2e', writeKey: WRITE_KEY, readKey: READ_KEY }],
  });
  const backend: NodeServerHandle = await startNodeServer({ server: replayServer, port: 0 });
  const script = await bundleRecorder();

  const harness: RecorderHarness = {
    url: '',
    serverUrl: backend.url,
    writeKey: WRITE_KEY,
    readKey: READ_KEY,
    log: [],
    faults: [],
    down: false,
    maxBodyBytes: Number.POSITIVE_INFINITY,
    oversizeStatus: 413,
    pageUrl: (path, options = {}, body = '') =>
      `${harness.url}${path}?options=${encodeURIComponent(JSON.stringify(options))}&body=${encodeURIComponent(body)}`,
    storedEvents: async (sessionId) => {
      const response = await fetch(`${backend.url}${API_PATHS.sessionEvents(sessionId)}`, {
        headers: { authorization: `Bearer ${READ_KEY}` },
      });
      if (response.status === 404) {
        return [];
      }
      const body = (await response.json()) as { events: RecordedEvent[] };
      return body.events;
    },
    reset: () => {
      harness.log.length = 0;
      harness.faults.length = 0;
      harness.down = false;
      harness.maxBodyBytes = Number.POSITIVE_INFINITY;
      harness.oversizeStatus = 413;
    },
    close: async () => {
      await new Promise<void>((done) => {
        proxy.close(() => done());
        proxy.closeAllConnections();
      });
      replayServer.close();
      await backend.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  const ingest = async (request: IncomingMessage, response: ServerResponse, path: string) => {
    const body = await readBody(request);
    let batch: IngestBatch | undefined;
    try {
      const text = (body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body).toString('utf8');
      batch = parseWireBody(text) as IngestBatch;
    } catch {
      batch = undefined;
    }
    const entry: IngestLogEntry = {
      sessionId: batch?.sessionId ?? '?',
      windowId: batch?.windowId ?? '?',
      seq: batch?.seq ?? -1,
      eventCount: batch?.events.length ?? 0,
      bytes: body.byteLength,
      status: 0,
      at: Date.now(),
    };
    harness.log.push(entry);
    const down = typeof harness.down === 'function' ? harness.down(batch) : harness.down;
    const fault = down ? ({ kind: 'network' } as const) : harness.faults.shift();
    if (fault?.kind === 'network') {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang') {
      return;
    }
    if (fault?.kind === 'delay') {
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
    }
    if (fault?.kind === 'status') {
      entry.status = fault.status;
      response.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      response.end(JSON.stringify({ error: { code: 'injected', message: 'injected by the test proxy' } }));
      return;
    }
    if (body.byteLength > harness.maxBodyBytes) {
      entry.status = harness.oversizeStatus;
      response.writeHead(harness.oversizeStatus, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'too_large', message: 'injected by the test proxy' } }));
      return;
    }
    const upstream = await fetch(`${backend.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': request.headers['content-type'] ?? 'text/plain' },
      body: new Uint8Array(body),
    });
    const text = await upstream.text();
    entry.status = upstream.status;
    try {
      entry.duplicate = (JSON.parse(text) as { duplicate?: boolean }).duplicate;
    } catch {
      // Not JSON: keep the status only.
    }
    response.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'text/plain',
    });
    response.end(text);
  };

  const proxy: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'POST' && url.pathname.startsWith('/v1/ingest')) {
      ingest(request, response, `${url.pathname}${url.search}`).catch((error: unknown) => {
        response.writeHead(500);
        response.end(String(error));
      });
      return;
    }
    if (url.pathname === '/recorder.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(script);
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      // Endpoints the network-capture tests call from the page.
      handleApi(url, request, response);
      return;
    }
    const options = url.searchParams.get('options') ?? '{}';
    const markup = url.searchParams.get('body') ?? '';
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<!doctype html><html><head><title>recorder test</title></head><body>
<main><h1>Page ${url.pathname}</h1><button id="action">Action</button><a id="link" href="#">Link</a></main>${markup}
<script src="/recorder.js"></script>
<script>
  window.recorder = window.replaykit.createRecorder(Object.assign({ endpoint: location.origin, writeKey: ${JSON.stringify(
    WRITE_KEY,
  )}, flushDelayMs: 100 }, ${options}, window.extraOptions || {}));
  window.recorder.start();
</script></body></html>`);
  });

  const handleApi = (url: URL, request: IncomingMessage, response: ServerResponse) => {
    if (url.pathname === '/api/stream') {
      // Three chunks 50 ms apart: a wrapper that buffered the body would change the timing and chunks.
      response.writeHead(200, { 'content-type': 'text/plain' });
      let count = 0;
      const timer = setInterval(() => {
        response.write(`chunk${count}\n`);
        count++;
        if (count === 3) {
          clearInterval(timer);
          response.end();
        }
      }, 50);
      return;
    }
    if (url.pathname === '/api/slow-style') {
      // A stylesheet that takes a second to arrive.
      const timer = setTimeout(() => {
        response.writeHead(200, { 'content-type': 'text/css' });
        response.end('.rk-late-style-marker { color: rgb(1, 2, 3); }');
      }, 1_000);
      request.on('close', () => clearTimeout(timer));
      return;
    }
    if (url.pathname === '/api/slow-image') {
      // Holds the page's load event back while the DOM is long complete.
      const timer = setTimeout(() => {
        response.writeHead(200, { 'content-type': 'image/gif' });
        response.end(Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'));
      }, 1_500);
      request.on('close', () => clearTimeout(timer));
      return;
    }
    if (url.pathname === '/api/slow') {
      const timer = setTimeout(() => {
        response.writeHead(200);
        response.end('late');
      }, 5_000);
      request.on('close', () => clearTimeout(timer));
      return;
    }
    if (url.pathname === '/api/echo') {
      void readBody(request).then((body) => {
        response.writeHead(Number(url.searchParams.get('status') ?? 200), {
          'content-type': 'application/json',
          'x-custom': 'visible',
          'set-cookie': 'sid=secret-cookie',
        });
        response.end(JSON.stringify({ method: request.method, body: body.toString('utf8') }));
      });
      return;
    }
    response.writeHead(404);
    response.end('not found');
  };

  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', () => done()));
  harness.url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  return harness;
}

/** Opens `url` (a recorder page) in a new page of `context` and waits until its recorder has a session. */
export async function openRecordedPage(
  context: BrowserContext,
  url: string,
): Promise<{ page: Page; sessionId: string }> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
  const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
  return { page, sessionId };
}
