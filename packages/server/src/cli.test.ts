import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PATHS, type SessionEventsResponse } from '@replaykit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYS_FILE_NAME, type KeyPair, runCli } from './cli';
import { createSqliteStore, SQLITE_SCHEMA_VERSION } from './sqlite-store';
import { batchInput } from './test/store-contract';
import { batch, click, fullSnapshot, ingestRequest, meta, readRequest, T0, tableRows } from './test/support';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX_BIN = join(REPO_ROOT, 'node_modules/.bin/tsx');
const CLI_SOURCE = join(REPO_ROOT, 'packages/server/src/cli.ts');
/** Starting tsx and compiling the CLI takes a second or two; CI machines are slower. */
const STARTUP_TIMEOUT_MS = 30_000;
const LISTENING = /listening on (http:\/\/\S+)/;

let directory: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'replaykit-cli-'));
});

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGKILL');
    }
  }
  rmSync(directory, { recursive: true, force: true });
});

/** Collects what the CLI prints, and resolves once it prints the ready line. */
function capture() {
  let text = '';
  let onReady: (url: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    onReady = resolve;
  });
  return {
    ready,
    output: () => text,
    write(chunk: string) {
      text += chunk;
      const match = LISTENING.exec(text);
      if (match?.[1]) {
        onReady(match[1]);
      }
    },
  };
}

function readKeys(db: string): KeyPair {
  const file = JSON.parse(readFileSync(join(db, '..', KEYS_FILE_NAME), 'utf8')) as {
    projects: Record<string, KeyPair>;
  };
  return file.projects.default!;
}

async function roundTrip(url: string, keys: KeyPair) {
  const events = [meta(T0), fullSnapshot(T0 + 1), click(T0 + 2)];
  const ingested = await fetch(
    ingestRequest(batch('cli-session', events), { baseUrl: url, key: keys.writeKey }),
  );
  expect(ingested.status).toBe(200);
  const read = await fetch(
    readRequest(API_PATHS.sessionEvents('cli-session'), { baseUrl: url, key: keys.readKey }),
  );
  expect(read.status).toBe(200);
  expect(((await read.json()) as SessionEventsResponse).events).toEqual(events);
}

