/**
 * The session list over real HTTP, on both stores: what a client sends in a query string
 * finds the same sessions on SQLite and on PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API_PATHS,
  type SessionListQuery,
  type SessionListResponse,
  sessionListSearchParams,
} from '@replaykit/core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReplayServer } from './app';
import { type NodeServerHandle, startNodeServer } from './node';
import { createPostgresStore } from './postgres-store';
import { createSqliteStore } from './sqlite-store';
import type { Store } from './store';
import { startTestPostgres, type TestPostgres } from './test/postgres';
import { batch, ingestRequest, meta, readRequest, T0, TEST_PROJECTS } from './test/support';

const directory = mkdtempSync(join(tmpdir(), 'replaykit-read-api-http-'));
/** Started by the PostgreSQL cases only, so that the SQLite cases run without PostgreSQL. */
let postgres: TestPostgres | undefined;

afterAll(async () => {
  await postgres?.stop();
  rmSync(directory, { recursive: true, force: true });
});

let databases = 0;

describe.each([
  ['SQLite', async () => createSqliteStore({ filename: join(directory, `read-${databases++}.db`) })],
  [
    'PostgreSQL',
    async () => {
      postgres ??= await startTestPostgres();
      return createPostgresStore({ connectionString: await postgres.createDatabase() });
    },
  ],
])('the session list over HTTP on %s', (_, openStore: () => Promise<Store>) => {
  let store: Store;
  let replayServer: ReturnType<typeof createReplayServer>;
  let node: NodeServerHandle;

  beforeEach(async () => {
    store = await openStore();
    replayServer = createReplayServer({
      store,
      projects: TEST_PROJECTS,
      onError: () => {},
      retention: { sweepIntervalMs: 0 },
    });
    node = await startNodeServer({ server: replayServer, port: 0 });
  });

  afterEach(async () => {
    replayServer.close();
    await node.close();
    await store.close();
  });

  async function ingest(body: object) {
    const response = await fetch(ingestRequest(body, { baseUrl: node.url }));
    expect(response.status).toBe(200);
    await response.body?.cancel();
  }

  async function listIds(query: SessionListQuery): Promise<string[]> {
    const response = await fetch(
      readRequest(`${API_PATHS.sessions}?${sessionListSearchParams(query)}`, { baseUrl: node.url }),
    );
    expect(response.status).toBe(200);
    return ((await response.json()) as SessionListResponse).sessions.map((session) => session.id);
  }

  it('finds URLs by their non-ASCII text as read and as browsers send it, percent-encoded', async () => {
    // location.href, as the recorder reports it, holds non-ASCII text percent-encoded.
    await ingest(
      batch('cafe', [meta(T0, 'https://shop.test/Caf%C3%A9/cr%C3%A8me-br%C3%BBl%C3%A9e?q=%E2%82%AC')]),
    );
    await ingest(batch('upper', [meta(T0 + 1, 'https://shop.test/CAF%C3%89')]));
    // Latin-1 bytes, not UTF-8: only found as sent.
    await ingest(batch('latin', [meta(T0 + 2, 'https://shop.test/caf%E9')]));
    await ingest(batch('plain', [meta(T0 + 3, 'https://shop.test/cafe')]));

    expect(await listIds({ urlContains: 'café' })).toEqual(['upper', 'cafe']);
    expect(await listIds({ urlContains: 'CAFÉ' })).toEqual(['upper', 'cafe']);
    expect(await listIds({ urlContains: '/crème-brûlée?q=€' })).toEqual(['cafe']);
    expect(await listIds({ urlContains: 'caf%c3%a9' })).toEqual(['cafe']);
    expect(await listIds({ urlContains: 'CAF%C3%A9' })).toEqual(['cafe']);
    expect(await listIds({ urlContains: 'caf%e9' })).toEqual(['latin']);
    expect(await listIds({ urlContains: 'cafe' })).toEqual(['plain']);
  });
});
