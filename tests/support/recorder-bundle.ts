import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const RECORDER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/recorder');

/**
 * Bundles a snippet that imports the recorder (or its modules, or rrweb) from source into one
 * classic script a test or benchmark page can load with `<script src>`.
 */
export async function bundleForPage(contents: string, options: { minify?: boolean } = {}): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir: RECORDER_DIR, loader: 'ts' },
    bundle: true,
    minify: options.minify ?? false,
    format: 'iife',
    platform: 'browser',
    write: false,
    conditions: ['source'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}
