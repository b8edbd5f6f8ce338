// The same recorded events sent as wire format 1 to one server and as format 2 to another
// must read back identically everywhere: session summary, markers, clock correction, events,
// the chunk stream (and its resumption), the session list and its filters. The events are a
// real rrweb recording of the demo shop (full snapshot, mutations, mouse moves, inputs,
// canvas, custom events), batched as the recorder batches them.
import { gzipSync } from 'node:zlib';
import {
  API_PATHS,
  encodeWireDeltas,
  type RecordedEvent,
  type SessionChunk,
  type SessionResponse,
} from '@replaykit/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReplayServer, type ReplayServer } from './app';
import { shiftEvents } from './ingest';
import { createSqliteStore } from './sqlite-store';
import type { Store } from './store';
import { ingestRequest, readRequest, recordedFixture, recorderBatches, TEST_PROJECTS } from './test/support';

const recorded = recordedFixture('checkout-session.json');
/** How far the client's clock is ahead of the server's: past the skew limit, so every batch is moved. */
const SKEW_MS = 3 * 3_600_000;

interface Side {
  store: Store;
  server: ReplayServer;
}

const sides: Side[] = [];

function makeSide(): Side {
  const store = createSqliteStore({ filename: ':memory:' });
  const side = { store, server: createReplayServer({ store, projects: TEST_PROJECTS, onError: () => {} }) };
  sides.push(side);
  return side;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});

afterEach(async () => {
  vi.useRealTimers();
  for (const side of sides.splice(0)) {
    await side.store.close();
  }
});

async function read(side: Side, path: string): Promise<string> {
  const response = await side.server.fetch(readRequest(path));
  expect(response.status, path).toBe(200);
  return response.text();
}

/** Everything the read API says about a session, with the stored byte count set aside. */
async function readAll(side: Side, sessionId: string, windowIds: string[]) {
  const session = JSON.parse(await read(side, API_PATHS.session(sessionId))) as SessionResponse;
  // The bodies are stored as received: format 2 ones are smaller.
  session.session.byteCount = 0;
  const chunks = (await read(side, API_PATHS.sessionChunks(sessionId)))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SessionChunk);
  const resumed = await Promise.all(
    windowIds.map((windowId) =>
      read(side, `${API_PATHS.sessionChunks(sessionId)}?windowId=${windowId}&fromSeq=2`),
    ),
  );
  const list = JSON.parse(await read(side, `${API_PATHS.sessions}?limit=10`)) as {
    sessions: Array<{ byteCount?: number }>;
  };
  for (const item of list.sessions) {
    item.byteCount = 0;
  }
  return {
    session,
    chunks,
    resumed,
    events: JSON.parse(await read(side, API_PATHS.sessionEvents(sessionId))) as { events: RecordedEvent[] },
    window: JSON.parse(await read(side, `${API_PATHS.sessionEvents(sessionId)}?windowId=${windowIds[0]}`)),
    list,
  };
}

describe('wire format 1 and format 2 read back the same', () => {
  it.each([
    ['each batch sent as it is recorded, without sentAt', false],
    ['every batch sent at once from a queue, with sentAt', true],
  ])(
    'for a real recording, with the client clock hours off, in two windows, sent twice: %s',
    async (_name, queued) => {
      const plain = makeSide();
      const packed = makeSide();
      // Two tabs: the second replays the same recording 3 s later.
      const windows = [
        recorderBatches('parity-1', recorded, 'window-a'),
        recorderBatches(
          'parity-1',
          recorded.map((event) => ({ ...event, timestamp: event.timestamp + 3_000 })),
          'window-b',
        ),
      ];
      const all = windows.flat();
      expect(all.length).toBeGreaterThan(4);
      const newest = (events: RecordedEvent[]) => Math.max(...events.map((event) => event.timestamp));
      // Queued: the server receives every batch a minute after the recording ended, and each
      // says when it was sent by the client's clock, which only sentAt can tell from the events.
      const burstAt = newest(all.flatMap((item) => item.events)) + 60_000 - SKEW_MS;
      const sent = (item: (typeof all)[number], later = 0) =>
        queued ? { ...item, sentAt: burstAt + SKEW_MS + later } : item;
      for (const item of all) {
        const text = JSON.stringify(sent(item));
        const encoded = encodeWireDeltas(text);
        expect(encoded.startsWith('{"v":2,')).toBe(true);
        for (const [side, body] of [
          [plain, gzipSync(text)],
          [packed, gzipSync(encoded)],
        ] as const) {
          vi.setSystemTime(queued ? burstAt : newest(item.events) - SKEW_MS);
          const response = await side.server.fetch(ingestRequest(body));
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ ok: true, duplicate: false });
        }
      }
      // Resent (a retry after a lost answer, with a later sentAt when queued): a duplicate
      // either way, in either format.
      const again = JSON.stringify(sent(all[1] as (typeof all)[number], 5_000));
      for (const [side, body] of [
        [plain, gzipSync(encodeWireDeltas(again))],
        [packed, gzipSync(again)],
        [packed, gzipSync(encodeWireDeltas(again))],
      ] as const) {
        const response = await side.server.fetch(ingestRequest(body));
        expect(await response.json()).toEqual({ ok: true, duplicate: true });
      }
      const windowIds = ['window-a', 'window-b'];
      const fromPlain = await readAll(plain, 'parity-1', windowIds);
      const fromPacked = await readAll(packed, 'parity-1', windowIds);
      expect(fromPacked).toEqual(fromPlain);
      // The clock was corrected, and the events are the recording's, moved as a whole: their
      // times, and a request's startedAt (the same clock's).
      const firstWindow = fromPacked.chunks
        .filter((chunk) => chunk.windowId === 'window-a')
        .flatMap((chunk) => chunk.events);
      expect(firstWindow).toEqual(shiftEvents(recorded, -SKEW_MS));
      expect(recorded.some((event) => JSON.stringify(event).includes('"startedAt"'))).toBe(true);
      expect(fromPacked.session.markers.length).toBeGreaterThan(0);
    },
  );
});
