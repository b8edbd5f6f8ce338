import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BodyError, gunzipLimited, gunzipWithStreams } from './body';

const MIB = 1024 * 1024;

describe.each([
  ['node:zlib', gunzipLimited],
  ['Web streams (runtimes without node:zlib)', gunzipWithStreams],
])('gunzip with %s', (_name, gunzip) => {
  it('inflates valid gzip', async () => {
    const text = JSON.stringify({ hello: 'x'.repeat(10_000) });
    expect(new TextDecoder().decode(await gunzip(gzipSync(text), MIB))).toBe(text);
  });

  it('stops a bomb at the limit with decompressed_too_large, also above the synchronous cap', async () => {
    for (const size of [2 * MIB, 12 * MIB]) {
      const bomb = gzipSync(new Uint8Array(size));
      const error = await gunzip(bomb, size - 1).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BodyError);
      expect((error as BodyError).reason).toBe('decompressed_too_large');
    }
    expect((await gunzip(gzipSync(new Uint8Array(6 * MIB)), 8 * MIB)).byteLength).toBe(6 * MIB);
  });

  it('refuses truncated or corrupt gzip with invalid_encoding', async () => {
    const valid = gzipSync('{"a":1}'.repeat(100));
    for (const broken of [valid.slice(0, valid.length - 12), Uint8Array.from([0x1f, 0x8b, 1, 2, 3, 4, 5])]) {
      const error = await gunzip(broken, MIB).catch((caught: unknown) => caught);
      expect((error as BodyError).reason).toBe('invalid_encoding');
    }
  });
});
