import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgArray } from './pg-arrays';
import { startTestPostgres, type TestPostgres } from './test/postgres';

let server: TestPostgres;
let client: pg.Client;

beforeAll(async () => {
  server = await startTestPostgres();
  client = new pg.Client({ connectionString: server.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await server?.stop();
});

/** What PostgreSQL reads from `parameter` as an array of `type`, each element as text (NULL as null). */
async function readBack(parameter: Buffer, type: string): Promise<(string | null)[]> {
  const { rows } = await client.query<{ element: string | null }>(
    `SELECT element::text FROM unnest($1::${type}[]) WITH ORDINALITY AS a(element, n) ORDER BY n`,
    [parameter],
  );
  return rows.map((row) => row.element);
}

describe('pgArray: one-dimensional arrays in the binary format, read by a real PostgreSQL', () => {
  it('sends text as UTF-8, with nulls, empty strings, quotes, backslashes, commas and braces as they are', async () => {
    const values = [
      '{"tag":"checkout_error","payload":{"message":"card \\"declined\\""}}',
      '',
      null,
      'NULL',
      'a,b{c}d\\e',
      'Zoë — 東京 🧾',
      ' leading and trailing ',
    ];
    expect(await readBack(pgArray('text', values), 'text')).toEqual(values);
  });

  it('sends int8 across its safe range, negative numbers included', async () => {
    const values = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), 1_795_774_611_481, -86_400_000];
    values.push(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
    expect(await readBack(pgArray('int8', values), 'bigint')).toEqual(values.map(String));
  });

  it('sends int4, bool and xid', async () => {
    expect(await readBack(pgArray('int4', [0, -1, 2 ** 31 - 1, -(2 ** 31)]), 'integer')).toEqual([
      '0',
      '-1',
      '2147483647',
      '-2147483648',
    ]);
    expect(await readBack(pgArray('bool', [true, false]), 'boolean')).toEqual(['true', 'false']);
    expect(await readBack(pgArray('xid', ['0', '748', String(2 ** 32 - 1), 12]), 'xid')).toEqual([
      '0',
      '748',
      '4294967295',
      '12',
    ]);
  });

  it('sends empty arrays of every element type', async () => {
    for (const [element, type] of [
      ['text', 'text'],
      ['int8', 'bigint'],
      ['int4', 'integer'],
      ['bool', 'boolean'],
      ['xid', 'xid'],
    ] as const) {
      const { rows } = await client.query(`SELECT cardinality($1::${type}[]) AS n`, [
        pgArray(element as 'text', []),
      ]);
      expect(rows[0].n, element).toBe(0);
    }
  });

  it('is refused by PostgreSQL when cast to another element type, not misread', async () => {
    await expect(client.query('SELECT $1::integer[]', [pgArray('int8', [1])])).rejects.toThrow(
      /array element type 20 \(bigint\) instead of expected 23 \(integer\)/,
    );
  });

  it('refuses numbers that do not fit the element type, naming the value and the range', () => {
    expect(() => pgArray('int8', [1.5])).toThrow(/int8 array element must be an integer from .* not 1\.5/);
    expect(() => pgArray('int8', [2 ** 53])).toThrow(/not 9007199254740992/);
    expect(() => pgArray('int4', [2 ** 31])).toThrow(
      /int4 array element must be an integer from -2147483648 to 2147483647/,
    );
    expect(() => pgArray('xid', ['-1'])).toThrow(/xid array element/);
    expect(() => pgArray('xid', ['not a number'])).toThrow(/not NaN/);
  });
});
