import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReplayServer, createSqliteStore, type ServerLimits } from '@replaykit/server';
import { type NodeServerHandle, startNodeServer } from '@replaykit/server/node';
import { bundleForPage } from '../support/recorder-bundle.ts';

export const WRITE_KEY = 'rk_write_cross_origin';
export const READ_KEY = 'rk_read_cross_origin';

/**
 * The real server on one origin (127.0.0.1:P) and the test pages on another (127.0.0.1:Q),
 * as most sites deploy it (app.example.com records to replays.example.com). The server can
 * be stopped gracefully and started again on the same port and database.
 */
export interface CrossOriginStack {
  serverUrl: string;
  readKey: string;
  pageOrigin: string;
  pageUrl(path: string, options?: Record<string, unknown>): string;
  /** Closes the server gracefully (its HTTP server and store). */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  close(): Promise<void>;
}

export async function startCrossOriginStack(
  options: { limits?: Partial<ServerLimits>; maxSessions?: number; allowedOrigins?: string[] } = {},
): Promise<CrossOriginStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'replaykit-cross-origin-'));
  const script = await bundleForPage(
    `import { createRecorder } from '@replaykit/recorder'; window.replaykit = { createRecorder };`,
  );
  let port = 0;
  let backend: NodeServerHandle | undefined;
  let close: (() => Promise<void>) | undefined;
  const start = async () => {
    const store = createSqliteStore({ filename: join(dataDir, 'replays.db') });
    const replayServer = createReplayServer({
      store,
      projects: [
        {
          id: 'cross',
          writeKey: WRITE_KEY,
          readKey: READ_KEY,
          ...(options.maxSessions !== undefined ? { quota: { maxSessions: options.maxSessions } } : {}),
          ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
        },
      ],
      limits: options.limits,
    });
    backend = await startNodeServer({ server: replayServer, port });
    port = Number(new URL(backend.url).port);
    const handle = backend;
    close = async () => {
      await handle.close();
      replayServer.close();
      await store.close();
    };
  };
  await start();
  const pages: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/recorder.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(script);
      return;
    }
    const recorderOptions = url.searchParams.get('options') ?? '{}';
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<!doctype html><html><head><title>cross-origin test</title></head><body>
<main><h1>Page ${url.pathname}</h1><button id="action">Action</button></main>
<script src="/recorder.js"></script>
<script>
  window.recorder = window.replaykit.createRecorder(Object.assign({ endpoint: ${JSON.stringify(
    `http://127.0.0.1:${port}`,
  )}, writeKey: ${JSON.stringify(WRITE_KEY)}, flushDelayMs: 100 }, ${recorderOptions}));
  window.recorder.start();
</script></body></html>`);
  });
  await new Promise<void>((done) => pages.listen(0, '127.0.0.1', () => done()));
  const pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  const stack: CrossOriginStack = {
    serverUrl: `http://127.0.0.1:${port}`,
    readKey: READ_KEY,
    pageOrigin,
    pageUrl: (path, recorderOptions = {}) =>
      `${pageOrigin}${path}?options=${encodeURIComponent(JSON.stringify(recorderOptions))}`,
    stopServer: async () => {
      await close?.();
      close = undefined;
    },
    startServer: start,
    close: async () => {
      await close?.();
      await new Promise<void>((done) => {
        pages.close(() => done());
        pages.closeAllConnections();
      });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}
