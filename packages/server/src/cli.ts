import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isRecord, isValidId } from '@replaykit/core';
import {
  createReplayServer,
  DEFAULT_RATE_PER_SECOND,
  DEFAULT_RETENTION_DAYS,
  keyProblem,
  parseAllowedOrigin,
  type ReplayServer,
} from './app';
import { startNodeServer } from './node';
import { createPostgresStore, describePostgresUrl, POSTGRES_SCHEMA_VERSION } from './postgres-store';
import { createSqliteStore, SQLITE_SCHEMA_VERSION } from './sqlite-store';
import type { Store } from './store';

/** Port of `replaykit serve` when `--port` is not given. */
export const DEFAULT_PORT = 4318;
/** Interface of `replaykit serve`: loopback only unless told otherwise. */
export const DEFAULT_HOST = '127.0.0.1';
/** Database of `replaykit serve`, relative to the working directory. */
export const DEFAULT_DB_PATH = '.replaykit/replaykit.db';
/** Project id of `replaykit serve`. */
export const DEFAULT_PROJECT_ID = 'default';
/** Name of the file, beside the database, that keeps generated keys across restarts. */
export const KEYS_FILE_NAME = 'keys.json';

/** Random bytes per generated key (192 bits for the write key, 256 for the read key). */
const WRITE_KEY_BYTES = 24;
const READ_KEY_BYTES = 32;
const WRITE_KEY_PREFIX = 'rk_write_';
const READ_KEY_PREFIX = 'rk_read_';
/** Highest TCP port number. */
const PORT_MAX = 65_535;
/** Only the owner may read the keys file: it holds the secret read key. */
const KEYS_FILE_MODE = 0o600;

/** Exit codes: 0 success, 1 failure at run time, 2 wrong usage. */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const MAIN_HELP = `Usage: replaykit <command> [options]

Commands:
  serve    Run the replaykit server (ingest and read API) over SQLite or PostgreSQL
  keys     Print a freshly generated write key and read key
  sweep    Delete sessions older than the retention now, then exit
  migrate  Bring the database's schema up to date, then exit

Run "replaykit <command> --help" for the options of a command.
`;

const SERVE_HELP = `Usage: replaykit serve [options]

Runs the ingest and read API until SIGINT or SIGTERM, then finishes in-flight
requests and stops.

Options:
  --port <number>          Port to listen on (default ${DEFAULT_PORT}; 0 picks a free port)
  --host <address>         Interface to listen on (default ${DEFAULT_HOST}; 0.0.0.0 for all)
  --db <file>              SQLite database file (default ${DEFAULT_DB_PATH}); its directory is created
  --database-url <url>     PostgreSQL instead of SQLite, as postgres://user:password@host:port/db
                           (or env DATABASE_URL); keys are then never generated: give them
  --retention-days <days>  Delete sessions this many days after their last event and batch (default ${DEFAULT_RETENTION_DAYS})
  --rate-limit <n>         Batches per second each write key may send, bursts of twice that
                           (default ${DEFAULT_RATE_PER_SECOND}; per server process)
  --ingest-workers <n>     Threads that decode batches beside the main thread; 0 decodes on
                           the main thread (default: one per core beyond the first, 1 to 4)
  --project <id>           Project id (default "${DEFAULT_PROJECT_ID}"); one process serves one project
  --write-key <key>        Public write key for the recorder (or env REPLAYKIT_WRITE_KEY)
  --read-key <key>         Secret read key for the player and API (or env REPLAYKIT_READ_KEY)
  --allowed-origin <url>   Origin whose pages may send recordings; repeat for more (default: any)
  --quiet                  Do not log each request
  -h, --help               Show this help

Keys not given by option or environment are generated once, saved in ${KEYS_FILE_NAME} beside
the database, and printed at every start.

Endpoints: POST /v1/ingest, GET /v1/sessions[/:id[/events|/chunks]], DELETE /v1/sessions/:id,
GET /healthz (alive), GET /readyz (can reach the database).
`;

