import { INGEST_PATH, WRITE_KEY_QUERY } from '@replaykit/core';
import type { Compressor } from './compress';
import { batchBody, type OutgoingBatch, type SendResult } from './delivery';
import { KEEPALIVE_MAX_BYTES } from './limits';

export type { SendResult };
export { KEEPALIVE_MAX_BYTES };

/** Builds the ingest URL: the key goes in the query so requests need no CORS preflight. */
export function ingestUrl(endpoint: string, writeKey: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return `${base}${INGEST_PATH}?${WRITE_KEY_QUERY}=${encodeURIComponent(writeKey)}`;
}

/** Reads `Retry-After` (seconds or an HTTP date) as milliseconds from now. */
export function parseRetryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) {
    return undefined;
  }
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) {
    return Math.max(0, seconds * 1000);
  }
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Maps an HTTP status to what the queue should do with the batch. */
export function classifyStatus(status: number, retryAfter: string | null, body: string): SendResult {
  if (status >= 200 && status < 300) {
    return { kind: 'sent' };
  }
  if (status === 413) {
    return { kind: 'too_large' };
  }
  if (status >= 500 || status === 408 || status === 429) {
    return { kind: 'retry', afterMs: parseRetryAfterMs(retryAfter), reason: `server answered ${status}` };
  }
  return { kind: 'rejected', status, reason: body.slice(0, 500) };
}

/**
 * Sends batches to the ingest route as gzip with `Content-Type: text/plain`, a "simple"
 * request that needs no CORS preflight; the server recognises gzip by its magic bytes.
 * While the page is hidden, requests use `keepalive` (within the browser's shared 64 KiB
 * budget), so a send started just before the page goes away still lands.
 */
export class Transport {
  readonly url: string;
  private keepaliveBytesInFlight = 0;
  /** Set while the page is hidden: sends then use `keepalive`. */
  pageHidden = false;
  /** Batches whose keepalive request is under way: page hide need not send them again. */
  private readonly keepaliveInFlight = new Set<OutgoingBatch>();
  /** Compressed bodies already made, reused if the batch must go out again on page hide. */
  private readonly compressed = new WeakMap<OutgoingBatch, Uint8Array>();

  constructor(
    endpoint: string,
    writeKey: string,
    private readonly compressor: Compressor,
    private readonly fetchImpl: typeof fetch,
  ) {
    this.url = ingestUrl(endpoint, writeKey);
  }

  /** Sends one batch; says whether it landed, should be retried, split, or was refused for good. */
  async send(batch: OutgoingBatch): Promise<SendResult> {
    let body: Uint8Array;
    try {
      body = this.compressed.get(batch) ?? (await this.compressor.gzip(batchBody(batch)));
      this.compressed.set(batch, body);
    } catch (error) {
      return { kind: 'retry', reason: `could not compress the batch: ${String(error)}` };
    }
    // keepalive only while the page is hidden (it may be closed next): the 64 KiB budget is
    // shared with the host's own keepalive requests, which must not fail because of ours.
    const keepalive = this.pageHidden && this.keepaliveBytesInFlight + body.byteLength <= KEEPALIVE_MAX_BYTES;
    if (keepalive) {
      this.keepaliveBytesInFlight += body.byteLength;
      this.keepaliveInFlight.add(batch);
    }
    try {
      const response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: body as BodyInit,
        credentials: 'omit',
        keepalive,
      });
      const text = response.ok ? '' : await response.text().catch(() => '');
      return classifyStatus(response.status, response.headers.get('retry-after'), text);
    } catch (error) {
      return { kind: 'retry', reason: `network error: ${String(error)}` };
    } finally {
      if (keepalive) {
        this.keepaliveBytesInFlight -= body.byteLength;
        this.keepaliveInFlight.delete(batch);
      }
    }
  }

  /**
   * Sends during page hide, synchronously (the page may be gone before a promise settles):
   * `fetch(keepalive)` while the body fits the keepalive budget, else `sendBeacon`. The body
   * is the gzip made earlier when there is one, else plain JSON (the server takes both):
   * compressing synchronously here would cost a gzip library in the bundle. Returns false
   * when neither took it (the batch then waits in IndexedDB for the next page).
   */
  sendOnPageHide(batch: OutgoingBatch): boolean {
    if (this.keepaliveInFlight.has(batch)) {
      return true;
    }
    const body: Uint8Array | string = this.compressed.get(batch) ?? batchBody(batch);
    const size = typeof body === 'string' ? body.length * 3 : body.byteLength;
    if (this.keepaliveBytesInFlight + size <= KEEPALIVE_MAX_BYTES) {
      try {
        this.keepaliveBytesInFlight += size;
        const release = () => {
          this.keepaliveBytesInFlight -= size;
        };
        this.fetchImpl(this.url, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: body as BodyInit,
          keepalive: true,
          credentials: 'omit',
        }).then(release, release);
        return true;
      } catch {
        this.keepaliveBytesInFlight -= size;
      }
    }
    try {
      if (typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function') {
        return navigator.sendBeacon(this.url, new Blob([body as BlobPart], { type: 'text/plain' }));
      }
    } catch {
      // Over the beacon quota: the batch stays queued.
    }
    return false;
  }
}
