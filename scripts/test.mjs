#!/usr/bin/env node
// `pnpm test`: everything CI checks, in order: format and lint, types, every Vitest project
// (node, jsdom, Chromium, end to end, Storybook stories), the package builds and the
// Storybook build. It ends
// with one line `tests: N passed, N failed` and exits non-zero if any step failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = join(ROOT, '.vitest-report.json');
const extraVitestArgs = process.argv.slice(2);

const steps = [
  { name: 'lint and format (biome)', command: ['pnpm', 'exec', 'biome', 'check', '.'] },
  { name: 'typecheck (tsc)', command: ['pnpm', 'exec', 'tsc', '--noEmit', '-p', 'tsconfig.json'] },
  {
    name: 'tests (vitest)',
    command: [
      'pnpm',
      'exec',
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${REPORT}`,
      ...extraVitestArgs,
    ],
    vitest: true,
  },
  { name: 'build packages', command: ['pnpm', 'build'] },
  { name: 'the built CLI runs', command: ['node', 'packages/server/bin/replaykit.js', 'keys'] },
  {
    name: 'storybook build',
    command: ['pnpm', 'exec', 'storybook', 'build', '--quiet', '--output-dir', 'storybook-static'],
  },
];

const failedSteps = [];
let passed = 0;
let failed = 0;
rmSync(REPORT, { force: true });
for (const step of steps) {
  console.log(`\n=== ${step.name} ===`);
  const started = Date.now();
  const [command, ...args] = step.command;
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    failedSteps.push(step.name);
    console.log(`=== ${step.name}: FAILED (exit ${result.status}) in ${seconds} s ===`);
  } else {
    console.log(`=== ${step.name}: ok in ${seconds} s ===`);
  }
  if (step.vitest && existsSync(REPORT)) {
    const report = JSON.parse(readFileSync(REPORT, 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    if ((report.numTotalTests ?? 0) === 0) {
      failedSteps.push('vitest ran no test');
    }
  }
}

if (failedSteps.length > 0) {
  console.log(`\nFailed steps: ${failedSteps.join(', ')}`);
}
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failedSteps.length > 0 || failed > 0 ? 1 : 0);
