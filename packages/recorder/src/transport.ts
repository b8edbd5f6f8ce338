import { INGEST_PATH, type IngestBatch, WRITE_KEY_QUERY } from '@replaykit/core';
import { gzipSync, strToU8 } from 'fflate';

/** Largest body sent with `fetch(keepalive)` on page hide: browsers share a 64 KiB budget. */
export const KEEPALIVE_MAX_BYTES = 60 * 1024;

/** The outcome of one delivery attempt. */
export type SendResult =
  | { kind: 'sent' }
  | { kind: 'retry'; afterMs?: number; reason: string }
  | { kind: 'rejected'; status: number; reason: string };

/** Builds the ingest URL: the key goes in the query so requests need no CORS preflight. */
export function ingestUrl(endpoint: string, writeKey: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return `${base}${INGEST_PATH}?${WRITE_KEY_QUERY}=${encodeURIComponent(writeKey)}`;
}

async function gzipAsync(text: string): Promise<Uint8Array> {
  if (typeof CompressionStream === 'function') {
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  return gzipSync(strToU8(text));
}

function parseRetryAfterMs(header: string | null): number | undefined {
  if (!header) {
    return undefined;
  }
  const seconds = Number(header);
  if (Number.isFinite(seconds)) {
    return Math.max(0, seconds * 1000);
  }
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Sends batches to the ingest route as gzip with `Content-Type: text/plain`, a "simple"
 * request that needs no CORS preflight; the server recognises gzip by its magic bytes.
 */
export class Transport {
  private readonly url: string;

  constructor(endpoint: string, writeKey: string) {
    this.url = ingestUrl(endpoint, writeKey);
  }

  /** Sends one batch; says whether it landed, should be retried, or was refused for good. */
  async send(batch: IngestBatch): Promise<SendResult> {
    let body: Uint8Array;
    try {
      body = await gzipAsync(JSON.stringify(batch));
    } catch (error) {
      return { kind: 'rejected', status: 0, reason: `could not serialise the batch: ${String(error)}` };
    }
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: body as BodyInit,
        credentials: 'omit',
      });
    } catch (error) {
      return { kind: 'retry', reason: `network error: ${String(error)}` };
    }
    if (response.ok) {
      return { kind: 'sent' };
    }
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      return {
        kind: 'retry',
        afterMs: parseRetryAfterMs(response.headers.get('retry-after')),
        reason: `server answered ${response.status}`,
      };
    }
    const text = await response.text().catch(() => '');
    return { kind: 'rejected', status: response.status, reason: text.slice(0, 500) };
  }

  /**
   * Sends during page hide, synchronously: `fetch(keepalive)` while the body fits the
   * browser's keepalive budget, else `sendBeacon`. Returns false when neither took it.
   */
  sendOnPageHide(batch: IngestBatch): boolean {
    const body = gzipSync(strToU8(JSON.stringify(batch)));
    if (body.byteLength <= KEEPALIVE_MAX_BYTES && typeof fetch === 'function') {
      try {
        void fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: body as BodyInit,
          keepalive: true,
          credentials: 'omit',
        }).catch(() => undefined);
        return true;
      } catch {
        // Fall through to sendBeacon.
      }
    }
    if (typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function') {
      return navigator.sendBeacon(this.url, new Blob([body as BlobPart], { type: 'text/plain' }));
    }
    return false;
  }
}