const SWEEP_HELP = `Usage: replaykit sweep [options]

Deletes the sessions whose last event and last batch received are both older than the
retention, with all their data, and exits. "replaykit serve" also sweeps hourly; run this
from a scheduler when the server is embedded with its sweeper off
(retention.sweepIntervalMs: 0), once per project.

Options:
  --db <file>              SQLite database file (default ${DEFAULT_DB_PATH})
  --database-url <url>     PostgreSQL instead of SQLite (or env DATABASE_URL)
  --project <id>           Project to sweep (default "${DEFAULT_PROJECT_ID}")
  --retention-days <days>  Keep this many days (default ${DEFAULT_RETENTION_DAYS})
  -h, --help               Show this help
`;

const MIGRATE_HELP = `Usage: replaykit migrate [options]

Creates replaykit's tables, or applies the schema migrations a newer replaykit brings,
and exits. "replaykit serve" does the same at start; run this when the server's database
role may only read and write the tables (on PostgreSQL 15 and later, any role but the
database's owner, unless granted CREATE on the schema): run it as the owner first, and
then serve as that role.

Options:
  --db <file>              SQLite database file (default ${DEFAULT_DB_PATH}); its directory is created
  --database-url <url>     PostgreSQL instead of SQLite (or env DATABASE_URL)
  -h, --help               Show this help
`;

const KEYS_HELP = `Usage: replaykit keys [--json]

Prints a freshly generated pair of keys. Nothing is saved: pass them to
"replaykit serve --write-key ... --read-key ..." or to createReplayServer().

Options:
  --json       Print {"writeKey": ..., "readKey": ...}
  -h, --help   Show this help
`;

/** Where the CLI writes and what stops it; replaceable for tests. */
export interface CliOptions {
  /** Environment to read keys from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Receives normal output, one chunk of text at a time (default stdout). */
  stdout?: (text: string) => void;
  /** Receives errors (default stderr). */
  stderr?: (text: string) => void;
  /** `serve` shuts down cleanly when this aborts. */
  signal?: AbortSignal;
  /**
   * The process runs only this command (the `replaykit` binary), so `serve` may replace the
   * global Request and Response with lighter ones (see `lightweightGlobals` of startNodeServer).
   */
  ownsProcess?: boolean;
}

/** A project's pair of keys. */
export interface KeyPair {
  writeKey: string;
  readKey: string;
}

interface KeysFile {
  projects: Record<string, KeyPair>;
}

/** Makes a new random pair of keys; the prefixes tell them apart at a glance. */
export function generateKeys(): KeyPair {
  return {
    writeKey: WRITE_KEY_PREFIX + randomBytes(WRITE_KEY_BYTES).toString('base64url'),
    readKey: READ_KEY_PREFIX + randomBytes(READ_KEY_BYTES).toString('base64url'),
  };
}

class UsageError extends Error {}

/** What keeps `parsed` from being a keys file as {@link writeKeysFile} writes it, or undefined. */
function keysFileProblem(parsed: unknown): string | undefined {
  if (!(isRecord(parsed) && isRecord(parsed.projects))) {
    return 'it must hold {"projects": {"<project id>": {"writeKey": "...", "readKey": "..."}}}';
  }
  for (const [projectId, saved] of Object.entries(parsed.projects)) {
    const complete =
      isRecord(saved) &&
      [saved.writeKey, saved.readKey].every((key) => typeof key === 'string' && key !== '');
    if (!complete) {
      return `project "${projectId}" needs a writeKey and a readKey, each a non-empty string`;
    }
    for (const name of ['writeKey', 'readKey'] as const) {
      const problem = keyProblem(saved[name] as string);
      if (problem !== undefined) {
        return `the ${name} of project "${projectId}" ${problem}`;
      }
    }
  }
  return undefined;
}

function keysFileError(path: string, problem: string): Error {
  return new Error(`${path} ${problem}; fix it, or delete it to generate new keys.`);
}

/**
 * The keys saved at `path`, none when there is no file. A file that cannot be read as keys
 * is refused rather than replaced: it may hold keys that recorders and players already use.
 */
function readKeysFile(path: string): KeysFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { projects: {} };
    }
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message is left out: it quotes the text, which may hold a key.
    throw keysFileError(path, 'is not valid JSON');
  }
  const problem = keysFileProblem(parsed);
  if (problem !== undefined) {
    throw keysFileError(path, `is not a replaykit keys file: ${problem}`);
  }
  return parsed as KeysFile;
}

function writeKeysFile(path: string, keys: KeysFile): void {
  mkdirSync(dirname(path), { recursive: true });
  // Written beside and renamed over, so a crash never leaves half a file.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(keys, null, 2)}\n`, { mode: KEYS_FILE_MODE });
  renameSync(temporary, path);
}

