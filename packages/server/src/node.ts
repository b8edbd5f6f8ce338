import {
  createServer,
  type IncomingMessage,
  maxHeaderSize,
  type OutgoingHttpHeaders,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener, RequestError } from '@hono/node-server';
import type { ErrorBody } from '@replaykit/core';
import { markLengthEnforced } from './body';
import { markCuttable, type StandInAnswer } from './broken-answer';
import { checkOptionNames, optionNames } from './option-names';
import { guardedHook } from './user-hook';

/** How long {@link NodeServerHandle.close} lets in-flight requests finish before cutting them off, in ms. */
export const DEFAULT_CLOSE_GRACE_MS = 5_000;

/**
 * Time a client has to send its request headers, in ms. Node enforces it only when it
 * sweeps connections, so the sweep runs every {@link CONNECTIONS_CHECK_INTERVAL_MS}.
 * Bodies have their own limit inside the fetch handler (`limits.bodyTimeoutMs`).
 */
export const HEADERS_TIMEOUT_MS = 20_000;

/**
 * How long an idle keep-alive connection stays open, in ms: longer than the idle timeout of
 * the load balancers and proxies usually put in front (60 s for AWS's, nginx's upstream
 * keep-alive), so that they close first. Node's default, 5 s, closes connections a balancer
 * still holds as reusable; a request it sends on one in that moment is reset, and a POST is
 * not retried: the balancer answers 502 and the recorder sends the batch again later.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * How long an answer may wait for its client to take more of it, in ms, before its connection
 * is closed and the read behind it stopped (the store reader of a `/chunks` stream, the body
 * of `/events` held in memory). Node has no write timeout: a client that stopped reading (a
 * frozen tab, a stuck proxy) held both until shutdown. The time restarts whenever the
 * client takes some of the answer, so a slow client is not cut, only one that takes nothing;
 * what the client sends meanwhile does not count. Checked every second (or every
 * `streamStallMs`, if shorter), so the connection closes within that much after the limit.
 */
export const STREAM_STALL_MS = 30_000;

/** The largest `streamStallMs`: Node's timers run at most 2^31 − 1 ms (about 24.8 days). */
const STREAM_STALL_MAX_MS = 2 ** 31 - 1;

/**
 * How long a connection stays open after an answer given before its request's body was read
 * whole (a 413 for a body over `maxBodyBytes`, declared or chunked, a refused key), in ms, taking and
 * dropping what the client still sends. Many clients read the answer only once they have
 * sent the whole body; a connection closed while they send is reset, and a reset throws
 * away the answer they had not read. As long as a whole body may take (`bodyTimeoutMs`).
 */
export const UNREAD_BODY_LINGER_MS = 30_000;

/**
 * Most bytes a connection takes and drops after such an answer (see {@link UNREAD_BODY_LINGER_MS})
 * before it is closed, unless the server's `maxBodyBytes` is larger: then that many. Without it,
 * a client could push bytes as fast as the network carries them for the whole linger (gigabytes
 * over a fast link), each one read and thrown away by the server. More than the default
 * `maxBodyBytes` (10 MiB) and far more than a recorder's batch, so a client sending the rest of
 * a body refused for its size still reads the answer; one that sends more is cut off, and its
 * client sees a reset instead. Never less than `maxBodyBytes`: a body of a size the server
 * takes, refused for its key, is no flood, and its client must still read why it was refused.
 */
export const UNREAD_BODY_LINGER_MAX_BYTES = 16 * 1024 * 1024;

/** How often Node checks connections for the headers timeout, in ms (30 s by default). */
const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

/** How often idle connections are closed while shutting down, in ms. */
const CLOSE_POLL_MS = 50;

/**
 * How long keep-alive connections that are idle when {@link NodeServerHandle.close} starts
 * stay open, in ms. A client may have sent a request on one that has not reached the server
 * yet; closing the connection at once would reset that request unanswered. During this time
 * such a request is still answered, and its answer closes the connection.
 */
export const IDLE_CLOSE_DELAY_MS = 250;

/**
 * Host of the URL of a request without a Host header, which HTTP/1.0 allows (HAProxy's
 * health checks leave it out by default). No route reads the host; a URL needs one.
 */
const DEFAULT_REQUEST_HOST = 'localhost';

