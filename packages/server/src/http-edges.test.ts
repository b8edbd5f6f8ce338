/**
 * HTTP edge cases over real loopback HTTP, as a client or proxy meets them: Expect:
 * 100-continue, request lines Node accepts but a URL cannot hold, HEAD on the read routes,
 * and a client that leaves a session's stream halfway, on both stores.
 */

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_PATHS, type ErrorBody, type RecordedEvent } from '@replaykit/core';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createReplayServer, type ReplayServerOptions } from './app';
import { type NodeServerHandle, startNodeServer, toNodeListener } from './node';
import { createPostgresStore } from './postgres-store';
import { createSqliteStore } from './sqlite-store';
import { SessionDeletedError, type Store } from './store';
import { startTestPostgres, type TestPostgres } from './test/postgres';
import { batch, custom, ingestRequest, meta, READ_KEY, T0, TEST_PROJECTS, WRITE_KEY } from './test/support';

const directory = mkdtempSync(join(tmpdir(), 'replaykit-http-edges-'));
/** Started by the PostgreSQL cases only, so that the others run without PostgreSQL. */
let postgres: TestPostgres | undefined;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

afterAll(async () => {
  await postgres?.stop();
  rmSync(directory, { recursive: true, force: true });
});

/** A store whose batch reads are counted, and whose streams say when they were closed. */
function countingReads(store: Store) {
  const counts = { read: 0, open: 0 };
  const counted: Store = {
    ...store,
    async *readBatches(projectId, sessionId, options) {
      counts.open++;
      try {
        for await (const stored of store.readBatches(projectId, sessionId, options)) {
          counts.read++;
          yield stored;
        }
      } finally {
        counts.open--;
      }
    },
  };
  return { store: counted, counts };
}

async function serve(store: Store, options: Partial<ReplayServerOptions> = {}): Promise<NodeServerHandle> {
  const server = createReplayServer({ store, projects: TEST_PROJECTS, onError: () => {}, ...options });
  cleanups.push(async () => server.close());
  const handle = await startNodeServer({ server, port: 0 });
  cleanups.push(() => handle.close());
  return handle;
}

/** Serves a Node listener on an HTTP server of its own, as an application mounts toNodeListener. */
async function listenMounted(
  listener: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<NodeServerHandle> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function memoryStore(): Store {
  const store = createSqliteStore({ filename: ':memory:' });
  cleanups.push(() => store.close());
  return store;
}

/** One answer read off a raw connection: its status line, headers and body text. */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `head` on a new connection and reads answers until the connection closes. `onAnswer`
 * may write more (a body after 100 Continue). Resolves with every answer, interim ones too.
 */
function exchange(
  port: number,
  head: string,
  onAnswer: (answer: RawAnswer, write: (text: string) => void) => void = () => {},
): Promise<RawAnswer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const answers: RawAnswer[] = [];
    let buffered = '';
    const parse = () => {
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) {
          return;
        }
        const [statusLine = '', ...lines] = buffered.slice(0, end).split('\r\n');
        const headers = Object.fromEntries(
          lines.map((line) => {
            const colon = line.indexOf(':');
            return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
          }),
        );
        const length = Number(headers['content-length'] ?? 0);
        if (buffered.length < end + 4 + length) {
          return;
        }
        const answer = {
          status: Number(statusLine.split(' ')[1]),
          headers,
          body: buffered.slice(end + 4, end + 4 + length),
        };
        buffered = buffered.slice(end + 4 + length);
        answers.push(answer);
        onAnswer(answer, (text) => socket.write(text));
      }
    };
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      buffered += data;
      parse();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answers));
    socket.write(head);
  });
}

function errorCode(answer: RawAnswer | undefined): string | undefined {
  return answer ? (JSON.parse(answer.body) as ErrorBody).error.code : undefined;
}