function timestamp(): string {
  return new Date().toISOString();
}

function parsePort(value: string | undefined): number {
  if (value === undefined) {
    return DEFAULT_PORT;
  }
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= PORT_MAX)) {
    throw new UsageError(`--port must be a whole number from 0 to ${PORT_MAX}; got "${value}".`);
  }
  return port;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

async function serve(argv: string[], options: Required<Omit<CliOptions, 'signal'>> & CliOptions) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      ...DATABASE_OPTIONS,
      port: { type: 'string' },
      host: { type: 'string' },
      project: { type: 'string' },
      'write-key': { type: 'string' },
      'read-key': { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true },
      'retention-days': { type: 'string' },
      'rate-limit': { type: 'string' },
      'ingest-workers': { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
  if (values.help) {
    options.stdout(SERVE_HELP);
    return EXIT_OK;
  }
  const log = (message: string) => options.stdout(`${timestamp()} ${message}\n`);
  const port = parsePort(values.port);
  const host = values.host ?? DEFAULT_HOST;
  if (host.trim() === '') {
    // Node would listen on every interface, not on the loopback default.
    throw new UsageError(
      `--host is empty; give an address such as ${DEFAULT_HOST} (this machine only) or 0.0.0.0 (every interface).`,
    );
  }
  const projectId = values.project ?? DEFAULT_PROJECT_ID;
  if (!isValidId(projectId)) {
    throw new UsageError(`--project must be 1 to 64 letters, digits, "-" or "_"; got "${projectId}".`);
  }
  const databaseUrl = chosenDatabaseUrl(values, options.env);
  const retentionDays = parseRetentionDays(values['retention-days']);
  const ratePerSecond = parseRateLimit(values['rate-limit']);
  const ingestWorkers = parseIngestWorkers(values['ingest-workers']);
  checkAllowedOrigins(values['allowed-origin']);
  const dbPath = values.db ?? DEFAULT_DB_PATH;
  const inMemory = dbPath === ':memory:';

  // Keys: option, then environment, then the keys file, then a new one saved to the file.
  const keysPath = inMemory ? undefined : join(dirname(resolve(dbPath)), KEYS_FILE_NAME);
  const given = {
    writeKey: values['write-key'] || options.env.REPLAYKIT_WRITE_KEY || undefined,
    readKey: values['read-key'] || options.env.REPLAYKIT_READ_KEY || undefined,
  };
  for (const [key, option, variable] of [
    [given.writeKey, 'write-key', 'REPLAYKIT_WRITE_KEY'],
    [given.readKey, 'read-key', 'REPLAYKIT_READ_KEY'],
  ] as const) {
    const problem = key === undefined ? undefined : keyProblem(key);
    if (problem !== undefined) {
      throw new UsageError(`${values[option] ? `--${option}` : variable} ${problem}.`);
    }
  }
  let keys: KeyPair;
  // Where keys the operator did not give came from, to print them; undefined when all were given.
  let keysSource: string | undefined;
  // New keys are saved only once the server listens, so a refused start leaves no keys file
  // behind and never replaces keys saved before.
  let saveKeys: (() => void) | undefined;
  /** Projects whose keys the keys file also holds, which this process does not serve. */
  let otherProjects: string[] = [];
  if (databaseUrl && !(given.writeKey && given.readKey)) {
    // Several processes share one PostgreSQL database: keys generated by each would differ.
    throw new UsageError(
      'With --database-url, give both keys (--write-key and --read-key, or REPLAYKIT_WRITE_KEY and REPLAYKIT_READ_KEY); "replaykit keys" makes a pair.',
    );
  }
  if (given.writeKey && given.readKey) {
    keys = { writeKey: given.writeKey, readKey: given.readKey };
  } else {
    const file = keysPath ? readKeysFile(keysPath) : { projects: {} };
    // Own entries only: a valid project id may be "__proto__" or "constructor", which every
    // object's prototype answers for, and assigning "__proto__" would set the prototype and
    // save nothing (a computed key in a literal defines a property).
    const saved = Object.hasOwn(file.projects, projectId) ? file.projects[projectId] : undefined;
    otherProjects = Object.keys(file.projects).filter((id) => id !== projectId);
    const fresh = generateKeys();
    keys = {
      writeKey: given.writeKey ?? saved?.writeKey ?? fresh.writeKey,
      readKey: given.readKey ?? saved?.readKey ?? fresh.readKey,
    };
    if (keysPath && (keys.writeKey !== saved?.writeKey || keys.readKey !== saved?.readKey)) {
      file.projects = { ...file.projects, [projectId]: keys };
      saveKeys = () => writeKeysFile(keysPath, file);
    }
    keysSource = keysPath
      ? `saved in ${keysPath}`
      : 'generated for this run: an in-memory database keeps no keys file';
  }
  if (keys.writeKey === keys.readKey) {
    throw new UsageError('The write key and the read key must differ: the write key is public.');
  }

  const store = await openStore(databaseUrl, dbPath);
  let server: Awaited<ReturnType<typeof startNodeServer>>;
  let replayServer: ReplayServer;
  try {
    replayServer = createReplayServer({
      store,
      retention: { days: retentionDays },
      limits: { ratePerSecond, rateBurst: ratePerSecond * 2 },
      ...(ingestWorkers !== undefined ? { ingestWorkers } : {}),
      projects: [
        {
          id: projectId,
          writeKey: keys.writeKey,
          readKey: keys.readKey,
          ...(values['allowed-origin'] ? { allowedOrigins: values['allowed-origin'] } : {}),
        },
      ],
      onError: (error) => options.stderr(`${timestamp()} error ${describeError(error)}\n`),
    });
    const quiet = values.quiet ?? false;
    server = await startNodeServer({
      host,
      port,
      lightweightGlobals: options.ownsProcess,
      onAnswerBroken: log,
      server: {
        limits: replayServer.limits,
        async fetch(request) {
          const startedAt = performance.now();
          const response = await replayServer.fetch(request);
          if (!quiet) {
            // The path only: the query may carry the write key.
            const path = new URL(request.url).pathname;
            const elapsedMs = Math.round(performance.now() - startedAt);
            log(`${request.method} ${path} ${response.status} ${elapsedMs}ms`);
          }
          return response;
        },
      },
    });
  } catch (error) {
    await store.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `Port ${port} on ${host} is already in use; choose another with --port (0 picks a free one).`,
      );
    }
    throw error;
  }
  // Stops taking work, finishes in-flight requests, then closes the database.
  const shutDown = async () => {
    replayServer.close();
    try {
      await server.close();
    } finally {
      await store.close();
    }
  };
  try {
    saveKeys?.();
  } catch (error) {
    await shutDown();
    throw error;
  }

  const where = describeDatabase(databaseUrl, dbPath);
  log(`project "${projectId}", database ${where}, retention ${retentionDays} days`);
  if (keysSource === undefined) {
    log('keys from options or environment');
  } else {
    // A key the operator gave is not printed: a read key kept in a secret store and passed in
    // the environment would otherwise end up in the log at every start.
    const shown = (name: keyof KeyPair) => (given[name] ? 'from options or environment' : keys[name]);
    log(`write key ${shown('writeKey')} (public: give it to the recorder)`);
    log(`read key  ${shown('readKey')} (secret: for the player and the read API; ${keysSource})`);
  }
  if (otherProjects.length > 0) {
    // Their keys would be refused as unknown, with a message pointing at this very file.
    log(
      `${keysPath} also holds the keys of ${otherProjects.map((id) => `"${id}"`).join(', ')}, which this process does not serve: one process serves one project (--project); start one per project, or embed createReplayServer with several`,
    );
  }
  log(`listening on ${server.url}`);

  await new Promise<void>((resolveStop) => {
    if (!options.signal || options.signal.aborted) {
      resolveStop();
      return;
    }
    options.signal.addEventListener('abort', () => resolveStop(), { once: true });
  });
  log('shutting down: finishing in-flight requests');
  await shutDown();
  log('stopped');
  return EXIT_OK;
}