describe('replaykit serve (a real process)', () => {
  it(
    'prints the ready line, serves over HTTP and exits cleanly on SIGTERM',
    async () => {
      const db = join(directory, 'data', 'replaykit.db');
      const environment = { ...process.env };
      delete environment.REPLAYKIT_WRITE_KEY;
      delete environment.REPLAYKIT_READ_KEY;
      const child = spawn(TSX_BIN, ['--conditions=source', CLI_SOURCE, 'serve', '--port', '0', '--db', db], {
        cwd: REPO_ROOT,
        env: environment,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      const stdout = capture();
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => stdout.write(chunk));
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      const url = await Promise.race([
        stdout.ready,
        exited.then(({ code }) => {
          throw new Error(`replaykit exited with ${code} before listening:\n${stdout.output()}\n${stderr}`);
        }),
      ]);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      // No keys were given: they were generated, saved beside the database and printed.
      const keys = readKeys(db);
      expect(stdout.output()).toContain(keys.writeKey);
      expect(stdout.output()).toContain(keys.readKey);
      expect(statSync(join(directory, 'data', KEYS_FILE_NAME)).mode & 0o777).toBe(0o600);

      await roundTrip(url, keys);
      expect(stdout.output()).toMatch(/POST \/v1\/ingest 200 \d+ms/);

      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(stdout.output()).toContain('stopped');
      expect(stderr).toBe('');
    },
    STARTUP_TIMEOUT_MS,
  );
});

describe('runCli', () => {
  /** Runs the CLI, ignoring its standard output; gives its exit code and what it wrote to stderr. */
  async function runCapturing(args: string[], env?: Record<string, string>) {
    let errors = '';
    const code = await runCli(args, {
      ...(env ? { env } : {}),
      stderr: (text) => {
        errors += text;
      },
      stdout: () => {},
    });
    return { code, errors };
  }

  async function serveInProcess(args: string[], env: Record<string, string> = {}) {
    const controller = new AbortController();
    const stdout = capture();
    let stderr = '';
    const exitCode = runCli(['serve', '--port', '0', '--quiet', ...args], {
      env,
      signal: controller.signal,
      stdout: (text) => stdout.write(text),
      stderr: (text) => {
        stderr += text;
      },
    });
    const url = await Promise.race([
      stdout.ready,
      exitCode.then((code) => {
        throw new Error(`serve ended with ${code}: ${stderr}`);
      }),
    ]);
    return {
      url,
      output: stdout.output,
      stop: async () => {
        controller.abort();
        return exitCode;
      },
    };
  }

  it('keeps generated keys across restarts, and prefers keys from the environment', async () => {
    const db = join(directory, 'replaykit.db');
    const first = await serveInProcess(['--db', db]);
    const keys = readKeys(db);
    expect(keys.writeKey).toMatch(/^rk_write_/);
    expect(keys.readKey).toMatch(/^rk_read_/);
    await roundTrip(first.url, keys);
    expect(await first.stop()).toBe(0);

    const second = await serveInProcess(['--db', db]);
    expect(readKeys(db)).toEqual(keys);
    // The recording made before the restart is still there.
    const read = await fetch(
      readRequest(API_PATHS.session('cli-session'), { baseUrl: second.url, key: keys.readKey }),
    );
    expect(read.status).toBe(200);
    expect(await second.stop()).toBe(0);

    const third = await serveInProcess(['--db', db], {
      REPLAYKIT_WRITE_KEY: 'env-write-key',
      REPLAYKIT_READ_KEY: 'env-read-key',
    });
    expect(third.output()).not.toContain(keys.readKey);
    const withEnvironmentKey = await fetch(
      readRequest(API_PATHS.sessions, { baseUrl: third.url, key: 'env-read-key' }),
    );
    expect(withEnvironmentKey.status).toBe(200);
    const withSavedKey = await fetch(
      readRequest(API_PATHS.sessions, { baseUrl: third.url, key: keys.readKey }),
    );
    expect(withSavedKey.status).toBe(403);
    expect(await third.stop()).toBe(0);
  });

  it('prints the generated key but never the secret read key given in the environment', async () => {
    const db = join(directory, 'replaykit.db');
    const server = await serveInProcess(['--db', db], { REPLAYKIT_READ_KEY: 'rk_read_from_the_vault' });
    const keys = readKeys(db);
    expect(keys.readKey).toBe('rk_read_from_the_vault');
    await roundTrip(server.url, keys);
    expect(await server.stop()).toBe(0);
    expect(server.output()).toContain(`write key ${keys.writeKey} (public: give it to the recorder)`);
    expect(server.output()).toContain('read key  from options or environment');
    expect(server.output()).not.toContain('rk_read_from_the_vault');
  });

  it('says at start which projects of keys.json it does not serve', async () => {
    const db = join(directory, 'replaykit.db');
    const shop = await serveInProcess(['--db', db, '--project', 'shop']);
    expect(await shop.stop()).toBe(0);
    expect(shop.output()).not.toContain('also holds');
    const blog = await serveInProcess(['--db', db, '--project', 'blog']);
    expect(await blog.stop()).toBe(0);
    expect(blog.output()).toContain(
      `${join(directory, KEYS_FILE_NAME)} also holds the keys of "shop", which this process does not serve: one process serves one project (--project)`,
    );
  });

  it('keeps the keys of a project named like a property of every object, and sweeps it', async () => {
    const db = join(directory, 'replaykit.db');
    const savedKeys = () =>
      Object.getOwnPropertyDescriptor(
        (JSON.parse(readFileSync(join(directory, KEYS_FILE_NAME), 'utf8')) as { projects: object }).projects,
        '__proto__',
      )?.value as KeyPair | undefined;
    const first = await serveInProcess(['--db', db, '--project', '__proto__']);
    const keys = savedKeys();
    expect(keys?.writeKey).toMatch(/^rk_write_/);
    await roundTrip(first.url, keys!);
    expect(await first.stop()).toBe(0);
    // Before, the keys were never saved, and each start printed a new pair.
    const second = await serveInProcess(['--db', db, '--project', '__proto__']);
    expect(second.output()).toContain(`write key ${keys!.writeKey}`);
    expect(await second.stop()).toBe(0);

    const store = createSqliteStore({ filename: db });
    const tenDaysAgo = Date.now() - 10 * 24 * 60 * 60 * 1_000;
    await store.putBatch(
      batchInput('old', [meta(tenDaysAgo)], { projectId: '__proto__', receivedAt: tenDaysAgo }),
    );
    await store.close();
    let output = '';
    expect(
      await runCli(['sweep', '--db', db, '--project', '__proto__', '--retention-days', '7'], {
        stdout: (text) => (output += text),
        env: {},
      }),
    ).toBe(0);
    // Before: "deleted [object Object] sessions".
    expect(output).toContain('deleted 1 sessions of project "__proto__"');
  });

  it('prints help for each command', async () => {
    for (const [args, expected] of [
      [['--help'], 'Commands:'],
      [['serve', '--help'], '--allowed-origin'],
      [['keys', '-h'], '--json'],
      [['sweep', '--help'], '--retention-days'],
      [['migrate', '--help'], 'then serve as that role'],
      [['serve', '--help'], '--database-url'],
    ] as const) {
      let output = '';
      expect(await runCli(args, { stdout: (text) => (output += text) })).toBe(0);
      expect(output).toContain(expected);
    }
  });

  it('sweeps sessions older than the retention from a SQLite file, and keeps recent ones', async () => {
    const db = join(directory, 'sweep.db');
    const store = createSqliteStore({ filename: db });
    const day = 24 * 60 * 60 * 1_000;
    const tenDaysAgo = Date.now() - 10 * day;
    await store.putBatch(
      batchInput('old', [meta(tenDaysAgo)], { projectId: 'default', receivedAt: tenDaysAgo }),
    );
    await store.putBatch(batchInput('recent', [meta(Date.now() - day)], { projectId: 'default' }));
    await store.close();
    let output = '';
    expect(
      await runCli(['sweep', '--db', db, '--retention-days', '7'], {
        stdout: (text) => (output += text),
        env: {},
      }),
    ).toBe(0);
    expect(output).toContain('deleted 1 sessions of project "default" older than 7 days');
    const reopened = createSqliteStore({ filename: db });
    try {
      expect(await reopened.getSession('default', 'old')).toBeUndefined();
      expect(await reopened.getSession('default', 'recent')).toBeDefined();
    } finally {
      await reopened.close();
    }
  });

  it('migrates a new SQLite file, creating its directory, and says which version it is at', async () => {
    const db = join(directory, 'fresh', 'migrated.db');
    let output = '';
    expect(await runCli(['migrate', '--db', db], { stdout: (text) => (output += text), env: {} })).toBe(0);
    expect(output).toContain(
      `SQLite ${db} is at replaykit schema version ${SQLITE_SCHEMA_VERSION}, the newest this replaykit knows`,
    );
    expect(tableRows(db, 'SELECT MAX(version) AS version FROM schema_migrations')).toEqual([
      { version: SQLITE_SCHEMA_VERSION },
    ]);
    expect(tableRows(db, "SELECT name FROM sqlite_master WHERE name = 'sessions'")).toEqual([
      { name: 'sessions' },
    ]);
  });

  it('refuses a SQLite file while DATABASE_URL is set, naming the variable, in every command', async () => {
    for (const command of ['serve', 'sweep', 'migrate']) {
      const { code, errors } = await runCapturing([command, '--db', join(directory, 'never.db')], {
        DATABASE_URL: 'postgres://h/db',
      });
      expect(code).toBe(2);
      expect(errors).toMatch(
        /DATABASE_URL is set \(PostgreSQL\) and --db \(SQLite\) is given: unset DATABASE_URL/,
      );
    }
    expect(() => statSync(join(directory, 'never.db'))).toThrow();
  });

  it('saves no keys when a start is refused, and leaves keys saved before as they were', async () => {
    const run = (args: string[]) => runCapturing(['serve', '--port', '0', '--quiet', ...args], {});
    // A refused pair of keys: the saved read key must survive.
    const folder = join(directory, 'saved');
    mkdirSync(folder);
    const saved = { projects: { default: { writeKey: 'rk_write_saved', readKey: 'rk_read_saved' } } };
    writeFileSync(join(folder, KEYS_FILE_NAME), JSON.stringify(saved));
    const refused = await run(['--db', join(folder, 'a.db'), '--read-key', 'rk_write_saved']);
    expect(refused.code).toBe(2);
    expect(refused.errors).toContain('must differ');
    expect(JSON.parse(readFileSync(join(folder, KEYS_FILE_NAME), 'utf8'))).toEqual(saved);
    // A database that cannot be opened (a directory): no keys file appears beside it.
    const failing = join(directory, 'failing');
    mkdirSync(join(failing, 'db-is-a-directory'), { recursive: true });
    expect((await run(['--db', join(failing, 'db-is-a-directory')])).code).toBe(1);
    expect(() => statSync(join(failing, KEYS_FILE_NAME))).toThrow();
  });

  it('refuses a keys file it cannot read, naming it and how to fix it, and leaves it as it was', async () => {
    const keysPath = join(directory, KEYS_FILE_NAME);
    for (const [content, problem] of [
      ['{"projects": {"default": ', 'is not valid JSON'],
      ['[]', 'is not a replaykit keys file: it must hold {"projects":'],
      ['{"writeKey": 5}', 'is not a replaykit keys file: it must hold {"projects":'],
      [
        '{"projects": {"default": {"writeKey": "rk_write_kept"}}}',
        'is not a replaykit keys file: project "default" needs a writeKey and a readKey',
      ],
      [
        '{"projects": {"default": {"writeKey": 5, "readKey": "rk_read_kept"}}}',
        'is not a replaykit keys file: project "default" needs a writeKey and a readKey',
      ],
    ] as const) {
      writeFileSync(keysPath, content);
      const { code, errors } = await runCapturing(
        ['serve', '--port', '0', '--quiet', '--db', join(directory, 'replaykit.db')],
        {},
      );
      expect(code).toBe(1);
      expect(errors).toContain(`${keysPath} ${problem}`);
      expect(errors).toContain('fix it, or delete it to generate new keys');
      expect(readFileSync(keysPath, 'utf8')).toBe(content);
    }
  });

  it('refuses a key with a line break or a space, naming where it came from, before saving anything', async () => {
    const db = join(directory, 'replaykit.db');
    // As given by a secret file mounted into the environment: the read key keeps its line break.
    const fromEnvironment = await runCapturing(['serve', '--port', '0', '--quiet', '--db', db], {
      REPLAYKIT_WRITE_KEY: 'rk_write_given',
      REPLAYKIT_READ_KEY: 'rk_read_given\n',
    });
    expect(fromEnvironment.code).toBe(2);
    expect(fromEnvironment.errors).toContain(
      'REPLAYKIT_READ_KEY has a control character such as a line break at character 14 of 14; a key must be visible ASCII without spaces',
    );
    const fromOption = await runCapturing(
      ['serve', '--port', '0', '--quiet', '--db', db, '--write-key', 'rk write'],
      {},
    );
    expect(fromOption.code).toBe(2);
    expect(fromOption.errors).toContain('--write-key has a space at character 3 of 8');
    expect(() => statSync(join(directory, KEYS_FILE_NAME))).toThrow();

    // A keys.json edited by hand.
    const content = '{"projects": {"default": {"writeKey": "rk_write_kept", "readKey": "rk_read_kept "}}}';
    writeFileSync(join(directory, KEYS_FILE_NAME), content);
    const fromFile = await runCapturing(['serve', '--port', '0', '--quiet', '--db', db], {});
    expect(fromFile.code).toBe(1);
    expect(fromFile.errors).toContain(
      `${join(directory, KEYS_FILE_NAME)} is not a replaykit keys file: the readKey of project "default" has a space at character 13 of 13`,
    );
    expect(readFileSync(join(directory, KEYS_FILE_NAME), 'utf8')).toBe(content);
  });

  it('refuses an empty --host instead of listening on every interface', async () => {
    const { code, errors } = await runCapturing(['serve', '--host=', '--db', ':memory:'], {});
    expect(code).toBe(2);
    expect(errors).toContain('--host is empty');
  });

  it('refuses to sweep a SQLite file that does not exist instead of creating it', async () => {
    const missing = join(directory, 'typo', 'replaykit.db');
    const { code, errors } = await runCapturing(['sweep', '--db', missing], {});
    expect(code).toBe(1);
    expect(errors).toContain(`There is no SQLite database at ${missing}; check --db`);
    expect(() => statSync(missing)).toThrow();
  });

  it('names a --db that is a directory and says to give a file inside it, in every command', async () => {
    const folder = join(directory, 'data');
    mkdirSync(folder);
    for (const command of ['serve', 'sweep', 'migrate']) {
      const { code, errors } = await runCapturing([command, '--db', folder], {});
      expect(code).toBe(1);
      expect(errors).toContain(
        `${folder} is a directory, not a SQLite database file; give a file in it, such as ${join(folder, 'replaykit.db')}.`,
      );
    }
  });

  it('says which PostgreSQL it could not reach and what to check', async () => {
    const { code, errors } = await runCapturing(['migrate'], {
      DATABASE_URL: 'postgres://replaykit:secret@127.0.0.1:1/replays',
    });
    expect(code).toBe(1);
    expect(errors).toMatch(
      /^replaykit migrate: Could not open PostgreSQL 127\.0\.0\.1:1\/replays: connect ECONNREFUSED 127\.0\.0\.1:1 \(ECONNREFUSED\)\. Check --database-url or DATABASE_URL/,
    );
    expect(errors).not.toContain('secret');
  });

  it('refuses a database URL that is not PostgreSQL, naming its scheme but never its password', async () => {
    for (const [args, env, scheme] of [
      [['migrate', '--database-url', 'mysql://replaykit:secret@127.0.0.1:1/replays'], {}, 'mysql:'],
      [['sweep', '--database-url', 'sqlite:///data/replaykit.db'], {}, 'sqlite:'],
      [['serve'], { DATABASE_URL: 'http://replaykit:secret@127.0.0.1:1/replays' }, 'http:'],
    ] as const) {
      const { code, errors } = await runCapturing([...args], env);
      expect(code).toBe(2);
      expect(errors).toContain(`--database-url (or DATABASE_URL) is a "${scheme}" URL`);
      expect(errors).toContain('postgres: or postgresql:');
      expect(errors).toContain('For a SQLite file, use --db <file>');
      expect(errors).not.toContain('secret');
    }
  });

  it('prints a fresh pair of distinct keys', async () => {
    let output = '';
    expect(await runCli(['keys', '--json'], { stdout: (text) => (output += text) })).toBe(0);
    const first = JSON.parse(output) as KeyPair;
    output = '';
    await runCli(['keys', '--json'], { stdout: (text) => (output += text) });
    const second = JSON.parse(output) as KeyPair;
    expect(first.writeKey).not.toBe(first.readKey);
    expect(second.readKey).not.toBe(first.readKey);
  });

  it.each([
    [['serve', '--port', 'abc'], /--port must be a whole number/],
    [['serve', '--verbose'], /Unknown option '--verbose'[\s\S]*replaykit serve --help/],
    [['serve', '--write-key', 'same', '--read-key', 'same', '--db', ':memory:'], /must differ/],
    [['launch'], /unknown command "launch"/],
    [['serve', '--retention-days', '0'], /--retention-days must be a positive number/],
    [['serve', '--db', 'x.db', '--database-url', 'postgres://h/db'], /either --db .* or --database-url/],
    [['serve', '--database-url', 'postgres://h/db'], /give both keys/],
    [['serve', '--database-url', 'postgresql://h/db'], /give both keys/],
    [['sweep', '--project', '../x'], /--project must be/],
    [['migrate', '--db', 'x.db', '--database-url', 'postgres://h/db'], /either --db .* or --database-url/],
    [
      ['migrate', '--database-url', 'not a url'],
      /--database-url \(or DATABASE_URL\) must look like postgres:/,
    ],
    [['sweep', '--database-url', 'postgres://op:p@ss:w/rd@db/x'], /percent-encode any of : \/ @/],
    [
      ['serve', '--db', ':memory:', '--retention-days', '9'.repeat(400)],
      /--retention-days must be a positive number/,
    ],
    [
      ['serve', '--db', ':memory:', '--rate-limit', '9007199254740991'],
      /--rate-limit must be a whole number/,
    ],
    [['serve', '--db', ':memory:', '--ingest-workers', 'two'], /--ingest-workers must be a whole number/],
    [['serve', '--db', ':memory:', '--ingest-workers', '1.5'], /--ingest-workers must be a whole number/],
    [
      ['serve', '--db', ':memory:', '--allowed-origin', 'shop.example.com'],
      /--allowed-origin must be an origin .* such as https:\/\/shop\.example\.com; got "shop\.example\.com"/,
    ],
    [
      [
        'serve',
        '--db',
        ':memory:',
        '--allowed-origin',
        'https://a.example',
        '--allowed-origin',
        'https://b.example/shop',
      ],
      /--allowed-origin must be an origin .*; got "https:\/\/b\.example\/shop"/,
    ],
  ])('refuses %j with exit code 2 and a hint', async (args, message) => {
    const { code, errors } = await runCapturing(args);
    expect(code).toBe(2);
    expect(errors).toMatch(message);
  });
});
