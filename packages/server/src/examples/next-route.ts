/**
 * Example: replaykit inside a Next.js App Router app, as the route handler file
 * `app/replaykit/[...path]/route.ts`. The recorder then sends to `/replaykit/v1/ingest`
 * and the player reads from `/replaykit` (its base URL).
 *
 * Configuration comes from the environment: REPLAYKIT_WRITE_KEY and REPLAYKIT_READ_KEY
 * (make a pair with `replaykit keys`), and DATABASE_URL for PostgreSQL or REPLAYKIT_DB for
 * the SQLite file (default `.replaykit/replaykit.db`).
 */
import { createPostgresStore, createReplayServer, createSqliteStore, type Store } from '../index';
// In your app: import { … } from '@replaykit/server';

// better-sqlite3 and pg are Node modules: the route must not run on the edge runtime.
export const runtime = 'nodejs';
// Every request is live data: never prerender or cache these routes.
export const dynamic = 'force-dynamic';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`Set ${name} for the replaykit route (replaykit keys prints a pair).`);
  }
  return value;
}

async function openStore(): Promise<Store> {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    return createPostgresStore({ connectionString: databaseUrl });
  }
  return createSqliteStore({ filename: process.env.REPLAYKIT_DB ?? '.replaykit/replaykit.db' });
}

// One server per process, created on first use: module scope runs at build time too.
let serverPromise: Promise<{ fetch(request: Request): Promise<Response> }> | undefined;

function replayServer() {
  if (!serverPromise) {
    const storeOpening = openStore();
    const opening = storeOpening.then((store) =>
      createReplayServer({
        store,
        basePath: '/replaykit',
        projects: [
          {
            id: 'default',
            writeKey: requireEnv('REPLAYKIT_WRITE_KEY'),
            readKey: requireEnv('REPLAYKIT_READ_KEY'),
          },
        ],
      }),
    );
    // A database that cannot be reached now (restarting, not up yet) fails this request
    // only: the next one tries again, rather than every request failing until a restart.
    // A configuration error stays, so that its store is opened once.
    storeOpening.catch(() => {
      if (serverPromise === opening) {
        serverPromise = undefined;
      }
    });
    serverPromise = opening;
  }
  return serverPromise;
}

async function handle(request: Request): Promise<Response> {
  return (await replayServer()).fetch(request);
}

export const GET = handle;
export const POST = handle;
export const DELETE = handle;
export const OPTIONS = handle;
