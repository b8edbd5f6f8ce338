// Bundle sizes (minified + gzip) of what a host app ships, against bare @rrweb/record
// bundled the same way in the same run.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

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
  return { minified: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

const kilobytes = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Prints the bundle sizes and their ratio to bare @rrweb/record. */
export async function run(): Promise<void> {
  const baseline = await bundleSize({
    name: 'bare @rrweb/record',
    contents: `export { record } from '@rrweb/record';`,
    resolveDir: join(ROOT, 'packages/recorder'),
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

  console.log('Bundle sizes (esbuild, minified, gzip -9)');
  console.log(
    `  ${'bare @rrweb/record (baseline)'.padEnd(58)} ${kilobytes(baseline.gzip).padStart(9)}  1.00×`,
  );
  for (const bundle of cases) {
    const size = await bundleSize(bundle);
    const ratio = (size.gzip / baseline.gzip).toFixed(2);
    console.log(`  ${bundle.name.padEnd(58)} ${kilobytes(size.gzip).padStart(9)}  ${ratio}×`);
  }
}