function parseRateLimit(value: string | undefined): number {
  if (value === undefined) {
    return DEFAULT_RATE_PER_SECOND;
  }
  const rate = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  // Bursts are twice the rate, which must stay a whole number too.
  if (!(Number.isSafeInteger(rate * 2) && rate > 0)) {
    throw new UsageError(
      `--rate-limit must be a whole number of batches per second, such as 500; got "${value}".`,
    );
  }
  return rate;
}

function parseIngestWorkers(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const workers = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(workers)) {
    throw new UsageError(
      `--ingest-workers must be a whole number of threads, such as 1 (0 decodes on the main thread); got "${value}".`,
    );
  }
  return workers;
}

/** Refuses an `--allowed-origin` that createReplayServer would, as wrong usage rather than a failure. */
function checkAllowedOrigins(values: readonly string[] | undefined): void {
  for (const value of values ?? []) {
    if (parseAllowedOrigin(value) === undefined) {
      throw new UsageError(
        `--allowed-origin must be an origin (scheme, host and port only, no path), such as https://shop.example.com; got "${value}".`,
      );
    }
  }
}

function parseRetentionDays(value: string | undefined): number {
  if (value === undefined) {
    return DEFAULT_RETENTION_DAYS;
  }
  const days = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(days > 0 && Number.isFinite(days))) {
    throw new UsageError(`--retention-days must be a positive number of days, such as 30; got "${value}".`);
  }
  return days;
}

