// Bundle sizes (minified + gzip) of what a host app ships, against bare @rrweb/record
// bundled the same way in the same run: once with esbuild (one file), once the way a host's
// Vite build splits it (the same build as packages/recorder/src/bundle-size.test.ts).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  buildLikeHostApp,
  FULL_RECORDER_BAR_BYTES,
  gzipBytes,
  gzipTotal,
  UP_FRONT_BAR_BYTES,
  upFrontChunks,
} from '../../packages/recorder/src/test/host-build.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RECORDER_DIR = join(ROOT, 'packages/recorder');

interface BundleCase {
  name: string;
  /** Module source to bundle, resolved from `resolveDir`. */
  contents: string;
  resolveDir: string;
  external?: string[];
}

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

const kilobytes = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const row = (name: string, bytes: number, ratio: string) =>
  console.log(
    `  ${name.padEnd(58)} ${kilobytes(bytes).padStart(9)} ${String(bytes).padStart(7)} B  ${ratio}`,
  );

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
  const rrwebChunks = await buildLikeHostApp(RECORDER_DIR, {
    [`${prefix}rrweb.ts`]: `export { record } from '@rrweb/record';\n`,
  });
  const trimmedChunks = await buildLikeHostApp(RECORDER_DIR, {
    [`${prefix}trimmed.ts`]: `export { record } from './src/vendor/rrweb-record.js';\n`,
  });
  const recorderChunks = await buildLikeHostApp(RECORDER_DIR, {
    [`${prefix}recorder.ts`]: `export { createRecorder, PRIVACY_ATTRIBUTES } from '@replaykit/recorder';\n`,
  });
  // Vite's dynamic-import helper: the same tiny app with a dynamic, then a static import.
  const helperDynamic = await buildLikeHostApp(RECORDER_DIR, {
    [`${prefix}dynamic.ts`]: `export const load = () => import('./${prefix}tiny');\n`,
    [`${prefix}tiny.ts`]: 'export const tiny = 1;\n',
  });
  const helperStatic = await buildLikeHostApp(RECORDER_DIR, {
    [`${prefix}static.ts`]: `import * as tiny from './${prefix}tiny';\nexport const load = () => Promise.resolve(tiny);\n`,
    [`${prefix}tiny.ts`]: 'export const tiny = 1;\n',
  });
  const rrweb = gzipTotal(rrwebChunks);
  const trimmed = gzipTotal(trimmedChunks);
  const upFront = upFrontChunks(recorderChunks);
  const every = gzipTotal(recorderChunks);
  const helper = gzipTotal(helperDynamic.filter((chunk) => chunk.isEntry)) - gzipTotal(helperStatic);

  console.log(
    '\nBundle sizes, Vite app build split into chunks (minified, gzip -9), as the CI test builds it',
  );
  row('bare @rrweb/record (baseline)', rrweb, '1.00×');
  row("replaykit's trimmed copy of it (trim-rrweb.mjs)", trimmed, `${(trimmed / rrweb).toFixed(2)}×`);
  for (const chunk of recorderChunks) {
    const kind = chunk.isEntry ? 'entry' : chunk.isDynamicEntry ? 'loaded on start()' : 'shared';
    row(`  chunk ${chunk.name} (${kind})`, gzipBytes(chunk.code), '');
  }
  row('@replaykit/recorder up front', gzipTotal(upFront), `bar ${UP_FRONT_BAR_BYTES.toLocaleString('en')} B`);
  row(
    '@replaykit/recorder, every chunk',
    every,
    `${(every / rrweb).toFixed(2)}×, bar ${FULL_RECORDER_BAR_BYTES.toLocaleString('en')} B`,
  );
  row('  of which the trimmed rrweb', trimmed, '');
  row("  of which replaykit's own code", every - trimmed, '');
  row("  of which Vite's dynamic-import helper (about)", helper, '');
}
