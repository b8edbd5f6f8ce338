import { type IngestBatch, parseWireBody } from '@replaykit/core';

/** A failure the stubbed endpoint answers with. */
export type FakeOutcome = number | 'network' | { status: number; headers: Record<string, string> };

/** What a stubbed ingest endpoint received: decoded batches (as the server reads them) and the text of each body as sent. */
export interface FakeIngest {
  batches: IngestBatch[];
  bodies: string[];
  urls: string[];
  /**
   * Answers the next requests with these statuses (with headers, such as `retry-after`, when
   * given as an object; 'network' for a failed fetch), then 200.
   */
  failNext(...outcomes: FakeOutcome[]): void;
  /** Set: answers bodies in wire format 2 with 400, as a server older than format 2 does. */
  formatOneOnly: boolean;
  /** Every request that reached the endpoint, accepted or not: the first characters of its body. */
  requests: string[];
  restore(): void;
}

/** Inflates gzip bytes to text with the browser's own DecompressionStream. */
export async function gunzip(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}

async function bodyBytes(body: BodyInit | null | undefined): Promise<Uint8Array> {
  if (body instanceof Uint8Array) {
    return body;
  }
  if (body instanceof Blob) {
    return new Uint8Array(await body.arrayBuffer());
  }
  if (typeof body === 'string') {
    return new TextEncoder().encode(body);
  }
  throw new Error(`unexpected body type ${Object.prototype.toString.call(body)}`);
}

/**
 * Replaces `window.fetch` (and `navigator.sendBeacon`) with an in-page ingest endpoint, so a
 * browser test sees exactly the bytes the recorder sends. End-to-end tests use the real server.
 */
export function installFakeIngest(): FakeIngest {
  const originalFetch = window.fetch;
  const originalBeacon = navigator.sendBeacon;
  const outcomes: FakeOutcome[] = [];
  const fake: FakeIngest = {
    batches: [],
    bodies: [],
    urls: [],
    formatOneOnly: false,
    requests: [],
    failNext: (...next) => {
      outcomes.push(...next);
    },
    restore: () => {
      window.fetch = originalFetch;
      navigator.sendBeacon = originalBeacon;
    },
  };
  const read = async (body: BodyInit | null | undefined) => {
    const bytes = await bodyBytes(body);
    return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzip(bytes) : new TextDecoder().decode(bytes);
  };
  const receive = async (url: string, text: string) => {
    fake.urls.push(url);
    fake.bodies.push(text);
    fake.batches.push(parseWireBody(text) as IngestBatch);
  };
  window.fetch = async (input, init) => {
    const outcome = outcomes.shift();
    if (outcome === 'network') {
      throw new TypeError('Failed to fetch');
    }
    if (outcome !== undefined) {
      const { status, headers } = typeof outcome === 'number' ? { status: outcome, headers: {} } : outcome;
      return new Response(JSON.stringify({ error: { code: 'test', message: 'test' } }), { status, headers });
    }
    const text = await read(init?.body);
    fake.requests.push(text.slice(0, 60));
    if (fake.formatOneOnly && text.startsWith('{"v":2,')) {
      // What a server from before wire format 2 answers.
      const message = 'The batch is not valid: v: v must be 1, the wire format version.';
      return new Response(JSON.stringify({ error: { code: 'invalid_batch', message } }), { status: 400 });
    }
    await receive(String(input), text);
    return new Response(JSON.stringify({ ok: true, duplicate: false }), { status: 200 });
  };
  navigator.sendBeacon = (url, data) => {
    void read(data as BodyInit).then((text) => receive(String(url), text));
    return true;
  };
  return fake;
}
