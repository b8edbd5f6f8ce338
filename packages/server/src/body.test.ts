import * as zlib from 'node:zlib';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BodyError, declaredGzipSize, gunzipLimited, gunzipWithNode, gunzipWithStreams } from './body';

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

describe('gunzip with node:zlib, synchronously or on the thread pool', () => {
  /** node:zlib, counting the synchronous inflations. */
  function countingZlib() {
    const counts = { sync: 0, pool: 0 };
    return {
      counts,
      zlib: {
        gunzipSync: ((...args: Parameters<typeof zlib.gunzipSync>) => {
          counts.sync++;
          return zlib.gunzipSync(...args);
        }) as typeof zlib.gunzipSync,
        gunzip: ((...args: Parameters<typeof zlib.gunzip>) => {
          counts.pool++;
          return (zlib.gunzip as (...rest: unknown[]) => void)(...args);
        }) as typeof zlib.gunzip,
      },
    };
  }

  it('reads the size a body declares from its trailer', () => {
    for (const size of [0, 1, 300, 6 * MIB]) {
      expect(declaredGzipSize(gzipSync(new Uint8Array(size)))).toBe(size);
    }
    expect(declaredGzipSize(new Uint8Array(4))).toBe(0);
  });

  it('inflates a body that declares more than 4 MiB once, on the thread pool', async () => {
    const { counts, zlib: counting } = countingZlib();
    expect((await gunzipWithNode(counting, gzipSync(new Uint8Array(6 * MIB)), 8 * MIB)).byteLength).toBe(
      6 * MIB,
    );
    // Before, it was inflated up to 4 MiB synchronously, thrown away, and inflated again.
    expect(counts).toEqual({ sync: 0, pool: 1 });
  });

  it('inflates a small body synchronously, and one that lies about its size on the thread pool after all', async () => {
    const { counts, zlib: counting } = countingZlib();
    expect((await gunzipWithNode(counting, gzipSync('{"a":1}'), MIB)).byteLength).toBe(7);
    expect(counts).toEqual({ sync: 1, pool: 0 });
    const lying = gzipSync(new Uint8Array(6 * MIB));
    lying.set([1, 0, 0, 0], lying.length - 4);
    expect(declaredGzipSize(lying)).toBe(1);
    // The real output is checked against the limit, whatever the trailer says.
    const error = await gunzipWithNode(counting, lying, 8 * MIB).catch((caught: unknown) => caught);
    expect((error as BodyError).reason).toBe('invalid_encoding');
    expect(counts).toEqual({ sync: 2, pool: 1 });
  });

  it('inflates one body at a time on the thread pool, so that bodies sent together are not all inflated at once', async () => {
    // Each call waits until the test lets it run.
    const waiting: Array<() => void> = [];
    const held = {
      gunzipSync: zlib.gunzipSync,
      gunzip: ((...args: Parameters<typeof zlib.gunzip>) => {
        waiting.push(() => (zlib.gunzip as (...rest: unknown[]) => void)(...args));
      }) as typeof zlib.gunzip,
    };
    const large = gzipSync(new Uint8Array(6 * MIB));
    // Corrupt (its checksum is wrong), yet it says it inflates to 6 MiB: it fails on the thread pool.
    const corrupt = Uint8Array.from(large);
    corrupt.set([0, 0, 0, 0], corrupt.length - 8);
    const outcomes = [corrupt, large, large].map((body) =>
      gunzipWithNode(held, body, 8 * MIB).then(
        (output) => output.byteLength,
        (error: BodyError) => error.reason,
      ),
    );
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    expect(waiting).toHaveLength(1);
    waiting[0]?.();
    expect(await outcomes[0]).toBe('invalid_encoding');
    await settle();
    // The next starts once the one before is done, failed or not.
    expect(waiting).toHaveLength(2);
    waiting[1]?.();
    expect(await outcomes[1]).toBe(6 * MIB);
    await settle();
    expect(waiting).toHaveLength(3);
    waiting[2]?.();
    expect(await outcomes[2]).toBe(6 * MIB);
  });
});
