// @vitest-environment node
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Rollup } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildLikeHostApp,
  FULL_RECORDER_BAR_BYTES,
  gzipTotal,
  UP_FRONT_BAR_BYTES,
  upFrontChunks,
} from './test/host-build';

// The bars are host-build.ts's (shared with `pnpm bench bundle-size`). Every chunk measures
// about 31,600 bytes, of which rrweb, trimmed by scripts/trim-rrweb.mjs, is about 16,500 (bare
// @rrweb/record: 22,129).

/** rrweb's recorder: replaykit's trimmed copy, or the package itself. */
const RRWEB = /vendor[\\/]rrweb-record\.js$|@rrweb[\\/]record/;
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FORBIDDEN =
  /(^|[\\/])(react|react-dom|scheduler|@radix-ui|rrweb-player|@rrweb[\\/]replay)[\\/]|packages[\\/](player|react)[\\/]/;

let chunks: Rollup.OutputChunk[] = [];

beforeAll(async () => {
  // Importing what the React provider imports.
  chunks = await buildLikeHostApp(PACKAGE_DIR, {
    '.bundle-size-entry.ts': `export { createRecorder, PRIVACY_ATTRIBUTES } from '@replaykit/recorder';\n`,
  });
}, 60_000);

describe('recorder bundle budgets (min+gzip)', () => {
  it(`costs the host at most ${UP_FRONT_BAR_BYTES} bytes up front and loads the rest lazily`, () => {
    const eager = upFrontChunks(chunks);
    const eagerBytes = gzipTotal(eager);
    expect(eagerBytes).toBeLessThanOrEqual(UP_FRONT_BAR_BYTES);
    // rrweb is not in what loads up front: it comes with the dynamic import on start().
    expect(eager.flatMap((chunk) => chunk.moduleIds).some((id) => RRWEB.test(id))).toBe(false);
    expect(chunks.some((chunk) => chunk.isDynamicEntry && chunk.moduleIds.some((id) => RRWEB.test(id)))).toBe(
      true,
    );
  });

  it(`fits every chunk, rrweb included, in ${FULL_RECORDER_BAR_BYTES} bytes`, () => {
    expect(gzipTotal(chunks)).toBeLessThanOrEqual(FULL_RECORDER_BAR_BYTES);
  });

  it("ships replaykit's trimmed copy of rrweb's recorder, not the whole package", () => {
    const modules = chunks.flatMap((chunk) => chunk.moduleIds);
    expect(modules.filter((id) => id.endsWith('rrweb-record.js'))).toHaveLength(1);
    expect(modules.filter((id) => /@rrweb[\\/]record/.test(id))).toEqual([]);
  });

  it('contains no React, Radix or player code', () => {
    const modules = chunks.flatMap((chunk) => chunk.moduleIds);
    expect(modules.length).toBeGreaterThan(10);
    expect(modules.filter((id) => FORBIDDEN.test(id))).toEqual([]);
  });
});
