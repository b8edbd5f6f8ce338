import { Agent, request as httpRequest } from 'node:http';
import { connect, createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { API_PATHS, type SessionEventsResponse, type SessionListResponse } from '@replaykit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createReplayServer } from './app';
import { cutAnswer } from './broken-answer';
import { type NodeServerHandle, startNodeServer, toNodeListener, UNREAD_BODY_LINGER_MAX_BYTES } from './node';
import { createSqliteStore } from './sqlite-store';
import type { Store } from './store';
import {
  batch,
  click,
  fullSnapshot,
  ingestRequest,
  meta,
  readRequest,
  T0,
  TEST_PROJECTS,
  WRITE_KEY,
} from './test/support';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

async function start(
  options: Partial<Parameters<typeof createReplayServer>[0]> = {},
): Promise<{ handle: NodeServerHandle; store: Store }> {
  const store = createSqliteStore({ filename: ':memory:' });
  cleanups.push(() => store.close());
  const server = createReplayServer({ store, projects: TEST_PROJECTS, onError: () => {}, ...options });
  cleanups.push(async () => server.close());
  const handle = await startNodeServer({ server, port: 0, host: '127.0.0.1' });
  cleanups.push(() => handle.close());
  return { handle, store };
}

/** Sends the start of a body and then stalls; resolves with the status and body of the answer. */
function stalledUpload(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '1000', 'x-replaykit-key': WRITE_KEY },
    });
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body });
        request.destroy();
      });
    });
    request.on('error', reject);
    request.write('{"v":1,"sessionId":');
  });
}

