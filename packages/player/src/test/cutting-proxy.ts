import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/** How long after the last byte it lets through the proxy breaks a connection, in ms. */
const CUT_DELAY_MS = 300;

/** Bytes of the next NDJSON line let through before a cut, so that it breaks mid-line. */
const PARTIAL_LINE_BYTES = 20;

/** A matching request the proxy answers itself with a 503, as a server restarting or busy does. */
export interface Unavailable {
  retryAfterSeconds: number;
}

/** A TCP proxy in front of a server that breaks the connections of chosen requests mid-answer. */
export interface CuttingProxy {
  /** `http://127.0.0.1:<port>`, to use as the player's baseUrl. */
  url: string;
  /** The request lines (`GET /path?query HTTP/1.1`) it forwarded, in order. */
  requests: string[];
  /** How many answers it broke off. */
  cuts: number;
  close(): Promise<void>;
}

/**
 * Forwards every connection to `port` on loopback. The NDJSON answer to a request whose line
 * contains `match` is cut: once as many lines as the next entry of `cutAfterLines` have gone
 * through, and a few bytes of the line after, both sockets are destroyed, as a dropped network
 * connection would leave them; 0 cuts it before any byte of the answer. An {@link Unavailable}
 * entry answers that request with HTTP 503 and its `Retry-After` instead of forwarding it.
 * Once the list is used up, answers pass whole.
 */
export async function startCuttingProxy(
  port: number,
  match: string,
  cutAfterLines: readonly (number | Unavailable)[],
): Promise<CuttingProxy> {
  const requests: string[] = [];
  const plan = [...cutAfterLines];
  const sockets = new Set<Socket>();
  const proxy: CuttingProxy = { url: '', requests, cuts: 0, close: async () => {} };
  const server = createServer((client) => {
    const upstream = connect({ port, host: '127.0.0.1' });
    sockets.add(client).add(upstream);
    // Lines of the current matching answer still to let through, or undefined to pass all.
    let linesLeft: number | undefined;
    let previous = 0;
    const cut = (through: Buffer) => {
      client.write(through);
      proxy.cuts++;
      linesLeft = undefined;
      upstream.pause();
      // A stream that errors drops what its reader has not taken yet: the cut comes once the
      // client has read what got through, as when a network fails between two packets.
      setTimeout(() => {
        client.destroy();
        upstream.destroy();
      }, CUT_DELAY_MS);
    };
    client.on('data', (data: Buffer) => {
      const line = data.toString('latin1').split('\r\n', 1)[0] ?? '';
      if (/^[A-Z]+ \S+ HTTP\/1\.[01]$/.test(line)) {
        requests.push(line);
        const next = line.includes(match) ? plan.shift() : undefined;
        if (typeof next === 'object') {
          const body = JSON.stringify({ error: { code: 'server_busy', message: 'Busy; retry later.' } });
          client.end(
            `HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${next.retryAfterSeconds}\r\n` +
              `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
              `Connection: close\r\n\r\n${body}`,
          );
          // Never forwarded: the upstream connection closes with the client's.
          return;
        }
        linesLeft = next;
      }
      upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      if (linesLeft === 0) {
        cut(Buffer.alloc(0));
        return;
      }
      if (linesLeft !== undefined) {
        // An NDJSON line ends in a bare "\n"; the head and the chunked framing end theirs in "\r\n".
        for (let index = 0; index < data.byteLength; index++) {
          const byte = data[index] as number;
          if (byte === 0x0a && previous !== 0x0d && --linesLeft === 0) {
            cut(data.subarray(0, index + 1 + PARTIAL_LINE_BYTES));
            return;
          }
          previous = byte;
        }
      }
      client.write(data);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) {
        socket.destroy();
      }
      server.close(() => resolve());
    });
  return proxy;
}
