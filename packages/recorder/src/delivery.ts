import { type DroppedPayload, WIRE_VERSION } from '@replaykit/core';
import {
  BATCH_SEQ_STRIDE,
  MEMORY_MAX_BYTES,
  RETRY_AFTER_MAX_MS,
  RETRY_BASE_DELAY_MS,
  RETRY_MAX_DELAY_MS,
} from './limits';

/**
 * A batch on its way to the server. Events are kept as their JSON text, serialised once
 * when they were recorded: the size caps are exact and the body is a string concatenation.
 */
export interface OutgoingBatch {
  sessionId: string;
  windowId: string;
  seq: number;
  /** Each event's JSON. */
  events: string[];
  /** Sum of the events' JSON lengths. */
  bytes: number;
  /** When the batch was sealed (ms since 1970); persisted batches are resent in this order. */
  createdAt: number;
}

/** The outcome of one delivery attempt. */
export type SendResult =
  | { kind: 'sent' }
  /** `status`: the server's (or a proxy's) answer; none after a network error. */
  | { kind: 'retry'; afterMs?: number; reason: string; status?: number }
  /** A 413; `index` is the one event it names (one over the server's per-event limit), if any. */
  | { kind: 'too_large'; index?: number }
  | { kind: 'rejected'; status: number; reason: string }
  /** A 400 naming one event of the batch (one a server cannot store, such as one nested too deep). */
  | { kind: 'rejected_event'; index: number; reason: string };

/** Where unsent batches survive a reload (IndexedDB in browsers). */
export interface BatchStore {
  put(batch: OutgoingBatch): Promise<void>;
  remove(batch: OutgoingBatch): Promise<void>;
}

export interface DeliveryOptions {
  send(batch: OutgoingBatch): Promise<SendResult>;
  store?: BatchStore;
  /** Called when data was dropped on purpose, so the recorder can record a `$dropped` marker. */
  onDropped(payload: DroppedPayload): void;
  /**
   * Called when the server refuses the write key, the page's origin or the address (401, 403,
   * 404, 405): it would refuse every batch, so delivery stops there, keeping them all.
   */
  onRefused(refusal: string): void;
  /** Called after batches were dropped for memory, so a fresh full snapshot keeps the rest replayable. */
  onNeedFullSnapshot?(): void;
  /** Called whenever a drain ends with the queue empty: nothing is left to send. */
  onIdle?(): void;
  /** Most bytes of unsent batches held in memory. Default {@link MEMORY_MAX_BYTES}. */
  memoryMaxBytes?: number;
  random?: () => number;
}

/**
 * The delivery queue of one window: batches go out one at a time and in order; failures
 * are retried with backoff (honouring `Retry-After`); a 413 splits the batch; everything
 * unsent is mirrored in the {@link BatchStore} until the server acknowledges it.
 */
export interface Delivery {
  /** Batches waiting (including the one in flight). */
  readonly pending: readonly OutgoingBatch[];
  /**
   * Adds a batch at the end of the queue. Batches are written to the store only once
   * delivery has to wait (a failure, or the page being hidden): writing every batch would
   * clone megabytes on the main thread for nothing in the common case.
   */
  enqueue(batch: OutgoingBatch): void;
  /** Writes every waiting batch to the store (the page is being hidden or delivery is failing). */
  persistPending(): void;
  /** Adds batches recovered from storage, in their original order, before anything newer. */
  restore(batches: OutgoingBatch[]): void;
  /** Sends what is queued; resolves when the queue is empty or a retry is scheduled. */
  drain(): Promise<void>;
  /**
   * Cancels a scheduled retry and tries at once (the browser came back online), unless the
   * retry waits on the server's answer (`Retry-After`, a 5xx): that wait is kept.
   */
  retryNow(): Promise<void>;
  /** Discards every unsent batch (the user opted out), except the one already in flight. */
  clear(): void;
}

