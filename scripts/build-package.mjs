#!/usr/bin/env node
// Builds the package in the current folder for publishing: one ESM bundle per `exports`
// entry that has a `source` condition (dependencies stay external), then type declarations
// with tsc. Client packages keep their 'use client' directive as a banner, because bundling
// drops module-level directives.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

const cwd = process.cwd();
const manifest = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
const entries = Object.entries(manifest.exports ?? {}).filter(
  ([, target]) => typeof target === 'object' && typeof target.source === 'string',
);
if (entries.length === 0) {
  throw new Error(`${manifest.name} has no exports entry with a "source" condition to build.`);
}

function sourceFiles(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(folder, entry.name)) : [join(folder, entry.name)],
  );
}
const isClientPackage = sourceFiles(join(cwd, 'src')).some(
  (file) => /\.tsx?$/.test(file) && /^['"]use client['"];/m.test(readFileSync(file, 'utf8')),
);

rmSync(join(cwd, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: Object.fromEntries(
    entries.map(([, target]) => [
      target.import.replace(/^\.\/dist\//, '').replace(/\.js$/, ''),
      target.source,
    ]),
  ),
  outdir: join(cwd, 'dist'),
  bundle: true,
  // Keeps dynamic imports (the recorder's lazily loaded part) as separate chunks.
  splitting: true,
  format: 'esm',
  platform: manifest.name === '@replaykit/server' ? 'node' : 'neutral',
  target: 'es2022',
  packages: 'external',
  jsx: 'automatic',
  sourcemap: true,
  banner: isClientPackage ? { js: "'use client';" } : undefined,
  logLevel: 'warning',
  logOverride: { 'module-level-directive': 'silent' },
});

const tsconfig = join(cwd, 'tsconfig.build.json');
if (!existsSync(tsconfig)) {
  throw new Error(`${manifest.name} needs a tsconfig.build.json for its type declarations.`);
}
const tscBin = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tscBin, '-p', tsconfig], { stdio: 'inherit' });
if (result.status !== 0) {
  console.error(result.error ? `tsc could not run: ${result.error.message}` : 'tsc failed');
  process.exit(result.status ?? 1);
}
console.log(`built ${manifest.name}`);
