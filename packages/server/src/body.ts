/**
 * Reading request bodies within limits. Web-standard APIs (streams, DecompressionStream,
 * TextDecoder) do the work on any runtime (Deno, Bun, workers); where `node:zlib` exists
 * it inflates instead, several times faster than DecompressionStream on Node.
 */
import type * as NodeZlib from 'node:zlib';

/** The first two bytes of every gzip stream (RFC 1952). */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Why a body could not be read; the caller maps each reason to a status code. */
export type BodyErrorReason =
  | 'too_large'
  | 'decompressed_too_large'
  | 'invalid_encoding'
  | 'invalid_utf8'
  | 'timeout'
  | 'incomplete';

/** A body that broke a limit or could not be decoded. */
export class BodyError extends Error {
  readonly reason: BodyErrorReason;

  constructor(reason: BodyErrorReason, message: string) {
    super(message);
    this.name = 'BodyError';
    this.reason = reason;
  }
}

function concat(chunks: readonly Uint8Array[], totalBytes: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]) {
    return chunks[0];
  }
  const result = new Uint8Array(totalBytes);
  let offset = 0;
  for (const chunk of chunks) {
    result.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return result;
}

/**
 * Reads a stream to its end, but stops as soon as more than `maxBytes` arrive, so an
 * oversized or endless body never sits in memory whole. It then cancels the stream, unless
 * `leaveRest`: the rest is left unread for the HTTP server to discard.
 */
async function readLimited(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  onTooLarge: () => BodyError,
  deadline?: Promise<never>,
  leaveRest = false,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let totalBytes = 0;
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = deadline ? await Promise.race([reader.read(), deadline]) : await reader.read();
    } catch (error) {
      await reader.cancel().catch(() => undefined);
      throw error;
    }
    const { done, value } = result;
    if (done) {
      break;
    }
    totalBytes += value.byteLength;
    if (totalBytes > maxBytes) {
      if (leaveRest) {
        reader.releaseLock();
      } else {
        // Cancelling may itself fail on a broken stream; the limit error is the one to report.
        await reader.cancel().catch(() => undefined);
      }
      throw onTooLarge();
    }
    chunks.push(value);
  }
  return concat(chunks, totalBytes);
}

/**
 * Requests received by Node's HTTP server (see `./node`). Its parser reads exactly the
 * declared Content-Length as the body and never more, so such a body cannot outgrow a
 * declared length that passed the limit. That server also takes and drops, counting, what is
 * left of a body over the limit once the 413 is out, so that its client reads the 413; such a
 * body is left to it rather than cancelled, since cancelling destroys Node's request and the
 * connection then takes no more of the body: a client still sending it blocked, was reset,
 * and never read its 413.
 */
const lengthEnforcedRequests = new WeakSet<Request>();

/**
 * Marks a request whose body length the HTTP server enforces against its Content-Length
 * header, and which discards what a handler leaves of its body.
 */
export function markLengthEnforced(request: Request): Request {
  lengthEnforcedRequests.add(request);
  return request;
}

/**
 * What a failed body read is: a {@link BodyError} as it is, and a TypeError too (the body was
 * read already or its stream is locked: a bug of the caller). Anything else is the body's
 * stream failing, which is the connection closing before the whole body arrived: the client
 * left (a tab closed, a phone lost its network) or a proxy cut it, no failure of the server.
 */
function bodyReadError(error: unknown): unknown {
  if (error instanceof BodyError || error instanceof TypeError) {
    return error;
  }
  return new BodyError(
    'incomplete',
    'The connection closed before the whole request body arrived; send the batch again.',
  );
}

/**
 * Reads a request's body, refusing more than `maxBytes` before and while it arrives, and
 * giving up when the whole body has not arrived within `timeoutMs` (a slow or stalled
 * client must not hold a request open forever).
 */
export async function readRequestBody(
  request: Request,
  maxBytes: number,
  timeoutMs = Number.POSITIVE_INFINITY,
): Promise<Uint8Array> {
  const tooLarge = () =>
    new BodyError(
      'too_large',
      `The request body is larger than ${maxBytes} bytes; send smaller batches (flush more often).`,
    );
  const lengthHeader = request.headers.get('content-length');
  const declared = lengthHeader === null ? Number.NaN : Number(lengthHeader);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw tooLarge();
  }
  // The HTTP parser already holds the body to the declared length, so it can be read whole
  // without the Web stream machinery, which costs more than the rest of a small request.
  const readWhole =
    Number.isFinite(declared) && lengthEnforcedRequests.has(request)
      ? () => request.arrayBuffer().then((buffer) => new Uint8Array(buffer))
      : undefined;
  if (!readWhole && !request.body) {
    return new Uint8Array(0);
  }
  const read = (deadline?: Promise<never>) => {
    let reading: Promise<Uint8Array>;
    if (readWhole) {
      reading = deadline ? Promise.race([readWhole(), deadline]) : readWhole();
    } else {
      // Checked above: without readWhole there is a body.
      reading = readLimited(
        request.body as ReadableStream<Uint8Array>,
        maxBytes,
        tooLarge,
        deadline,
        lengthEnforcedRequests.has(request),
      );
    }
    return reading.catch((error: unknown) => {
      throw bodyReadError(error);
    });
  };
  if (!Number.isFinite(timeoutMs)) {
    return read();
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BodyError(
            'timeout',
            `The request body did not arrive within ${timeoutMs} ms; send it faster, or send smaller batches.`,
          ),
        ),
      timeoutMs,
    );
  });
  // The deadline may reject after the body was read; nobody awaits it then.
  deadline.catch(() => undefined);
  try {
    return await read(deadline);
  } finally {
    clearTimeout(timer);
  }
}

