import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_PATHS } from '@replaykit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createReplayServer } from './app';
import { startNodeServer } from './node';
import { createSqliteStore } from './sqlite-store';
import { batch, click, custom, ingestRequest, meta, readRequest, T0, TEST_PROJECTS } from './test/support';

const directory = mkdtempSync(join(tmpdir(), 'replaykit-http-concurrency-'));

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** A real server on loopback over a SQLite file (writer thread) with ingest workers. */
async function serve(name: string, ingestWorkers: number) {
  const store = createSqliteStore({ filename: join(directory, `${name}.db`) });
  const replayServer = createReplayServer({ store, projects: TEST_PROJECTS, ingestWorkers });
  const node = await startNodeServer({ server: replayServer, port: 0 });
  return {
    baseUrl: node.url,
    async close() {
      replayServer.close();
      await node.close();
      await store.close();
    },
  };
}

const bodies = Array.from({ length: 12 }, (_, seq) =>
  batch(
    'http-session',
    [
      meta(T0 + seq * 1_000, `https://shop.test/p${seq % 3}`),
      click(T0 + seq * 1_000 + 5),
      custom(T0 + seq * 1_000 + 9, 'step', { n: `${seq % 4}` }),
    ],
    { seq, windowId: seq % 2 === 0 ? 'window-1' : 'window-2' },
  ),
);

describe('Ingest over HTTP with workers and the writer thread', () => {
  it('answers one copy of a batch sent many times at once as stored and the rest as duplicates, and the session equals one-by-one ingestion', async () => {
    const concurrent = await serve('concurrent', 2);
    const sequential = await serve('sequential', 0);
    try {
      // Every batch three times, all at once.
      const answers = await Promise.all(
        [...bodies, ...bodies, ...bodies].map(async (body) => {
          const response = await fetch(ingestRequest(body, { baseUrl: concurrent.baseUrl }));
          return {
            seq: body.seq,
            status: response.status,
            json: (await response.json()) as { duplicate: boolean },
          };
        }),
      );
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      for (const { seq } of bodies) {
        const stored = answers.filter((answer) => answer.seq === seq && !answer.json.duplicate);
        expect(stored).toHaveLength(1);
      }
      for (const body of bodies) {
        const response = await fetch(ingestRequest(body, { baseUrl: sequential.baseUrl }));
        expect(response.status).toBe(200);
      }
      const read = async (baseUrl: string, path: string) =>
        (await fetch(readRequest(path, { baseUrl }))).json();
      // The URL and window lists follow the order the batches arrived in, which concurrent
      // requests do not fix: compared as sets.
      const session = async (baseUrl: string) => {
        const { session: summary } = (await read(baseUrl, API_PATHS.session('http-session'))) as {
          session: { urls: string[]; windowIds: string[] };
        };
        return { ...summary, urls: [...summary.urls].sort(), windowIds: [...summary.windowIds].sort() };
      };
      expect(await session(concurrent.baseUrl)).toEqual(await session(sequential.baseUrl));
      const events = API_PATHS.sessionEvents('http-session');
      expect(await read(concurrent.baseUrl, events)).toEqual(await read(sequential.baseUrl, events));
    } finally {
      await Promise.all([concurrent.close(), sequential.close()]);
    }
  });
});
