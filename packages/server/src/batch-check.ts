/**
 * The ingest hot path's batch validation. The zod schema in `@replaykit/core`
 * (`ingestBatchSchema`) stays the contract; this hand-written check accepts exactly what
 * it accepts, several times faster on large event arrays, and leaves every refusal to zod
 * so that error messages are zod's own. `batch-check.test.ts` holds both to agreement on
 * a corpus of good and bad batches.
 */
import {
  BATCH_MAX_EVENTS,
  type BatchParseResult,
  EventType,
  ID_MAX_LENGTH,
  ID_PATTERN,
  type IngestBatch,
  parseBatch,
  type RecordedEvent,
  SEQ_MAX,
  TIMESTAMP_MAX,
  WIRE_VERSION,
  WIRE_VERSION_DELTAS,
} from '@replaykit/core';

const knownEventTypes = new Set<unknown>(
  Object.values(EventType).filter((value) => typeof value === 'number'),
);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= ID_MAX_LENGTH && ID_PATTERN.test(value)
  );
}

/** An event time, or a batch's `sentAt`: a finite number of ms from 0 to `TIMESTAMP_MAX`. */
function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= TIMESTAMP_MAX;
}

function isEvent(value: unknown): value is RecordedEvent {
  if (!isPlainObject(value)) {
    return false;
  }
  return knownEventTypes.has(value.type) && 'data' in value && isTime(value.timestamp);
}

/** The batch when `body` satisfies the wire schema, else undefined (`checkBatch` says why). */
export function acceptBatch(body: unknown): IngestBatch | undefined {
  if (!isPlainObject(body)) {
    return undefined;
  }
  const { v, sessionId, windowId, seq, sentAt, events } = body;
  if (
    (sentAt !== undefined && !isTime(sentAt)) ||
    (v !== WIRE_VERSION && v !== WIRE_VERSION_DELTAS) ||
    !isId(sessionId) ||
    !isId(windowId) ||
    typeof seq !== 'number' ||
    !Number.isSafeInteger(seq) ||
    seq < 0 ||
    seq > SEQ_MAX ||
    !Array.isArray(events) ||
    events.length === 0 ||
    events.length > BATCH_MAX_EVENTS
  ) {
    return undefined;
  }
  for (const event of events) {
    if (!isEvent(event)) {
      return undefined;
    }
  }
  // Like the schema's output: the known fields only, events as sent (they keep unknown keys).
  const batch: IngestBatch = { v, sessionId, windowId, seq, events: events as RecordedEvent[] };
  if (sentAt !== undefined) {
    batch.sentAt = sentAt;
  }
  return batch;
}

/**
 * Validates a parsed JSON body as a batch, with the same outcome and messages as core's
 * `parseBatch`: valid batches skip zod, invalid ones go through it for its message.
 */
export function checkBatch(body: unknown): BatchParseResult {
  const batch = acceptBatch(body);
  return batch ? { ok: true, batch } : parseBatch(body);
}