describe('Expect: 100-continue', () => {
  it('refuses a bad key or a declared length over the limit before the body is sent, and asks for a good one', async () => {
    const store = memoryStore();
    const handle = await serve(store, { limits: { maxBodyBytes: 1_000 } });
    const expectHead = (headers: string) =>
      `POST /v1/ingest HTTP/1.1\r\nhost: replaykit.test\r\nexpect: 100-continue\r\ncontent-type: application/json\r\n${headers}\r\n`;

    // A client that waits for 100 Continue never sends these bodies: the answer must come
    // without them, and be the refusal, not an invitation to upload.
    for (const [headers, status, code] of [
      [`x-replaykit-key: wrong-key\r\ncontent-length: 500\r\n`, 403, 'invalid_key'],
      ['content-length: 500\r\n', 401, 'missing_key'],
      [`x-replaykit-key: ${WRITE_KEY}\r\ncontent-length: 5000\r\n`, 413, 'body_too_large'],
    ] as const) {
      const answers = await exchange(handle.port, expectHead(headers));
      expect(answers.map((answer) => [answer.status, errorCode(answer)])).toEqual([[status, code]]);
      // Its body never comes, so the connection cannot carry another request.
      expect(answers[0]?.headers.connection).toBe('close');
    }

    const body = JSON.stringify(batch('continued', [meta(T0)]));
    const answers = await exchange(
      handle.port,
      expectHead(`x-replaykit-key: ${WRITE_KEY}\r\ncontent-length: ${body.length}\r\nconnection: close\r\n`),
      (answer, write) => {
        if (answer.status === 100) {
          write(body);
        }
      },
    );
    expect(answers.map((answer) => answer.status)).toEqual([100, 200]);
    expect(await store.getSession('shop', 'continued')).toBeDefined();
  });
});

describe('requests that name no URL', () => {
  it('answers OPTIONS * and a Host header that is not a host with a JSON 400 saying what is wrong', async () => {
    const replayServer = createReplayServer({
      store: memoryStore(),
      projects: TEST_PROJECTS,
      onError: () => {},
    });
    cleanups.push(async () => replayServer.close());
    const handle = await startNodeServer({ server: replayServer, port: 0 });
    cleanups.push(() => handle.close());
    // The same through toNodeListener, as Express mounts it.
    const mounted = createServer(toNodeListener(replayServer));
    await new Promise<void>((resolve) => mounted.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => mounted.close(() => resolve())));
    const mountedPort = (mounted.address() as { port: number }).port;

    for (const port of [handle.port, mountedPort]) {
      for (const head of [
        'OPTIONS * HTTP/1.1\r\nhost: replaykit.test\r\nconnection: close\r\n\r\n',
        'GET /healthz HTTP/1.1\r\nhost: user@replaykit.test\r\nconnection: close\r\n\r\n',
        'GET /healthz HTTP/1.1\r\nhost: replay kit.test\r\nconnection: close\r\n\r\n',
      ]) {
        const [answer] = await exchange(port, head);
        expect(answer?.status).toBe(400);
        expect(answer?.headers['content-type']).toMatch(/^application\/json/);
        const { error } = JSON.parse(answer?.body ?? '{}') as ErrorBody;
        expect(error.code).toBe('invalid_request');
        expect(error.message).toContain('a path starting with "/"');
        expect(error.message).toContain('the Host header a host name');
      }
    }
  });
});