describe('startNodeServer', () => {
  it('answers 408 body_timeout to a client whose body stalls, and stores nothing', async () => {
    const { handle, store } = await start({ limits: { bodyTimeoutMs: 200 } });
    const { status, body } = await stalledUpload(handle.url);
    expect(status).toBe(408);
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'body_timeout' } });
    expect((await store.listSessions('shop', { limit: 10 })).sessions).toEqual([]);
  });

  it('answers a client that leaves halfway through its body without reporting an error', async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    cleanups.push(() => store.close());
    const errors: unknown[] = [];
    const server = createReplayServer({
      store,
      projects: TEST_PROJECTS,
      onError: (error) => errors.push(error),
    });
    cleanups.push(async () => server.close());
    let arrived: () => void = () => {};
    let answered: (response: Response) => void = () => {};
    const handle = await startNodeServer({
      server: {
        fetch: async (request) => {
          arrived();
          const response = await server.fetch(request);
          answered(response.clone());
          return response;
        },
      },
      port: 0,
    });
    cleanups.push(() => handle.close());
    const body = JSON.stringify(batch('left', [meta(T0), click(T0 + 1)]));
    // Read whole (a declared length) and streamed (chunked): the two ways a body is read.
    for (const [framing, start] of [
      ['content-length', `content-length: ${body.length}\r\n\r\n${body.slice(0, 20)}`],
      ['chunked', `transfer-encoding: chunked\r\n\r\n14\r\n${body.slice(0, 20)}\r\n`],
    ]) {
      const requestArrived = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const answer = new Promise<Response>((resolve) => {
        answered = resolve;
      });
      const socket = connect(handle.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write(
        `POST /v1/ingest HTTP/1.1\r\nhost: replaykit.test\r\nx-replaykit-key: ${WRITE_KEY}\r\n${start}`,
      );
      await requestArrived;
      // The tab closes, the phone loses its network: the rest never comes.
      socket.destroy();
      const response = await answer;
      // 408, which a client that is still there (behind a proxy) sends again, as for a timeout.
      expect({ framing, status: response.status }).toEqual({ framing, status: 408 });
      expect(await response.json()).toMatchObject({ error: { code: 'body_incomplete' } });
    }
    // A client that left is no failure of the server (`replaykit serve` logs onError as errors).
    expect(errors).toEqual([]);
    expect((await store.listSessions('shop', { limit: 10 })).sessions).toEqual([]);
  });

  it('finishes an in-flight request during a graceful close', async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    cleanups.push(() => store.close());
    const server = createReplayServer({ store, projects: TEST_PROJECTS, onError: () => {} });
    cleanups.push(async () => server.close());
    let arrived: () => void = () => {};
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const handle = await startNodeServer({
      server: {
        fetch: (request) => {
          arrived();
          return server.fetch(request);
        },
      },
      port: 0,
    });
    cleanups.push(() => handle.close());
    // A body that arrives slowly: close() starts while the request is in flight.
    const events = [meta(T0), fullSnapshot(T0 + 1)];
    const payload = new TextEncoder().encode(JSON.stringify(batch('closing', events)));
    let sendRest: (() => void) | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(payload.slice(0, 10));
        sendRest = () => {
          controller.enqueue(payload.slice(10));
          controller.close();
        };
      },
    });
    const pending = fetch(`${handle.url}/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-replaykit-key': WRITE_KEY },
      body,
      duplex: 'half',
    } as RequestInit);
    // Not a fixed wait: on a busy machine the headers can take longer than one to arrive.
    await requestArrived;
    const closed = handle.close();
    sendRest?.();
    const response = await pending;
    expect(response.status).toBe(200);
    await closed;
  });

  it('listens on a free port and serves ingest and reads over real HTTP', async () => {
    const { handle } = await start();
    expect(handle.port).toBeGreaterThan(0);
    expect(handle.url).toBe(`http://127.0.0.1:${handle.port}`);

    const events = [meta(T0), fullSnapshot(T0 + 1), click(T0 + 2)];
    const gzipped = gzipSync(JSON.stringify(batch('http-session', events)));
    const ingested = await fetch(
      ingestRequest(gzipped, { baseUrl: handle.url, headers: { 'content-type': 'text/plain' } }),
    );
    expect(ingested.status).toBe(200);
    expect(await ingested.json()).toEqual({ ok: true, duplicate: false });

    const list = await fetch(readRequest(API_PATHS.sessions, { baseUrl: handle.url }));
    expect(((await list.json()) as SessionListResponse).sessions.map((session) => session.id)).toEqual([
      'http-session',
    ]);
    const read = await fetch(readRequest(API_PATHS.sessionEvents('http-session'), { baseUrl: handle.url }));
    expect(((await read.json()) as SessionEventsResponse).events).toEqual(events);
  });

  it('answers 413 over HTTP when the body is over the limit', async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    cleanups.push(() => store.close());
    const server = createReplayServer({ store, projects: TEST_PROJECTS, limits: { maxBodyBytes: 100 } });
    const handle = await startNodeServer({ server, port: 0 });
    cleanups.push(() => handle.close());
    const response = await fetch(
      ingestRequest(batch('s1', [meta(T0), click(T0 + 1), click(T0 + 2)]), { baseUrl: handle.url }),
    );
    expect(response.status).toBe(413);
  });

  it('lets a client that reads only after sending its whole body, slowly, read the 413', async () => {
    const { handle, store } = await start({ limits: { maxBodyBytes: 1_000_000 } });
    const piece = Buffer.alloc(64 * 1024, 32);
    const PIECES = 48;
    // Sent slowly (seconds in all), as over a slow uplink, and read only once it is all sent,
    // as many clients do: before, the connection was closed 500 ms after the answer, and the
    // client's next write was reset, which also threw away the unread answer.
    const sendThenRead = (framing: string, frame: (data: Buffer) => Buffer, last: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(handle.port, '127.0.0.1');
        socket.pause();
        let received = '';
        socket.setEncoding('latin1').on('data', (data: string) => {
          received += data;
        });
        socket.on('error', reject);
        socket.on('close', () => resolve(received));
        socket.write(
          `POST /v1/ingest HTTP/1.1\r\nhost: replaykit.test\r\ncontent-type: application/json\r\nx-replaykit-key: ${WRITE_KEY}\r\n${framing}\r\n\r\n`,
        );
        let sent = 0;
        const sendNext = () => {
          if (sent === PIECES) {
            socket.write(last);
            socket.resume();
            return;
          }
          sent++;
          socket.write(frame(piece), () => setTimeout(sendNext, 40));
        };
        sendNext();
      });
    for (const [framing, frame, last] of [
      [`content-length: ${PIECES * piece.length}`, (data: Buffer) => data, ''],
      [
        'transfer-encoding: chunked',
        (data: Buffer) =>
          Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]),
        '0\r\n\r\n',
      ],
    ] as const) {
      const received = await sendThenRead(framing, frame, last);
      expect(received, framing).toMatch(/^HTTP\/1\.1 413 /);
      expect(received).toContain('"code":"body_too_large"');
    }
    expect((await store.listSessions('shop', { limit: 10 })).sessions).toEqual([]);
  }, 60_000);

  /** How a body is framed on the wire: with its length declared up front, or in chunks. */
  type Framing = 'content-length' | 'chunked';
  const FRAMINGS: readonly Framing[] = ['content-length', 'chunked'];

  /**
   * Sends a POST to /v1/ingest with a body of `total` bytes as fast as the connection takes it,
   * reading nothing until it is all sent; resolves with what was sent when the connection
   * closed, and what was read of it. A chunked body goes in chunks of 256 KiB, with no length
   * declared: the server learns it is too large only as it reads it.
   */
  const pushBody = (port: number, key: string, total: number, framing: Framing = 'content-length') =>
    new Promise<{ sent: number; received: string }>((resolve) => {
      const piece = Buffer.alloc(256 * 1024, 32);
      const chunked = framing === 'chunked';
      const frame = chunked
        ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
        : piece;
      const socket = connect(port, '127.0.0.1');
      socket.pause();
      let sent = 0;
      let received = '';
      socket.setEncoding('latin1').on('data', (data: string) => {
        received += data;
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve({ sent, received }));
      socket.write(
        `POST /v1/ingest HTTP/1.1\r\nhost: replaykit.test\r\ncontent-type: application/json\r\nx-replaykit-key: ${key}\r\n${chunked ? 'transfer-encoding: chunked' : `content-length: ${total}`}\r\n\r\n`,
      );
      const sendNext = () => {
        if (sent === total) {
          // All sent: read the answer, and the end of the connection.
          socket.write(chunked ? '0\r\n\r\n' : '');
          socket.resume();
          return;
        }
        socket.write(frame, (error) => {
          if (!error) {
            sent += piece.length;
            sendNext();
          }
        });
      };
      sendNext();
    });

  it.each(FRAMINGS)(
    'closes a connection whose client keeps pushing a refused body past UNREAD_BODY_LINGER_MAX_BYTES (%s)',
    async (framing) => {
      const { handle, store } = await start({ limits: { maxBodyBytes: 1_000_000 } });
      // Four times the cap, answered with a 413 for its declared length at once, or for a
      // chunked one once its first megabyte is read.
      const { sent } = await pushBody(handle.port, WRITE_KEY, 4 * UNREAD_BODY_LINGER_MAX_BYTES, framing);
      // Before, the server took and dropped all of it, and would have taken more for 30 s.
      // The kernel's buffers on both ends hold some megabytes the server never read.
      expect(sent).toBeGreaterThan(0);
      expect(sent).toBeLessThan(2 * UNREAD_BODY_LINGER_MAX_BYTES);
      expect((await store.listSessions('shop', { limit: 10 })).sessions).toEqual([]);
    },
    60_000,
  );

  it.each(FRAMINGS)(
    'lets a client that pushes a body over maxBodyBytes as fast as it can, reading only once it is sent, read the 413 (%s)',
    async (framing) => {
      const { handle, store } = await start({ limits: { maxBodyBytes: 1_000_000 } });
      // Far more than the kernel's buffers on both ends hold, and under the linger's cap.
      const total = (3 * UNREAD_BODY_LINGER_MAX_BYTES) / 4;
      const { sent, received } = await pushBody(handle.port, WRITE_KEY, total, framing);
      // Before, a chunked body stayed paused once refused: nothing more was read, the client
      // blocked until the linger's 30 s were up, and its connection was reset unread.
      expect(sent).toBe(total);
      expect(received).toMatch(/^HTTP\/1\.1 413 /);
      expect(received).toContain('"code":"body_too_large"');
      expect((await store.listSessions('shop', { limit: 10 })).sessions).toEqual([]);
    },
    60_000,
  );

  it('lets a client refused for its key read the answer after sending a body maxBodyBytes allows, past UNREAD_BODY_LINGER_MAX_BYTES', async () => {
    // A server that takes bodies larger than the linger's own cap.
    const { handle, store } = await start({ limits: { maxBodyBytes: 2 * UNREAD_BODY_LINGER_MAX_BYTES } });
    const total = (3 * UNREAD_BODY_LINGER_MAX_BYTES) / 2;
    const { sent, received } = await pushBody(handle.port, 'not-a-key', total);
    // Before, the connection was cut once the cap had come in: a body of a size the server
    // takes, and its client, which reads once it has sent it, saw a reset instead of why.
    expect(sent).toBe(total);
    expect(received).toMatch(/^HTTP\/1\.1 403 /);
    expect(received).toContain('"code":"invalid_key"');
    expect((await store.listSessions('shop', { limit: 10 })).sessions).toEqual([]);
  }, 60_000);

  it('gives only GET requests a way to cut their answer off, not ingest', async () => {
    const cuttable: Record<string, boolean> = {};
    const lines: string[] = [];
    const handle = await startNodeServer({
      port: 0,
      onAnswerBroken: (line) => lines.push(line),
      server: {
        fetch(request) {
          // What a chunk stream asks when it breaks off; a POST's answer never streams.
          if (request.method === 'POST') {
            cuttable[request.method] = cutAnswer(request, 'asked by the test', {
              status: 500,
              headers: {},
              body: '',
            });
          }
          return new Response('{}', { headers: { 'content-type': 'application/json' } });
        },
      },
    });
    cleanups.push(() => handle.close());
    // Before, every request got a cutter (a closure and a WeakMap entry), ingest's too, and this
    // POST's connection was cut.
    const response = await fetch(`${handle.url}/v1/ingest`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    expect(cuttable).toEqual({ POST: false });
    expect(lines).toEqual([]);
  });

  it('reads chunked bodies without Content-Length within the limit, and refuses them past it', async () => {
    // Bodies with a declared length are read whole (the parser enforces the length);
    // chunked ones go through the streaming reader, which must still count every byte.
    const { handle, store } = await start({ limits: { maxBodyBytes: 2_000 } });
    const sendChunked = (body: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${handle.url}/v1/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-replaykit-key': WRITE_KEY },
        });
        request.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        for (let offset = 0; offset < body.length; offset += 300) {
          request.write(body.slice(offset, offset + 300));
        }
        request.end();
      });
    const small = JSON.stringify(batch('chunked-small', [meta(T0), click(T0 + 1)]));
    expect(small.length).toBeLessThan(2_000);
    expect(await sendChunked(small)).toBe(200);
    const clicks = Array.from({ length: 40 }, (_, index) => click(T0 + 1 + index));
    const large = JSON.stringify(batch('chunked-large', [meta(T0), ...clicks]));
    expect(large.length).toBeGreaterThan(2_000);
    expect(await sendChunked(large)).toBe(413);
    const { sessions } = await store.listSessions('shop', { limit: 10 });
    expect(sessions.map((session) => session.id)).toEqual(['chunked-small']);
  });

  it('answers or refuses, and never resets, keep-alive clients that keep sending while it closes', async () => {
    for (let round = 0; round < 3; round++) {
      const { handle, store } = await start();
      const agent = new Agent({ keepAlive: true, maxSockets: 16 });
      const acknowledged: string[] = [];
      const failures: string[] = [];
      let sending = true;
      const send = (sessionId: string, seq: number) =>
        new Promise<void>((resolve) => {
          const body = JSON.stringify(batch(sessionId, [meta(T0 + seq), click(T0 + seq + 1)], { seq }));
          const request = httpRequest(`${handle.url}/v1/ingest`, {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'x-replaykit-key': WRITE_KEY },
          });
          request.on('response', (response) => {
            response.resume();
            response.on('end', () => {
              if (response.statusCode === 200) {
                acknowledged.push(`${sessionId}:${seq}`);
              }
              resolve();
            });
          });
          request.on('error', (error: NodeJS.ErrnoException) => {
            // A refused connection is a clean answer: the client knows nothing was sent.
            if (error.code !== 'ECONNREFUSED') {
              failures.push(`${sessionId}:${seq} ${error.code ?? error.message}`);
            }
            resolve();
          });
          request.end(body);
        });
      const clients = Array.from({ length: 16 }, async (_, client) => {
        for (let seq = 0; sending; seq++) {
          await send(`closing-${client}`, seq);
        }
      });
      // Closing starts once every client has had an answer. The first batches wait for the
      // ingest worker to start, seconds on a loaded machine: closing after a fixed 200 ms
      // found some of them still in the kernel's accept queue (which the kernel resets when
      // the server stops listening, whatever the server does) or cut at the grace period.
      const clientsAnswered = () => new Set(acknowledged.map((id) => id.split(':')[0])).size;
      await vi.waitFor(() => expect(clientsAnswered()).toBe(16), { timeout: 20_000 });
      await handle.close();
      sending = false;
      await Promise.all(clients);
      agent.destroy();
      // Connections closed as soon as their answer ended, under the next request their
      // client had already sent, used to reset up to one request per client each round.
      expect(failures).toEqual([]);
      const { sessions } = await store.listSessions('shop', { limit: 20 });
      const stored = sessions.reduce((sum, session) => sum + session.eventCount, 0);
      expect(stored).toBe(acknowledged.length * 2);
    }
  });

  it('keeps an idle keep-alive connection open past Node’s default 5 s, as load balancers expect', async () => {
    const { handle } = await start();
    const socket = connect({ port: handle.port, host: '127.0.0.1' });
    cleanups.push(async () => {
      socket.destroy();
    });
    let received = '';
    socket.setEncoding('latin1').on('data', (data: string) => {
      received += data;
    });
    const answers = () => received.split('HTTP/1.1 200 OK').length - 1;
    const healthz = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    socket.write(healthz);
    await vi.waitFor(() => expect(answers()).toBe(1));
    // Longer than Node's default keep-alive timeout (5 s, and a second of slack): a balancer
    // holding this connection as reusable would have its next request reset.
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    expect(socket.destroyed).toBe(false);
    socket.write(healthz);
    await vi.waitFor(() => expect(answers()).toBe(2));
  }, 20_000);

  it('closes while a keep-alive connection is open, and frees the port', async () => {
    const { handle } = await start();
    // fetch keeps the connection alive after this request.
    expect((await fetch(`${handle.url}/healthz`)).status).toBe(200);
    await handle.close();
    await expect(fetch(`${handle.url}/healthz`)).rejects.toThrow();
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(handle.port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it('refuses a misspelt option, naming the closest known one, before it listens', async () => {
    const server = createReplayServer({
      store: createSqliteStore({ filename: ':memory:' }),
      projects: TEST_PROJECTS,
      retention: { sweepIntervalMs: 0 },
    });
    cleanups.push(async () => server.close());
    // As JavaScript, or options spread from a configuration object, pass it.
    const options = { server, port: 0, closeGraceMS: 100 } as Parameters<typeof startNodeServer>[0];
    await expect(startNodeServer(options)).rejects.toThrow(
      'startNodeServer: unknown option "closeGraceMS" (did you mean "closeGraceMs"?)',
    );
  });

  it('refuses a streamStallMs that is no time a timer can hold, before it listens', async () => {
    const server = createReplayServer({
      store: createSqliteStore({ filename: ':memory:' }),
      projects: TEST_PROJECTS,
      retention: { sweepIntervalMs: 0 },
    });
    cleanups.push(async () => server.close());
    // 0 would turn the limit off without a word; past 2^31 − 1 ms Node fires a timer at once.
    for (const streamStallMs of [0, -1, 1.5, 2 ** 31, Number.NaN]) {
      await expect(startNodeServer({ server, port: 0, streamStallMs })).rejects.toThrow(
        `startNodeServer: streamStallMs must be a whole number of ms from 1 to 2147483647 (about 24 days); got ${streamStallMs}.`,
      );
      expect(() => toNodeListener(server, { streamStallMs })).toThrow(
        `toNodeListener: streamStallMs must be a whole number of ms from 1 to 2147483647 (about 24 days); got ${streamStallMs}.`,
      );
    }
    const misspelt = { streamStalMs: 100 } as Parameters<typeof toNodeListener>[1];
    expect(() => toNodeListener(server, misspelt)).toThrow(
      'toNodeListener: unknown option "streamStalMs" (did you mean "streamStallMs"?)',
    );
  });

  it('rejects when the port is taken', async () => {
    const { handle } = await start();
    const store = createSqliteStore({ filename: ':memory:' });
    cleanups.push(() => store.close());
    const server = createReplayServer({ store, projects: TEST_PROJECTS });
    await expect(startNodeServer({ server, port: handle.port })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});
