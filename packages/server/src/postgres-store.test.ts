import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { API_PATHS } from '@replaykit/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { runCli } from './cli';
import { createPostgresStore, POSTGRES_SCHEMA_VERSION, type PostgresStoreOptions } from './postgres-store';
import { batchRowValues, type ListSessionsOptions, type Store } from './store';
import { startTestPostgres, type TestPostgres } from './test/postgres';
import { batchInput, collect, describeStoreContract, putGroupedAndSequential } from './test/store-contract';
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

/** Opens a store on a new database (or `connectionString`), closed when the test ends; returns it and its URL. */
async function openStore(
  options: Partial<PostgresStoreOptions> = {},
): Promise<{ store: Store; url: string }> {
  const url = options.connectionString ?? (await server.createDatabase());
  const store = await createPostgresStore({ ...options, connectionString: url });
  onTestFinished(() => store.close());
  return { store, url };
}

/** Opens two stores on one new database, as two server processes would, and runs `work` with them. */
async function withTwoStores(work: (mine: Store, theirs: Store) => Promise<void>): Promise<void> {
  const url = await server.createDatabase();
  const open = () => createPostgresStore({ connectionString: url });
  const [mine, theirs] = await Promise.all([open(), open()]);
  try {
    await work(mine, theirs);
  } finally {
    await Promise.all([mine.close(), theirs.close()]);
  }
}

/** Runs `work` with a plain connection to `url`, for what the store does not do itself. */
async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The rows `sql` gives on a connection of its own to `url`. */
async function queryRows(url: string, sql: string): Promise<pg.QueryResult['rows']> {
  return withClient(url, async (client) => (await client.query(sql)).rows);
}

/** How many connections to `url`'s database wait for a lock, read on a new connection (so not from a stale snapshot). */
async function lockWaiters(url: string): Promise<number> {
  const [row] = await queryRows(
    url,
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
  );
  return row.n;
}

/** Ends every connection to `url`'s database but this one, as a restart or `pg_terminate_backend` would. */
function terminateConnections(url: string): Promise<unknown> {
  return withClient(url, (admin) =>
    admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    ),
  );
}

/**
 * A TCP proxy to `url`'s server, closed when the test ends: its URL, and `freeze()`, after
 * which the connections open through it carry nothing more either way and are not closed
 * either, as when a server goes away without a word (a failover that moved its address, a
 * network cut). New connections still go through.
 */
async function freezingProxy(url: string): Promise<{ url: string; freeze(): void }> {
  const target = new URL(url);
  const frozen = new Set<Socket>();
  const open = new Set<Socket>();
  const proxy = createServer((inbound) => {
    const outbound = connect(Number(target.port), target.hostname);
    open.add(inbound);
    inbound.on('data', (data) => frozen.has(inbound) || outbound.write(data));
    outbound.on('data', (data) => frozen.has(inbound) || inbound.write(data));
    inbound.on('close', () => {
      open.delete(inbound);
      outbound.destroy();
    });
    outbound.on('close', () => inbound.destroy());
    inbound.on('error', () => undefined);
    outbound.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    for (const socket of open) {
      socket.destroy();
    }
    proxy.close();
  });
  const proxied = new URL(url);
  proxied.host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  return {
    url: proxied.toString(),
    freeze() {
      for (const socket of open) {
        frozen.add(socket);
      }
    },
  };
}

/** `promise`, or a failure naming `what` when it has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} still waits after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The compression of the body column: 'l' for lz4, '' for the default (pglz). */
async function bodyCompression(client: pg.Client): Promise<string> {
  const { rows } = await client.query(
    "SELECT attcompression AS compression FROM pg_attribute WHERE attrelid = 'batches'::regclass AND attname = 'body'",
  );
  return rows[0].compression;
}

/**
 * Records the statements the stores send from now until `stop()`, which returns them: a named
 * statement by its name, others by their first word.
 */
function watchQueries(): { stop(): string[]; valuesOf(name: string): unknown[][] } {
  const sent: string[] = [];
  const values: unknown[][] = [];
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const config = args[0] as string | { name?: string; text: string; values?: unknown[] };
    const text = typeof config === 'string' ? config : config.text;
    sent.push((typeof config === 'string' ? undefined : config.name) ?? text.trim().split(/\s/)[0] ?? '');
    values.push((typeof config === 'string' ? (args[1] as unknown[] | undefined) : config.values) ?? []);
    return query.apply(this, args);
  } as never);
  // A test that fails before stop() must not leave the spy for the next one to wrap.
  onTestFinished(() => spy.mockRestore());
  return {
    stop() {
      spy.mockRestore();
      return sent;
    },
    /** The parameters of each query named `name`, in the order sent. */
    valuesOf(name: string) {
      return values.filter((_, index) => sent[index] === name);
    },
  };
}

beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);

// Removing the cluster's files takes long: the suite leaves a database per test (each a copy
// of template1), and deleting them took 54 s on a busy machine, past the 10 s hook default.
afterAll(async () => {
  await server?.stop();
}, 180_000);

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

describe('replaykit serve --database-url, on a database it cannot open', () => {
  it('says so, names the database and what to check, and exits with 1', async () => {
    const missing = new URL(await server.createDatabase());
    missing.pathname = '/no_such_replaykit_db';
    let errors = '';
    expect(
      await runCli(['serve', '--port', '0', '--write-key', WRITE_KEY, '--read-key', READ_KEY], {
        env: { DATABASE_URL: missing.toString() },
        stderr: (text) => (errors += text),
        stdout: () => {},
      }),
    ).toBe(1);
    expect(errors).toMatch(
      /Could not open PostgreSQL 127\.0\.0\.1:\d+\/no_such_replaykit_db: database "no_such_replaykit_db" does not exist \(3D000\)\. Check --database-url or DATABASE_URL/,
    );
  });
});