/** Options of {@link toNodeListener}, which {@link startNodeServer} takes too. */
export interface NodeListenerOptions {
  /** How long an answer may wait for its client to read any of it, in ms; default {@link STREAM_STALL_MS}. */
  streamStallMs?: number;
  /**
   * Receives one line (no stack trace) for each answer cut off after its headers went out: a
   * chunk stream of a session deleted meanwhile, or whose store read failed (which the fetch
   * handler's `onError` receives on its own). Such a failure before the headers went out (the
   * adapter reads a few lines first) is answered 404 or 503 as JSON instead, with a line
   * saying so. Default: `console.warn`. It must not throw: a throw is logged to
   * `console.error` with the line, and the answer is cut all the same.
   */
  onAnswerBroken?: (line: string) => void;
}

/** The option names of {@link toNodeListener}, complete by type: a misspelt one is refused. */
const LISTENER_OPTION_NAMES = optionNames<NodeListenerOptions>({
  streamStallMs: true,
  onAnswerBroken: true,
});

/** Options of {@link startNodeServer}. */
export interface StartNodeServerOptions extends NodeListenerOptions {
  /**
   * Anything with a Web fetch handler, such as the result of `createReplayServer`. Its
   * `limits.maxBodyBytes`, when it has one, raises {@link UNREAD_BODY_LINGER_MAX_BYTES} to it;
   * a wrapper of a replaykit server should pass its `limits` on.
   */
  server: {
    fetch(request: Request): Response | Promise<Response>;
    readonly limits?: { readonly maxBodyBytes: number };
  };
  /** TCP port; 0 picks a free one (read it back from `url` or `port`). */
  port: number;
  /** Interface to listen on; default `127.0.0.1` (loopback only). */
  host?: string;
  /** Grace period of `close()` for in-flight requests, in ms. */
  closeGraceMs?: number;
  /**
   * Replace the process's global `Request` and `Response` with @hono/node-server's lighter
   * ones, which skip the Web stream machinery for plain bodies (measured: about 80 µs less
   * CPU per ingest request). Only for a process that runs nothing but this server, such as
   * `replaykit serve`; default false, because an embedding application may rely on the
   * standard classes.
   */
  lightweightGlobals?: boolean;
}

/** The option names of {@link startNodeServer}, complete by type: a misspelt one is refused. */
const START_OPTION_NAMES = optionNames<StartNodeServerOptions>({
  server: true,
  port: true,
  host: true,
  closeGraceMs: true,
  streamStallMs: true,
  onAnswerBroken: true,
  lightweightGlobals: true,
});

/** A running Node HTTP server. */
export interface NodeServerHandle {
  /** Base URL with the real port, such as `http://127.0.0.1:4318`. */
  url: string;
  port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish (up to the grace period), then
   * resolves. Keep-alive connections idle at that moment stay open {@link IDLE_CLOSE_DELAY_MS}
   * (or the grace period, if shorter) for a request already on its way, so `close()` takes
   * that long whenever a client holds one.
   */
  close(): Promise<void>;
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } } satisfies ErrorBody, { status });
}

/**
 * The answer to a request the adapter could not hand to the fetch handler. Node's parser
 * accepts request lines and Host headers that no URL can hold (`OPTIONS *`, `Host: a@b`,
 * `Host: a b`), which the adapter otherwise answers with an empty 400 that says nothing.
 */
function adapterError(error: unknown): Response {
  if (error instanceof RequestError) {
    return jsonError(
      400,
      'invalid_request',
      `This request has no URL the server can read (${error.message}): the request target must be a path starting with "/" (not "*"), and the Host header a host name with an optional port, such as "replays.example.com:4318".`,
    );
  }
  // A fetch handler that threw instead of answering; replaykit's own answers its errors itself.
  return jsonError(
    500,
    'internal_error',
    'The server failed to handle this request; its log has the details.',
  );
}

/** Headers of a streamed answer that describe its body, which a stand-in answer replaces. */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding']);

/**
 * Makes `outgoing` carry `instead` rather than the answer the adapter is about to write. The
 * adapter reads up to three chunks of a streamed body before it writes the headers; a chunk
 * stream that fails then ends, and the adapter still writes the headers it has (a 200, and
 * CORS headers set by the handler's middleware) and the chunks it read. Its writes are turned
 * into the stand-in's: its status, its headers over the failed answer's, and its body, whole.
 */
