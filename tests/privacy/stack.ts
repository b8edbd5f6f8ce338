import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { createServer, defaultClientConditions, type ViteDevServer } from 'vite';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER_CLI = join(ROOT, 'packages/server/src/cli.ts');
/** How long the replaykit server may take to print its address, in ms. */
const SERVER_START_TIMEOUT_MS = 60_000;

export interface PrivacyStack {
  /** The fixture page's origin (Vite). */
  pageUrl: string;
  /** The real replaykit server's origin. */
  serverUrl: string;
  writeKey: string;
  readKey: string;
  close(): Promise<void>;
}

function startServer(
  dataDir: string,
  writeKey: string,
  readKey: string,
): Promise<{ url: string; child: ChildProcess }> {
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  const child = spawn(
    process.execPath,
    [
      tsxCli,
      '--conditions=source',
      SERVER_CLI,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--db',
      join(dataDir, 'replaykit.db'),
      '--write-key',
      writeKey,
      '--read-key',
      readKey,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replaykit server did not start within ${SERVER_START_TIMEOUT_MS} ms:\n${output}`));
    }, SERVER_START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolvePromise({ url: match[1].replace(/\/$/, ''), child });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replaykit server exited with code ${code} before listening:\n${output}`));
    });
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts the real replaykit server (the CLI, SQLite in `dataDir`, loopback) and a Vite
 * server for the privacy fixture page, which runs the packages from source.
 */
export async function startPrivacyStack(dataDir: string): Promise<PrivacyStack> {
  const writeKey = `rk_write_${randomBytes(12).toString('hex')}`;
  const readKey = `rk_read_${randomBytes(24).toString('hex')}`;
  const server = await startServer(dataDir, writeKey, readKey);
  let vite: ViteDevServer;
  try {
    vite = await createServer({
      configFile: false,
      root: join(ROOT, 'tests/privacy/fixture'),
      cacheDir: join(dataDir, 'vite-cache'),
      logLevel: 'warn',
      plugins: [react()],
      resolve: { conditions: ['source', ...defaultClientConditions] },
      // Pre-bundled up front, so Vite never reloads the page mid-recording to add one.
      optimizeDeps: {
        entries: ['index.html', 'replay.html'],
        include: [
          'react',
          'react-dom/client',
          'react/jsx-dev-runtime',
          '@rrweb/replay',
          '@replaykit/recorder > @rrweb/record',
          '@replaykit/recorder > fflate',
        ],
      },
      server: { host: '127.0.0.1', port: 0, strictPort: false },
      clearScreen: false,
    });
    await vite.listen();
  } catch (error) {
    await stopProcess(server.child);
    throw error;
  }
  const address = vite.httpServer?.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    pageUrl: `http://127.0.0.1:${port}`,
    serverUrl: server.url,
    writeKey,
    readKey,
    async close() {
      await vite.close();
      await stopProcess(server.child);
    },
  };
}
