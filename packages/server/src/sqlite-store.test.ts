import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUMMARY_LIST_MAX, summarizeBatch } from '@replaykit/core';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore, SQLITE_SCHEMA_VERSION } from './sqlite-store';
import { InvalidCursorError, type PutBatchInput, type Store, type StoredBatch } from './store';
import { click, custom, fullSnapshot, meta, T0 } from './test/support';

let directory: string;
const stores: Store[] = [];

function open(filename: string): Store {
  const store = createSqliteStore({ filename });
  stores.push(store);
  return store;
}

function input(
  sessionId: string,
  events: Parameters<typeof summarizeBatch>[0],
  options: { windowId?: string; seq?: number; projectId?: string } = {},
): PutBatchInput {
  const body = new TextEncoder().encode(
    JSON.stringify({ v: 1, sessionId, windowId: options.windowId ?? 'w1', seq: options.seq ?? 0, events }),
  );
  return {
    projectId: options.projectId ?? 'shop',
    sessionId,
    windowId: options.windowId ?? 'w1',
    seq: options.seq ?? 0,
    receivedAt: Date.now(),
    body,
    encoding: 'identity',
    summary: summarizeBatch(events),
    byteCount: body.byteLength,
  };
}

async function collect(iterable: AsyncIterable<StoredBatch>): Promise<StoredBatch[]> {
  const batches: StoredBatch[] = [];
  for await (const batch of iterable) {
    batches.push(batch);
  }
  return batches;
}

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'replaykit-store-'));
});

afterEach(async () => {
  for (const store of stores.splice(0)) {
    await store.close();
  }
  rmSync(directory, { recursive: true, force: true });
});