function answerInstead(answer: ServerResponse | Http2ServerResponse, instead: StandInAnswer): void {
  // An HTTP/2 answer (toNodeListener on an HTTP/2 server) has the same writeHead, write and end.
  const outgoing = answer as ServerResponse;
  const writeHead = outgoing.writeHead.bind(outgoing);
  const end = outgoing.end.bind(outgoing);
  const body = Buffer.from(instead.body);
  outgoing.writeHead = ((_status: number, headers?: OutgoingHttpHeaders) => {
    const kept = Object.entries(headers ?? {}).filter(([name]) => !BODY_HEADERS.has(name.toLowerCase()));
    return writeHead(instead.status, {
      ...Object.fromEntries(kept),
      ...instead.headers,
      'content-length': String(body.length),
    });
  }) as ServerResponse['writeHead'];
  outgoing.write = (() => true) as ServerResponse['write'];
  outgoing.end = (() => end(body)) as ServerResponse['end'];
}

/** Where a line about a broken answer goes when no `onAnswerBroken` is given. */
function warnAnswerBroken(line: string): void {
  console.warn(line);
}

function nodeListener(
  server: { fetch(request: Request): Response | Promise<Response> },
  overrideGlobalObjects: boolean,
  ownsConnections: boolean,
  onAnswerBroken: (line: string) => void,
  streamStallMs: number,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  // A throw of the application's hook must not keep the answer from being cut, nor the
  // stream's store reader from being closed.
  const logAnswerBroken = guardedHook('onAnswerBroken', onAnswerBroken);
  return getRequestListener(
    (request, { incoming, outgoing }) => {
      markLengthEnforced(request);
      // Only a GET's answer streams (a /chunks stream, an /events body): it alone can stall on
      // a client that stopped reading, or break off after its headers. Ingest, the hot path,
      // needs neither the stall timer nor a cutter (a closure and a WeakMap entry per request).
      if (incoming.method === 'GET') {
        endWhenStalled(outgoing as ServerResponse, streamStallMs);
        markCuttable(request, (reason, instead) => {
          // The path only, as `replaykit serve` logs requests: the query may hold a key.
          const path = (incoming.url ?? '').split('?', 1)[0];
          if (outgoing.headersSent) {
            logAnswerBroken(`${incoming.method} ${path} broke off after its headers went out: ${reason}`);
            outgoing.destroy();
          } else {
            logAnswerBroken(
              `${incoming.method} ${path} was answered ${instead.status} before its headers went out: ${reason}`,
            );
            answerInstead(outgoing, instead);
          }
        });
      }
      return server.fetch(request);
    },
    {
      hostname: DEFAULT_REQUEST_HOST,
      overrideGlobalObjects,
      // startNodeServer discards a body left unread itself (lingerAfterUnreadBody); Node
      // servers of an application keep the adapter's cleanup.
      autoCleanupIncoming: !ownsConnections,
      errorHandler: adapterError,
    },
  );
}

/**
 * Turns a fetch handler into a Node `(request, response)` listener, to mount in Express,
 * Fastify (as a raw handler) or `http.createServer`. The URL it sees is the request's
 * `url` as the framework passes it: Express strips the mount path, so
 * `app.use('/replaykit', toNodeListener(server))` serves `/replaykit/v1/ingest` as `/v1/ingest`.
 * Mount it before any body parser: it reads the raw body itself. Like {@link startNodeServer},
 * it closes the connection of an answer its client stopped reading (`streamStallMs`): that
 * connection carries nothing else until the answer is out.
 */
export function toNodeListener(
  server: { fetch(request: Request): Response | Promise<Response> },
  options: NodeListenerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  checkOptionNames(options, LISTENER_OPTION_NAMES, 'toNodeListener');
  const streamStallMs = checkStreamStallMs(options.streamStallMs ?? STREAM_STALL_MS, 'toNodeListener');
  return nodeListener(server, false, false, options.onAnswerBroken ?? warnAnswerBroken, streamStallMs);
}

/**
 * The answer, as raw HTTP, to a request Node's parser refused before any handler saw it (a
 * header block over `maxHeaderSize`, headers that did not arrive in time, malformed framing):
 * Node's own answer has a status line and no body, where every other error says what is wrong.
 */