describe('createPostgresStore', () => {
  it('migrates once even when several processes open a new database at the same time', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => createPostgresStore({ connectionString: url })));
    await stores[0]?.putBatch(batchInput('s1', [meta(T0)]));
    expect(await stores[2]?.getSession('shop', 's1')).toBeDefined();
    await Promise.all(stores.map((store) => store.close()));
    await withClient(url, async (client) => {
      const { rows } = await client.query('SELECT version FROM replaykit_schema_migrations ORDER BY version');
      expect(rows.map((row) => row.version)).toEqual(
        Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, index) => index + 1),
      );
      await client.query('INSERT INTO replaykit_schema_migrations VALUES (999, $1, 0)', ['future']);
    });
    await expect(createPostgresStore({ connectionString: url })).rejects.toThrow(
      /newer than this replaykit.*Upgrade/,
    );
  });

  describe('lz4 for batch bodies', () => {
    async function hasLz4(client: pg.Client): Promise<boolean> {
      const { rows } = await client.query(
        "SELECT 'lz4' = ANY (enumvals) AS has FROM pg_settings WHERE name = 'default_toast_compression'",
      );
      return rows[0]?.has === true;
    }

    it('switches the bodies to lz4 at start-up where the server has it, and keeps them readable', async () => {
      const { store, url } = await openStore();
      await withClient(url, async (client) => {
        // The PostgreSQL the tests run (Debian's) has lz4: this test is about that case.
        expect(await hasLz4(client)).toBe(true);
        expect(await bodyCompression(client)).toBe('l');
      });
      const input = batchInput('lz4', [meta(T0), click(T0 + 1)], { encoding: 'identity' });
      await store.putBatch(input);
      const [stored] = await collect(store.readBatches('shop', 'lz4'));
      expect(Buffer.from(stored?.body ?? []).equals(Buffer.from(input.body))).toBe(true);
    });

    it('opens without lz4, and switches at a later start, when a long transaction holds the bodies table', async () => {
      const url = await server.createDatabase();
      await (await createPostgresStore({ connectionString: url })).close();
      await withClient(url, async (holder) => {
        await holder.query('ALTER TABLE batches ALTER COLUMN body SET COMPRESSION DEFAULT');
        await holder.query('BEGIN');
        await holder.query('SELECT count(*) FROM batches');
        const started = performance.now();
        const store = await createPostgresStore({ connectionString: url });
        // It waited for the lock for its 2 s, then gave up instead of queueing everything behind it.
        expect(performance.now() - started).toBeGreaterThanOrEqual(1_900);
        expect(performance.now() - started).toBeLessThan(4_500);
        expect(await store.putBatch(batchInput('held', [meta(T0)]))).toMatchObject({ duplicate: false });
        await store.close();
        await holder.query('COMMIT');
        expect(await bodyCompression(holder)).toBe('');
        await (await createPostgresStore({ connectionString: url })).close();
        expect(await bodyCompression(holder)).toBe('l');
      });
    });

    it('opens, and leaves the bodies as they are, for a role that does not own the table', async () => {
      const url = await server.createDatabase();
      await (await createPostgresStore({ connectionString: url })).close();
      const role = `writer_${Date.now()}`;
      await withClient(url, async (admin) => {
        await admin.query('ALTER TABLE batches ALTER COLUMN body SET COMPRESSION DEFAULT');
        await admin.query(`CREATE ROLE ${role} LOGIN`);
        // It may create in the schema (as on PostgreSQL 14 and before) but owns none of the tables.
        await admin.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${role}`);
        await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
      });
      const asWriter = new URL(url);
      asWriter.username = role;
      const { store } = await openStore({ connectionString: asWriter.toString() });
      expect(await store.putBatch(batchInput('granted', [meta(T0)]))).toMatchObject({ duplicate: false });
      expect(await store.getSession('shop', 'granted')).toMatchObject({ eventCount: 1 });
      expect(await withClient(url, bodyCompression)).toBe('');
    });
  });

  describe('a role that may only read and write the tables', () => {
    /** A login role with no CREATE on the database's schema (as on PostgreSQL 15 for any role but the owner), and its URL. */
    async function readWriteRole(url: string, grantTables: boolean): Promise<string> {
      const role = `app_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
      await withClient(url, async (admin) => {
        await admin.query(`CREATE ROLE ${role} LOGIN`);
        await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
        await admin.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
        if (grantTables) {
          await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
        }
      });
      const asRole = new URL(url);
      asRole.username = role;
      return asRole.toString();
    }

    async function migrateWithCli(url: string): Promise<string> {
      let output = '';
      const append = (text: string) => {
        output += text;
      };
      expect(
        await runCli(['migrate', '--database-url', url], { env: {}, stdout: append, stderr: append }),
      ).toBe(0);
      return output;
    }

    it('serves once the owner has migrated the schema with replaykit migrate', async () => {
      const url = await server.createDatabase();
      expect(await migrateWithCli(url)).toMatch(
        new RegExp(
          `PostgreSQL 127\\.0\\.0\\.1:\\d+/\\S+ is at replaykit schema version ${POSTGRES_SCHEMA_VERSION}, the newest`,
        ),
      );
      const asRole = await readWriteRole(url, true);
      // Its start-up step to lz4 is then tried, and must be skipped: the role owns no table.
      await withClient(url, (admin) =>
        admin.query('ALTER TABLE batches ALTER COLUMN body SET COMPRESSION DEFAULT'),
      );
      const { store } = await openStore({ connectionString: asRole });
      // The first group writes new sessions the locked way; the second, known sessions in
      // one statement, which calls migration 2's function.
      for (const seq of [0, 1]) {
        const queries = watchQueries();
        const results = await Promise.all(
          ['r1', 'r2'].map((sessionId) =>
            store.putBatch(
              batchInput(sessionId, [meta(T0 + seq), custom(T0 + seq + 1, 'paid', { seq })], { seq }),
            ),
          ),
        );
        expect(queries.stop()).toEqual(
          seq === 0 ? expect.not.arrayContaining(['replaykit_group_write']) : ['replaykit_group_write'],
        );
        expect(results).toEqual([
          { duplicate: false, created: seq === 0 },
          { duplicate: false, created: seq === 0 },
        ]);
      }
      expect(await store.putBatch(batchInput('r1', [meta(T0)], { seq: 0 }))).toMatchObject({
        duplicate: true,
      });
      expect(await store.getSession('shop', 'r1')).toMatchObject({ eventCount: 4 });
      expect(await store.getMarkers('shop', 'r1')).toEqual(
        expect.arrayContaining([expect.objectContaining({ label: 'paid' })]),
      );
      const page = await store.listSessions('shop', { sort: 'newest', limit: 10, event: 'paid' });
      expect(page.sessions.map((session) => session.id).sort()).toEqual(['r1', 'r2']);
      expect(await collect(store.readBatches('shop', 'r2', { order: 'time' }))).toHaveLength(2);
      expect(await store.usage('shop')).toMatchObject({ sessions: 2 });
      expect(await store.deleteSession('shop', 'r2')).toBe(true);
      expect(await store.deleteSessionsEndedBefore('shop', Date.now() + 1, 100)).toBe(1);
      expect(await withClient(url, bodyCompression)).toBe('');
    });

    it('refuses to start as a role that lacks a grant serving takes, with the grants to run', async () => {
      const url = await server.createDatabase();
      await migrateWithCli(url);
      const asRole = await readWriteRole(url, false);
      const role = new URL(asRole).username;
      await withClient(url, async (admin) => {
        await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
        await admin.query(`GRANT INSERT, UPDATE, DELETE ON sessions, batches TO ${role}`);
        await admin.query(
          'REVOKE EXECUTE ON FUNCTION replaykit_expect_rows(text, bigint, bigint) FROM PUBLIC',
        );
      });
      const refusal = await createPostgresStore({ connectionString: asRole }).then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(refusal).toContain(`Role "${role}" may not do all that serving takes`);
      const grants = /run: (.*) \(after a migration adds a table/.exec(refusal ?? '')?.[1] ?? '';
      expect(grants).toBe(
        `GRANT INSERT, UPDATE, DELETE ON session_events TO "${role}"; GRANT EXECUTE ON FUNCTION replaykit_expect_rows(text, bigint, bigint) TO "${role}";`,
      );
      // The grants it names are all it needs.
      await withClient(url, (admin) => admin.query(grants));
      const { store } = await openStore({ connectionString: asRole });
      expect(await store.putBatch(batchInput('granted', [meta(T0), custom(T0 + 1, 'paid')]))).toMatchObject({
        duplicate: false,
      });
    });

    it('applies a migration in the schema that holds the tables, not in the first one on its path', async () => {
      const url = await server.createDatabase();
      await migrateWithCli(url);
      const role = `own_${Date.now()}`;
      await withClient(url, async (admin) => {
        await admin.query('DROP FUNCTION replaykit_expect_rows(text, bigint, bigint)');
        await admin.query('DELETE FROM replaykit_schema_migrations WHERE version >= 2');
        // "$user" comes first on the default search_path: the role's own schema.
        await admin.query(`CREATE ROLE ${role} LOGIN`);
        await admin.query(`CREATE SCHEMA ${role} AUTHORIZATION ${role}`);
        await admin.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${role}`);
        await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
      });
      const asRole = new URL(url);
      asRole.username = role;
      await (await createPostgresStore({ connectionString: asRole.toString() })).close();
      expect(
        await queryRows(
          url,
          `SELECT pronamespace::regnamespace::text AS schema FROM pg_proc WHERE proname = 'replaykit_expect_rows'`,
        ),
      ).toEqual([{ schema: 'public' }]);
    });

    it('refuses to start on a database it may not create the tables in, and says who can', async () => {
      const url = await server.createDatabase();
      const asRole = await readWriteRole(url, false);
      const opening = createPostgresStore({ connectionString: asRole });
      await expect(opening).rejects.toThrow(
        /needs its replaykit tables created, and role "app_\w+" may not apply it \(permission denied for schema public\)/,
      );
      await expect(opening).rejects.toThrow(/replaykit migrate --database-url <that role's URL>/);
      // Without USAGE on the schema either, no schema on its path is one it may create in.
      await withClient(url, (admin) =>
        admin.query(`REVOKE USAGE ON SCHEMA public FROM PUBLIC, ${new URL(asRole).username}`),
      );
      await expect(createPostgresStore({ connectionString: asRole })).rejects.toThrow(
        /needs its replaykit tables created, and role "app_\w+" may not apply it \(no schema has been selected to create in\)/,
      );
      expect((await queryRows(url, `SELECT to_regclass('sessions') AS sessions`))[0].sessions).toBeNull();
    });

    it('refuses to start when a migration is due, naming it, and serves once the owner applied it', async () => {
      const url = await server.createDatabase();
      await migrateWithCli(url);
      // As if the database were left by a release before migration 2.
      await withClient(url, async (admin) => {
        await admin.query('DROP FUNCTION replaykit_expect_rows(text, bigint, bigint)');
        await admin.query('DELETE FROM replaykit_schema_migrations WHERE version >= 2');
      });
      const asRole = await readWriteRole(url, true);
      await expect(createPostgresStore({ connectionString: asRole })).rejects.toThrow(
        /needs replaykit schema migration 2 \(a check that fails a group commit/,
      );
      await migrateWithCli(url);
      const { store } = await openStore({ connectionString: asRole });
      expect(await store.putBatch(batchInput('after', [meta(T0)]))).toMatchObject({ duplicate: false });
    });
  });

  it('is not ready on a read-only database, which answers queries but stores no batch', async () => {
    const { store, url } = await openStore({ poolSize: 1 });
    await store.ping();
    const database = new URL(url).pathname.slice(1);
    await queryRows(url, `ALTER DATABASE "${database}" SET default_transaction_read_only = on`);
    // New connections take the setting; close the pool's one so that the next is new.
    await queryRows(
      url,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database}' AND pid <> pg_backend_pid()`,
    );
    await vi.waitFor(
      () => expect(store.ping()).rejects.toThrow(/read-only .*Point DATABASE_URL at the primary/),
      {
        timeout: 10_000,
        interval: 50,
      },
    );
    await expect(store.putBatch(batchInput('s1', [meta(T0)]))).rejects.toThrow(/read-only/);
  });

  it('writes batches that arrive together in one transaction, each stored once and merged', async () => {
    const { store, url } = await openStore();
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
    // Rows written by one transaction share its id (xmin): 40 batches took a few, not 40.
    const [written] = await queryRows(
      url,
      'SELECT count(*)::int AS batches, count(DISTINCT xmin::text)::int AS transactions FROM batches',
    );
    expect(written).toMatchObject({ batches: 40 });
    expect(written.transactions).toBeLessThan(5);
  });

  it('merges a new session that two processes start at once', async () => {
    await withTwoStores(async (mine, theirs) => {
      const stores = [mine, theirs];
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, seq) =>
          stores[seq % 2]?.putBatch(batchInput('race', [meta(T0 + seq), click(T0 + seq + 1)], { seq })),
        ),
      );
      expect(results.filter((result) => result?.created)).toHaveLength(1);
      expect(results.every((result) => result?.duplicate === false)).toBe(true);
      expect(await stores[0]?.getSession('shop', 'race')).toMatchObject({ eventCount: 24, clickCount: 12 });
    });
  });

  it.each([
    ['a new session and one it wrote before (locked)', ['old-session']],
    ['only sessions it wrote before (one statement)', ['new-session', 'old-session']],
  ])(
    'gives a session row equal to one-by-one ingestion when several of its batches share a group: %s',
    async (_, storedFirst) => {
      const { store: grouped, url: groupedUrl } = await openStore();
      // Keeps no sessions in memory: every batch is merged from the row, with locks.
      const { store: sequential, url: sequentialUrl } = await openStore({ sessionCache: { maxSessions: 0 } });
      await putGroupedAndSequential(grouped, sequential, storedFirst);
      for (const query of [
        'SELECT * FROM sessions ORDER BY project_id, id',
        'SELECT * FROM batches ORDER BY project_id, session_id, window_id, seq',
        'SELECT * FROM session_events ORDER BY project_id, session_id, name, property, value',
      ]) {
        expect(await queryRows(groupedUrl, query)).toEqual(await queryRows(sequentialUrl, query));
      }
    },
  );

  it('writes a group whose sessions it wrote last in one statement, with no transaction around it', async () => {
    const { store } = await openStore();
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
  });

  it('writes in one statement a batch whose clock correction is past 2^53 ms, as bigint holds it', async () => {
    const { store, url } = await openStore();
    await Promise.all(['near', 'far'].map((sessionId) => store.putBatch(batchInput(sessionId, [meta(T0)]))));
    const queries = watchQueries();
    // What the server stores for a client whose events claim the year 318,000: a correction
    // of about -10^16 ms.
    const offset = -9_998_204_225_388_520;
    const results = await Promise.all([
      store.putBatch(batchInput('near', [click(T0 + 1)], { seq: 1 })),
      store.putBatch({ ...batchInput('far', [click(T0 + 1)], { seq: 1 }), timestampOffsetMs: offset }),
    ]);
    expect(queries.stop()).toEqual(['replaykit_group_write']);
    expect(results).toEqual([
      { duplicate: false, created: false },
      { duplicate: false, created: false },
    ]);
    expect(
      await queryRows(
        url,
        "SELECT timestamp_offset_ms::text AS offset FROM batches WHERE session_id = 'far' AND seq = 1",
      ),
    ).toEqual([{ offset: BigInt(offset).toString() }]);
  });

  it('sends a custom event row once per session it knows, not with every batch that has it', async () => {
    const { store, url } = await openStore();
    // Written the locked way (a new session): the rows it sent are known from then on.
    await store.putBatch(batchInput('k1', [meta(T0), custom(T0 + 1, 'paid', { plan: 'pro', seats: 1 })]));
    const queries = watchQueries();
    await store.putBatch(
      batchInput(
        'k1',
        [custom(T0 + 2, 'paid', { plan: 'pro', seats: 2 }), custom(T0 + 3, 'paid', { plan: 'team' })],
        {
          seq: 1,
        },
      ),
    );
    await store.putBatch(batchInput('k1', [custom(T0 + 4, 'paid', { plan: 'team', seats: 1 })], { seq: 2 }));
    expect(queries.stop()).toEqual(['replaykit_group_write', 'replaykit_group_write']);
    // Parameters 14 to 18: the rows' project, session, name, property and value, as PostgreSQL reads them.
    const sentRows = await withClient(url, (client) =>
      Promise.all(
        queries.valuesOf('replaykit_group_write').map(async (values) => {
          const { rows } = await client.query(
            'SELECT name, property, value FROM unnest($1::text[], $2::text[], $3::text[]) AS r(name, property, value)',
            values.slice(15, 18),
          );
          return rows.map((row) => `${row.name} ${row.property}=${row.value}`);
        }),
      ),
    );
    expect(sentRows).toEqual([['paid seats=2', 'paid plan=team'], []]);
    const ids = async (plan: string, seats: string) =>
      (
        await store.listSessions('shop', {
          limit: 10,
          event: 'paid',
          eventProperty: { name: plan, value: seats },
        })
      ).sessions.map((session) => session.id);
    for (const [property, value] of [
      ['plan', 'pro'],
      ['plan', 'team'],
      ['seats', '1'],
      ['seats', '2'],
    ] as const) {
      expect(await ids(property, value), `${property}=${value}`).toEqual(['k1']);
    }
    expect(await ids('plan', 'free')).toEqual([]);
  });

  it('writes a known session again with locks when another process wrote it meanwhile, losing neither write', async () => {
    await withTwoStores(async (mine, theirs) => {
      await mine.putBatch(batchInput('shared', [meta(T0), click(T0 + 1)]));
      await theirs.putBatch(batchInput('shared', [meta(T0 + 10), click(T0 + 11)], { seq: 1 }));
      const queries = watchQueries();
      const results = await Promise.all(
        [2, 3].map((seq) =>
          mine.putBatch(batchInput('shared', [meta(T0 + seq * 10), click(T0 + seq * 10 + 1)], { seq })),
        ),
      );
      // The one statement found the row changed and kept nothing; the locked write merged into it.
      expect(queries.stop().slice(0, 2)).toEqual(['replaykit_group_write', 'BEGIN']);
      expect(results).toEqual([
        { duplicate: false, created: false },
        { duplicate: false, created: false },
      ]);
      expect(await mine.getSession('shop', 'shared')).toMatchObject({ eventCount: 8, clickCount: 4 });
      // Another process writes it too: for a while it is written with locks only, rather
      // than each group trying the one statement first and failing.
      const next = watchQueries();
      await mine.putBatch(batchInput('shared', [meta(T0 + 40)], { seq: 4 }));
      expect(next.stop()[0]).toBe('BEGIN');
      expect(await theirs.getSession('shop', 'shared')).toMatchObject({ eventCount: 9, clickCount: 4 });
    });
  });

  it('loses no batch when two processes write the same sessions at once, group after group', async () => {
    await withTwoStores(async (mine, theirs) => {
      const stores = [mine, theirs];
      const sessions = ['m1', 'm2', 'm3', 'm4'];
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
    });
  });

  it('writes a group of known sessions in one statement even when a batch is sent twice within it', async () => {
    const { store } = await openStore();
    await store.putBatch(batchInput('twice', [meta(T0)]));
    const queries = watchQueries();
    const second = batchInput('twice', [meta(T0 + 10), click(T0 + 11)], { seq: 1 });
    const results = await Promise.all([store.putBatch(second), store.putBatch({ ...second })]);
    expect(queries.stop()).toEqual(['replaykit_group_write']);
    expect(results).toEqual([
      { duplicate: false, created: false },
      { duplicate: true, created: false },
    ]);
    expect(await store.getSession('shop', 'twice')).toMatchObject({ eventCount: 3, clickCount: 1 });
  });

  it('forgets a session it has not written for 10 minutes, and writes it with locks', async () => {
    const { store } = await openStore();
    const now = performance.now();
    const clock = vi.spyOn(performance, 'now').mockReturnValue(now);
    onTestFinished(() => clock.mockRestore());
    await store.putBatch(batchInput('idle', [meta(T0)]));
    clock.mockReturnValue(now + 9 * 60_000);
    const soon = watchQueries();
    await store.putBatch(batchInput('idle', [meta(T0 + 10)], { seq: 1 }));
    expect(soon.stop()).toEqual(['replaykit_group_write']);
    clock.mockReturnValue(now + 20 * 60_000);
    const late = watchQueries();
    await store.putBatch(batchInput('idle', [meta(T0 + 20)], { seq: 2 }));
    expect(late.stop()[0]).toBe('BEGIN');
    expect(await store.getSession('shop', 'idle')).toMatchObject({ eventCount: 3 });
  });

  it('forgets every session when it opens a new connection, which follows a failover or restore', async () => {
    const { store, url } = await openStore();
    await store.putBatch(batchInput('reconnected', [meta(T0)]));
    await terminateConnections(url);
    // Until the pool has dropped the ended connection and opened another.
    await vi.waitFor(() => store.ping(), { timeout: 5_000, interval: 10 });
    const queries = watchQueries();
    await store.putBatch(batchInput('reconnected', [meta(T0 + 10)], { seq: 1 }));
    expect(queries.stop()[0]).toBe('BEGIN');
    expect(await store.getSession('shop', 'reconnected')).toMatchObject({ eventCount: 2 });
  });

  it('keeps serving when PostgreSQL ends its connections while batches are written', async () => {
    const { store, url } = await openStore();
    let seq = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        await Promise.allSettled(
          Array.from({ length: 8 }, (_, index) => {
            const next = seq++;
            return store.putBatch(
              batchInput(`k${index % 4}`, [meta(T0 + next), click(T0 + next + 1)], { seq: next }),
            );
          }),
        );
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await terminateConnections(url);
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop = true;
    await load;
    // A connection ended under a held client fails its query, not the process.
    expect(await store.putBatch(batchInput('k0', [meta(T0)], { seq: 1_000_000 }))).toMatchObject({
      duplicate: false,
    });
  });

  it('gives up on connections PostgreSQL stopped answering on, and writes and reads on new ones', async () => {
    const proxy = await freezingProxy(await server.createDatabase());
    const { store } = await openStore({ connectionString: proxy.url, poolSize: 1, queryTimeoutMs: 500 });
    await store.putBatch(batchInput('silent', [meta(T0)]));
    proxy.freeze();
    const queries = watchQueries();
    // The group commit waited on the silent connection for good, and every batch after it.
    await expect(
      within(store.putBatch(batchInput('silent', [meta(T0 + 1)], { seq: 1 })), 10_000, 'the batch'),
    ).resolves.toEqual({ duplicate: false, created: false });
    // Stored alone on a new connection once the one statement timed out, not first tried
    // with locks on the silent one, which waited out two more timeouts (BEGIN, ROLLBACK).
    expect(queries.stop()).toEqual(['replaykit_group_write', 'BEGIN', 'WITH', 'WITH', 'COMMIT']);
    proxy.freeze();
    // A transaction that timed out gave its connection back, to time out the next query in turn.
    await expect(within(store.deleteSession('shop', 'silent'), 10_000, 'the delete')).rejects.toThrow(
      /timeout/,
    );
    expect(await within(store.getSession('shop', 'silent'), 10_000, 'the read')).toMatchObject({
      eventCount: 2,
    });
  });

  it('fails a transaction on a connection PostgreSQL stopped answering on after one timeout, not a ROLLBACK later', async () => {
    const proxy = await freezingProxy(await server.createDatabase());
    const queryTimeoutMs = 1_000;
    const { store } = await openStore({ connectionString: proxy.url, poolSize: 1, queryTimeoutMs });
    await store.putBatch(batchInput('silent', [meta(T0)]));
    proxy.freeze();
    // BEGIN times out; a ROLLBACK sent after it would wait behind the lost answer for a
    // timeout of its own, holding the connection (and its caller) that much longer.
    const started = performance.now();
    await expect(within(store.deleteSession('shop', 'silent'), 10_000, 'the delete')).rejects.toThrow(
      /timeout/,
    );
    expect(performance.now() - started).toBeLessThan(1.5 * queryTimeoutMs);
    expect(await within(store.getSession('shop', 'silent'), 10_000, 'the read')).toMatchObject({
      eventCount: 1,
    });
  });

  it('works from a pool of one connection: a failed group is retried and reads get their turn', async () => {
    const { store } = await openStore({ poolSize: 1 });
    await store.putBatch(batchInput('one', [meta(T0)]));
    const bad = { ...batchInput('one', [meta(T0 + 1)], { seq: 1 }), encoding: 'bogus' as 'gzip' };
    const results = await Promise.allSettled([
      store.putBatch(batchInput('one', [meta(T0 + 2)], { seq: 2 })),
      store.putBatch(bad),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected']);
    // Four clients that each send their next batch once the last is answered keep the
    // writer busy; a read still gets the connection between two groups.
    let loadDone = false;
    let answered = 0;
    const load = Promise.all(
      [0, 1, 2, 3].map(async (client) => {
        for (let seq = 0; seq < 40; seq++) {
          await store.putBatch(batchInput(`busy-${client}`, [meta(T0 + seq)], { seq }));
          answered++;
        }
      }),
    ).then(() => {
      loadDone = true;
    });
    // Once the writer is going, not after a fixed time that a fast server may outrun.
    await vi.waitFor(() => expect(answered).toBeGreaterThanOrEqual(4), { timeout: 5_000, interval: 1 });
    await store.ping();
    expect(loadDone).toBe(false);
    await load;
    expect(await store.getSession('shop', 'busy-3')).toMatchObject({ eventCount: 40 });
  });

  it('streams large batches one body per query, so that memory holds one of them, and small ones 16 at a time', async () => {
    const { store, url } = await openStore();
    const largeBytes = 4 * 1024 * 1024;
    // Batches near the body limit (full snapshots), written by PostgreSQL itself so that this
    // process holds none of them.
    await queryRows(
      url,
      `INSERT INTO batches (project_id, session_id, window_id, seq, received_at, encoding, byte_count, body,
         started_at, timestamp_offset_ms, markers)
       SELECT 'shop', 'large', 'w1', seq, 0, 'identity', ${largeBytes},
         convert_to(repeat('x', ${largeBytes}), 'UTF8'), seq, 0, '[]' FROM generate_series(0, 5) AS seq`,
    );
    for (let seq = 0; seq < 20; seq++) {
      await store.putBatch(batchInput('small', [click(T0 + seq)], { seq }));
    }
    const bodiesPerQuery = async (sessionId: string) => {
      const queries = watchQueries();
      const batches = await collect(store.readBatches('shop', sessionId, { order: 'time' }));
      queries.stop();
      expect(batches.map((stored) => stored.seq)).toEqual(batches.map((_, index) => index));
      // The body queries are the SELECTs given arrays of window ids.
      return queries
        .valuesOf('SELECT')
        .filter((values) => Array.isArray(values[2]))
        .map((values) => (values[2] as unknown[]).length);
    };
    // 16 per query held 16 batches near the limit (with their hex text, several hundred MiB)
    // before the first one went out.
    expect(await bodiesPerQuery('large')).toEqual([1, 1, 1, 1, 1, 1]);
    expect(await bodiesPerQuery('small')).toEqual([16, 4]);
  });

  it('writes groups without named statements when told to (for poolers that cannot keep them)', async () => {
    const { store } = await openStore({ preparedStatements: false });
    await store.putBatch(batchInput('plain', [meta(T0)]));
    const queries = watchQueries();
    await store.putBatch(batchInput('plain', [meta(T0 + 1)], { seq: 1 }));
    expect(queries.stop()).toEqual(['WITH']);
    expect(await store.getSession('shop', 'plain')).toMatchObject({ eventCount: 2 });
  });

  it('writes with locks only the sessions another process changed, not the rest of their group', async () => {
    await withTwoStores(async (mine, theirs) => {
      const put = (store: typeof mine, sessionId: string, seq: number) =>
        store.putBatch(batchInput(sessionId, [meta(T0 + seq)], { seq }));
      await Promise.all([put(mine, 'calm', 0), put(mine, 'busy', 0)]);
      await put(theirs, 'busy', 1);
      await Promise.all([put(mine, 'calm', 1), put(mine, 'busy', 2)]);
      const calm = watchQueries();
      await put(mine, 'calm', 2);
      expect(calm.stop()).toEqual(['replaykit_group_write']);
      const busy = watchQueries();
      await put(mine, 'busy', 3);
      expect(busy.stop()[0]).toBe('BEGIN');
      expect(await mine.getSession('shop', 'busy')).toMatchObject({ eventCount: 4 });
      expect(await mine.getSession('shop', 'calm')).toMatchObject({ eventCount: 3 });
    });
  });

  it('tries the one statement again for a session 10 minutes after another process last got there first', async () => {
    await withTwoStores(async (mine, theirs) => {
      const now = performance.now();
      const clock = vi.spyOn(performance, 'now').mockReturnValue(now);
      try {
        const put = (store: typeof mine, seq: number) =>
          store.putBatch(batchInput('both', [meta(T0 + seq)], { seq }));
        await put(mine, 0);
        await put(theirs, 1);
        await put(mine, 2);
        const within = watchQueries();
        await put(mine, 3);
        await put(mine, 4);
        expect(within.stop().filter((name) => name === 'replaykit_group_write')).toEqual([]);
        clock.mockReturnValue(now + 11 * 60_000);
        await put(mine, 5);
        const after = watchQueries();
        await put(mine, 6);
        expect(after.stop()).toEqual(['replaykit_group_write']);
        expect(await theirs.getSession('shop', 'both')).toMatchObject({ eventCount: 7 });
      } finally {
        clock.mockRestore();
      }
    });
  });

  it('answers a repeat of a stored batch as a duplicate when its session is known, storing the new batch once', async () => {
    const { store } = await openStore();
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
    // A client's retry says nothing about other processes: the next group is one statement.
    const next = watchQueries();
    await store.putBatch(batchInput('again', [meta(T0 + 20)], { seq: 2 }));
    expect(next.stop()).toEqual(['replaykit_group_write']);
  });

  it('creates a known session again when another process deleted it meanwhile', async () => {
    await withTwoStores(async (mine, theirs) => {
      await mine.putBatch(batchInput('gone', [meta(T0), click(T0 + 1)]));
      expect(await theirs.deleteSession('shop', 'gone')).toBe(true);
      expect(await mine.putBatch(batchInput('gone', [meta(T0 + 10)], { seq: 1 }))).toEqual({
        duplicate: false,
        created: true,
      });
      expect(await mine.getSession('shop', 'gone')).toMatchObject({ eventCount: 1, clickCount: 0 });
    });
  });

  it('deletes a session whole while a write to it is in flight: no batch outlives its session', async () => {
    const { store, url } = await openStore();
    await store.putBatch(batchInput('busy', [meta(T0), custom(T0 + 1, 'paid', { plan: 'pro' })]));
    await withClient(url, async (writer) => {
      // A write as another process's group commit makes it, not committed yet: the session
      // locked, a batch and an event row inserted, the row updated.
      await writer.query('BEGIN');
      await writer.query("SELECT 1 FROM sessions WHERE project_id = 'shop' AND id = 'busy' FOR UPDATE");
      await writer.query(
        `INSERT INTO batches SELECT project_id, session_id, window_id, seq + 1, received_at, encoding, byte_count,
           body, started_at, timestamp_offset_ms, markers FROM batches WHERE project_id = 'shop' AND session_id = 'busy'`,
      );
      await writer.query(
        "INSERT INTO session_events VALUES ('shop', 'busy', 'paid', 'plan', 'team'), ('shop', 'busy', 'refund', '', '')",
      );
      const deleted = store.deleteSession('shop', 'busy');
      await vi.waitFor(async () => expect(await lockWaiters(url)).toBe(1), { timeout: 4_000, interval: 20 });
      await writer.query(
        "UPDATE sessions SET ended_at = ended_at + 1 WHERE project_id = 'shop' AND id = 'busy'",
      );
      await writer.query('COMMIT');
      expect(await deleted).toBe(true);
    });
    expect(
      await queryRows(
        url,
        `SELECT (SELECT count(*)::int FROM sessions) AS sessions, (SELECT count(*)::int FROM batches) AS batches,
           (SELECT count(*)::int FROM session_events) AS events`,
      ),
    ).toEqual([{ sessions: 0, batches: 0, events: 0 }]);
  });

  it('deletes the batches and event rows left without a session row, and answers that there was no session', async () => {
    const { store, url } = await openStore();
    await store.putBatch(batchInput('kept', [meta(T0), custom(T0 + 1, 'paid')]));
    // Left without a session, as the one-statement delete of earlier releases could leave them.
    await withClient(url, (client) =>
      client.query(
        `WITH copied AS (
           INSERT INTO batches SELECT project_id, 'orphan', window_id, seq, received_at, encoding, byte_count, body,
             started_at, timestamp_offset_ms, markers FROM batches WHERE session_id = 'kept'
         )
         INSERT INTO session_events SELECT project_id, 'orphan', name, property, value FROM session_events
           WHERE session_id = 'kept'`,
      ),
    );
    expect(await store.deleteSession('shop', 'orphan')).toBe(false);
    expect(await store.deleteSession('shop', 'never')).toBe(false);
    expect(
      await queryRows(
        url,
        `SELECT session_id, count(*)::int AS n FROM (SELECT session_id FROM batches UNION ALL
           SELECT session_id FROM session_events) AS r GROUP BY session_id`,
      ),
    ).toEqual([{ session_id: 'kept', n: 2 }]);
  });

  it.each([
    ['one session', { maxSessions: 1 }, ['replaykit_group_write', 'BEGIN']],
    ['fewer characters than a state', { maxChars: 100 }, ['BEGIN', 'BEGIN']],
    ['none', { maxSessions: 0 }, ['BEGIN', 'BEGIN']],
  ])(
    'keeps in memory only as many sessions as its limits allow (%s), writing the others with locks',
    async (_, sessionCache, firstQueries) => {
      const { store } = await openStore({ sessionCache });
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

  it('gives up opening a server that accepts connections and never answers, saying which', async () => {
    const silent = createServer(() => {
      // Accepts, then says nothing.
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = performance.now();
      await expect(
        createPostgresStore({
          connectionString: `postgres://replaykit:secret@127.0.0.1:${port}/replays`,
          connectTimeoutMs: 300,
        }),
      ).rejects.toThrow(
        new RegExp(
          `^Could not open PostgreSQL 127\\.0\\.0\\.1:${port}/replays: .*timeout.*Check --database-url`,
        ),
      );
      // Not a hang: the timeout ended it (the bound is loose, for loaded machines).
      expect(performance.now() - started).toBeLessThan(30_000);
    } finally {
      silent.close();
    }
  });

  it('ends its connections once when close() is called twice at once', async () => {
    const store = await createPostgresStore({ connectionString: await server.createDatabase() });
    await store.putBatch(batchInput('twice-closed', [meta(T0)]));
    expect(await Promise.allSettled([store.close(), store.close()])).toEqual([
      { status: 'fulfilled', value: undefined },
      { status: 'fulfilled', value: undefined },
    ]);
  });

  it('stores a NUL character in custom event names, properties and the user id, alone or in a group', async () => {
    const { store } = await openStore();
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
  });

  it('fails only the bad batch of a group, storing the others once, merged as one by one', async () => {
    const { store } = await openStore();
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
  });

  it('refuses a session cache limit that is not a whole number of 0 or more, saying what it takes', async () => {
    const open = (sessionCache: unknown) =>
      createPostgresStore({
        connectionString: 'postgres://postgres@127.0.0.1:1/none',
        sessionCache: sessionCache as { maxSessions: number },
      });
    for (const [sessionCache, refusal] of [
      [{ maxSessions: -1 }, /sessionCache\.maxSessions must be a whole number of 0 or more .*got -1\.$/],
      [{ maxChars: 1.5 }, /sessionCache\.maxChars must be a whole number of 0 or more .*got 1\.5\.$/],
      [
        { maxSessions: Number.NaN },
        /sessionCache\.maxSessions must be a whole number of 0 or more .*got NaN\.$/,
      ],
    ] as const) {
      await expect(open(sessionCache)).rejects.toThrow(refusal);
    }
    await expect(open({ maxSessions: '100' })).rejects.toThrow(/got "100"/);
    await expect(open(0)).rejects.toThrow(/sessionCache must be an object such as \{ maxSessions/);
    await expect(open({ maxSesions: 1 })).rejects.toThrow(
      /sessionCache\.maxSesions is not a setting: use maxSessions or maxChars/,
    );
  });

  it('stores a repeat alone without holding its session while it waits for the batch it repeats', async () => {
    const { store, url } = await openStore();
    await store.putBatch(batchInput('waits', [meta(T0)], { seq: 1 }));
    await withClient(url, async (other) => {
      // Another writer has inserted batch 0 and not committed yet.
      const original = batchInput('waits', [meta(T0 + 10), click(T0 + 11)]);
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO batches (project_id, session_id, window_id, seq, received_at, encoding, byte_count, body,
           started_at, timestamp_offset_ms, markers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        batchRowValues(original, Buffer.from(original.body)),
      );
      // A group that fails on its first batch, so that its repeat of batch 0 is stored alone.
      const bad = { ...batchInput('other', [meta(T0)]), encoding: 'bogus' as 'gzip' };
      const results = Promise.allSettled([store.putBatch(bad), store.putBatch({ ...original })]);
      // Until the repeat waits for batch 0.
      await vi.waitFor(async () => expect(await lockWaiters(url)).toBeGreaterThan(0), {
        timeout: 5_000,
        interval: 10,
      });
      // The other writer now locks the session, as it does before it commits: no deadlock.
      await other.query("SELECT state FROM sessions WHERE project_id = 'shop' AND id = 'waits' FOR UPDATE");
      await other.query('COMMIT');
      const [badResult, repeat] = await results;
      expect(badResult.status).toBe('rejected');
      expect(repeat).toEqual({ status: 'fulfilled', value: { duplicate: true, created: false } });
    });
  });

  it('starts a session anew when another process creates it and a delete removes it while a batch is stored alone', async () => {
    const { store, url } = await openStore();
    await store.putBatch(batchInput('seed', [meta(T0)]));
    // The store's lock of the session it failed to create waits until the delete below is done.
    let deleteDone: () => void = () => {};
    const deleteIsDone = new Promise<void>((resolve) => {
      deleteDone = resolve;
    });
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
      this: pg.Client,
      ...args: unknown[]
    ) {
      const text = typeof args[0] === 'string' ? args[0] : '';
      if (text.startsWith('SELECT state FROM sessions WHERE project_id = $1 AND id = $2 FOR UPDATE')) {
        return deleteIsDone.then(() => query.apply(this, args));
      }
      return query.apply(this, args);
    } as never);
    onTestFinished(() => spy.mockRestore());
    await withClient(url, async (other) => {
      // Another process creates the session, not committed yet.
      await other.query('BEGIN');
      await other.query(
        "CREATE TEMP TABLE copied ON COMMIT DROP AS SELECT * FROM sessions WHERE project_id = 'shop' AND id = 'seed'",
      );
      await other.query("UPDATE copied SET id = 'vanish'");
      await other.query('INSERT INTO sessions SELECT * FROM copied');
      // A group that fails on its first batch, so that the batch of 'vanish' is stored alone:
      // it finds no session, and its insert of one waits for the other process.
      const bad = { ...batchInput('other', [meta(T0)]), encoding: 'bogus' as 'gzip' };
      const results = Promise.allSettled([
        store.putBatch(bad),
        store.putBatch(batchInput('vanish', [meta(T0 + 10), click(T0 + 11)])),
      ]);
      await vi.waitFor(async () => expect(await lockWaiters(url)).toBe(1), { timeout: 5_000, interval: 10 });
      await other.query('COMMIT');
      // The session is deleted (a DELETE, the sweeper) before the batch locks it.
      await vi.waitFor(async () => {
        expect(
          (await other.query("DELETE FROM sessions WHERE project_id = 'shop' AND id = 'vanish'")).rowCount,
        ).toBe(1);
      });
      deleteDone();
      const [badResult, vanish] = await results;
      expect(badResult.status).toBe('rejected');
      // Before: "The session row vanished while a batch was being stored", a 503 and an error logged.
      expect(vanish).toEqual({ status: 'fulfilled', value: { duplicate: false, created: true } });
    });
    spy.mockRestore();
    expect(await store.getSession('shop', 'vanish')).toMatchObject({ eventCount: 2, clickCount: 1 });
  });

  it('fails to open with the database error when the server is unreachable', async () => {
    await expect(
      createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/none' }),
    ).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});
