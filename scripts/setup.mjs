#!/usr/bin/env node
// Sets up a fresh machine that has only Node.js and npm: pnpm, the workspace's packages and,
// with --test, what the tests need too (Chromium for browser tests, PostgreSQL for the
// store tests). Each step is skipped when its tool is already there. Plain JavaScript on
// purpose: it runs before anything is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PNPM_VERSION = '10.34.9';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--test');

function log(message) {
  console.log(`[setup] ${message}`);
}

function run(command, args, options = {}) {
  log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: ROOT, ...options });
  if (result.status !== 0) {
    throw new Error(`\`${command} ${args.join(' ')}\` failed with exit code ${result.status}.`);
  }
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function pnpmVersion() {
  try {
    return execFileSync('pnpm', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let aptUpdated = false;
function aptInstall(packages, why) {
  if (!has('apt-get')) {
    throw new Error(`Install ${packages.join(', ')} (${why}); this machine has no apt-get to do it for you.`);
  }
  const sudo = isRoot() ? [] : ['sudo'];
  if (!isRoot() && !has('sudo')) {
    throw new Error(
      `Install ${packages.join(', ')} (${why}) as root: apt-get install -y ${packages.join(' ')}`,
    );
  }
  if (!aptUpdated) {
    run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update', '-qq']);
    aptUpdated = true;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', ...packages], {
    env,
  });
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  throw new Error(`replaykit needs Node.js 20.19 or newer; this is ${process.version}.`);
}

const installedPnpm = pnpmVersion();
if (installedPnpm?.startsWith('10.')) {
  log(`pnpm ${installedPnpm} is installed`);
} else {
  run('npm', ['install', '--global', `pnpm@${PNPM_VERSION}`]);
}

if (forTests) {
  const chromium = process.env.CHROME_PATH || '/usr/bin/chromium';
  if (existsSync(chromium)) {
    log(`Chromium found at ${chromium}`);
  } else {
    aptInstall(['chromium'], 'the browser tests run in Chromium');
  }
  if (existsSync('/usr/lib/postgresql') || has('pg_ctl') || process.env.REPLAYKIT_TEST_DATABASE_URL) {
    log('PostgreSQL found');
  } else {
    aptInstall(['postgresql'], 'the store tests run against a real PostgreSQL server');
  }
}

run('pnpm', ['install', '--frozen-lockfile'], { env: { ...process.env, CI: 'true' } });
log('done');