/**
 * The JSON body of a batch, built from its events' JSON without re-serialising them, stamped
 * with the time it is sent (`sentAt`, now unless given): build it for each send, so that a
 * batch that waited says when it left, which is what the server corrects a wrong clock by.
 */
export function batchBody(batch: OutgoingBatch, sentAt: number = Date.now()): string {
  return `{"v":${WIRE_VERSION},"sessionId":${JSON.stringify(batch.sessionId)},"windowId":${JSON.stringify(
    batch.windowId,
  )},"seq":${batch.seq},"sentAt":${sentAt},"events":[${batch.events}]}`;
}

/** Exponential backoff with jitter: half fixed, half random, so tabs do not retry in lockstep. */
export function retryDelayMs(failures: number, random: () => number = Math.random): number {
  const exponential = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** failures);
  return exponential / 2 + random() * (exponential / 2);
}

/** A `$dropped` marker event, as JSON. */
export function droppedMarker(payload: DroppedPayload, timestamp: number): string {
  // rrweb's custom event (type 5) with replaykit's reserved tag.
  return JSON.stringify({ type: 5, data: { tag: '$dropped', payload }, timestamp });
}

/** An event's time, read from its JSON (now when it has none). */
export const timestampOf = (event = ''): number => Number(/"timestamp":(\d+)/.exec(event)?.[1] ?? Date.now());

/** The identity of a batch on the wire and in storage. */
export function keyOf(batch: Pick<OutgoingBatch, 'sessionId' | 'windowId' | 'seq'>): string {
  return `${batch.sessionId}/${batch.windowId}/${batch.seq}`;
}

/** Whether an event's JSON is a full snapshot (rrweb's type 2; `type` is its first key). */
const isFullSnapshot = (event: string): boolean => event.startsWith('{"type":2,');

/** Sum of the lengths of some events' JSON. */
export const sumLengths = (events: string[]): number =>
  events.reduce((total, event) => total + event.length, 0);

/** Creates the delivery queue of one window. */
/**
 * The seq the parts of a batch numbered `seq` start from when a 413 splits it (each part: this
 * plus the events before it). This release's batches reserve `BATCH_SEQ_STRIDE` seqs each, so
 * it is their own. A seq below the stride is the previous release's, numbered one by one:
 * numbered from there, its parts took the seqs of the window's next batches, which the server
 * then dropped as repeats; its parts go in the block of its seq + 1 instead, which no batch of
 * this release takes (the window's counter has passed it).
 */
export const partsSeq = (seq: number): number =>
  seq < BATCH_SEQ_STRIDE ? (seq + 1) * BATCH_SEQ_STRIDE : seq;