/** URL schemes of a PostgreSQL connection string. */
const POSTGRES_SCHEMES: readonly string[] = ['postgres:', 'postgresql:'];

/** The database URL without its password, for logs; refuses a URL that is not PostgreSQL's. */
function describeDatabaseUrl(url: string): string {
  const where = describePostgresUrl(url);
  if (where === undefined) {
    throw new UsageError(
      '--database-url (or DATABASE_URL) must look like postgres://user:password@host:5432/database; percent-encode any of : / @ ? # % in the user or password (%3A %2F %40 %3F %23 %25).',
    );
  }
  // Only the scheme is named: the rest of the URL may hold a password.
  const scheme = new URL(url).protocol;
  if (!POSTGRES_SCHEMES.includes(scheme)) {
    throw new UsageError(
      `--database-url (or DATABASE_URL) is a "${scheme}" URL; give a PostgreSQL one, starting ${POSTGRES_SCHEMES.join(' or ')}. For a SQLite file, use --db <file> and leave DATABASE_URL unset.`,
    );
  }
  return where;
}

/**
 * The PostgreSQL URL from `--database-url` or `DATABASE_URL`, or undefined for SQLite;
 * refuses both kinds at once, and a URL that is not PostgreSQL's before any other check.
 */
function chosenDatabaseUrl(
  values: { db?: string | undefined; 'database-url'?: string | undefined },
  env: NodeJS.ProcessEnv,
): string | undefined {
  const databaseUrl = values['database-url'] || env.DATABASE_URL || undefined;
  if (databaseUrl && values.db) {
    throw new UsageError(
      values['database-url']
        ? 'Give either --db (SQLite) or --database-url (PostgreSQL), not both.'
        : 'DATABASE_URL is set (PostgreSQL) and --db (SQLite) is given: unset DATABASE_URL to use the SQLite file, or drop --db.',
    );
  }
  if (databaseUrl) {
    describeDatabaseUrl(databaseUrl);
  }
  return databaseUrl;
}

/** The database as the logs name it, without a password. */
function describeDatabase(databaseUrl: string | undefined, dbPath: string): string {
  if (databaseUrl) {
    return `PostgreSQL ${describeDatabaseUrl(databaseUrl)}`;
  }
  return dbPath === ':memory:' ? 'SQLite in memory' : `SQLite ${resolve(dbPath)}`;
}

