import { z } from 'zod';
import { EventType, type RecordedEvent } from './events';

/** Version of the batch wire format; a batch with another version is refused. */
export const WIRE_VERSION = 1;

/** The ingest route, relative to the server's base URL. */
export const INGEST_PATH = '/v1/ingest';

/** Header that carries the public write key (the query parameter `key` works too, for sendBeacon). */
export const WRITE_KEY_HEADER = 'x-replaykit-key';

/** Query parameter that carries the write key where headers cannot be set (sendBeacon). */
export const WRITE_KEY_QUERY = 'key';

/** Longest session or window id accepted, in characters. */
export const ID_MAX_LENGTH = 64;

/** Characters allowed in session and window ids: letters, digits, `-` and `_`. */
export const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Largest sequence number accepted (fits exactly in a double and in a SQL BIGINT). */
export const SEQ_MAX = Number.MAX_SAFE_INTEGER;

/** Most events accepted in one batch. */
export const BATCH_MAX_EVENTS = 100_000;

/**
 * One request body sent by the recorder. A batch is identified by
 * `(sessionId, windowId, seq)`: `seq` increases by one per batch within a window, so the
 * server can drop repeats and serve batches in order.
 */
export interface IngestBatch {
  v: typeof WIRE_VERSION;
  sessionId: string;
  windowId: string;
  seq: number;
  events: RecordedEvent[];
}

/** The server's answer to an accepted batch. */
export interface IngestResponse {
  ok: true;
  /** True when this `(sessionId, windowId, seq)` had been stored before: nothing new was written. */
  duplicate: boolean;
}

/** The body of every error answer from the server. */
export interface ErrorBody {
  error: {
    /** Stable, machine-readable code such as `invalid_batch` or `missing_key`. */
    code: string;
    /** What went wrong and how to fix it, for a person. */
    message: string;
  };
}

const idSchema = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, { error: `${what} must not be empty` })
    .max(ID_MAX_LENGTH, { error: `${what} must be at most ${ID_MAX_LENGTH} characters` })
    .regex(ID_PATTERN, { error: `${what} may contain only letters, digits, "-" and "_"` });

const knownEventTypes = new Set<number>(Object.values(EventType));

export const recordedEventSchema = z.looseObject({
  type: z
    .number({ error: 'event.type must be a number' })
    .int()
    .refine((type) => knownEventTypes.has(type), {
      error: 'event.type must be an rrweb event type (0 to 6)',
    }),
  data: z.unknown(),
  timestamp: z
    .number({ error: 'event.timestamp must be a number of milliseconds since 1970' })
    .finite({ error: 'event.timestamp must be finite' })
    .nonnegative({ error: 'event.timestamp must not be negative' }),
});

export const ingestBatchSchema = z.object({
  v: z.literal(WIRE_VERSION, { error: `v must be ${WIRE_VERSION}, the wire format version` }),
  sessionId: idSchema('sessionId'),
  windowId: idSchema('windowId'),
  seq: z
    .number({ error: 'seq must be a number' })
    .int({ error: 'seq must be a whole number' })
    .min(0, { error: 'seq must not be negative' })
    .max(SEQ_MAX, { error: 'seq is too large' }),
  events: z
    .array(recordedEventSchema, { error: 'events must be an array of rrweb events' })
    .min(1, { error: 'events must not be empty' })
    .max(BATCH_MAX_EVENTS, { error: `a batch may hold at most ${BATCH_MAX_EVENTS} events` }),
});

export type BatchParseResult = { ok: true; batch: IngestBatch } | { ok: false; message: string };

/**
 * Validates an already parsed JSON body as a batch. The message of a failure names the
 * first offending field and what it must be.
 */
export function parseBatch(body: unknown): BatchParseResult {
  const result = ingestBatchSchema.safeParse(body);
  if (result.success) {
    return { ok: true, batch: result.data as IngestBatch };
  }
  const issue = result.error.issues[0];
  const path = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return { ok: false, message: `${path}${issue?.message ?? 'invalid batch'}` };
}

/** True when a string may be used as a session or window id. */
export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= ID_MAX_LENGTH && ID_PATTERN.test(id);
}
