// The recorder built the way a host app's Vite build ships it: shared by the CI size test
// (bundle-size.test.ts) and the size benchmark (scripts/bench/bundle-size.bench.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Rollup } from 'vite';

/**
 * What a host pays up front to import the recorder (entry and its static imports), min+gzip:
 * the product's 4 KB, read as 4,000 bytes (the stricter of its two readings).
 */
export const UP_FRONT_BAR_BYTES = 4_000;
/** Every chunk of the recorder with rrweb, min+gzip: the product's 32 KB, read as 32,000 bytes. */
export const FULL_RECORDER_BAR_BYTES = 32_000;

export const gzipBytes = (code: string | Uint8Array) => gzipSync(code, { level: 9 }).byteLength;

/** Total min+gzip size of chunks. */
export const gzipTotal = (chunks: readonly Rollup.OutputChunk[]) =>
  chunks.reduce((sum, chunk) => sum + gzipBytes(chunk.code), 0);

/**
 * Builds `files` (name → source, the first one the entry), written into `directory` so that
 * its packages resolve, with Vite as a host app would; removes them again. An app build lets
 * the bundler add exports to an entry (Vite's default for apps is `false`, which would also
 * drop a test entry's own exports), so code both halves share lives in the entry chunk.
 */
export async function buildLikeHostApp(
  directory: string,
  files: Record<string, string>,
): Promise<Rollup.OutputChunk[]> {
  const names = Object.keys(files);
  for (const name of names) {
    writeFileSync(join(directory, name), files[name] as string);
  }
  const outDir = mkdtempSync(join(tmpdir(), 'replaykit-host-build-'));
  try {
    const result = await build({
      configFile: false,
      logLevel: 'silent',
      root: directory,
      resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
      build: {
        write: false,
        minify: true,
        modulePreload: false,
        outDir,
        rollupOptions: {
          input: join(directory, names[0] as string),
          preserveEntrySignatures: 'allow-extension',
          output: { format: 'es' },
        },
      },
    });
    const output = (Array.isArray(result) ? result[0] : result) as Rollup.RollupOutput;
    return output.output.filter((item): item is Rollup.OutputChunk => item.type === 'chunk');
  } finally {
    for (const name of names) {
      rmSync(join(directory, name), { force: true });
    }
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** The entry and every chunk it imports statically: what loads before the first `start()`. */
export function upFrontChunks(chunks: readonly Rollup.OutputChunk[]): Rollup.OutputChunk[] {
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
  const seen = new Set<Rollup.OutputChunk>();
  const visit = (chunk: Rollup.OutputChunk | undefined) => {
    if (!chunk || seen.has(chunk)) {
      return;
    }
    seen.add(chunk);
    for (const name of chunk.imports) {
      visit(byName.get(name));
    }
  };
  visit(chunks.find((chunk) => chunk.isEntry));
  return [...seen];
}