/** The options of every command that opens the database, and its `--help`. */
const DATABASE_OPTIONS = {
  db: { type: 'string' },
  'database-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Opens the database; `databaseUrl` is one that {@link chosenDatabaseUrl} returned, so already checked. */
async function openStore(databaseUrl: string | undefined, dbPath: string): Promise<Store> {
  if (!databaseUrl) {
    return createSqliteStore({ filename: dbPath });
  }
  return createPostgresStore({ connectionString: databaseUrl });
}

async function sweepCommand(argv: string[], options: Required<Omit<CliOptions, 'signal'>>) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      ...DATABASE_OPTIONS,
      project: { type: 'string' },
      'retention-days': { type: 'string' },
    },
  });
  if (values.help) {
    options.stdout(SWEEP_HELP);
    return EXIT_OK;
  }
  const projectId = values.project ?? DEFAULT_PROJECT_ID;
  if (!isValidId(projectId)) {
    throw new UsageError(`--project must be 1 to 64 letters, digits, "-" or "_"; got "${projectId}".`);
  }
  const retentionDays = parseRetentionDays(values['retention-days']);
  const databaseUrl = chosenDatabaseUrl(values, options.env);
  const dbPath = values.db ?? DEFAULT_DB_PATH;
  if (!databaseUrl && dbPath !== ':memory:' && !existsSync(dbPath)) {
    // Opening would create an empty database, and a mistyped path would sweep nothing, quietly.
    throw new Error(
      `There is no SQLite database at ${resolve(dbPath)}; check --db (sweep never creates one).`,
    );
  }
  const store = await openStore(databaseUrl, dbPath);
  try {
    // Keys do not matter for sweeping; the server object only lends its sweep loop.
    const keys = generateKeys();
    const server = createReplayServer({
      store,
      projects: [{ id: projectId, ...keys }],
      retention: { days: retentionDays, sweepIntervalMs: 0 },
    });
    const deleted = await server.sweep();
    options.stdout(
      `${timestamp()} deleted ${deleted[projectId] ?? 0} sessions of project "${projectId}" older than ${retentionDays} days\n`,
    );
  } finally {
    await store.close();
  }
  return EXIT_OK;
}

async function migrateCommand(argv: string[], options: Required<Omit<CliOptions, 'signal'>>) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: DATABASE_OPTIONS,
  });
  if (values.help) {
    options.stdout(MIGRATE_HELP);
    return EXIT_OK;
  }
  const databaseUrl = chosenDatabaseUrl(values, options.env);
  const dbPath = values.db ?? DEFAULT_DB_PATH;
  // Opening a store migrates it.
  const store = await openStore(databaseUrl, dbPath);
  await store.close();
  const version = databaseUrl ? POSTGRES_SCHEMA_VERSION : SQLITE_SCHEMA_VERSION;
  options.stdout(
    `${timestamp()} ${describeDatabase(databaseUrl, dbPath)} is at replaykit schema version ${version}, the newest this replaykit knows\n`,
  );
  return EXIT_OK;
}

function keysCommand(argv: string[], options: Required<Omit<CliOptions, 'signal'>>) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    options.stdout(KEYS_HELP);
    return EXIT_OK;
  }
  const keys = generateKeys();
  if (values.json) {
    options.stdout(`${JSON.stringify(keys)}\n`);
  } else {
    options.stdout(
      `write key: ${keys.writeKey}  (public: give it to the recorder)\nread key:  ${keys.readKey}  (secret: for the player and the read API)\n`,
    );
  }
  return EXIT_OK;
}

/**
 * Runs the `replaykit` CLI with the arguments after the program name and resolves with
 * the exit code. `serve` runs until `options.signal` aborts.
 */
export async function runCli(argv: readonly string[], cliOptions: CliOptions = {}): Promise<number> {
  const options = {
    env: cliOptions.env ?? process.env,
    stdout: cliOptions.stdout ?? ((text: string) => process.stdout.write(text)),
    stderr: cliOptions.stderr ?? ((text: string) => process.stderr.write(text)),
    ...(cliOptions.signal ? { signal: cliOptions.signal } : {}),
    ownsProcess: cliOptions.ownsProcess ?? false,
  };
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, options);
      case 'keys':
        return keysCommand(rest, options);
      case 'sweep':
        return await sweepCommand(rest, options);
      case 'migrate':
        return await migrateCommand(rest, options);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        options.stdout(MAIN_HELP);
        return command === undefined ? EXIT_USAGE : EXIT_OK;
      default:
        options.stderr(`replaykit: unknown command "${command}".\n\n${MAIN_HELP}`);
        return EXIT_USAGE;
    }
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    if (usage) {
      options.stderr(
        `replaykit ${command}: ${describeError(error)}\nRun "replaykit ${command} --help" for usage.\n`,
      );
      return EXIT_USAGE;
    }
    options.stderr(`replaykit ${command}: ${describeError(error)}\n`);
    return EXIT_FAILURE;
  }
}

/** Runs the CLI as a program: process arguments, SIGINT/SIGTERM for a clean stop, the exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      // A second Ctrl-C means the person does not want to wait for the graceful close.
      process.exit(EXIT_FAILURE);
    }
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    process.exitCode = await runCli(argv, { signal: controller.signal, ownsProcess: true });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) {
    return false;
  }
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  await main();
}
