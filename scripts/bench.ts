// `pnpm bench [name…]`: runs the benchmarks in scripts/bench/*.bench.ts, each printing its
// numbers and ratios against a baseline measured in the same run (these machines are shared
// and noisy, so absolute times from different runs are not compared). With names, runs only
// the benchmarks whose file name contains one of them (`pnpm bench server`).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), 'bench');
const filters = process.argv.slice(2).filter((argument) => argument !== '--');
const files = readdirSync(BENCH_DIR)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  throw new Error(
    `No benchmark matches ${filters.join(', ')}; the benchmarks are in scripts/bench/*.bench.ts.`,
  );
}
let failures = 0;
for (const file of files) {
  console.log(`\n## ${file.replace('.bench.ts', '')}\n`);
  const started = Date.now();
  try {
    const module = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as { run: () => Promise<void> };
    await module.run();
  } catch (error) {
    failures++;
    console.error(`${file} failed:`, error);
  }
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
process.exit(failures > 0 ? 1 : 0);
