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

  it('sends int8 across the range bigint holds, negative numbers and integers past 2^53 included', async () => {
    const values = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), 1_795_774_611_481, -86_400_000];
    values.push(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, 1e16, -9_998_204_225_388_520);
    // The largest numbers below 2^63 and the smallest int8, -2^63.
    values.push(2 ** 63 - 1024, -(2 ** 63));
    expect(await readBack(pgArray('int8', values), 'bigint')).toEqual(
      values.map((value) => BigInt(value).toString()),
    );
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
    expect(() => pgArray('int8', [2 ** 63])).toThrow(
      /from -9223372036854775808 to 9223372036854775807, not 9223372036854776000/,
    );
    expect(() => pgArray('int8', [Number.NaN])).toThrow(/not NaN/);
    expect(() => pgArray('int4', [2 ** 31])).toThrow(
      /int4 array element must be an integer from -2147483648 to 2147483647/,
    );
    for (const xid of ['-1', '', ' 12 ', '1e3', '4294967296', true]) {
      expect(() => pgArray('xid', [xid]), String(xid)).toThrow(
        /xid array element must be an integer from 0 to 4294967295/,
      );
    }
    expect(() => pgArray('bool', [1])).toThrow(/bool array element must be true or false, not 1/);
    expect(() => pgArray('text', [1])).toThrow(/text array element must be a string or null, not 1/);
  });

  it('takes null only in text arrays', () => {
    for (const element of ['int8', 'int4', 'bool', 'xid'] as const) {
      expect(() => pgArray(element, [null]), element).toThrow(
        `A PostgreSQL ${element} array element must not be null`,
      );
    }
  });
});
