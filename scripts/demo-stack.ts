import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';
import { spawnServe, stopProcess } from '../packages/server/src/test/serve-process.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface DemoKeys {
  writeKey: string;
  readKey: string;
}

export interface DemoStackOptions {
  /** Folder for the SQLite database and the demo's keys. Default `.replaykit/` at the repo root. */
  dataDir?: string;
  host?: string;
  /** Port of the demo and viewer (Vite). 0 picks a free one. */
  demoPort?: number;
  /** Port of the replaykit server. 0 picks a free one. */
  serverPort?: number;
  /** Print the server's log lines. */
  verbose?: boolean;
}

export interface DemoStack {
  demoUrl: string;
  serverUrl: string;
  keys: DemoKeys;
  dataDir: string;
  close(): Promise<void>;
}

/** A fresh public write key and secret read key. */
export function createKeys(): DemoKeys {
  return {
    writeKey: `rk_write_${randomBytes(12).toString('hex')}`,
    readKey: `rk_read_${randomBytes(24).toString('hex')}`,
  };
}

/** Keys are made once per data folder and kept there, so recordings stay readable. */
function loadOrCreateKeys(dataDir: string): DemoKeys {
  const file = join(dataDir, 'demo-keys.json');
  if (existsSync(file)) {
    return JSON.parse(readFileSync(file, 'utf8')) as DemoKeys;
  }
  const keys = createKeys();
  writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}

/** Starts the `replaykit serve` CLI from source and resolves with its URL once it listens. */
export async function startServerProcess(
  options: Required<Pick<DemoStackOptions, 'host' | 'serverPort' | 'verbose'>> & {
    dataDir: string;
    keys: DemoKeys;
  },
): Promise<{ url: string; child: ChildProcess }> {
  const { url, child } = await spawnServe(
    [
      '--host',
      options.host,
      '--port',
      String(options.serverPort),
      '--db',
      join(options.dataDir, 'replaykit.db'),
      '--write-key',
      options.keys.writeKey,
      '--read-key',
      options.keys.readKey,
    ],
    { onOutput: options.verbose ? (text) => process.stdout.write(`[server] ${text}`) : undefined },
  );
  return { url, child };
}

export { stopProcess };

/**
 * Starts the whole demo: the replaykit server on SQLite (a real child process, real HTTP)
 * and the Vite dev server for the shop and the replays page, wired together.
 */
export async function startDemoStack(options: DemoStackOptions = {}): Promise<DemoStack> {
  const dataDir = resolve(options.dataDir ?? join(ROOT, '.replaykit'));
  const host = options.host ?? '127.0.0.1';
  mkdirSync(dataDir, { recursive: true });
  const keys = loadOrCreateKeys(dataDir);
  const server = await startServerProcess({
    host,
    serverPort: options.serverPort ?? 4318,
    verbose: options.verbose ?? false,
    dataDir,
    keys,
  });
  let vite: ViteDevServer | undefined;
  try {
    vite = await createServer({
      configFile: join(ROOT, 'demo/vite.config.ts'),
      logLevel: options.verbose ? 'info' : 'warn',
      server: { host, port: options.demoPort ?? 5173 },
      define: {
        'import.meta.env.VITE_REPLAYKIT_ENDPOINT': JSON.stringify(server.url),
        'import.meta.env.VITE_REPLAYKIT_WRITE_KEY': JSON.stringify(keys.writeKey),
        'import.meta.env.VITE_REPLAYKIT_READ_KEY': JSON.stringify(keys.readKey),
      },
    });
    await vite.listen();
  } catch (error) {
    await stopProcess(server.child);
    throw error;
  }
  const address = vite.httpServer?.address();
  const port = typeof address === 'object' && address ? address.port : options.demoPort;
  const viteServer = vite;
  return {
    demoUrl: `http://${host}:${port}`,
    serverUrl: server.url,
    keys,
    dataDir,
    async close() {
      await viteServer.close();
      await stopProcess(server.child);
    },
  };
}
