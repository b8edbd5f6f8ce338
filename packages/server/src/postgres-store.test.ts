import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, POSTGRES_SCHEMA_VERSION } from './postgres-store';
import { startTestPostgres, type TestPostgres } from './test/postgres';
import { batchInput, describeStoreContract } from './test/store-contract';
import { meta, T0 } from './test/support';

let server: TestPostgres;

beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describeStoreContract('PostgreSQL', async () =>
  createPostgresStore({ connectionString: await server.createDatabase() }),
);

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

  it('fails to open with the database error when the server is unreachable', async () => {
    await expect(
      createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/none' }),
    ).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});
