import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { API_PATHS, type SessionEventsResponse, type SessionListResponse } from '@replaykit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createReplayServer } from './app';
import { type NodeServerHandle, startNodeServer } from './node';
import { createSqliteStore } from './sqlite-store';
import type { Store } from './store';
import {
  batch,
  click,
  fullSnapshot,
  ingestRequest,
  meta,
  readRequest,
  T0,
  TEST_PROJECTS,
} from './test/support';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

async function start(): Promise<{ handle: NodeServerHandle; store: Store }> {
  const store = createSqliteStore({ filename: ':memory:' });
  cleanups.push(() => store.close());
  const server = createReplayServer({ store, projects: TEST_PROJECTS, onError: () => {} });
  const handle = await startNodeServer({ server, port: 0, host: '127.0.0.1' });
  cleanups.push(() => handle.close());
  return { handle, store };
}

describe('startNodeServer', () => {
  it('listens on a free port and serves ingest and reads over real HTTP', async () => {
    const { handle } = await start();
    expect(handle.port).toBeGreaterThan(0);
    expect(handle.url).toBe(`http://127.0.0.1:${handle.port}`);

    const events = [meta(T0), fullSnapshot(T0 + 1), click(T0 + 2)];
    const gzipped = gzipSync(JSON.stringify(batch('http-session', events)));
    const ingested = await fetch(
      ingestRequest(gzipped, { baseUrl: handle.url, headers: { 'content-type': 'text/plain' } }),
    );
    expect(ingested.status).toBe(200);
    expect(await ingested.json()).toEqual({ ok: true, duplicate: false });

    const list = await fetch(readRequest(API_PATHS.sessions, { baseUrl: handle.url }));
    expect(((await list.json()) as SessionListResponse).sessions.map((session) => session.id)).toEqual([
      'http-session',
    ]);
    const read = await fetch(readRequest(API_PATHS.sessionEvents('http-session'), { baseUrl: handle.url }));
    expect(((await read.json()) as SessionEventsResponse).events).toEqual(events);
  });

  it('answers 413 over HTTP when the body is over the limit', async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    cleanups.push(() => store.close());
    const server = createReplayServer({ store, projects: TEST_PROJECTS, limits: { maxBodyBytes: 100 } });
    const handle = await startNodeServer({ server, port: 0 });
    cleanups.push(() => handle.close());
    const response = await fetch(
      ingestRequest(batch('s1', [meta(T0), click(T0 + 1), click(T0 + 2)]), { baseUrl: handle.url }),
    );
    expect(response.status).toBe(413);
  });

  it('closes while a keep-alive connection is open, and frees the port', async () => {
    const { handle } = await start();
    // fetch keeps the connection alive after this request.
    expect((await fetch(`${handle.url}/healthz`)).status).toBe(200);
    await handle.close();
    await expect(fetch(`${handle.url}/healthz`)).rejects.toThrow();
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(handle.port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it('rejects when the port is taken', async () => {
    const { handle } = await start();
    const store = createSqliteStore({ filename: ':memory:' });
    cleanups.push(() => store.close());
    const server = createReplayServer({ store, projects: TEST_PROJECTS });
    await expect(startNodeServer({ server, port: handle.port })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});