describe('requests Node refuses before any handler', () => {
  it('answers a header block over the limit and a malformed request with a JSON error saying what is wrong', async () => {
    const handle = await serve(memoryStore());
    for (const [head, status, code] of [
      [
        `GET /healthz HTTP/1.1\r\nhost: replaykit.test\r\nx-note: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        'headers_too_large',
      ],
      [
        'POST /v1/ingest HTTP/1.1\r\nhost: replaykit.test\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
        400,
        'invalid_request',
      ],
    ] as const) {
      const answers = await exchange(handle.port, head);
      expect(answers.map((answer) => [answer.status, answer.headers['content-type']])).toEqual([
        [status, 'application/json'],
      ]);
      const { error } = JSON.parse(answers[0]?.body ?? '{}') as ErrorBody;
      expect(error.code).toBe(code);
      expect(error.message.length).toBeGreaterThan(40);
    }
    // The server goes on serving.
    expect((await fetch(`${handle.url}/healthz`)).status).toBe(200);
  });
});

/** A session of `count` batches, each with an event of `size` characters that gzip cannot shrink. */
async function storeSession(
  handle: NodeServerHandle,
  sessionId: string,
  count: number,
  size: number,
): Promise<void> {
  let state = 1;
  const noise = () =>
    Array.from({ length: size }, () => {
      // A small linear congruential generator: text that does not compress.
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return String.fromCharCode(97 + (state % 26));
    }).join('');
  for (let seq = 0; seq < count; seq++) {
    const events: RecordedEvent[] = [
      ...(seq === 0 ? [meta(T0)] : []),
      custom(T0 + seq * 10 + 1, 'filler', { text: noise() }),
    ];
    const response = await fetch(ingestRequest(batch(sessionId, events, { seq }), { baseUrl: handle.url }));
    expect(response.status).toBe(200);
    await response.body?.cancel();
  }
}

/**
 * Serves `store` with what the server reports collected: `onError`'s errors, `onAnswerBroken`'s
 * lines, and spies on what goes to the console (which nothing should).
 */
async function serveLogged(store: Store, options: Partial<ReplayServerOptions> = {}) {
  const errors: unknown[] = [];
  const replayServer = createReplayServer({
    store,
    projects: TEST_PROJECTS,
    onError: (error) => errors.push(error),
    ...options,
  });
  cleanups.push(async () => replayServer.close());
  const lines: string[] = [];
  const handle = await startNodeServer({
    server: replayServer,
    port: 0,
    onAnswerBroken: (line) => lines.push(line),
  });
  cleanups.push(() => handle.close());
  const printed = [
    vi.spyOn(console, 'error').mockImplementation(() => {}),
    vi.spyOn(console, 'warn').mockImplementation(() => {}),
    vi.spyOn(console, 'info').mockImplementation(() => {}),
  ];
  cleanups.push(async () => {
    for (const spy of printed) {
      spy.mockRestore();
    }
  });
  return { handle, errors, lines, printed };
}

describe.each([
  ['SQLite', async () => createSqliteStore({ filename: join(directory, `reads-${Date.now()}.db`) })],
  [
    'PostgreSQL',
    async () => {
      postgres ??= await startTestPostgres();
      return createPostgresStore({ connectionString: await postgres.createDatabase() });
    },
  ],
])('reading a session over HTTP on %s', (_, openStore) => {
  it('answers HEAD on the events and chunks routes with headers only, reading no batch', async () => {
    const real = await openStore();
    cleanups.push(() => real.close());
    const { store, counts } = countingReads(real);
    const handle = await serve(store);
    await storeSession(handle, 'headed', 5, 100);
    const head = (path: string) =>
      fetch(`${handle.url}${path}`, { method: 'HEAD', headers: { authorization: `Bearer ${READ_KEY}` } });

    const events = await head(API_PATHS.sessionEvents('headed'));
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/^application\/json/);
    const chunks = await head(API_PATHS.sessionChunks('headed'));
    expect(chunks.status).toBe(200);
    expect(chunks.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    // Still refused as the GET would be.
    expect((await head(API_PATHS.sessionEvents('missing'))).status).toBe(404);
    expect(counts).toEqual({ read: 0, open: 0 });
  });

  it('logs a chunk stream cut off by its session’s deletion in one line, and one its client left not at all', async () => {
    const real = await openStore();
    cleanups.push(() => real.close());
    // Each stream's reads wait at its third batch until the test opens the gate.
    let atGate: () => void = () => {};
    let openGate: () => void = () => {};
    const gated: Store = {
      ...real,
      async *readBatches(projectId, sessionId, options) {
        let read = 0;
        for await (const stored of real.readBatches(projectId, sessionId, options)) {
          if (++read === 3) {
            await new Promise<void>((resolve) => {
              openGate = resolve;
              atGate();
            });
          }
          yield stored;
        }
      },
    };
    const { handle, errors, lines, printed } = await serveLogged(gated);
    // More batches than PostgreSQL's store reads in one page (16), so that some are read
    // after the deletion.
    await storeSession(handle, 'left', 20, 1_000);
    await storeSession(handle, 'deleted', 20, 1_000);

    /** Reads a session's chunks until the reads wait at the gate; `ended` settles with the answer. */
    const readUntilGate = async (sessionId: string) => {
      const gateReached = new Promise<void>((resolve) => {
        atGate = resolve;
      });
      const request = httpRequest(`${handle.url}${API_PATHS.sessionChunks(sessionId)}?windowId=window-1`, {
        headers: { authorization: `Bearer ${READ_KEY}` },
      });
      const ended = new Promise<string>((resolve) => {
        request.on('error', () => resolve('error'));
        request.on('response', (response) => {
          response.on('error', () => resolve('error'));
          response.on('end', () => resolve('end'));
          response.resume();
        });
      });
      request.end();
      await gateReached;
      return { request, ended };
    };

    const leaving = await readUntilGate('left');
    leaving.request.destroy();
    await leaving.ended;
    openGate();
    const deleting = await readUntilGate('deleted');
    expect(await real.deleteSession('shop', 'deleted')).toBe(true);
    openGate();
    // The client sees a broken stream, never a whole one.
    expect(await deleting.ended).toBe('error');
    await vi.waitFor(() => expect(lines.length).toBe(1));
    // Before, Node's adapter printed the stream's error with its stack trace (console.error).
    expect(lines).toEqual([
      'GET /v1/sessions/deleted/chunks broke off after its headers went out: the session was deleted while it was being read (DELETE, or retention)',
    ]);
    for (const spy of printed) {
      expect(spy).not.toHaveBeenCalled();
    }
    expect(errors).toEqual([]);
  });

  it.each([
    ['deleted', 404, 'session_not_found'],
    ['failing', 503, 'store_unavailable'],
  ] as const)(
    'answers a chunk stream whose second read fails before its headers went out (session %s) with a JSON %i',
    async (failure, status, code) => {
      const real = await openStore();
      cleanups.push(() => real.close());
      const storeFailure = new Error('the store went away');
      // The first read (before the route answers) succeeds; the second, which Node's adapter
      // makes before it writes the headers, fails at once. A deleted session is deleted during
      // the first, so that the second fails as fast as a store failure does.
      const failingSecond: Store = {
        ...real,
        async *readBatches(projectId, sessionId, options) {
          let read = 0;
          for await (const stored of real.readBatches(projectId, sessionId, options)) {
            read++;
            if (read === 1 && failure === 'deleted') {
              expect(await real.deleteSession(projectId, sessionId)).toBe(true);
            }
            if (read === 2) {
              throw failure === 'deleted' ? new SessionDeletedError() : storeFailure;
            }
            yield stored;
          }
        },
      };
      const { handle, errors, lines, printed } = await serveLogged(failingSecond, {
        cors: { readOrigins: ['https://support.example'] },
      });
      await storeSession(handle, 'broken', 3, 100);

      // Before, the connection was cut with no status line at all, and the log said the
      // answer broke off after its headers went out.
      const [answer] = await exchange(
        handle.port,
        `GET ${API_PATHS.sessionChunks('broken')} HTTP/1.1\r\nhost: replaykit.test\r\norigin: https://support.example\r\nauthorization: Bearer ${READ_KEY}\r\nconnection: close\r\n\r\n`,
      );
      expect(answer?.status).toBe(status);
      expect(answer?.headers['content-type']).toMatch(/^application\/json/);
      // The player on another origin can read why.
      expect(answer?.headers['access-control-allow-origin']).toBe('https://support.example');
      expect(errorCode(answer)).toBe(code);
      if (failure === 'failing') {
        expect(answer?.headers['retry-after']).toBeDefined();
      }
      expect(lines).toEqual([
        failure === 'deleted'
          ? 'GET /v1/sessions/broken/chunks was answered 404 before its headers went out: the session was deleted while it was being read (DELETE, or retention)'
          : 'GET /v1/sessions/broken/chunks was answered 503 before its headers went out: reading the session from the store failed (logged as an error on its own)',
      ]);
      expect(errors).toEqual(failure === 'deleted' ? [] : [storeFailure]);
      for (const spy of printed) {
        expect(spy).not.toHaveBeenCalled();
      }
    },
  );

  it.each([
    ['chunks', API_PATHS.sessionChunks],
    ['events', API_PATHS.sessionEvents],
  ])('stops reading a session for %s once its client has left', async (_, path) => {
    const real = await openStore();
    cleanups.push(() => real.close());
    const { store, counts } = countingReads(real);
    // Reads wait at the third batch until the client has gone, whatever the machine's speed.
    const GATE_AT = 3;
    let openGate: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const gated: Store = {
      ...store,
      async *readBatches(projectId, sessionId, options) {
        for await (const stored of store.readBatches(projectId, sessionId, options)) {
          if (counts.read === GATE_AT) {
            await gate;
          }
          yield stored;
        }
      },
    };
    const replayServer = createReplayServer({ store: gated, projects: TEST_PROJECTS, onError: () => {} });
    cleanups.push(async () => replayServer.close());
    let clientGone: () => void = () => {};
    const gone = new Promise<void>((resolve) => {
      clientGone = resolve;
    });
    const handle = await startNodeServer({
      server: {
        fetch(request) {
          request.signal.addEventListener('abort', () => clientGone());
          return replayServer.fetch(request);
        },
      },
      port: 0,
    });
    cleanups.push(() => handle.close());
    const BATCHES = 40;
    await storeSession(handle, 'long', BATCHES, 10_000);

    const request = httpRequest(`${handle.url}${path('long')}`, {
      headers: { authorization: `Bearer ${READ_KEY}` },
    });
    request.on('error', () => {});
    request.end();
    // The player closes while the session is being read.
    await vi.waitFor(() => expect(counts.read).toBe(GATE_AT));
    request.destroy();
    await gone;
    openGate();
    await vi.waitFor(() => expect(counts.open).toBe(0));
    expect(counts.read).toBeLessThanOrEqual(GATE_AT + 2);
  });
});

describe('a client that stops reading its answer', () => {
  /**
   * A session that the kernel's buffers cannot hold (about 4 MiB on Linux's loopback, for
   * both ends together): 40 batches of 400,000 characters that do not compress.
   */
  const BATCHES = 40;
  const BATCH_CHARACTERS = 400_000;

  /**
   * A server on SQLite with a short stall limit. `closedAnswers` lists the paths of the
   * answers whose connection the server closed or that it finished, as Node reports them.
   */
  async function stallingServer(
    streamStallMs: number,
    mount: 'startNodeServer' | 'toNodeListener' = 'startNodeServer',
  ) {
    const real = createSqliteStore({ filename: join(directory, `stall-${Date.now()}.db`) });
    cleanups.push(() => real.close());
    const { store, counts } = countingReads(real);
    const replayServer = createReplayServer({ store, projects: TEST_PROJECTS, onError: () => {} });
    cleanups.push(async () => replayServer.close());
    const handle =
      mount === 'startNodeServer'
        ? await startNodeServer({ server: replayServer, port: 0, streamStallMs })
        : await listenMounted(toNodeListener(replayServer, { streamStallMs }));
    cleanups.push(() => handle.close());
    const closedAnswers: string[] = [];
    const onRequest = (message: unknown) => {
      const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
      response.once('close', () => closedAnswers.push(request.url ?? ''));
    };
    subscribe('http.server.request.start', onRequest);
    cleanups.push(async () => {
      unsubscribe('http.server.request.start', onRequest);
    });
    await storeSession(handle, 'large', BATCHES, BATCH_CHARACTERS);
    return { handle, counts, closedAnswers };
  }

  /** Sends a GET on a raw connection that reads nothing until `text()`, which reads all it got until the close. */
  function pausedGet(port: number, path: string) {
    const socket = connect(port, '127.0.0.1');
    cleanups.push(async () => {
      socket.destroy();
    });
    socket.pause();
    const chunks: Buffer[] = [];
    socket.on('data', (data: Buffer) => chunks.push(data));
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(`GET ${path} HTTP/1.1\r\nhost: replaykit.test\r\nauthorization: Bearer ${READ_KEY}\r\n\r\n`);
    return {
      async text() {
        socket.resume();
        await closed;
        return Buffer.concat(chunks).toString('latin1');
      },
    };
  }

  it.each([
    ['chunks', API_PATHS.sessionChunks],
    ['events', API_PATHS.sessionEvents],
  ])(
    'closes a %s answer its client stopped reading, and stops reading the session',
    async (route, path) => {
      const { handle, counts, closedAnswers } = await stallingServer(500);
      const client = pausedGet(handle.port, path('large'));
      // Before, the answer waited for its client until the server shut down, and so did its
      // connection and the chunk stream's store reader.
      await vi.waitFor(() => expect(closedAnswers).toContain(path('large')), { timeout: 30_000 });
      await vi.waitFor(() => expect(counts.open).toBe(0));
      if (route === 'chunks') {
        expect(counts.read).toBeLessThan(BATCHES);
      }
      const text = await client.text();
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      // What the kernel held is delivered, then the connection ends short of the answer's end.
      expect(body.length).toBeGreaterThan(0);
      if (route === 'chunks') {
        expect(text.endsWith('\r\n0\r\n\r\n')).toBe(false);
      } else {
        expect(body.length).toBeLessThan(Number(/content-length: (\d+)/i.exec(head)?.[1]));
      }
    },
    60_000,
  );

  it.each([
    ['chunks', API_PATHS.sessionChunks],
    ['events', API_PATHS.sessionEvents],
  ])(
    'closes a %s answer its client does not read even while the client keeps sending bytes',
    async (_, path) => {
      const { handle, counts, closedAnswers } = await stallingServer(500);
      const socket = connect(handle.port, '127.0.0.1');
      socket.pause();
      socket.on('error', () => {});
      // A GET with a chunked body, trickled a byte at a time: what arrives is read, and
      // before, every byte read restarted the stall time, so the answer never closed.
      socket.write(
        `GET ${path('large')} HTTP/1.1\r\nhost: replaykit.test\r\nauthorization: Bearer ${READ_KEY}\r\ntransfer-encoding: chunked\r\n\r\n`,
      );
      const trickle = setInterval(() => socket.write('1\r\na\r\n'), 100);
      cleanups.push(async () => {
        clearInterval(trickle);
        socket.destroy();
      });
      await vi.waitFor(() => expect(closedAnswers).toContain(path('large')), { timeout: 30_000 });
      await vi.waitFor(() => expect(counts.open).toBe(0));
    },
    60_000,
  );

  it('closes a chunks answer its client stopped reading on the application’s own server, through toNodeListener', async () => {
    const { handle, counts, closedAnswers } = await stallingServer(500, 'toNodeListener');
    const client = pausedGet(handle.port, API_PATHS.sessionChunks('large'));
    // Before, only startNodeServer watched its answers: mounted in an application's server,
    // the answer and its store reader waited for the client as long as the connection lasted.
    await vi.waitFor(() => expect(closedAnswers).toContain(API_PATHS.sessionChunks('large')), {
      timeout: 30_000,
    });
    await vi.waitFor(() => expect(counts.open).toBe(0));
    expect(counts.read).toBeLessThan(BATCHES);
    expect((await client.text()).endsWith('\r\n0\r\n\r\n')).toBe(false);
    // The application's server goes on serving.
    expect((await fetch(`${handle.url}/healthz`)).status).toBe(200);
  }, 60_000);

  it('starts no stall check for an answer whose client left before the application called toNodeListener', async () => {
    const STALL_MS = 750;
    const replayServer = createReplayServer({
      store: memoryStore(),
      projects: TEST_PROJECTS,
      onError: () => {},
    });
    cleanups.push(async () => replayServer.close());
    const listener = toNodeListener(replayServer, { streamStallMs: STALL_MS });
    let handled: () => void = () => {};
    const listenerDone = new Promise<void>((resolve) => {
      handled = resolve;
    });
    // As an application's own async middleware (a session lookup, say) does, it hands the
    // request on later: by then, this client has left.
    const handle = await listenMounted((request, response) => {
      response.once('close', () => {
        setImmediate(async () => {
          await listener(request, response);
          handled();
        });
      });
      request.socket.destroy();
    });
    cleanups.push(() => handle.close());
    const started = vi.spyOn(globalThis, 'setInterval');
    const stopped = vi.spyOn(globalThis, 'clearInterval');
    cleanups.push(async () => {
      started.mockRestore();
      stopped.mockRestore();
    });
    const request = httpRequest(`${handle.url}${API_PATHS.sessions}`, {
      headers: { authorization: `Bearer ${READ_KEY}` },
    });
    request.on('error', () => {});
    request.end();
    await listenerDone;
    const stallChecks = started.mock.results
      .filter((_, index) => started.mock.calls[index]?.[1] === STALL_MS)
      .map((result) => result.value);
    // Before, its check ran every STALL_MS for as long as the process did: the answer's
    // 'close', which stops it, had gone by before it started.
    const running = stallChecks.filter(
      (timer) => !stopped.mock.calls.some(([stoppedTimer]) => stoppedTimer === timer),
    );
    expect(running).toEqual([]);
  });

  it('lets a slow client that keeps reading take the whole answer', async () => {
    // Reading 64 KiB every 20 ms takes seconds in all, several times the limit, while the
    // kernel passes on what it read in steps of a few hundred ms, well within it.
    const { handle } = await stallingServer(2_000);
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      httpRequest(`${handle.url}${API_PATHS.sessionChunks('large')}`, {
        headers: { authorization: `Bearer ${READ_KEY}` },
      })
        .on('response', resolve)
        .on('error', reject)
        .end();
    });
    let lines = 0;
    await new Promise<void>((resolve, reject) => {
      response.on('data', (data: Buffer) => {
        lines += data.toString('latin1').split('\n').length - 1;
        // Slower than the server writes, so its writes wait for the client all along.
        response.pause();
        setTimeout(() => response.resume(), 20);
      });
      response.on('end', resolve);
      response.on('error', reject);
    });
    expect(lines).toBe(BATCHES);
  }, 60_000);
});

