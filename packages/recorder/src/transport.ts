import { INGEST_PATH, parseRetryAfterMs, WRITE_KEY_QUERY } from '@replaykit/core';
import type { Compressor } from './compress';
import { batchBody, type OutgoingBatch, type SendResult } from './delivery';
import { KEEPALIVE_MAX_BYTES, REQUEST_TIMEOUT_MS } from './limits';

export type { SendResult };
export { KEEPALIVE_MAX_BYTES };

/** Builds the ingest URL: the key goes in the query so requests need no CORS preflight. */
export function ingestUrl(endpoint: string, writeKey: string): string {
  return `${endpoint.replace(/\/+$/, '')}${INGEST_PATH}?${WRITE_KEY_QUERY}=${encodeURIComponent(writeKey)}`;
}

/** The batch event a refusal names (the server's `error.event`), if it names one. */
function refusedEvent(body: string): number | undefined {
  try {
    const event = (JSON.parse(body) as { error?: { event?: unknown } }).error?.event;
    return typeof event === 'number' && Number.isSafeInteger(event) && event >= 0 ? event : undefined;
  } catch {
    return undefined;
  }
}

/** Maps an HTTP status to what the queue should do with the batch. */
export function classifyStatus(
  status: number,
  retryAfter: string | null,
  body: string,
  date: string | null = null,
): SendResult {
  const event = status === 400 || status === 413 ? refusedEvent(body) : undefined;
  // A 408 is the server's time limit for receiving a body, hit on a slow uplink: sent again
  // whole, the batch was refused again, for good, and held up every later one. Split as after
  // a 413, smaller bodies get there in time.
  return status >= 200 && status < 300
    ? { kind: 'sent' }
    : status === 413 || status === 408
      ? event === undefined
        ? { kind: 'too_large' }
        : { kind: 'too_large', index: event }
      : status >= 500 || status === 429
        ? {
            kind: 'retry',
            afterMs: parseRetryAfterMs(retryAfter, date),
            reason: `server answered ${status}`,
            status,
          }
        : event !== undefined
          ? { kind: 'rejected_event', index: event, reason: body.slice(0, 500) }
          : { kind: 'rejected', status, reason: body.slice(0, 500) };
}

/**
 * Sends batches to the ingest route as gzip with `Content-Type: text/plain`, a "simple"
 * request that needs no CORS preflight; the server recognises gzip by its magic bytes.
 * While the page is hidden, requests use `keepalive` (within the browser's shared 64 KiB
 * budget), so a send started just before the page goes away still lands.
 */
export interface Transport {
  readonly url: string;
  /** Set while the page is hidden: sends then use `keepalive`. */
  pageHidden: boolean;
  /** Sends one batch; says whether it landed, should be retried, split, or was refused for good. */
  send(batch: OutgoingBatch): Promise<SendResult>;
  /**
   * Sends during page hide, synchronously (the page may be gone before a promise settles):
   * `fetch(keepalive)` while the body fits the keepalive budget, else `sendBeacon`. The body
   * is plain JSON stamped now (the server takes it as well as gzip): compressing synchronously
   * here would cost a gzip library in the bundle. The gzip of an attempt under way (at most
   * {@link PACKED_REUSE_MAX_AGE_MS} old) is reused; an older one only when the browser takes
   * neither way for the plain body (too large), since a stale `sentAt` beats losing the batch.
   * Returns false when nothing was taken (the batch then waits in IndexedDB for the next page).
   */
  sendOnPageHide(batch: OutgoingBatch): boolean;
}

/**
 * How old (ms) a body packed for an earlier attempt may be and still go out on page hide: the
 * attempt under way when the page was hidden; an older one is rebuilt, stamped now.
 */
export const PACKED_REUSE_MAX_AGE_MS = 2_000;

