/**
 * Project quotas over real HTTP, on both stores: a burst of new sessions must not pass
 * `maxSessions` within one server process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_PATHS } from '@replaykit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createReplayServer, type ProjectQuota } from './app';
import { startNodeServer } from './node';
import { createPostgresStore } from './postgres-store';
import { createSqliteStore } from './sqlite-store';
import type { Store } from './store';
import { startTestPostgres, type TestPostgres } from './test/postgres';
import {
  batch,
  click,
  expectError,
  ingestRequest,
  meta,
  readRequest,
  T0,
  TEST_PROJECTS,
} from './test/support';

const directory = mkdtempSync(join(tmpdir(), 'replaykit-quota-http-'));
/** Started by the PostgreSQL case only, so that the SQLite case runs without PostgreSQL. */
let postgres: TestPostgres | undefined;

afterAll(async () => {
  await postgres?.stop();
  rmSync(directory, { recursive: true, force: true });
});

/** Sessions stored before the burst, the quota, and the new sessions of the burst. */
const STORED = 80;
const MAX_SESSIONS = 100;
const BURST = 50;

/** A real server on loopback with `quota` on the first project; a start of `replaykit serve`, in short. */
async function serve(openStore: () => Promise<Store>, quota?: ProjectQuota) {
  const store = await openStore();
  const projects = [{ ...TEST_PROJECTS[0]!, ...(quota ? { quota } : {}) }, TEST_PROJECTS[1]!];
  const replayServer = createReplayServer({ store, projects, onError: () => {} });
  const node = await startNodeServer({ server: replayServer, port: 0 });
  return {
    store,
    send: (body: object) => fetch(ingestRequest(body, { baseUrl: node.url })),
    remove: (sessionId: string) =>
      fetch(readRequest(API_PATHS.session(sessionId), { baseUrl: node.url, method: 'DELETE' })),
    async stop() {
      replayServer.close();
      await node.close();
      await store.close();
    },
  };
}

const first = (sessionId: string) => batch(sessionId, [meta(T0), click(T0 + 1)]);
const second = (sessionId: string) => batch(sessionId, [click(T0 + 2)], { seq: 1 });

describe.each([
  [
    'SQLite',
    async () => {
      const filename = join(directory, 'quota.db');
      return () => Promise.resolve(createSqliteStore({ filename }));
    },
  ],
  [
    'PostgreSQL',
    async () => {
      postgres ??= await startTestPostgres();
      const connectionString = await postgres.createDatabase();
      return () => createPostgresStore({ connectionString });
    },
  ],
])('maxSessions over HTTP on %s', (_, database) => {
  it('lets a burst of new sessions fill the quota but not pass it, and honours deletes and a new quota after a restart', async () => {
    const openStore = await database();
    const unlimited = await serve(openStore);
    try {
      const stored = Array.from({ length: STORED }, (_, index) => `stored-${index}`);
      const answers = await Promise.all(stored.map((id) => unlimited.send(first(id))));
      expect(answers.map((answer) => answer.status)).toEqual(stored.map(() => 200));
    } finally {
      await unlimited.stop();
    }

    // Restarted with a quota: it holds from the first request on.
    const limited = await serve(openStore, { maxSessions: MAX_SESSIONS });
    try {
      // Each new session sends its first batch twice (a lost answer) and its second batch,
      // all at once: neither is a session of its own.
      const burst = Array.from({ length: BURST }, (_, index) => `new-${index}`);
      const requests = burst.flatMap((id) => [first(id), first(id), second(id)]);
      const responses = await Promise.all(requests.map((body) => limited.send(body)));
      const accepted = new Set<string>();
      for (const [index, response] of responses.entries()) {
        const { sessionId } = requests[index]!;
        if (response.status === 200) {
          accepted.add(sessionId);
          await response.body?.cancel();
        } else {
          expect(response.headers.get('retry-after')).toBe('3600');
          const { error } = await expectError(response, 429, 'quota_exceeded');
          expect(error.message).toContain(`at its quota of ${MAX_SESSIONS}; no new session can start.`);
        }
      }
      expect((await limited.store.usage('shop')).sessions).toBe(MAX_SESSIONS);
      expect(accepted.size).toBe(MAX_SESSIONS - STORED);
      // A session is all in or all out: no batch of an accepted session was refused.
      for (const [index, response] of responses.entries()) {
        expect(response.status === 200).toBe(accepted.has(requests[index]!.sessionId));
      }

      // A deleted session makes room for one new session at once, and only one.
      expect((await limited.remove('stored-0')).status).toBe(204);
      const [inA, inB] = await Promise.all([limited.send(first('after-a')), limited.send(first('after-b'))]);
      expect([inA.status, inB.status].sort()).toEqual([200, 429]);
      await Promise.all([inA.body?.cancel(), inB.body?.cancel()]);
      expect((await limited.store.usage('shop')).sessions).toBe(MAX_SESSIONS);
    } finally {
      await limited.stop();
    }

    // Restarted with a lower quota: no new session, but the stored ones go on.
    const lowered = await serve(openStore, { maxSessions: STORED });
    try {
      const refused = await lowered.send(first('late'));
      const { error } = await expectError(refused, 429, 'quota_exceeded');
      expect(error.message).toContain(
        `stores ${MAX_SESSIONS} sessions (counting sessions being started), at its quota of ${STORED};`,
      );
      expect((await lowered.send(second('stored-1'))).status).toBe(200);
    } finally {
      await lowered.stop();
    }
  });
});