describe('batches in flight', () => {
  /** A store whose writes wait until `release()`, counting the batches that reached it. */
  function heldWrites(store: Store) {
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const state = { reached: 0, release: () => open() };
    const held: Store = {
      ...store,
      async putBatch(input) {
        state.reached++;
        await gate;
        return store.putBatch(input);
      },
    };
    return { store: held, state };
  }

  it('answers 503 server_busy with Retry-After past maxBatchesInFlight while the store is slow', async () => {
    const { store, state } = heldWrites(memoryStore());
    const handle = await serve(store, { limits: { maxBatchesInFlight: 2, maxBytesInFlight: 4_000 } });
    const send = (sessionId: string, headers: Record<string, string> = {}) =>
      fetch(ingestRequest(batch(sessionId, [meta(T0)]), { baseUrl: handle.url, headers }));
    // Two batches wait for a slow store (a commit stalled on disk, a database failing over).
    const held = [send('held-1'), send('held-2')];
    await vi.waitFor(() => expect(state.reached).toBe(2));

    const answers: Response[] = [];
    const more = [send('more-1'), send('more-2')].map((sent) =>
      sent.then((response) => {
        answers.push(response);
        return response;
      }),
    );
    // Each further batch is either answered now or (without a cap) waits in the store too.
    await vi.waitFor(() => expect(answers.length + state.reached - 2).toBe(2));
    state.release();
    for (const response of await Promise.all(more)) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(((await response.json()) as ErrorBody).error.code).toBe('server_busy');
    }
    expect((await Promise.all(held)).map((response) => response.status)).toEqual([200, 200]);
    // Room again once they are answered.
    expect((await send('after')).status).toBe(200);
  });

  it('counts the bytes of batches in flight, declared or, for a chunked body, as read', async () => {
    const { store, state } = heldWrites(memoryStore());
    const handle = await serve(store, { limits: { maxBytesInFlight: 1_000 } });
    const events = [meta(T0), custom(T0 + 1, 'filler', { text: 'x'.repeat(600) })];
    const body = JSON.stringify(batch('held', events));
    const held = fetch(ingestRequest(body, { baseUrl: handle.url }));
    await vi.waitFor(() => expect(state.reached).toBe(1));

    const chunkedBody = JSON.stringify(batch('chunked', events));
    const answers: Response[] = [];
    const more = [
      fetch(ingestRequest(JSON.stringify(batch('declared', events)), { baseUrl: handle.url })),
      fetch(`${handle.url}/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-replaykit-key': WRITE_KEY },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(chunkedBody));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit),
    ].map((sent) =>
      sent.then((response) => {
        answers.push(response);
        return response;
      }),
    );
    await vi.waitFor(() => expect(answers.length + state.reached - 1).toBe(2));
    state.release();
    for (const response of await Promise.all(more)) {
      expect(response.status).toBe(503);
      expect(((await response.json()) as ErrorBody).error.code).toBe('server_busy');
    }
    expect((await held).status).toBe(200);
  });
});
