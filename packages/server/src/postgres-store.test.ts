import { API_PATHS } from '@replaykit/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './cli';
import { createPostgresStore, POSTGRES_SCHEMA_VERSION } from './postgres-store';
import type { ListSessionsOptions } from './store';
import { startTestPostgres, type TestPostgres } from './test/postgres';
import { batchInput, describeStoreContract, putGroupedAndSequential } from './test/store-contract';
import {
  batch,
  click,
  custom,
  ingestRequest,
  meta,
  READ_KEY,
  readRequest,
  T0,
  WRITE_KEY,
} from './test/support';

let server: TestPostgres;

/**
 * Records the statements the stores send from now until `stop()`, which returns them: a named
 * statement by its name, others by their first word.
 */
function watchQueries(): { stop(): string[] } {
  const sent: string[] = [];
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const config = args[0] as string | { name?: string; text: string };
    const text = typeof config === 'string' ? config : config.text;
    sent.push((typeof config === 'string' ? undefined : config.name) ?? text.trim().split(/\s/)[0] ?? '');
    return query.apply(this, args);
  } as never);
  return {
    stop() {
      spy.mockRestore();
      return sent;
    },
  };
}

beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describeStoreContract('PostgreSQL', async () =>
  createPostgresStore({ connectionString: await server.createDatabase() }),
);

describe('replaykit serve --database-url', () => {
  it('serves ingest and the read API over PostgreSQL', async () => {
    const url = await server.createDatabase();
    const controller = new AbortController();
    let output = '';
    let onReady: (value: string) => void = () => {};
    const ready = new Promise<string>((resolve) => {
      onReady = resolve;
    });
    const exitCode = runCli(
      ['serve', '--port', '0', '--quiet', '--write-key', WRITE_KEY, '--read-key', READ_KEY],
      {
        env: { DATABASE_URL: url },
        signal: controller.signal,
        stdout: (text) => {
          output += text;
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match?.[1]) {
            onReady(match[1]);
          }
        },
        stderr: (text) => {
          output += text;
        },
      },
    );
    const baseUrl = await Promise.race([
      ready,
      exitCode.then((code) => Promise.reject(new Error(`${code}: ${output}`))),
    ]);
    expect(output).toContain('database PostgreSQL 127.0.0.1');
    const events = [meta(T0), click(T0 + 1)];
    const ingested = await fetch(ingestRequest(batch('pg-session', events), { baseUrl }));
    expect(ingested.status).toBe(200);
    const chunks = await fetch(readRequest(API_PATHS.sessionChunks('pg-session'), { baseUrl }));
    expect(JSON.parse((await chunks.text()).trim())).toEqual({ windowId: 'window-1', seq: 0, events });
    const ready200 = await fetch(`${baseUrl}/readyz`);
    expect(ready200.status).toBe(200);
    controller.abort();
    expect(await exitCode).toBe(0);
  });
});

