/**
 * The promise that matters most: a batch the server acknowledged survives the server
 * being killed without warning, and resending never stores a batch twice.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { API_PATHS, type SessionChunk, type SessionResponse } from '@replaykit/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from './test/postgres';
import { spawnServe } from './test/serve-process';
import { batch, custom, ingestRequest, READ_KEY, readRequest, T0, WRITE_KEY } from './test/support';

const TEST_TIMEOUT_MS = 60_000;
/** Concurrent clients, each its own window of one session. */
const CLIENTS = 4;
/** Acknowledged batches to wait for before the kill. */
const ACKS_BEFORE_KILL = 60;
const EVENTS_PER_BATCH = 20;

const children: ChildProcess[] = [];
let directory: string | undefined;
/** Started by the PostgreSQL case only, so that the SQLite case runs without PostgreSQL. */
let postgres: TestPostgres | undefined;

afterAll(async () => {
  await postgres?.stop();
});

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }
  if (directory) {
    rmSync(directory, { recursive: true, force: true });
    directory = undefined;
  }
});

/** Where the server stores: `--db` and a SQLite file, or `--database-url` and a PostgreSQL database. */
type Database = readonly [flag: '--db' | '--database-url', where: string];

async function startServer(database: Database): Promise<{ child: ChildProcess; url: string }> {
  // spawnServe runs the server itself, not the tsx CLI around it, so SIGKILL really kills it.
  const server = await spawnServe([
    '--port',
    '0',
    '--quiet',
    ...database,
    '--write-key',
    WRITE_KEY,
    '--read-key',
    READ_KEY,
  ]);
  children.push(server.child);
  return server;
}

function batchBody(windowId: string, seq: number): Uint8Array {
  const events = Array.from({ length: EVENTS_PER_BATCH }, (_, index) =>
    custom(T0 + seq * 100 + index, 'tick', { windowId, seq, index }),
  );
  return gzipSync(JSON.stringify(batch('crash-session', events, { windowId, seq })));
}

describe.each([
  [
    'SQLite',
    async (): Promise<Database> => {
      directory = mkdtempSync(join(tmpdir(), 'replaykit-crash-'));
      return ['--db', join(directory, 'replaykit.db')];
    },
  ],
  [
    'PostgreSQL',
    async (): Promise<Database> => {
      postgres ??= await startTestPostgres();
      return ['--database-url', await postgres.createDatabase()];
    },
  ],
])('crash safety on %s', (_, openDatabase) => {
  it(
    'keeps every acknowledged batch, once, when the server is SIGKILLed while clients send',
    async () => {
      const db = await openDatabase();
      const first = await startServer(db);
      const acknowledged = new Set<string>();
      let killed = false;
      let onEnoughAcks: () => void = () => {};
      const enoughAcks = new Promise<void>((resolve) => {
        onEnoughAcks = resolve;
      });

      // Each client sends its window's batches one after another, like a recorder.
      const clients = Array.from({ length: CLIENTS }, async (_, client) => {
        const windowId = `window-${client}`;
        for (let seq = 0; !killed; seq++) {
          try {
            const response = await fetch(
              ingestRequest(batchBody(windowId, seq), {
                baseUrl: first.url,
                headers: { 'content-type': 'text/plain' },
              }),
            );
            if (response.status === 200) {
              acknowledged.add(`${windowId}:${seq}`);
              if (acknowledged.size >= ACKS_BEFORE_KILL) {
                onEnoughAcks();
              }
            }
          } catch {
            // The connection died with the server: this batch was not acknowledged.
            return seq;
          }
        }
        return -1;
      });
      await enoughAcks;
      first.child.kill('SIGKILL');
      killed = true;
      await new Promise((resolve) => first.child.once('exit', resolve));
      // The process that served the batches is gone (signal 0 only checks it exists).
      expect(() => process.kill(first.child.pid as number, 0)).toThrow();
      await Promise.all(clients);

      const second = await startServer(db);
      const response = await fetch(
        readRequest(API_PATHS.sessionChunks('crash-session'), { baseUrl: second.url }),
      );
      expect(response.status).toBe(200);
      const chunks = (await response.text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as SessionChunk);
      const stored = chunks.map((chunk) => `${chunk.windowId}:${chunk.seq}`);
      // None twice.
      expect(new Set(stored).size).toBe(stored.length);
      // Every acknowledged one is there, whole.
      for (const key of acknowledged) {
        expect(stored).toContain(key);
      }
      for (const chunk of chunks) {
        expect(chunk.events).toHaveLength(EVENTS_PER_BATCH);
      }
      // The summary agrees with the batches: no half-applied transaction.
      const session = (
        (await (
          await fetch(readRequest(API_PATHS.session('crash-session'), { baseUrl: second.url }))
        ).json()) as SessionResponse
      ).session;
      expect(session.eventCount).toBe(chunks.length * EVENTS_PER_BATCH);

      // Clients resend everything they may have lost: repeats are acknowledged, not stored again.
      for (const key of stored.slice(0, 10)) {
        const [windowId = '', seq = '0'] = key.split(':');
        const resent = await fetch(
          ingestRequest(batchBody(windowId, Number(seq)), {
            baseUrl: second.url,
            headers: { 'content-type': 'text/plain' },
          }),
        );
        expect(await resent.json()).toEqual({ ok: true, duplicate: true });
      }
      const after = (
        (await (
          await fetch(readRequest(API_PATHS.session('crash-session'), { baseUrl: second.url }))
        ).json()) as SessionResponse
      ).session;
      expect(after.eventCount).toBe(session.eventCount);
      second.child.kill('SIGTERM');
    },
    TEST_TIMEOUT_MS,
  );
});
