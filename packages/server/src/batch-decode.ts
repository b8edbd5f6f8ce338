/**
 * The CPU-heavy part of ingesting one batch, as one pure step: inflate, decode, parse,
 * validate, correct the clock, and derive the summary, markers and event index. It runs
 * on the main thread or in an ingest worker (`./ingest-pool`), with the same result and
 * the same refusals either way.
 */
import { isUtf8 } from 'node:buffer';
import { type BatchSummary, type IngestBatch, restoreWireTimestamps, summarizeBatch } from '@replaykit/core';
import { acceptBatch, checkBatch } from './batch-check';
import { scanBatch } from './batch-scan';
import { BodyError, decodeUtf8, gunzipLimited, isGzip } from './body';
import { batchMarkers, type ClockSkewLimits, clockOffset, eventProperties, shiftEvents } from './ingest';
import type { EventPropertyRow } from './store';

/**
 * Deepest nesting of objects and arrays accepted in one event (a full snapshot nests two
 * levels per element, so about 1,500 elements deep). `JSON.parse` reads any depth, but
 * writing events back out (`/events`, `/chunks`) and rebuilding them in the player recurse:
 * an event far deeper than this would make its whole session unreadable, so it is refused.
 */
export const MAX_EVENT_NESTING = 3_000;

/** Whether a value nests objects and arrays at most `levels` deep. */
function nestsWithin(value: object, levels: number): boolean {
  if (levels === 0) {
    return false;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'object' && item !== null && !nestsWithin(item, levels - 1)) {
        return false;
      }
    }
    return true;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null && !nestsWithin(item, levels - 1)) {
      return false;
    }
  }
  return true;
}

/** The limits that apply while decoding a batch (a subset of the server's limits). */
export interface DecodeLimits extends ClockSkewLimits {
  maxDecompressedBytes: number;
  maxEventBytes: number;
}

/** A valid batch, reduced to what the store needs besides its body. */
export interface DecodedBatch {
  ok: true;
  sessionId: string;
  windowId: string;
  seq: number;
  timestampOffsetMs: number;
  summary: BatchSummary;
  /**
   * The batch's timeline markers as stored: the JSON of core's `TimelineMarker[]`, written
   * once here (off the main thread when decoding runs in an ingest worker).
   */
  markersJson: string;
  /** The markers' size as stored (UTF-8 bytes of `markersJson`; 0 when there are none), counted with the body. */
  markerBytes: number;
  eventProperties: EventPropertyRow[];
}

/** A batch refused for what it holds, with the answer the client gets. */
export interface BatchRefusal {
  ok: false;
  status: 400 | 413;
  code: 'invalid_json' | 'invalid_batch' | 'invalid_encoding' | 'body_too_large' | 'event_too_large';
  message: string;
  /** The index of the event the batch is refused for, when it is one event's fault. */
  event?: number;
}

function refuse(
  status: BatchRefusal['status'],
  code: BatchRefusal['code'],
  message: string,
  event?: number,
): BatchRefusal {
  return { ok: false, status, code, message, event };
}

/**
 * The refusal of a body that could not be read, the same whether it was read on the request's
 * thread or decoded in a worker. A timeout and an incomplete body have none (they happen only
 * while the request is read, and their answers also close the connection), so they are thrown on.
 */
export function bodyErrorRefusal(error: BodyError): BatchRefusal {
  switch (error.reason) {
    case 'decompressed_too_large':
    case 'too_large':
      return refuse(413, 'body_too_large', error.message);
    case 'invalid_encoding':
      return refuse(400, 'invalid_encoding', error.message);
    case 'invalid_utf8':
      return refuse(400, 'invalid_json', error.message);
    case 'timeout':
    case 'incomplete':
      throw error;
    default:
      error.reason satisfies never;
      throw error;
  }
}

/**
 * Most bytes `JSON.stringify` adds to a number written with an exponent (`9e20` becomes
 * `900000000000000000000`); other text never comes out longer than it was sent.
 */
const EXPONENT_GROWTH_MAX = 17;

/**
 * Whether a body of `byteLength` bytes, with at most `exponents` numbers written with an
 * exponent, may hold an event larger than `maxEventBytes` as JSON: else no event is measured.
 */