describe('createPostgresStore', () => {
  it('migrates once even when several processes open a new database at the same time', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => createPostgresStore({ connectionString: url })));
    await stores[0]?.putBatch(batchInput('s1', [meta(T0)]));
    expect(await stores[2]?.getSession('shop', 's1')).toBeDefined();
    await Promise.all(stores.map((store) => store.close()));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT version FROM replaykit_schema_migrations ORDER BY version');
      expect(rows.map((row) => row.version)).toEqual(
        Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, index) => index + 1),
      );
      await client.query('INSERT INTO replaykit_schema_migrations VALUES (999, $1, 0)', ['future']);
    } finally {
      await client.end();
    }
    await expect(createPostgresStore({ connectionString: url })).rejects.toThrow(
      /newer than this replaykit.*Upgrade/,
    );
  });

  it('writes batches that arrive together in one transaction, each stored once and merged', async () => {
    const url = await server.createDatabase();
    const store = await createPostgresStore({ connectionString: url });
    try {
      const sessions = ['g1', 'g2', 'g3', 'g4'];
      const inputs = sessions.flatMap((sessionId) =>
        Array.from({ length: 10 }, (_, seq) =>
          batchInput(
            sessionId,
            [meta(T0 + seq), click(T0 + seq + 1), custom(T0 + seq + 2, 'paid', { plan: `p${seq % 2}` })],
            { seq },
          ),
        ),
      );
      // Every batch, plus a resend of the first batch of each session, in one turn.
      const repeats = inputs.filter((input) => input.seq === 0);
      const results = await Promise.all([...inputs, ...repeats].map((input) => store.putBatch(input)));
      expect(results.slice(0, inputs.length).every((result) => !result.duplicate)).toBe(true);
      expect(results.slice(inputs.length).every((result) => result.duplicate)).toBe(true);
      expect(results.filter((result) => result.created)).toHaveLength(sessions.length);
      for (const sessionId of sessions) {
        expect(await store.getSession('shop', sessionId)).toMatchObject({ eventCount: 30, clickCount: 10 });
      }
      const page = await store.listSessions('shop', {
        limit: 10,
        event: 'paid',
        eventProperty: { name: 'plan', value: 'p1' },
      });
      expect(page.sessions.map((session) => session.id).sort()).toEqual(sessions);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        // Rows written by one transaction share its id (xmin): 40 batches took a few, not 40.
        const { rows } = await client.query(
          'SELECT count(*)::int AS batches, count(DISTINCT xmin::text)::int AS transactions FROM batches',
        );
        expect(rows[0]).toMatchObject({ batches: 40 });
        expect(rows[0].transactions).toBeLessThan(5);
      } finally {
        await client.end();
      }
    } finally {
      await store.close();
    }
  });

  it('merges a new session that two processes start at once', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([1, 2].map(() => createPostgresStore({ connectionString: url })));
    try {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, seq) =>
          stores[seq % 2]?.putBatch(batchInput('race', [meta(T0 + seq), click(T0 + seq + 1)], { seq })),
        ),
      );
      expect(results.filter((result) => result?.created)).toHaveLength(1);
      expect(results.every((result) => result?.duplicate === false)).toBe(true);
      expect(await stores[0]?.getSession('shop', 'race')).toMatchObject({ eventCount: 24, clickCount: 12 });
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it.each([
    ['a new session and one it wrote before (locked)', ['old-session']],
    ['only sessions it wrote before (one statement)', ['new-session', 'old-session']],
  ])(
    'gives a session row equal to one-by-one ingestion when several of its batches share a group: %s',
    async (_, storedFirst) => {
      const groupedUrl = await server.createDatabase();
      const sequentialUrl = await server.createDatabase();
      const grouped = await createPostgresStore({ connectionString: groupedUrl });
      const sequential = await createPostgresStore({ connectionString: sequentialUrl });
      try {
        await putGroupedAndSequential(grouped, sequential, storedFirst);
        const rows = async (url: string) => {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            return (await client.query('SELECT * FROM sessions ORDER BY project_id, id')).rows;
          } finally {
            await client.end();
          }
        };
        expect(await rows(groupedUrl)).toEqual(await rows(sequentialUrl));
      } finally {
        await Promise.all([grouped.close(), sequential.close()]);
      }
    },
  );

  it('writes a group whose sessions it wrote last in one statement, with no transaction around it', async () => {
    const store = await createPostgresStore({ connectionString: await server.createDatabase() });
    try {
      await Promise.all(['k1', 'k2'].map((sessionId) => store.putBatch(batchInput(sessionId, [meta(T0)]))));
      const queries = watchQueries();
      const results = await Promise.all(
        ['k1', 'k2'].flatMap((sessionId) =>
          [1, 2].map((seq) =>
            store.putBatch(
              batchInput(sessionId, [meta(T0 + seq), click(T0 + seq + 1), custom(T0 + seq + 2, 'paid')], {
                seq,
              }),
            ),
          ),
        ),
      );
      expect(queries.stop()).toEqual(['replaykit_group_write']);
      expect(results).toEqual(Array.from({ length: 4 }, () => ({ duplicate: false, created: false })));
      for (const sessionId of ['k1', 'k2']) {
        expect(await store.getSession('shop', sessionId)).toMatchObject({
          eventCount: 7,
          clickCount: 2,
          customEventNames: ['paid'],
        });
      }
      const page = await store.listSessions('shop', { limit: 10, event: 'paid' });
      expect(page.sessions.map((session) => session.id).sort()).toEqual(['k1', 'k2']);
    } finally {
      await store.close();
    }
  });

  it('writes a known session again with locks when another process wrote it meanwhile, losing neither write', async () => {
    const url = await server.createDatabase();
    const [mine, theirs] = await Promise.all(
      [1, 2].map(() => createPostgresStore({ connectionString: url })),
    );
    try {
      await mine?.putBatch(batchInput('shared', [meta(T0), click(T0 + 1)]));
      await theirs?.putBatch(batchInput('shared', [meta(T0 + 10), click(T0 + 11)], { seq: 1 }));
      const queries = watchQueries();
      const results = await Promise.all(
        [2, 3].map((seq) =>
          mine?.putBatch(batchInput('shared', [meta(T0 + seq * 10), click(T0 + seq * 10 + 1)], { seq })),
        ),
      );
      // The one statement found the row changed and kept nothing; the locked write merged into it.
      expect(queries.stop().slice(0, 2)).toEqual(['replaykit_group_write', 'BEGIN']);
      expect(results).toEqual([
        { duplicate: false, created: false },
        { duplicate: false, created: false },
      ]);
      expect(await mine?.getSession('shop', 'shared')).toMatchObject({ eventCount: 8, clickCount: 4 });
      // Known again: the next batch goes in one statement.
      const next = watchQueries();
      await mine?.putBatch(batchInput('shared', [meta(T0 + 40)], { seq: 4 }));
      expect(next.stop()).toEqual(['replaykit_group_write']);
      expect(await theirs?.getSession('shop', 'shared')).toMatchObject({ eventCount: 9, clickCount: 4 });
    } finally {
      await Promise.all([mine?.close(), theirs?.close()]);
    }
  });

  it('loses no batch when two processes write the same sessions at once, group after group', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([1, 2].map(() => createPostgresStore({ connectionString: url })));
    const sessions = ['m1', 'm2', 'm3', 'm4'];
    try {
      // Bursts of batches of every session, spread over both processes, so that their groups
      // overlap: each process keeps finding rows the other one changed.
      for (let burst = 0; burst < 10; burst++) {
        const results = await Promise.all(
          sessions.flatMap((sessionId, index) =>
            [0, 1].map((half) => {
              const seq = burst * 2 + half;
              const store = stores[(index + seq) % 2];
              return store?.putBatch(batchInput(sessionId, [meta(T0 + seq), click(T0 + seq + 1)], { seq }));
            }),
          ),
        );
        expect(results.every((result) => result?.duplicate === false)).toBe(true);
      }
      for (const sessionId of sessions) {
        expect(await stores[0]?.getSession('shop', sessionId)).toMatchObject({
          eventCount: 40,
          clickCount: 20,
        });
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('answers a repeat of a stored batch as a duplicate when its session is known, storing the new batch once', async () => {
    const store = await createPostgresStore({ connectionString: await server.createDatabase() });
    try {
      const first = batchInput('again', [meta(T0), click(T0 + 1)]);
      await store.putBatch(first);
      const results = await Promise.all([
        store.putBatch({ ...first, receivedAt: first.receivedAt + 1 }),
        store.putBatch(batchInput('again', [meta(T0 + 10), click(T0 + 11)], { seq: 1 })),
      ]);
      expect(results).toEqual([
        { duplicate: true, created: false },
        { duplicate: false, created: false },
      ]);
      expect(await store.getSession('shop', 'again')).toMatchObject({ eventCount: 4, clickCount: 2 });
    } finally {
      await store.close();
    }
  });

  it('creates a known session again when another process deleted it meanwhile', async () => {
    const url = await server.createDatabase();
    const [mine, theirs] = await Promise.all(
      [1, 2].map(() => createPostgresStore({ connectionString: url })),
    );
    try {
      await mine?.putBatch(batchInput('gone', [meta(T0), click(T0 + 1)]));
      expect(await theirs?.deleteSession('shop', 'gone')).toBe(true);
      expect(await mine?.putBatch(batchInput('gone', [meta(T0 + 10)], { seq: 1 }))).toEqual({
        duplicate: false,
        created: true,
      });
      expect(await mine?.getSession('shop', 'gone')).toMatchObject({ eventCount: 1, clickCount: 0 });
    } finally {
      await Promise.all([mine?.close(), theirs?.close()]);
    }
  });

  it.each([
    ['one session', { maxSessions: 1 }, ['replaykit_group_write', 'BEGIN']],
    ['fewer characters than a state', { maxChars: 100 }, ['BEGIN', 'BEGIN']],
    ['none', { maxSessions: 0 }, ['BEGIN', 'BEGIN']],
  ])(
    'keeps in memory only as many sessions as its limits allow (%s), writing the others with locks',
    async (_, sessionCache, firstQueries) => {
      const store = await createPostgresStore({
        connectionString: await server.createDatabase(),
        sessionCache,
      });
      try {
        await store.putBatch(batchInput('a', [meta(T0)]));
        await store.putBatch(batchInput('b', [meta(T0)]));
        const queries = watchQueries();
        await store.putBatch(batchInput('b', [meta(T0 + 1), click(T0 + 2)], { seq: 1 }));
        await store.putBatch(batchInput('a', [meta(T0 + 1), click(T0 + 2)], { seq: 1 }));
        // Each group's first statement: in one statement, or BEGIN for the locked way.
        const sent = queries.stop();
        expect(sent.filter((name) => name === 'replaykit_group_write' || name === 'BEGIN')).toEqual(
          firstQueries,
        );
        for (const sessionId of ['a', 'b']) {
          expect(await store.getSession('shop', sessionId)).toMatchObject({ eventCount: 3, clickCount: 1 });
        }
      } finally {
        await store.close();
      }
    },
  );

  it('writes the batches still waiting for their group before close() ends the connections', async () => {
    const url = await server.createDatabase();
    const store = await createPostgresStore({ connectionString: url });
    const inputs = Array.from({ length: 150 }, (_, seq) =>
      batchInput(`closing-${seq % 3}`, [meta(T0 + seq), click(T0 + seq + 1)], { seq }),
    );
    const results = Promise.allSettled(inputs.map((input) => store.putBatch(input)));
    await store.close();
    const settled = await results;
    expect(settled.filter((result) => result.status === 'rejected')).toEqual([]);
    const reopened = await createPostgresStore({ connectionString: url });
    try {
      for (const sessionId of ['closing-0', 'closing-1', 'closing-2']) {
        expect(await reopened.getSession('shop', sessionId)).toMatchObject({
          eventCount: 100,
          clickCount: 50,
        });
      }
    } finally {
      await reopened.close();
    }
  });

  it('stores a NUL character in custom event names, properties and the user id, alone or in a group', async () => {
    const store = await createPostgresStore({ connectionString: await server.createDatabase() });
    try {
      const nul = (sessionId: string, seq: number) =>
        batchInput(
          sessionId,
          [
            meta(T0 + seq),
            custom(T0 + seq + 1, 'pa\u0000id', { 'pl\u0000an': 'p\u00001' }),
            custom(T0 + seq + 2, '$identify', { userId: 'u\u00001' }),
          ],
          { seq },
        );
      // Alone, then among good batches of one group.
      expect(await store.putBatch(nul('nul-alone', 0))).toMatchObject({ duplicate: false });
      const results = await Promise.allSettled([
        store.putBatch(batchInput('good-1', [meta(T0), click(T0 + 1)])),
        store.putBatch(nul('nul-grouped', 0)),
        store.putBatch(batchInput('good-2', [meta(T0), click(T0 + 1)])),
      ]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      for (const sessionId of ['good-1', 'good-2']) {
        expect(await store.getSession('shop', sessionId)).toMatchObject({ eventCount: 2 });
      }
      for (const sessionId of ['nul-alone', 'nul-grouped']) {
        expect(await store.getSession('shop', sessionId)).toMatchObject({
          eventCount: 3,
          userId: 'u\u00001',
        });
      }
      // Filters with the same characters find them.
      const found = async (options: Partial<ListSessionsOptions>) =>
        (await store.listSessions('shop', { limit: 10, ...options })).sessions
          .map((session) => session.id)
          .sort();
      expect(await found({ userId: 'u\u00001' })).toEqual(['nul-alone', 'nul-grouped']);
      expect(
        await found({ event: 'pa\u0000id', eventProperty: { name: 'pl\u0000an', value: 'p\u00001' } }),
      ).toEqual(['nul-alone', 'nul-grouped']);
    } finally {
      await store.close();
    }
  });

  it('fails only the bad batch of a group, storing the others once, merged as one by one', async () => {
    const store = await createPostgresStore({ connectionString: await server.createDatabase() });
    try {
      const bad = { ...batchInput('s2', [meta(T0)]), encoding: 'bogus' as 'gzip' };
      const results = await Promise.allSettled([
        store.putBatch(batchInput('s1', [meta(T0)])),
        store.putBatch(bad),
        store.putBatch(batchInput('s1', [meta(T0 + 1), click(T0 + 2)], { seq: 1 })),
        store.putBatch(batchInput('s1', [meta(T0)])),
      ]);
      expect(results.map((result) => result.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      const answers = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      expect(answers.filter((answer) => answer.duplicate)).toHaveLength(1);
      expect(answers.filter((answer) => answer.created)).toHaveLength(1);
      expect(await store.getSession('shop', 's1')).toMatchObject({ eventCount: 3, clickCount: 1 });
      expect(await store.getSession('shop', 's2')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('refuses a session cache limit that is not a whole number of 0 or more, saying what it takes', async () => {
    for (const sessionCache of [{ maxSessions: -1 }, { maxChars: 1.5 }, { maxSessions: Number.NaN }]) {
      await expect(
        createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/none', sessionCache }),
      ).rejects.toThrow(
        /sessionCache\.max(Sessions|Chars) must be a whole number of 0 or more .*got (-1|1\.5|NaN)/,
      );
    }
  });

  it('fails to open with the database error when the server is unreachable', async () => {
    await expect(
      createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/none' }),
    ).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});
