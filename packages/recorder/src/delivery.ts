import { type DroppedPayload, EventType, ReservedEvent, WIRE_VERSION } from '@replaykit/core';
import { MEMORY_MAX_BYTES, RETRY_AFTER_MAX_MS, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS } from './limits';

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
  | { kind: 'retry'; afterMs?: number; reason: string }
  | { kind: 'too_large' }
  | { kind: 'rejected'; status: number; reason: string };

/** Where unsent batches survive a reload (IndexedDB in browsers). */
export interface BatchStore {
  put(batch: OutgoingBatch): Promise<void>;
  remove(batch: OutgoingBatch): Promise<void>;
}

export interface DeliveryOptions {
  send(batch: OutgoingBatch): Promise<SendResult>;
  store?: BatchStore;
  /** A fresh sequence number for another batch of this window (413 splits). */
  takeSeq(windowId: string): number;
  /** Called when data was dropped on purpose, so the recorder can record a `$dropped` marker. */
  onDropped(payload: DroppedPayload): void;
  /** Called after batches were dropped for memory, so a fresh full snapshot keeps the rest replayable. */
  onNeedFullSnapshot?(): void;
  /** Most bytes of unsent batches held in memory. Default {@link MEMORY_MAX_BYTES}. */
  memoryMaxBytes?: number;
  random?: () => number;
}

/** The JSON body of a batch, built from its events' JSON without re-serialising them. */
export function batchBody(batch: OutgoingBatch): string {
  return `{"v":${WIRE_VERSION},"sessionId":${JSON.stringify(batch.sessionId)},"windowId":${JSON.stringify(
    batch.windowId,
  )},"seq":${batch.seq},"events":[${batch.events.join(',')}]}`;
}

/** Exponential backoff with jitter: half fixed, half random, so tabs do not retry in lockstep. */
export function retryDelayMs(failures: number, random: () => number = Math.random): number {
  const exponential = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** failures);
  return exponential / 2 + random() * (exponential / 2);
}

/** A `$dropped` marker event, as JSON. */
export function droppedMarker(payload: DroppedPayload, timestamp: number): string {
  return JSON.stringify({
    type: EventType.Custom,
    data: { tag: ReservedEvent.Dropped, payload },
    timestamp,
  });
}

function timestampOf(eventJson: string): number {
  const match = /"timestamp":(\d+)/.exec(eventJson);
  return match ? Number(match[1]) : Date.now();
}

/**
 * The delivery queue of one window: batches go out one at a time and in order; failures
 * are retried with backoff (honouring `Retry-After`); a 413 splits the batch; everything
 * unsent is mirrored in the {@link BatchStore} until the server acknowledges it.
 */
export class Delivery {
  private readonly queue: OutgoingBatch[] = [];
  private inFlight: OutgoingBatch | undefined;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private draining: Promise<void> | undefined;
  private readonly random: () => number;
  private readonly memoryMaxBytes: number;
  private lastFailure: string | undefined;
  private closed = false;
  /** Batches written to the store: only those that had to wait, to spare the main thread. */
  private readonly persisted = new WeakSet<OutgoingBatch>();
  private persistEnabled = true;

  constructor(private readonly options: DeliveryOptions) {
    this.random = options.random ?? Math.random;
    this.memoryMaxBytes = options.memoryMaxBytes ?? MEMORY_MAX_BYTES;
  }

  /** Batches waiting (including the one in flight). */
  get pending(): readonly OutgoingBatch[] {
    return this.queue;
  }

  /** Bytes of event JSON waiting. */
  get pendingBytes(): number {
    return this.queue.reduce((total, batch) => total + batch.bytes, 0);
  }

  /** Why the last attempt failed, while a retry is scheduled. */
  get retryReason(): string | undefined {
    return this.retryTimer === undefined ? undefined : this.lastFailure;
  }

  /**
   * Adds a batch at the end of the queue and starts sending. Batches are written to the
   * store only once delivery has to wait (a failure, or the page being hidden): writing
   * every batch would clone megabytes on the main thread for nothing in the common case.
   */
  enqueue(batch: OutgoingBatch, options: { persist?: boolean } = {}): void {
    this.persistEnabled = options.persist !== false;
    this.queue.push(batch);
    if (this.retryTimer !== undefined) {
      this.persist(batch);
    }
    this.enforceMemoryCap();
  }

  /** Writes every waiting batch to the store (the page is being hidden or delivery is failing). */
  persistPending(): void {
    for (const batch of this.queue) {
      this.persist(batch);
    }
  }

  private persist(batch: OutgoingBatch): void {
    if (!this.persistEnabled || this.persisted.has(batch) || !this.options.store) {
      return;
    }
    this.persisted.add(batch);
    void this.options.store.put(batch).catch(() => undefined);
  }

  private forget(batch: OutgoingBatch): void {
    if (this.persisted.has(batch)) {
      this.persisted.delete(batch);
      void this.options.store?.remove(batch).catch(() => undefined);
    }
  }