export function createDelivery(options: DeliveryOptions): Delivery {
  const { store, onDropped } = options;
  const random = options.random ?? Math.random;
  const memoryMaxBytes = options.memoryMaxBytes ?? MEMORY_MAX_BYTES;
  const queue: OutgoingBatch[] = [];
  /** Batches written to the store: only those that had to wait, to spare the main thread. */
  const persisted = new WeakSet<OutgoingBatch>();
  let inFlight: OutgoingBatch | undefined;
  let failures = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The scheduled retry waits as the server's answer asked, not for the network to come back. */
  let serverWait = false;
  let draining: Promise<void> | undefined;

  const firstWaiting = () => (inFlight ? 1 : 0);

  const persist = (batch: OutgoingBatch) => {
    if (store && !persisted.has(batch)) {
      persisted.add(batch);
      store.put(batch).catch(() => undefined);
    }
  };

  const forget = (batch: OutgoingBatch) => {
    if (persisted.delete(batch)) {
      store?.remove(batch).catch(() => undefined);
    }
  };

  /** Drops the oldest batches not in flight while over the memory cap, with a marker. */
  const enforceMemoryCap = () => {
    let total = sumBytes(queue);
    let count = 0;
    let bytes = 0;
    // Keep at least the newest batch: it holds the freshest data.
    while (total > memoryMaxBytes && queue.length > firstWaiting() + 1) {
      const [dropped] = queue.splice(firstWaiting(), 1) as [OutgoingBatch];
      forget(dropped);
      count += dropped.events.length;
      bytes += dropped.bytes;
      total -= dropped.bytes;
    }
    if (count > 0) {
      onDropped({ reason: 'buffer_full', count, bytes });
      // Only when no full snapshot waits after the gap: asking every time made each fresh
      // snapshot's batch push the queue over the cap again, so for the rest of an outage every
      // flush took a full snapshot and dropped the oldest batch for it.
      if (!queue.some((batch) => batch !== inFlight && batch.events.some(isFullSnapshot))) {
        options.onNeedFullSnapshot?.();
      }
    }
  };

  /** The `$dropped` marker that stands in for one event, at its time. */
  const markerFor = (event: string, reason: string) =>
    droppedMarker({ reason, count: 1, bytes: event.length }, timestampOf(event));

  /**
   * A 413: halves are retried, each numbered by its first event's place in the sealed batch (see
   * `BATCH_SEQ_STRIDE`); a lone event becomes a marker. False when that lone event is such
   * a marker already.
   */
  const split = (head: OutgoingBatch): boolean => {
    const { events } = head;
    const middle = Math.ceil(events.length / 2);
    if (events.length < 2) {
      return replaceEvent(head, 0, 'event_too_large');
    }
    replaceHead(head, [events.slice(0, middle), events.slice(middle)]);
    return true;
  };

  /**
   * Sends the head batch again under its seq with a `$dropped` marker in place of its event
   * `index`; false when it has no such event, or that event is such a marker already.
   */
  const replaceEvent = (head: OutgoingBatch, index: number, reason: string): boolean => {
    const refused = head.events[index];
    const marker = refused === undefined ? undefined : markerFor(refused, reason);
    if (marker === undefined || marker === refused) {
      return false;
    }
    const events = [...head.events];
    events[index] = marker;
    replaceHead(head, [events]);
    return true;
  };

  /**
   * Puts `parts` in place of the head batch, persisted if it was. Each part's seq is the head's
   * plus the events before it: the parts sort where the head did, before the window's later
   * batches (a fresh seq sorted them after those, in the replay too), and any page that splits
   * the same batch (a recorder made again, or two tabs adopting it) numbers its halves alike,
   * so the server drops the repeats (fresh seqs stored the second half twice).
   */
  const replaceHead = (head: OutgoingBatch, parts: string[][]) => {
    const wasPersisted = persisted.has(head);
    forget(head);
    // One part (a named event dropped) keeps the batch's seq, a previous release's too.
    let seq = parts[1] ? partsSeq(head.seq) : head.seq;
    const replacement = parts.map((events) => {
      const part = { ...head, seq, events, bytes: sumLengths(events) };
      seq += events.length;
      return part;
    });
    queue.splice(0, 1, ...replacement);
    if (wasPersisted) {
      replacement.forEach(persist);
    }
  };

  /** Applies one answer; returns false when the loop must wait for a retry. */
  const handle = (head: OutgoingBatch, result: SendResult): boolean => {
    switch (result.kind) {
      case 'sent':
        queue.shift();
        failures = 0;
        forget(head);
        return true;
      case 'rejected': {
        const refusal = `the server refused a batch (${result.status}): ${result.reason}`;
        console.warn(`[replaykit] ${refusal}`);
        if (
          result.status === 401 ||
          result.status === 403 ||
          result.status === 404 ||
          result.status === 405
        ) {
          // Not this batch but the key, origin or endpoint (405: no ingest route there, a static
          // host, say): dropping each batch with a marker (itself refused, in the next batch)
          // sent one request per flush forever, and lost everything. Delivery waits instead (a
          // flush tries again), and what is queued is kept in the store for a later page.
          delivery.persistPending();
          options.onRefused(refusal);
          return false;
        }
        // Another 4xx will not get better by retrying: drop the batch and say so in the recording.
        queue.shift();
        forget(head);
        onDropped({ reason: 'batch_rejected', count: head.events.length, bytes: head.bytes });
        return true;
      }
      case 'too_large':
        // The one event the server names is replaced at once; otherwise (a proxy's limit, say)
        // halves are tried until the lone event that is too large is found. Even its marker
        // refused (a limit below any body): it was sent again at once, in a loop without end or
        // pause; it waits for the backoff now, like a server error, and goes once the limit does.
        return (
          (result.index !== undefined && replaceEvent(head, result.index, 'event_too_large')) ||
          split(head) ||
          handle(head, { kind: 'retry', reason: 'even a $dropped marker is too large', status: 413 })
        );
      case 'rejected_event':
        // The rest of the batch goes again, under its seq, with a marker where that event was;
        // no such event, or the marker itself refused: the batch cannot be mended.
        if (!replaceEvent(head, result.index, 'event_rejected')) {
          return handle(head, { kind: 'rejected', status: 400, reason: result.reason });
        }
        console.warn(`[replaykit] the server refused one event of a batch (400): ${result.reason}`);
        return true;
      case 'retry': {
        // Never sooner than the backoff for this many failures: a proxy answering
        // `Retry-After: 0` again and again (or a date read as already past) was a tight loop.
        const { afterMs } = result;
        const backoff = retryDelayMs(failures, random);
        const delay =
          afterMs === undefined
            ? backoff
            : Math.max(
                backoff,
                Math.min(afterMs, RETRY_AFTER_MAX_MS) + random() * Math.min(1_000, afterMs / 10),
              );
        failures++;
        serverWait = result.status !== undefined;
        delivery.persistPending();
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          void delivery.drain();
        }, delay);
        return false;
      }
      default:
        return result satisfies never;
    }
  };

  const run = async () => {
    while (queue.length > 0) {
      const head = queue[0] as OutgoingBatch;
      inFlight = head;
      let result: SendResult;
      try {
        result = await options.send(head);
      } catch (error) {
        result = { kind: 'retry', reason: String(error) };
      }
      inFlight = undefined;
      // A batch dropped for memory while in flight: its answer no longer matters.
      if (queue[0] === head && !handle(head, result)) {
        return;
      }
    }
    options.onIdle?.();
  };

  const delivery: Delivery = {
    pending: queue,
    enqueue(batch) {
      queue.push(batch);
      if (retryTimer !== undefined) {
        persist(batch);
      }
      enforceMemoryCap();
    },
    persistPending() {
      queue.forEach(persist);
    },
    restore(batches) {
      const known = new Set(queue.map(keyOf));
      const fresh = batches.filter((batch) => !known.has(keyOf(batch)));
      for (const batch of fresh) {
        // Already in the store: remove it from there once it lands.
        persisted.add(batch);
      }
      queue.splice(firstWaiting(), 0, ...fresh);
      enforceMemoryCap();
    },
    drain() {
      if (draining) {
        return draining;
      }
      if (retryTimer !== undefined) {
        return Promise.resolve();
      }
      // Nothing to send: no run, whose promise would stand for a microtask after its loop
      // ended, and a batch queued then would wait for the next drain.
      if (queue.length === 0) {
        options.onIdle?.();
        return Promise.resolve();
      }
      draining = run().finally(() => {
        draining = undefined;
      });
      return draining;
    },
    retryNow() {
      // Back online ends a wait for the network only: a server that answered (a 429 or 503
      // with Retry-After, a 5xx) was reachable all along, and was asked again at once.
      if (!serverWait) {
        clearTimeout(retryTimer);
        retryTimer = undefined;
      }
      return delivery.drain();
    },
    clear() {
      queue.splice(firstWaiting()).forEach(forget);
    },
  };
  return delivery;
}

function sumBytes(batches: OutgoingBatch[]): number {
  return batches.reduce((total, batch) => total + batch.bytes, 0);
}