function mayHoldEventOver(byteLength: number, exponents: number, maxEventBytes: number): boolean {
  return byteLength + EXPONENT_GROWTH_MAX * exponents > maxEventBytes;
}

/**
 * How many digits of `json` an `e` or `E` follows: at least its numbers written with an
 * exponent (strings count too, which only makes the per-event size measured more often).
 */
function digitsBeforeE(json: string): number {
  let count = 0;
  for (let index = 1; index < json.length; index++) {
    // `| 0x20` lowers E to e.
    if ((json.charCodeAt(index) | 0x20) === 0x65) {
      const before = json.charCodeAt(index - 1);
      if (before >= 0x30 && before <= 0x39) {
        count++;
      }
    }
  }
  return count;
}

/**
 * The batch read the fast way (`./batch-scan`), when it is accepted as is: a body of valid
 * UTF-8 that cannot hold an event over the per-event limit, that is valid JSON and a valid
 * batch. Anything else, refusals included, is read by `parsedBatch`.
 */
function scannedBatch(bytes: Uint8Array, limits: DecodeLimits): IngestBatch | undefined {
  if (bytes.byteLength > limits.maxEventBytes || !isUtf8(bytes)) {
    return undefined;
  }
  const scanned = scanBatch(bytes, MAX_EVENT_NESTING, BATCH_VALUES_MAX);
  if (scanned === undefined || mayHoldEventOver(bytes.byteLength, scanned.exponents, limits.maxEventBytes)) {
    return undefined;
  }
  restoreWireTimestamps(scanned);
  return acceptBatch(scanned);
}

/** The length of `text` in UTF-8 bytes, as the limits count (UTF-16 units undercount anything beyond ASCII). */
function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0x80) {
      // 2 bytes below U+0800, 3 from there; the two units of a surrogate pair take 4 in all.
      bytes += unit < 0x800 || (unit >= 0xd800 && unit <= 0xdfff) ? 1 : 2;
    }
  }
  return bytes;
}

/**
 * Most JSON values a batch may hold, counted as its objects, arrays and the commas between
 * values (outside strings). `JSON.parse` builds every value: 40 KB of gzip inflating to 40 MB
 * of `{},{},…` took 10 s and 1.5 GB to parse, and 100 MB would take the process down. Bodies
 * over it are refused before they are parsed. Real recordings hold one value per 20 bytes or
 * so: a 5 MB full snapshot, the recorder's largest event, about 250,000.
 */
export const BATCH_VALUES_MAX = 2_000_000;

/**
 * Whether `json` holds more than `max` objects, arrays and commas outside its strings (see
 * {@link BATCH_VALUES_MAX}); counted as the scan counts them, and only as far as `max`.
 */
function holdsMoreValuesThan(json: string, max: number): boolean {
  let values = 0;
  let inString = false;
  for (let index = 0; index < json.length; index++) {
    const unit = json.charCodeAt(index);
    if (inString) {
      if (unit === 0x5c) {
        // A backslash: the unit after it is escaped, whatever it is.
        index++;
      } else if (unit === 0x22) {
        inString = false;
      }
    } else if (unit === 0x22) {
      inString = true;
    } else if ((unit === 0x7b || unit === 0x5b || unit === 0x2c) && ++values > max) {
      return true;
    }
  }
  return false;
}