  /** Adds batches recovered from storage, in their original order, before anything newer. */
  restore(batches: OutgoingBatch[]): void {
    const known = new Set(this.queue.map(keyOf));
    const fresh = batches.filter((batch) => !known.has(keyOf(batch)));
    for (const batch of fresh) {
      // Already in the store: remove it from there once it lands.
      this.persisted.add(batch);
    }
    const start = this.inFlight ? 1 : 0;
    this.queue.splice(start, 0, ...fresh);
    this.enforceMemoryCap();
  }

  /** Sends what is queued; resolves when the queue is empty or a retry is scheduled. */
  drain(): Promise<void> {
    if (this.draining) {
      return this.draining;
    }
    if (this.retryTimer !== undefined || this.closed) {
      return Promise.resolve();
    }
    this.draining = this.run().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** Cancels a scheduled retry and tries at once (the browser came back online). */
  retryNow(): Promise<void> {
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    return this.drain();
  }

  /** Discards every unsent batch (the user opted out), except the one already in flight. */
  clear(): void {
    const start = this.inFlight ? 1 : 0;
    for (const batch of this.queue.splice(start)) {
      this.forget(batch);
    }
  }

  /** Stops retrying; what is unsent stays in the store for the next page. */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0] as OutgoingBatch;
      this.inFlight = head;
      let result: SendResult;
      try {
        result = await this.options.send(head);
      } catch (error) {
        result = { kind: 'retry', reason: String(error) };
      } finally {
        this.inFlight = undefined;
      }
      if (this.queue[0] !== head) {
        // Dropped for memory while in flight: its answer no longer matters.
        continue;
      }
      if (!this.handle(head, result)) {
        return;
      }
    }
  }

  /** Applies one answer; returns false when the loop must wait for a retry. */
  private handle(head: OutgoingBatch, result: SendResult): boolean {
    switch (result.kind) {
      case 'sent':
        this.queue.shift();
        this.failures = 0;
        this.forget(head);
        return true;
      case 'rejected':
        // Another 4xx will not get better by retrying: drop the batch and say so in the recording.
        this.queue.shift();
        this.forget(head);
        console.warn(`[replaykit] the server refused a batch (${result.status}): ${result.reason}`);
        this.options.onDropped({
          reason: 'batch_rejected',
          count: head.events.length,
          bytes: head.bytes,
        });
        return true;
      case 'too_large':
        this.split(head);
        return true;
      case 'retry': {
        const delay =
          result.afterMs !== undefined
            ? Math.min(result.afterMs, RETRY_AFTER_MAX_MS) +
              this.random() * Math.min(1_000, result.afterMs / 10)
            : retryDelayMs(this.failures, this.random);
        this.failures++;
        this.lastFailure = result.reason;
        this.persistPending();
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          void this.drain();
        }, delay);
        return false;
      }
      default:
        return result satisfies never;
    }
  }

  /** A 413: halves are retried (the second gets a new seq); a lone event becomes a marker. */
  private split(head: OutgoingBatch): void {
    const wasPersisted = this.persisted.has(head);
    this.forget(head);
    let replacement: OutgoingBatch[];
    if (head.events.length > 1) {
      const middle = Math.ceil(head.events.length / 2);
      const first = head.events.slice(0, middle);
      const second = head.events.slice(middle);
      replacement = [
        { ...head, events: first, bytes: sumLengths(first) },
        { ...head, seq: this.options.takeSeq(head.windowId), events: second, bytes: sumLengths(second) },
      ];
    } else {
      const event = head.events[0] ?? '';
      const marker = droppedMarker(
        { reason: 'event_too_large', count: 1, bytes: event.length },
        timestampOf(event),
      );
      replacement = [{ ...head, events: [marker], bytes: marker.length }];
    }
    this.queue.splice(0, 1, ...replacement);
    if (wasPersisted) {
      for (const batch of replacement) {
        this.persist(batch);
      }
    }
  }

  /** Drops the oldest batches not in flight while over the memory cap, with a marker. */
  private enforceMemoryCap(): void {
    let total = this.pendingBytes;
    if (total <= this.memoryMaxBytes) {
      return;
    }
    let count = 0;
    let bytes = 0;
    const start = this.inFlight ? 1 : 0;
    // Keep at least the newest batch: it holds the freshest data.
    while (total > this.memoryMaxBytes && this.queue.length > start + 1) {
      const [dropped] = this.queue.splice(start, 1);
      if (!dropped) {
        break;
      }
      this.forget(dropped);
      count += dropped.events.length;
      bytes += dropped.bytes;
      total -= dropped.bytes;
    }
    if (count > 0) {
      this.options.onDropped({ reason: 'buffer_full', count, bytes });
      this.options.onNeedFullSnapshot?.();
    }
  }
}

function sumLengths(events: string[]): number {
  return events.reduce((total, event) => total + event.length, 0);
}

/** The identity of a batch on the wire and in storage. */
export function keyOf(batch: Pick<OutgoingBatch, 'sessionId' | 'windowId' | 'seq'>): string {
  return `${batch.sessionId}/${batch.windowId}/${batch.seq}`;
}
