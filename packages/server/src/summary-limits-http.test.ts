/**
 * The session summary's limits over real HTTP, on both stores: a host that identifies its user
 * with a whole user object, or a page with a huge URL, must not put all of it into every list
 * row and every rewrite of the session's state, and must lose nothing of the recording.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API_PATHS,
  DROPPED_TRAITS_KEY,
  EVENT_NAME_MAX_LENGTH,
  type SessionEventsResponse,
  type SessionListResponse,
  type SessionResponse,
  type SessionSummary,
  SUMMARY_URL_MAX_LENGTH,
  SUMMARY_USER_ID_MAX_LENGTH,
  TRUNCATION_MARKER,
  USER_TRAIT_KEY_MAX_LENGTH,
  USER_TRAIT_VALUE_MAX_LENGTH,
  USER_TRAITS_MAX_KEYS,
} from '@replaykit/core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createReplayServer } from './app';
import { startNodeServer } from './node';
import { createPostgresStore } from './postgres-store';
import { createSqliteStore } from './sqlite-store';
import type { Store } from './store';
import { startTestPostgres, type TestPostgres } from './test/postgres';
import {
  batch,
  click,
  custom,
  fullSnapshot,
  ingestRequest,
  meta,
  readRequest,
  T0,
  TEST_PROJECTS,
  tableRows,
} from './test/support';

const directory = mkdtempSync(join(tmpdir(), 'replaykit-summary-limits-'));
/** Started by the PostgreSQL case only, so that the SQLite case runs without PostgreSQL. */
let postgres: TestPostgres | undefined;

afterAll(async () => {
  await postgres?.stop();
  rmSync(directory, { recursive: true, force: true });
});

/** A store, and the length of the state JSON its sessions table holds for a session. */
interface Database {
  open(): Promise<Store>;
  stateLength(sessionId: string): Promise<number>;
}

/** What a host might pass as traits: its whole user object, avatar as a data URL included. */
const avatar = `data:image/png;base64,${'iVBORw0KGgo'.repeat(30_000)}`;
const userObject = {
  plan: 'team',
  avatar,
  preferences: { layout: 'x'.repeat(USER_TRAIT_VALUE_MAX_LENGTH) },
  [`k${'e'.repeat(USER_TRAIT_KEY_MAX_LENGTH)}`]: 'long name',
  ...Object.fromEntries(Array.from({ length: USER_TRAITS_MAX_KEYS }, (_, index) => [`flag${index}`, true])),
};
const longUrl = `https://shop.test/search?state=${'s'.repeat(20_000)}`;
const longUserId = `user-${'9'.repeat(5_000)}`;
const longEventName = 'e'.repeat(EVENT_NAME_MAX_LENGTH + 1);

describe.each<[string, () => Promise<Database>]>([
  [
    'SQLite',
    async () => {
      const filename = join(directory, 'limits.db');
      return {
        open: () => Promise.resolve(createSqliteStore({ filename })),
        stateLength: async (sessionId) => {
          const [row] = tableRows(
            filename,
            `SELECT length(state) AS length FROM sessions WHERE id = '${sessionId}'`,
          );
          return (row as { length: number }).length;
        },
      };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      postgres ??= await startTestPostgres();
      const connectionString = await postgres.createDatabase();
      return {
        open: () => createPostgresStore({ connectionString }),
        stateLength: async (sessionId) => {
          const client = new pg.Client({ connectionString });
          await client.connect();
          try {
            const result = await client.query('SELECT length(state) AS length FROM sessions WHERE id = $1', [
              sessionId,
            ]);
            return Number(result.rows[0].length);
          } finally {
            await client.end();
          }
        },
      };
    },
  ],
])('session summary limits over HTTP on %s', (_, makeDatabase) => {
  it('bounds traits, URLs, the user id and event names in the summary, and keeps them whole in the recording', async () => {
    const database = await makeDatabase();
    const store = await database.open();
    const replayServer = createReplayServer({ store, projects: TEST_PROJECTS, onError: () => {} });
    const node = await startNodeServer({ server: replayServer, port: 0 });
    const read = async <T>(path: string): Promise<T> => {
      const response = await fetch(readRequest(path, { baseUrl: node.url }));
      expect(response.status).toBe(200);
      return (await response.json()) as T;
    };
    try {
      const batches = [
        batch('big-user', [
          meta(T0, longUrl),
          fullSnapshot(T0 + 1),
          custom(T0 + 2, '$identify', { userId: longUserId, traits: userObject }),
          custom(T0 + 3, longEventName),
        ]),
        // Later batches rewrite the state: it stays bounded.
        batch('big-user', [click(T0 + 4), custom(T0 + 5, 'checkout')], { seq: 1 }),
        batch('big-user', [click(T0 + 6)], { seq: 2 }),
      ];
      for (const body of batches) {
        const response = await fetch(ingestRequest(body, { baseUrl: node.url }));
        expect(response.status).toBe(200);
        await response.body?.cancel();
      }

      const { sessions } = await read<SessionListResponse>(API_PATHS.sessions);
      const { session } = await read<SessionResponse>(API_PATHS.session('big-user'));
      expect(sessions).toEqual([session]);
      const traits = session.userTraits as Record<string, unknown>;
      expect(traits.plan).toBe('team');
      expect(traits.avatar).toBe(`${avatar.slice(0, USER_TRAIT_VALUE_MAX_LENGTH - 1)}${TRUNCATION_MARKER}`);
      expect(traits).not.toHaveProperty('preferences');
      expect(Object.keys(traits)).toHaveLength(USER_TRAITS_MAX_KEYS);
      // preferences, the long name, and the flags past the limit (the note takes one's place).
      expect(traits[DROPPED_TRAITS_KEY]).toBe(Object.keys(userObject).length - (USER_TRAITS_MAX_KEYS - 1));
      expect(session.firstUrl).toBe(`${longUrl.slice(0, SUMMARY_URL_MAX_LENGTH - 1)}${TRUNCATION_MARKER}`);
      expect(session.urls).toEqual([session.firstUrl]);
      expect(session.userId).toBe(
        `${longUserId.slice(0, SUMMARY_USER_ID_MAX_LENGTH - 1)}${TRUNCATION_MARKER}`,
      );
      expect(session.customEventNames).toEqual(['checkout']);
      expect(session).toMatchObject<Partial<SessionSummary>>({ eventCount: 7, clickCount: 2 });
      // The state rewritten with each batch holds the bounded summary, not the 300 KB sent.
      const sent = batches.reduce((total, body) => total + JSON.stringify(body).length, 0);
      expect(sent).toBeGreaterThan(300_000);
      expect(await database.stateLength('big-user')).toBeLessThan(JSON.stringify(session).length + 1_000);

      // The recording keeps every trait, the whole URL, user id and event name.
      const { events } = await read<SessionEventsResponse>(API_PATHS.sessionEvents('big-user'));
      expect(events).toHaveLength(7);
      expect(events[0]?.data).toMatchObject({ href: longUrl });
      expect(events[2]?.data).toEqual({
        tag: '$identify',
        payload: { userId: longUserId, traits: userObject },
      });
      expect(events[3]?.data).toMatchObject({ tag: longEventName });
    } finally {
      replayServer.close();
      await node.close();
      await store.close();
    }
  });
});
