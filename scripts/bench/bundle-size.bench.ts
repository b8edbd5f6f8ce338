// Bundle sizes (minified + gzip) of what a host app ships, against bare @rrweb/record
// bundled the same way in the same run: once with esbuild (one file), once the way a host's
// Vite build splits it (the same build as packages/recorder/src/bundle-size.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { type Rollup, build as viteBuild } from 'vite';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RECORDER_DIR = join(ROOT, 'packages/recorder');
/** The product bars, min+gzip: what loads up front, and every chunk with rrweb. */
const UP_FRONT_BAR_BYTES = 4 * 1024;
const FULL_BAR_BYTES = 32 * 1024;

interface BundleCase {
  name: string;
  /** Module source to bundle, resolved from `resolveDir`. */
  contents: string;
  resolveDir: string;
  external?: string[];
}

const gzipBytes = (code: string | Uint8Array) => gzipSync(code, { level: 9 }).byteLength;

async function bundleSize(bundle: BundleCase): Promise<{ minified: number; gzip: number }> {
  const result = await build({
    stdin: { contents: bundle.contents, resolveDir: bundle.resolveDir, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    conditions: ['source'],
    external: bundle.external ?? [],
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { minified: code.byteLength, gzip: gzipBytes(code) };
}

/** Builds `files` (name → source, the first one the entry) with Vite as a host app would. */
async function viteChunks(directory: string, files: Record<string, string>): Promise<Rollup.OutputChunk[]> {
  const names = Object.keys(files);
  for (const name of names) {
    writeFileSync(join(directory, name), files[name] as string);
  }
  const outDir = mkdtempSync(join(tmpdir(), 'replaykit-bench-bundle-'));
  try {
    const result = await viteBuild({
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

const total = (chunks: Rollup.OutputChunk[]) => chunks.reduce((sum, chunk) => sum + gzipBytes(chunk.code), 0);
const kilobytes = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const row = (name: string, bytes: number, ratio: string) =>
  console.log(`  ${name.padEnd(58)} ${kilobytes(bytes).padStart(9)}  ${ratio}`);

/** Prints the bundle sizes and their ratio to bare @rrweb/record. */
export async function run(): Promise<void> {
  const baseline = await bundleSize({
    name: 'bare @rrweb/record',
    contents: `export { record } from '@rrweb/record';`,
    resolveDir: RECORDER_DIR,
  });
  const cases: BundleCase[] = [
    {
      name: '@replaykit/recorder (createRecorder)',
      contents: `export { createRecorder } from '@replaykit/recorder';`,
      resolveDir: join(ROOT, 'packages/react'),
    },
    {
      name: '@replaykit/react (provider + wrappers, React external)',
      contents: `export { RecordingProvider, Masked, Unmasked, Blocked, Ignored, useCapture } from '@replaykit/react';`,
      resolveDir: join(ROOT, 'demo'),
      external: ['react', 'react/jsx-runtime', 'react-dom'],
    },
  ];

  console.log('Bundle sizes, esbuild, one file (minified, gzip -9)');
  row('bare @rrweb/record (baseline)', baseline.gzip, '1.00×');
  for (const bundle of cases) {
    const size = await bundleSize(bundle);
    row(bundle.name, size.gzip, `${(size.gzip / baseline.gzip).toFixed(2)}×`);
  }

  // Written next to the recorder's package.json so `@replaykit/recorder` and rrweb resolve.
  const prefix = '.bench-bundle-';
  const rrwebChunks = await viteChunks(RECORDER_DIR, {
    [`${prefix}rrweb.ts`]: `export { record } from '@rrweb/record';\n`,
  });
  const recorderChunks = await viteChunks(RECORDER_DIR, {
    [`${prefix}recorder.ts`]: `export { createRecorder, PRIVACY_ATTRIBUTES } from '@replaykit/recorder';\n`,
  });
  // Vite's dynamic-import helper: the same tiny app with a dynamic, then a static import.
  const helperDynamic = await viteChunks(RECORDER_DIR, {
    [`${prefix}dynamic.ts`]: `export const load = () => import('./${prefix}tiny');\n`,
    [`${prefix}tiny.ts`]: 'export const tiny = 1;\n',
  });
  const helperStatic = await viteChunks(RECORDER_DIR, {
    [`${prefix}static.ts`]: `import * as tiny from './${prefix}tiny';\nexport const load = () => Promise.resolve(tiny);\n`,
    [`${prefix}tiny.ts`]: 'export const tiny = 1;\n',
  });
  const rrweb = total(rrwebChunks);
  const entry = recorderChunks.find((chunk) => chunk.isEntry);
  const upFront = recorderChunks.filter(
    (chunk) => chunk === entry || entry?.imports.includes(chunk.fileName),
  );
  const every = total(recorderChunks);
  const helper = total(helperDynamic.filter((chunk) => chunk.isEntry)) - total(helperStatic);

  console.log(
    '\nBundle sizes, Vite app build split into chunks (minified, gzip -9), as the CI test builds it',
  );
  row('bare @rrweb/record (baseline)', rrweb, '1.00×');
  for (const chunk of recorderChunks) {
    const kind = chunk.isEntry ? 'entry' : chunk.isDynamicEntry ? 'loaded on start()' : 'shared';
    row(`  chunk ${chunk.name} (${kind})`, gzipBytes(chunk.code), '');
  }
  row('@replaykit/recorder up front', total(upFront), `bar ${kilobytes(UP_FRONT_BAR_BYTES)}`);
  row(
    '@replaykit/recorder, every chunk',
    every,
    `${(every / rrweb).toFixed(2)}×, bar ${kilobytes(FULL_BAR_BYTES)}`,
  );
  row('  of which replaykit beyond rrweb', every - rrweb, '');
  row("  of which Vite's dynamic-import helper (about)", helper, '');
}
