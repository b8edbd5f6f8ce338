/**
 * Builders shared by this package's tests: rrweb-shaped events and batches, and requests
 * to a fetch handler. Not exported from the package.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ErrorBody,
  EventType,
  IncrementalSource,
  type IngestBatch,
  MouseInteraction,
  type RecordedEvent,
} from '@replaykit/core';
import Database from 'better-sqlite3';
import { expect } from 'vitest';

/**
 * A start time fixed for the run, an hour ago on a whole second: recent enough that the
 * server's clock-skew correction leaves it alone, round enough to read in assertions.
 */
export const T0 = Math.floor(Date.now() / 1_000) * 1_000 - 3_600_000;

export const WRITE_KEY = 'test-write-key';
export const READ_KEY = 'test-read-key';
export const OTHER_WRITE_KEY = 'other-write-key';
export const OTHER_READ_KEY = 'other-read-key';

export const TEST_PROJECTS = [
  { id: 'shop', writeKey: WRITE_KEY, readKey: READ_KEY },
  { id: 'blog', writeKey: OTHER_WRITE_KEY, readKey: OTHER_READ_KEY },
];

export const meta = (timestamp: number, href = 'https://shop.test/'): RecordedEvent => ({
  type: EventType.Meta,
  data: { href, width: 1280, height: 720 },
  timestamp,
});

export const fullSnapshot = (timestamp: number): RecordedEvent => ({
  type: EventType.FullSnapshot,
  data: { node: { type: 0, childNodes: [], id: 1 }, initialOffset: { top: 0, left: 0 } },
  timestamp,
});

export const click = (timestamp: number): RecordedEvent => ({
  type: EventType.IncrementalSnapshot,
  data: { source: IncrementalSource.MouseInteraction, type: MouseInteraction.Click, id: 5, x: 10, y: 20 },
  timestamp,
});

export const custom = (timestamp: number, tag: string, payload: unknown = {}): RecordedEvent => ({
  type: EventType.Custom,
  data: { tag, payload },
  timestamp,
});

export function batch(
  sessionId: string,
  events: RecordedEvent[],
  options: { windowId?: string; seq?: number } = {},
): IngestBatch {
  return { v: 1, sessionId, windowId: options.windowId ?? 'window-1', seq: options.seq ?? 0, events };
}

/** The recorder's flush delay: it sends what 2 s of a page's events hold as one batch. */
const RECORDER_BATCH_MS = 2_000;

/** A recording as the recorder batches it for one window: a batch per 2 s of events, in order. */
export function recorderBatches(sessionId: string, events: RecordedEvent[], windowId: string): IngestBatch[] {
  const groups: RecordedEvent[][] = [];
  let start = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    if (event.timestamp - start >= RECORDER_BATCH_MS || groups.length === 0) {
      groups.push([]);
      start = event.timestamp;
    }
    groups[groups.length - 1]?.push(event);
  }
  return groups.map((group, seq) => batch(sessionId, group, { windowId, seq }));
}

/**
 * The events of a real rrweb recording of the demo shop in `stories/fixtures` (a file holds
 * one recording's events, or one recording per tab).
 */
export function recordedFixture(name: string): RecordedEvent[] {
  const file = join(dirname(fileURLToPath(import.meta.url)), '../../../../stories/fixtures', name);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as RecordedEvent[] | { events: RecordedEvent[] }[];
  return parsed.flatMap((item) => ('events' in item ? item.events : [item]));
}

/** The rows `sql` gives on a read-only connection of its own to the SQLite file `filename`. */
export function tableRows(filename: string, sql: string): unknown[] {
  const db = new Database(filename, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

/** A POST to the ingest route; the body is sent as given (string or bytes). */
export function ingestRequest(
  body: string | Uint8Array | object,
  options: { key?: string | null; headers?: Record<string, string>; baseUrl?: string; query?: string } = {},
): Request {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const key = options.key === undefined ? WRITE_KEY : options.key;
  if (key !== null) {
    headers['x-replaykit-key'] = key;
  }
  const payload =
    typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body satisfies object);
  return new Request(`${options.baseUrl ?? 'http://replaykit.test'}/v1/ingest${options.query ?? ''}`, {
    method: 'POST',
    headers,
    body: payload as BodyInit,
  });
}

/** A request to the read API with a bearer key (null: no Authorization header). */
export function readRequest(
  path: string,
  options: { key?: string | null; method?: string; baseUrl?: string; headers?: Record<string, string> } = {},
): Request {
  const key = options.key === undefined ? READ_KEY : options.key;
  return new Request(`${options.baseUrl ?? 'http://replaykit.test'}${path}`, {
    method: options.method ?? 'GET',
    headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...options.headers },
  });
}

/** Asserts an error answer: its status, its code and a message long enough to say what to fix; returns the body. */
export async function expectError(response: Response, status: number, code: string): Promise<ErrorBody> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(20);
  return body;
}