function parserRefusal(error: NodeJS.ErrnoException): string {
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'headers_too_large',
          `The request line and headers are over ${maxHeaderSize} bytes; send fewer or shorter headers.`,
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [
            408,
            'headers_timeout',
            `The request's headers did not arrive within ${HEADERS_TIMEOUT_MS} ms; send them at once.`,
          ]
        : [
            400,
            'invalid_request',
            `The request is not valid HTTP/1.1 (${error.message}); check how the client frames it (a Content-Length or chunked body, not both).`,
          ];
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * For a request sent with `Expect: 100-continue`: sends "100 Continue" once the handler
 * starts reading the body (its stream resumes), not before. A request refused on its
 * headers (an unknown key, a declared length over the limit) is answered without the client
 * uploading the body first; the answer then closes the connection (Node's doing), as the
 * body that was never sent cannot be told from a next request.
 */
function continueWhenBodyIsRead(request: IncomingMessage, response: ServerResponse): void {
  request.once('resume', () => {
    if (!response.headersSent) {
      response.writeContinue();
    }
  });
}

function checkStreamStallMs(stallMs: number, where: string): number {
  if (!Number.isInteger(stallMs) || stallMs < 1 || stallMs > STREAM_STALL_MAX_MS) {
    throw new Error(
      `${where}: streamStallMs must be a whole number of ms from 1 to ${STREAM_STALL_MAX_MS} (about 24 days); got ${String(stallMs)}.`,
    );
  }
  return stallMs;
}

/** How often an answer is checked for a client that stopped reading it, at most, in ms. */
const STALL_CHECK_INTERVAL_MS = 1_000;

/**
 * A mark of how much of what was written to `socket` the kernel has taken, which changes when
 * the client takes some of the answer, and only then (a write waiting in the socket's buffer
 * does not change it, nor does anything the client sends).
 */
function writeProgress(socket: Socket): string {
  // bytesWritten counts every byte written, writableLength those not sent yet, among them the
  // write in progress, whole until it is done. A large write (a whole /events body) is done
  // only once the kernel has taken all of it: libuv's write queue, which Node's own socket
  // timeout reads too, shrinks as it takes parts of it.
  const queued = (socket as Socket & { _handle?: { writeQueueSize?: number } | null })._handle
    ?.writeQueueSize;
  return `${socket.bytesWritten - socket.writableLength}:${queued ?? 0}`;
}

/**
 * Closes the connection of `response` once its client has taken none of it for `stallMs`,
 * which stops the read behind it (the adapter cancels the body stream when the response
 * closes). Only what the client takes counts: Node's socket timeout, used before, also
 * restarted whenever bytes arrived, so a client that kept sending (a GET with a body trickled
 * a byte at a time) held the answer and its store reader for as long as it liked.
 */
function endWhenStalled(response: ServerResponse, stallMs: number): void {
  // An application may hand a request to toNodeListener after its client left (behind an async
  // middleware): the answer's 'close', which stops the check, has gone by then.
  if (response.destroyed) {
    return;
  }
  const watch = (socket: Socket) => {
    let progress = writeProgress(socket);
    let movedAt = performance.now();
    const timer = setInterval(
      () => {
        const now = writeProgress(socket);
        // Nothing left to send is not the client's stall: the handler is waiting (for the
        // store, for a body, which has its own timeout).
        if (socket.writableLength === 0 || now !== progress) {
          progress = now;
          movedAt = performance.now();
        } else if (performance.now() - movedAt >= stallMs) {
          response.destroy();
        }
      },
      Math.min(stallMs, STALL_CHECK_INTERVAL_MS),
    );
    timer.unref();
    response.once('close', () => clearInterval(timer));
  };
  if (response.socket) {
    watch(response.socket);
  } else {
    // A pipelined request's answer gets its connection once the answers before it are out.
    response.once('socket', watch);
  }
}

/**
 * Once an answer has gone out before its request's body arrived whole: half-closes the
 * connection (no further request is answered on it) and drops what the client still sends,
 * for up to {@link UNREAD_BODY_LINGER_MS} and `maxBytes` (see {@link UNREAD_BODY_LINGER_MAX_BYTES}),
 * then closes it. The adapter's own cleanup gave the client 500 ms, after which a client still sending had
 * the answer reset.
 */
function lingerAfterUnreadBody(request: IncomingMessage, response: ServerResponse, maxBytes: number): void {
  // Taken now: Node may have let go of the request's socket by the time the answer is out.
  const { socket } = request;
  // Before Node's own listener, which would otherwise dump the body: its parser then drops
  // the bytes without a word, and they could not be counted.
  response.prependOnceListener('finish', () => {
    if (request.complete || socket.destroyed) {
      return;
    }
    socket.end();
    let dropped = 0;
    // A chunked body over the limit was read in part through a Web stream, which still
    // listens (it would keep what comes) and paused the request: the handler is done with it.
    request.removeAllListeners('data');
    request.on('data', (data: Buffer) => {
      dropped += data.length;
      if (dropped > maxBytes) {
        socket.destroy();
      }
    });
    request.resume();
    const timer = setTimeout(() => socket.destroy(), UNREAD_BODY_LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}

function formatUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** Serves a fetch handler over Node's HTTP server; resolves once it is listening. */
export async function startNodeServer(options: StartNodeServerOptions): Promise<NodeServerHandle> {
  checkOptionNames(options, START_OPTION_NAMES, 'startNodeServer');
  const {
    server,
    port,
    host = '127.0.0.1',
    closeGraceMs = DEFAULT_CLOSE_GRACE_MS,
    lightweightGlobals = false,
  } = options;
  const streamStallMs = checkStreamStallMs(options.streamStallMs ?? STREAM_STALL_MS, 'startNodeServer');
  const bodyLimit = server.limits?.maxBodyBytes;
  const lingerMaxBytes = Math.max(
    UNREAD_BODY_LINGER_MAX_BYTES,
    typeof bodyLimit === 'number' && Number.isSafeInteger(bodyLimit) ? bodyLimit : 0,
  );
  const httpServer = createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      // Whole requests are bounded by the handler's body timeout; Node's own request
      // timeout (5 minutes) stays as a backstop.
      connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
    },
    // Keeps the process's global Request and Response untouched unless asked: this server
    // may be embedded in a host application.
    nodeListener(server, lightweightGlobals, true, options.onAnswerBroken ?? warnAnswerBroken, streamStallMs),
  );
  httpServer.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Without this listener Node sends "100 Continue" before the handler has seen the headers.
  httpServer.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    continueWhenBodyIsRead(request, response);
    httpServer.emit('request', request, response);
  });
  // Requests of each connection not answered yet: the parser may refuse a pipelined request
  // while an earlier one is being answered, and a refusal written then would corrupt that answer.
  const unanswered = new WeakMap<Duplex, number>();
  httpServer.on('request', (request: IncomingMessage, response: ServerResponse) => {
    lingerAfterUnreadBody(request, response, lingerMaxBytes);
    const { socket } = response;
    if (socket) {
      unanswered.set(socket, (unanswered.get(socket) ?? 0) + 1);
      response.once('close', () => unanswered.set(socket, (unanswered.get(socket) ?? 1) - 1));
    }
  });
  httpServer.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (socket.writable && error.code !== 'ECONNRESET' && !unanswered.get(socket)) {
      socket.write(parserRefusal(error));
    }
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      reject(error);
    };
    httpServer.once('error', onError);
    httpServer.listen(port, host, () => {
      httpServer.off('error', onError);
      resolve();
    });
  });

  const address = httpServer.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  // Answers being written: once close() starts, each ends its connection instead of
  // keeping it alive, so that the client sends no further request on it.
  const answering = new Set<ServerResponse>();
  httpServer.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (closing) {
      response.shouldKeepAlive = false;
      return;
    }
    answering.add(response);
    response.once('close', () => answering.delete(response));
  });
  const closeIdleConnections = httpServer.closeIdleConnections.bind(httpServer);
  return {
    url: formatUrl(address),
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const response of answering) {
          response.shouldKeepAlive = false;
        }
        const forceTimer = setTimeout(() => httpServer.closeAllConnections(), closeGraceMs);
        forceTimer.unref();
        // Node's close() closes idle keep-alive connections at once, which resets a request
        // already on its way over one. They close after IDLE_CLOSE_DELAY_MS instead, and then
        // every CLOSE_POLL_MS: an answer whose headers were sent before close() started
        // (a long read) keeps its connection alive, which becomes idle once it ends.
        httpServer.closeIdleConnections = () => {};
        let idleTimer: NodeJS.Timeout | undefined;
        const idleDelay = setTimeout(() => {
          closeIdleConnections();
          idleTimer = setInterval(closeIdleConnections, CLOSE_POLL_MS);
          idleTimer.unref();
        }, IDLE_CLOSE_DELAY_MS);
        idleDelay.unref();
        httpServer.close((error) => {
          clearTimeout(forceTimer);
          clearTimeout(idleDelay);
          clearInterval(idleTimer);
          if (error) {
            reject(error);
          } else {
            resolve();
          }
        });
      });
      return closing;
    },
  };
}