/** Creates the transport of one recorder; `fetchImpl` is the page's fetch before any wrapper. */
export function createTransport(
  endpoint: string,
  writeKey: string,
  compressor: Compressor,
  fetchImpl: typeof fetch,
): Transport {
  const url = ingestUrl(endpoint, writeKey);
  let keepaliveBytes = 0;
  /** Batches whose keepalive request is under way: page hide need not send them again. */
  const keepaliveInFlight = new Set<OutgoingBatch>();
  /** The body packed for a batch's latest attempt, with its `sentAt`: see `sendOnPageHide`. */
  const compressed = new WeakMap<OutgoingBatch, [body: Uint8Array, sentAt: number]>();

  /** Posts a body; with `keepalive`, its size counts against the budget until it settles. */
  const post = (body: Uint8Array | string, size: number, keepalive: boolean) => {
    const request = fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: body as BodyInit,
      credentials: 'omit',
      keepalive,
      // A request never answered (a stuck server or proxy, a connection dropped without a
      // reset) held up every later batch of the page: one is in flight at a time. Once
      // aborted, it is retried like a network error (the server drops it if it was stored).
      // Browsers without AbortSignal.timeout wait as before.
      signal: AbortSignal.timeout?.(REQUEST_TIMEOUT_MS),
    });
    const counted = keepalive ? size : 0;
    keepaliveBytes += counted;
    return request.finally(() => {
      keepaliveBytes -= counted;
    });
  };

  /** Set once a server took format 1 after refusing format 2: it is older than format 2. */
  let formatOne = false;

  /**
   * Packs one batch's body, as format 1 when asked, and posts it once. Packed anew for every
   * attempt, not reused: the body says when it is sent (`sentAt`), and a retry may come
   * minutes or hours later (offline), which the server must not take for the clock's error.
   */
  const attempt = async (batch: OutgoingBatch, asFormatOne: boolean): Promise<SendResult> => {
    let body: Uint8Array;
    const sentAt = Date.now();
    try {
      body = await compressor.pack(batchBody(batch, sentAt), asFormatOne);
      compressed.set(batch, [body, sentAt]);
    } catch (error) {
      return { kind: 'retry', reason: `could not compress the batch: ${String(error)}` };
    }
    // keepalive only while the page is hidden (it may be closed next): the 64 KiB budget is
    // shared with the host's own keepalive requests, which must not fail because of ours.
    const keepalive = transport.pageHidden && keepaliveBytes + body.byteLength <= KEEPALIVE_MAX_BYTES;
    if (keepalive) {
      keepaliveInFlight.add(batch);
    }
    try {
      const response = await post(body, body.byteLength, keepalive);
      const text = response.ok ? '' : await response.text().catch(() => '');
      const { headers } = response;
      return classifyStatus(response.status, headers.get('retry-after'), text, headers.get('date'));
    } catch (error) {
      return { kind: 'retry', reason: `network error: ${String(error)}` };
    } finally {
      keepaliveInFlight.delete(batch);
    }
  };

  /** Hands a body to `fetch(keepalive)` or `sendBeacon`; false when neither took it. */
  const hide = (body: Uint8Array | string): boolean => {
    // A string's UTF-8 size is at most three bytes per UTF-16 unit.
    const size = typeof body === 'string' ? body.length * 3 : body.byteLength;
    if (keepaliveBytes + size <= KEEPALIVE_MAX_BYTES) {
      try {
        post(body, size, true).catch(() => undefined);
        return true;
      } catch {
        // Refused at once: try a beacon.
      }
    }
    try {
      return navigator.sendBeacon(url, new Blob([body as BlobPart], { type: 'text/plain' }));
    } catch {
      // Over the beacon quota (or no sendBeacon): the batch stays queued.
      return false;
    }
  };

  const transport: Transport = {
    url,
    pageHidden: false,
    async send(batch) {
      const result = await attempt(batch, formatOne);
      if (result.kind === 'rejected' && result.status === 400 && !formatOne) {
        // A server older than wire format 2 refuses it with 400: the same batch as format 1.
        // If that lands, the rest of this page's batches go as format 1 from the start.
        const again = await attempt(batch, true);
        formatOne = again.kind === 'sent';
        return again;
      }
      return result;
    },
    sendOnPageHide(batch) {
      if (keepaliveInFlight.has(batch)) {
        return true;
      }
      // A packed body's `sentAt` may be a Retry-After (10 min) old: the server, correcting a
      // wrong page clock by it, would place the batch that late, and keeps that first copy.
      const packed = compressed.get(batch);
      return (
        ((!packed || Date.now() - packed[1] > PACKED_REUSE_MAX_AGE_MS) && hide(batchBody(batch))) ||
        (!!packed && hide(packed[0]))
      );
    },
  };
  return transport;
}
