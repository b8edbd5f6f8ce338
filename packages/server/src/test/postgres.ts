/**
 * A throwaway PostgreSQL server for tests and benchmarks: a fresh cluster in a temp dir
 * on a free loopback port, started with the Debian binaries and removed afterwards. When
 * REPLAYKIT_TEST_DATABASE_URL is set, that server is used instead (a fresh database is
 * created in it per call).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where Debian puts the PostgreSQL server binaries; the newest version found wins. */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

/** A running test database. */
export interface TestPostgres {
  /** Connection string of an empty database. */
  url: string;
  /** Makes another empty database on the same server and returns its connection string. */
  createDatabase(): Promise<string>;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
}

function findBinaries(): string {
  const fromEnv = process.env.REPLAYKIT_PG_BIN;
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) {
    return fromEnv;
  }
  if (existsSync(DEBIAN_POSTGRES_ROOT)) {
    const versions = readdirSync(DEBIAN_POSTGRES_ROOT)
      .filter((name) => existsSync(join(DEBIAN_POSTGRES_ROOT, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) {
      return join(DEBIAN_POSTGRES_ROOT, versions[0], 'bin');
    }
  }
  throw new Error(
    'The PostgreSQL store tests need a PostgreSQL server: run "npm run setup:test" (it installs the Debian package "postgresql"), or "apt-get install -y postgresql", or set REPLAYKIT_TEST_DATABASE_URL to a server where the tests may create databases.',
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

let databaseCounter = 0;

async function createDatabaseIn(adminUrl: string): Promise<string> {
  const name = `replaykit_test_${process.pid}_${Date.now()}_${databaseCounter++}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** initdb and the server refuse to run as root: run them as the `postgres` user then. */
function asPostgresUser(command: string, args: string[]): { file: string; args: string[] } {
  if (process.getuid?.() === 0) {
    return { file: 'runuser', args: ['-u', 'postgres', '--', command, ...args] };
  }
  return { file: command, args };
}

/** Starts a fresh PostgreSQL server (or uses REPLAYKIT_TEST_DATABASE_URL) and makes an empty database. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const external = process.env.REPLAYKIT_TEST_DATABASE_URL;
  if (external) {
    return {
      url: await createDatabaseIn(external),
      createDatabase: () => createDatabaseIn(external),
      stop: async () => undefined,
    };
  }
  const bin = findBinaries();
  const directory = mkdtempSync(join(tmpdir(), 'replaykit-pg-'));
  const dataDirectory = join(directory, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    execFileSync('chown', ['postgres:postgres', directory]);
  }
  chmodSync(directory, 0o755);
  const run = (command: string, args: string[]) => {
    const { file, args: fullArgs } = asPostgresUser(join(bin, command), args);
    const result = spawnSync(file, fullArgs, { encoding: 'utf8', cwd: directory });
    if (result.status !== 0) {
      throw new Error(`${command} failed: ${result.stderr || result.stdout || result.error?.message}`);
    }
  };
  const port = await freePort();
  try {
    run('initdb', ['-D', dataDirectory, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    run('pg_ctl', [
      '-D',
      dataDirectory,
      '-o',
      // fsync stays on: the crash test relies on what PostgreSQL acknowledges.
      `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c max_connections=200`,
      '-l',
      join(directory, 'log'),
      '-w',
      'start',
    ]);
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url: await createDatabaseIn(adminUrl),
    createDatabase: () => createDatabaseIn(adminUrl),
    async stop() {
      try {
        run('pg_ctl', ['-D', dataDirectory, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };
}