/** True when the bytes start with gzip's magic number, whatever the headers claimed. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= GZIP_MAGIC.length && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * Output up to which gzip is inflated synchronously with node:zlib: bounded, small work
 * (a few ms at most) that skips the thread-pool round trip. Bigger outputs inflate off the
 * main thread.
 */
const SYNC_INFLATE_MAX_BYTES = 4 * 1024 * 1024;

let nodeZlib: Promise<typeof NodeZlib | undefined> | undefined;

function loadNodeZlib(): Promise<typeof NodeZlib | undefined> {
  nodeZlib ??= import('node:zlib').catch(() => undefined);
  return nodeZlib;
}

function isOutputTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError;
}

/**
 * The output size a gzip body declares in its last 4 bytes (ISIZE, modulo 2^32, of its last
 * member). Only a hint of where to inflate it: the limit is enforced on the real output.
 */
export function declaredGzipSize(bytes: Uint8Array): number {
  // The smallest gzip member: a 10-byte header, an empty deflate block and an 8-byte trailer.
  if (bytes.length < 20) {
    return 0;
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
}

/**
 * The inflation of this thread on the thread pool, if any: the next one starts when it ends.
 * A small body inflates to as much as `maxBytes` (100 MiB by default from 100 KB of gzip), and
 * inflating is far faster than reading what comes out, so outputs inflated all at once waited
 * together for this thread: 20 such bodies sent together held 2 GB. One at a time, a thread
 * holds at most the output it reads and the next one.
 */
let inflating: Promise<unknown> = Promise.resolve();

/** {@link gunzipLimited} with node:zlib, given as `zlib` (exported for tests). */
export async function gunzipWithNode(
  zlib: Pick<typeof NodeZlib, 'gunzip' | 'gunzipSync'>,
  bytes: Uint8Array,
  maxBytes: number,
): Promise<Uint8Array> {
  const tooLarge = () =>
    new BodyError(
      'decompressed_too_large',
      `The batch is larger than ${maxBytes} bytes once decompressed; send smaller batches.`,
    );
  const invalid = () =>
    new BodyError(
      'invalid_encoding',
      'The body starts like gzip but is not valid gzip data (truncated or corrupt); send complete gzip output, or plain JSON.',
    );
  const syncLimit = Math.min(maxBytes, SYNC_INFLATE_MAX_BYTES);
  // A body that says it inflates past the synchronous cap goes to the thread pool at once,
  // rather than being inflated up to the cap here first and then again there.
  if (declaredGzipSize(bytes) <= syncLimit || syncLimit >= maxBytes) {
    try {
      return zlib.gunzipSync(bytes, { maxOutputLength: syncLimit });
    } catch (error) {
      if (!isOutputTooLarge(error)) {
        throw invalid();
      }
      if (syncLimit >= maxBytes) {
        throw tooLarge();
      }
    }
  }
  const inflated = inflating.then(
    () =>
      new Promise<Uint8Array>((resolve, reject) => {
        zlib.gunzip(bytes, { maxOutputLength: maxBytes }, (error, result) => {
          if (error) {
            reject(isOutputTooLarge(error) ? tooLarge() : invalid());
          } else {
            resolve(result);
          }
        });
      }),
  );
  inflating = inflated.catch(() => undefined);
  return inflated;
}

/**
 * Inflates gzip data, aborting as soon as the output passes `maxBytes`: a small "gzip
 * bomb" never expands beyond the limit in memory.
 */
export async function gunzipLimited(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const zlib = await loadNodeZlib();
  if (zlib) {
    return gunzipWithNode(zlib, bytes, maxBytes);
  }
  return gunzipWithStreams(bytes, maxBytes);
}

/** {@link gunzipLimited} with Web streams only, for runtimes without node:zlib. */
export async function gunzipWithStreams(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  const output = input.pipeThrough(
    new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
  );
  try {
    return await readLimited(
      output,
      maxBytes,
      () =>
        new BodyError(
          'decompressed_too_large',
          `The batch is larger than ${maxBytes} bytes once decompressed; send smaller batches.`,
        ),
    );
  } catch (error) {
    if (error instanceof BodyError) {
      throw error;
    }
    throw new BodyError(
      'invalid_encoding',
      'The body starts like gzip but is not valid gzip data (truncated or corrupt); send complete gzip output, or plain JSON.',
    );
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 text, refusing invalid byte sequences rather than guessing. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new BodyError('invalid_utf8', 'The body is not valid UTF-8 text; send the batch as UTF-8 JSON.');
  }
}
