import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_PATHS, type SessionListResponse } from '@replaykit/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createExpressApp } from './examples/express-app';
import { createSqliteStore } from './sqlite-store';
import {
  batch,
  click,
  ingestRequest,
  meta,
  READ_KEY,
  readRequest,
  T0,
  TEST_PROJECTS,
  WRITE_KEY,
} from './test/support';

let directory: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'replaykit-examples-'));
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('Next.js route handler example', () => {
  it('serves ingest and reads through its exported GET, POST, DELETE and OPTIONS', async () => {
    process.env.REPLAYKIT_DB = join(directory, 'next.db');
    process.env.REPLAYKIT_WRITE_KEY = WRITE_KEY;
    process.env.REPLAYKIT_READ_KEY = READ_KEY;
    const route = await import('./examples/next-route');
    expect(route.runtime).toBe('nodejs');
    const base = 'http://app.test/replaykit';
    const posted = await route.POST(
      ingestRequest(batch('next-session', [meta(T0), click(T0 + 1)]), { baseUrl: base }),
    );
    expect(posted.status).toBe(200);
    const listed = await route.GET(readRequest(API_PATHS.sessions, { baseUrl: base }));
    expect(((await listed.json()) as SessionListResponse).sessions.map((session) => session.id)).toEqual([
      'next-session',
    ]);
    const preflight = await route.OPTIONS(
      new Request(`${base}/v1/ingest`, { method: 'OPTIONS', headers: { origin: 'https://shop.test' } }),
    );
    expect(preflight.status).toBe(204);
    const deleted = await route.DELETE(
      readRequest(API_PATHS.session('next-session'), { baseUrl: base, method: 'DELETE' }),
    );
    expect(deleted.status).toBe(204);
    // Outside the base path nothing is served.
    expect((await route.GET(readRequest(API_PATHS.sessions, { baseUrl: 'http://app.test' }))).status).toBe(
      404,
    );
  });

  it('opens its store again on the next request when the database could not be reached', async () => {
    // A port nobody listens on: the connection is refused at once.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    process.env.REPLAYKIT_DB = join(directory, 'next-retry.db');
    process.env.REPLAYKIT_WRITE_KEY = WRITE_KEY;
    process.env.REPLAYKIT_READ_KEY = READ_KEY;
    vi.resetModules();
    const route = await import('./examples/next-route');
    const base = 'http://app.test/replaykit';
    process.env.DATABASE_URL = `postgres://replaykit@127.0.0.1:${port}/replaykit`;
    try {
      await expect(route.GET(readRequest(API_PATHS.sessions, { baseUrl: base }))).rejects.toThrow(
        /Could not open PostgreSQL/,
      );
    } finally {
      delete process.env.DATABASE_URL;
    }
    // The database is reachable again (here the SQLite file): the route serves, no restart needed.
    const listed = await route.GET(readRequest(API_PATHS.sessions, { baseUrl: base }));
    expect(listed.status).toBe(200);
  });
});

describe('Express example', () => {
  let server: Server;
  let url: string;
  const store = createSqliteStore({ filename: ':memory:' });

  beforeAll(async () => {
    const app = createExpressApp({ store, projects: TEST_PROJECTS, retention: { sweepIntervalMs: 0 } });
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  });

  it('serves replaykit under /replaykit over real HTTP beside the app routes', async () => {
    const base = `${url}/replaykit`;
    const posted = await fetch(ingestRequest(batch('express-session', [meta(T0)]), { baseUrl: base }));
    expect(posted.status).toBe(200);
    const listed = await fetch(readRequest(API_PATHS.sessions, { baseUrl: base }));
    expect(((await listed.json()) as SessionListResponse).sessions.map((session) => session.id)).toEqual([
      'express-session',
    ]);
    const tooLarge = await fetch(ingestRequest('x'.repeat(11 * 1024 * 1024), { baseUrl: base }));
    expect(tooLarge.status).toBe(413);
    expect(await (await fetch(`${url}/api/hello`)).json()).toEqual({ hello: 'world' });
  });

  it('answers a health check sent as HTTP/1.0 without a Host header, as HAProxy sends them', async () => {
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end('GET /replaykit/readyz HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      // HTTP/1.0 without keep-alive: the server closes the connection after its answer.
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ ok: true });
  });
});