describe('createSqliteStore', () => {
  it('creates missing directories, keeps data across reopening and migrates once', async () => {
    const filename = join(directory, 'nested', 'deeper', 'replaykit.db');
    const first = open(filename);
    await first.putBatch(input('s1', [meta(T0), fullSnapshot(T0 + 1)]));
    await first.close();

    const second = open(filename);
    expect(await second.getSession('shop', 's1')).toMatchObject({ eventCount: 2, hasFullSnapshot: true });
    const batches = await collect(second.readBatches('shop', 's1'));
    expect(batches).toHaveLength(1);
    expect(JSON.parse(new TextDecoder().decode(batches[0]!.body)).sessionId).toBe('s1');
    expect((await second.putBatch(input('s1', [meta(T0), fullSnapshot(T0 + 1)]))).duplicate).toBe(true);
    await second.close();
    // Opening a third time must not re-apply any step.
    await open(filename).close();

    const raw = new Database(filename, { readonly: true });
    try {
      const versions = raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
      expect(versions).toEqual(
        Array.from({ length: SQLITE_SCHEMA_VERSION }, (_, index) => ({ version: index + 1 })),
      );
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('refuses a database written by a newer schema, saying what to do', async () => {
    const filename = join(directory, 'future.db');
    await open(filename).close();
    const raw = new Database(filename);
    raw
      .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
      .run(999, 'x', 0);
    raw.close();
    expect(() => createSqliteStore({ filename })).toThrow(/newer than this replaykit.*Upgrade/);
  });

  it('stores bodies byte for byte, with their encoding', async () => {
    const store = open(':memory:');
    const gzipped = { ...input('s1', [meta(T0)]), body: new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]) };
    await store.putBatch({ ...gzipped, encoding: 'gzip' });
    const [stored] = await collect(store.readBatches('shop', 's1'));
    expect(stored?.encoding).toBe('gzip');
    expect([...(stored?.body ?? [])]).toEqual([0x1f, 0x8b, 8, 0, 1, 2, 3]);
  });

  it('merges batches in any order: earliest URL, latest user, summed counts, capped names', async () => {
    const store = open(':memory:');
    const manyNames = Array.from({ length: SUMMARY_LIST_MAX + 10 }, (_, index) =>
      custom(T0 + 300, `event_${index}`),
    );
    await store.putBatch(
      input(
        's1',
        [meta(T0 + 200, 'https://shop.test/late'), custom(T0 + 201, '$identify', { userId: 'late' })],
        {
          seq: 2,
        },
      ),
    );
    await store.putBatch(
      input('s1', [meta(T0, 'https://shop.test/first'), custom(T0 + 1, '$identify', { userId: 'early' })], {
        seq: 0,
      }),
    );
    await store.putBatch(input('s1', [click(T0 + 50), ...manyNames], { windowId: 'w2', seq: 0 }));
    const session = await store.getSession('shop', 's1');
    expect(session).toMatchObject({
      startedAt: T0,
      endedAt: T0 + 300,
      durationMs: 300,
      firstUrl: 'https://shop.test/first',
      userId: 'late',
      clickCount: 1,
      eventCount: 4 + 1 + manyNames.length,
      windowIds: ['w1', 'w2'],
      hasFullSnapshot: false,
    });
    expect(session?.customEventNames).toHaveLength(SUMMARY_LIST_MAX);
  });

  it('reads batches ordered by window then sequence, in pages, and filters by window', async () => {
    const store = open(':memory:');
    // More batches than one read page, sent in reverse, in two windows.
    for (let seq = 149; seq >= 0; seq--) {
      await store.putBatch(input('s1', [click(T0 + seq)], { windowId: seq % 2 === 0 ? 'w-b' : 'w-a', seq }));
    }
    const all = await collect(store.readBatches('shop', 's1'));
    expect(all).toHaveLength(150);
    const order = all.map((batch) => `${batch.windowId}:${batch.seq}`);
    const expected = [
      ...Array.from({ length: 75 }, (_, index) => `w-a:${index * 2 + 1}`),
      ...Array.from({ length: 75 }, (_, index) => `w-b:${index * 2}`),
    ];
    expect(order).toEqual(expected);
    const onlyB = await collect(store.readBatches('shop', 's1', { windowId: 'w-b' }));
    expect(onlyB.map((batch) => batch.seq)).toEqual(Array.from({ length: 75 }, (_, index) => index * 2));
  });

  it('lets other writes run while a session is being read', async () => {
    const store = open(':memory:');
    for (let seq = 0; seq < 100; seq++) {
      await store.putBatch(input('s1', [click(T0 + seq)], { seq }));
    }
    let read = 0;
    for await (const _batch of store.readBatches('shop', 's1')) {
      read++;
      if (read === 1) {
        await store.putBatch(input('s2', [meta(T0)]));
      }
    }
    expect(read).toBe(100);
    expect(await store.getSession('shop', 's2')).toBeDefined();
  });

  it('pages sessions newest first, breaking start-time ties by id, per project', async () => {
    const store = open(':memory:');
    for (const [id, start] of [
      ['a', T0],
      ['b', T0 + 10],
      ['c', T0 + 10],
      ['d', T0 + 20],
    ] as const) {
      await store.putBatch(input(id, [meta(start)]));
    }
    await store.putBatch(input('z', [meta(T0 + 99)], { projectId: 'other' }));
    const first = await store.listSessions('shop', { limit: 3 });
    expect(first.sessions.map((session) => session.id)).toEqual(['d', 'c', 'b']);
    expect(first.nextCursor).not.toBeNull();
    const second = await store.listSessions('shop', { limit: 3, cursor: first.nextCursor });
    expect(second.sessions.map((session) => session.id)).toEqual(['a']);
    expect(second.nextCursor).toBeNull();
    await expect(store.listSessions('shop', { limit: 3, cursor: 'garbage' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });

  it('deletes a session with its batches, only in its project', async () => {
    const store = open(':memory:');
    await store.putBatch(input('s1', [meta(T0)]));
    await store.putBatch(input('s1', [meta(T0)], { projectId: 'other' }));
    expect(await store.deleteSession('shop', 's1')).toBe(true);
    expect(await store.deleteSession('shop', 's1')).toBe(false);
    expect(await collect(store.readBatches('shop', 's1'))).toEqual([]);
    expect(await store.getSession('other', 's1')).toBeDefined();
  });
});
