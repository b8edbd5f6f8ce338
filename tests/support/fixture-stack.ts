import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { createServer, defaultClientConditions, type ViteDevServer } from 'vite';
import { createKeys, startServerProcess, stopProcess } from '../../scripts/demo-stack.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface FixtureStack {
  /** The fixture pages' origin (Vite). */
  pageUrl: string;
  /** The real replaykit server's origin. */
  serverUrl: string;
  writeKey: string;
  readKey: string;
  close(): Promise<void>;
}

/**
 * Starts the real replaykit server (the CLI, SQLite in `dataDir`, loopback) and a Vite
 * server for the React pages in `fixture` (a directory of the repository, such as
 * `tests/privacy/fixture`), which run the packages from source.
 */
export async function startFixtureStack(dataDir: string, fixture: string): Promise<FixtureStack> {
  const keys = createKeys();
  const { writeKey, readKey } = keys;
  const server = await startServerProcess({
    host: '127.0.0.1',
    serverPort: 0,
    verbose: false,
    dataDir,
    keys,
  });
  let vite: ViteDevServer;
  try {
    vite = await createServer({
      configFile: false,
      root: join(ROOT, fixture),
      cacheDir: join(dataDir, 'vite-cache'),
      logLevel: 'warn',
      plugins: [react()],
      resolve: { conditions: ['source', ...defaultClientConditions] },
      // Pre-bundled up front, so Vite never reloads the page mid-recording to add one.
      optimizeDeps: {
        entries: ['*.html'],
        include: [
          'react',
          'react-dom/client',
          'react/jsx-dev-runtime',
          '@rrweb/replay',
          '@replaykit/recorder > @rrweb/record',
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
