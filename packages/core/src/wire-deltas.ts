/**
 * Wire format 2: format 1 with the numbers that move by small steps through a recording
 * written as differences. Timestamps, node ids (`id`, `parentId`, `nextId`), the pointer's
 * `x`/`y` and mouse-move `timeOffset`s change a little from one event to the next, but deflate
 * sees each as fresh digits; as the difference to the previous number of the same kind they
 * become the same few characters again and again. On the bench's mutation storm this makes
 * the gzip body a third smaller than plain gzip of the same events, on its interaction script
 * a few percent.
 *
 * The rules, applied to the batch as parsed (JavaScript's property order, which
 * `JSON.stringify` and `JSON.parse` keep):
 * - each event's `timestamp` is the difference to the previous event's integer timestamp
 *   (the first to zero);
 * - inside the `data` of snapshot events (full snapshots, type 2, and incremental ones, type
 *   3), every integer under one of the keys `id`, `parentId`, `nextId`, `timeOffset`, `x`, `y`,
 *   at any depth, is the difference to the previous such integer under the same key in the
 *   batch.
 * Fractions are left as they are on both sides; custom events, meta and the rest are not
 * touched, so the server reads what it indexes (timestamps aside) without restoring anything.
 */

import { EventType } from './events';
import { WIRE_VERSION, WIRE_VERSION_DELTAS } from './wire';

/** The keys whose integers inside snapshot data are differences. */
const DATA_KEYS: ReadonlySet<string> = new Set(['id', 'parentId', 'nextId', 'timeOffset', 'x', 'y']);

/**
 * Encodes a format 1 body as the recorder writes it (valid JSON, `v` 1, an array of event
 * objects) as format 2. A body holding an integer too large to subtract exactly under one of
 * the rules, or one it cannot walk (nested deeper than the stack allows), comes back
 * unchanged: format 1 stays valid, and no batch is lost to its packing.
 *
 * Self-contained on purpose (no outside names): the recorder's compression worker runs this
 * function's own source text, so it repeats the rules above instead of importing them.
 */
export function encodeWireDeltas(text: string): string {
  try {
    const batch = JSON.parse(text) as { v: number; events: Array<Record<string, unknown>> };
    const last: Record<string, number> = {};
    /** Writes `record[key]` as a difference when it is an integer; true when it was. */
    const shift = (record: Record<string, unknown>, key: string): boolean => {
      const value = record[key];
      if (!Number.isInteger(value)) {
        return false;
      }
      // Differences of integers below 10^13 (under 2^44) stay exact integers, on both sides.
      // No `**` here: a host building for older browsers turns it into a helper of its bundle,
      // which the recorder's worker (running this function's source text) lacks.
      if (Math.abs(value as number) >= 1e13) {
        throw value;
      }
      record[key] = (value as number) - (last[key] ?? 0);
      last[key] = value as number;
      return true;
    };
    // Objects and arrays alike: `for…in` visits an array's indexes in order.
    const walk = (value: unknown): void => {
      if (value && typeof value === 'object') {
        const record = value as Record<string, unknown>;
        for (const key in record) {
          if (!(/^(id|parentId|nextId|timeOffset|x|y)$/.test(key) && shift(record, key))) {
            walk(record[key]);
          }
        }
      }
    };
    for (const event of batch.events) {
      shift(event, 'timestamp');
      if (event.type === 2 || event.type === 3) {
        walk(event.data);
      }
    }
    batch.v = 2;
    return JSON.stringify(batch);
  } catch {
    return text;
  }
}

/** True for a parsed format 2 batch (an object with `v` 2 and an array of events). */
function isDeltaBatch(batch: unknown): batch is { v: number; events: unknown[] } {
  const candidate = batch as { v?: unknown; events?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.v === WIRE_VERSION_DELTAS &&
    Array.isArray(candidate.events)
  );
}

/** Adds up the events' timestamps, in place. */
function restoreTimestamps(events: readonly unknown[]): void {
  let last = 0;
  for (const event of events) {
    if (typeof event === 'object' && event !== null) {
      const record = event as { timestamp?: unknown };
      if (Number.isInteger(record.timestamp)) {
        last += record.timestamp as number;
        record.timestamp = last;
      }
    }
  }
}

/**
 * Restores the events' timestamps of a parsed format 2 batch, in place: all the server needs
 * at ingest (validation, clock correction, summary, markers). Anything else is left as it is.
 */
export function restoreWireTimestamps(batch: unknown): void {
  if (isDeltaBatch(batch)) {
    restoreTimestamps(batch.events);
  }
}

/**
 * Parses a batch body of either format as recorded: a format 2 body's numbers (timestamps,
 * and the snapshot data's ids and coordinates) are restored and it comes back as format 1.
 * Throws what `JSON.parse` throws.
 */
export function parseWireBody(text: string): unknown {
  const batch: unknown = JSON.parse(text);
  if (!isDeltaBatch(batch)) {
    return batch;
  }
  restoreTimestamps(batch.events);
  const last: Record<string, number> = {};
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) {
        walk(item);
      }
    } else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      for (const key in record) {
        const item = record[key];
        if (Number.isInteger(item) && DATA_KEYS.has(key)) {
          const restored = (item as number) + (last[key] ?? 0);
          last[key] = restored;
          record[key] = restored;
        } else {
          walk(item);
        }
      }
    }
  };
  for (const event of batch.events as Array<{ type?: unknown; data?: unknown }>) {
    // Full and incremental snapshots: the events whose data carries the counting numbers.
    const type = typeof event === 'object' && event !== null ? event.type : undefined;
    if (type === EventType.FullSnapshot || type === EventType.IncrementalSnapshot) {
      walk(event.data);
    }
  }
  batch.v = WIRE_VERSION;
  return batch;
}