/** The batch parsed with `JSON.parse` and checked in full, or the refusal that says what is wrong with it. */
function parsedBatch(json: string, byteLength: number, limits: DecodeLimits): IngestBatch | BatchRefusal {
  if (json.trim() === '') {
    return refuse(
      400,
      'invalid_json',
      'The request body is empty; send a batch as JSON, optionally gzip-compressed.',
    );
  }
  // A body of fewer bytes cannot hold more values.
  if (json.length > BATCH_VALUES_MAX && holdsMoreValuesThan(json, BATCH_VALUES_MAX)) {
    return refuse(
      413,
      'body_too_large',
      `The batch holds more than ${BATCH_VALUES_MAX} JSON values (objects, arrays and the commas between values); send smaller batches.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    const detail = error instanceof Error ? ` (${error.message})` : '';
    return refuse(
      400,
      'invalid_json',
      `The request body is not valid JSON${detail}; send a batch as JSON, optionally gzip-compressed.`,
    );
  }
  // Format 2: the timestamps are all that ingest reads of the numbers it packs (the body is
  // stored as received and restored in full when read).
  restoreWireTimestamps(parsed);
  const result = checkBatch(parsed);
  if (!result.ok) {
    return refuse(400, 'invalid_batch', `The batch is not valid: ${result.message}.`);
  }
  const { batch } = result;
  // Before the size check: JSON.stringify recurses, and throws on an event nested deeper than the stack.
  const tooDeep = batch.events.findIndex((event) => !nestsWithin(event, MAX_EVENT_NESTING));
  if (tooDeep !== -1) {
    return refuse(
      400,
      'invalid_batch',
      `The batch is not valid: events.${tooDeep} nests objects and arrays more than ${MAX_EVENT_NESTING} levels deep, which replaykit cannot read back; send the batch again without that event (the recorder does so itself).`,
      tooDeep,
    );
  }
  if (
    byteLength > limits.maxEventBytes ||
    mayHoldEventOver(byteLength, digitsBeforeE(json), limits.maxEventBytes)
  ) {
    const index = batch.events.findIndex(
      (event) => utf8ByteLength(JSON.stringify(event)) > limits.maxEventBytes,
    );
    if (index !== -1) {
      return refuse(
        413,
        'event_too_large',
        `events.${index} is larger than ${limits.maxEventBytes} bytes as JSON; the recorder should drop such an event and send a $dropped event instead.`,
        index,
      );
    }
  }
  return batch;
}

/**
 * Earliest event time accepted once a batch's clock is corrected (2000-01-01 UTC, in ms): no
 * recording is older, and a batch whose events all are is moved to the receive time as a whole.
 */
export const EVENT_TIME_MIN = Date.UTC(2000, 0, 1);

/**
 * Decodes one request body as received (gzip recognised by its magic bytes, as sendBeacon
 * cannot set Content-Encoding). `receivedAt` is the server's clock for skew correction.
 */
export async function decodeBatch(
  body: Uint8Array,
  receivedAt: number,
  limits: DecodeLimits,
): Promise<DecodedBatch | BatchRefusal> {
  let batch: IngestBatch | BatchRefusal;
  try {
    const decoded = isGzip(body) ? await gunzipLimited(body, limits.maxDecompressedBytes) : body;
    if (decoded.byteLength > limits.maxDecompressedBytes) {
      return refuse(
        413,
        'body_too_large',
        `The batch is larger than ${limits.maxDecompressedBytes} bytes; send smaller batches.`,
      );
    }
    batch = scannedBatch(decoded, limits) ?? parsedBatch(decodeUtf8(decoded), decoded.byteLength, limits);
  } catch (error) {
    if (!(error instanceof BodyError)) {
      throw error;
    }
    return bodyErrorRefusal(error);
  }
  if ('ok' in batch) {
    return batch;
  }
  const timestampOffsetMs = clockOffset(batch.events, receivedAt, limits, batch.sentAt);
  const events = shiftEvents(batch.events, timestampOffsetMs);
  const summary = summarizeBatch(events);
  // The correction moves a batch as a whole (by its sentAt or its newest event); an event much
  // older than its batch-mates would otherwise start the session decades ago, or land before
  // 1970 once shifted. The summary's start is the earliest corrected time; the event is looked
  // for only to name it.
  if (summary.startedAt < EVENT_TIME_MIN) {
    const early = events.findIndex((event) => event.timestamp < EVENT_TIME_MIN);
    return refuse(
      400,
      'invalid_batch',
      `The batch is not valid: events.${early} is at ${String(batch.events[early]?.timestamp)} ms, which is before 2000 once the batch's clock is corrected; send events of one clock together (the recorder does so itself).`,
      early,
    );
  }
  const markers = batchMarkers(events, batch.windowId, batch.seq);
  const markersJson = JSON.stringify(markers);
  return {
    ok: true,
    sessionId: batch.sessionId,
    windowId: batch.windowId,
    seq: batch.seq,
    timestampOffsetMs,
    summary,
    markersJson,
    markerBytes: markers.length === 0 ? 0 : utf8ByteLength(markersJson),
    eventProperties: eventProperties(events),
  };
}
