// Server benchmark, on loopback, for SQLite and PostgreSQL:
// 1. Ingest throughput: concurrent clients POST realistic gzip batches to `replaykit serve`
//    (a separate process, as operators run it), against the raw insert rate of the same
//    bytes into the same database kind with the same durability, one transaction per batch,
//    measured in the same run right before and right after. Bar: ingest ≥ 0.5× raw. Two
//    loads: 16 clients, and 64 (see CLIENT_COUNTS).
//    The server runs twice: with its default ingest workers, and with --ingest-workers 0
//    (decoding on the main thread; SQLite commits stay in its writer thread either way).
//    Each run starts with as many warm-up batches of other sessions as it measures, so
//    that worker start-up and compilation are not counted. The load generator is cheap on
//    purpose (pre-serialised requests on raw sockets), because it shares the machine's
//    cores with the server; the server does exactly the work a browser's batch costs.
// 2. List-query latency with 100,000 generated sessions through the fetch handler: median
//    and 95th percentile over a mix of filters and sorts. Bar: p95 ≤ 50 ms.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  EventType,
  encodeWireDeltas,
  IncrementalSource,
  MouseInteraction,
  type RecordedEvent,
  type SessionListQuery,
  sessionListSearchParams,
  summarizeBatch,
} from '@replaykit/core';
import {
  createPostgresStore,
  createReplayServer,
  createSqliteStore,
  newSessionState,
  type Store,
} from '@replaykit/server';
import { MAX_EVENT_NESTING } from '../../packages/server/src/batch-decode.ts';
import { scanBatch } from '../../packages/server/src/batch-scan.ts';
import { eventProperties } from '../../packages/server/src/ingest.ts';
import { sessionColumns } from '../../packages/server/src/store.ts';
import {
  rawPostgresInsert,
  rawSqliteInsert,
  type SeedSession,
  seedPostgres,
  seedSqlite,
} from '../../packages/server/src/test/bench-support.ts';
import { startTestPostgres, type TestPostgres } from '../../packages/server/src/test/postgres.ts';
import { spawnServe, stopProcess } from '../../packages/server/src/test/serve-process.ts';

const WRITE_KEY = 'bench-write-key';
const READ_KEY = 'bench-read-key';

/**
 * Concurrent clients (tabs), each on its own connection sending its batches one after
 * another, waiting for each answer. With 16 a batch's round trip through the server bounds
 * the rate, as each client waits; 64 keep the server busier, so that their rate is closer to
 * its throughput. (A server taking 2,000 batches/s serves about 4,000 recording tabs, each
 * flushing every 2 s.)
 */
const CLIENT_COUNTS = [16, 64] as const;
/**
 * Batches measured per run, shared among the clients (and as many sent before, to warm up).
 * A run lasts 3 to 5 s: with 2,400 batches (about 1 s) the start, where every client sends
 * at once and the server works through them in waves, weighed on the rate (16 clients
 * measured 2,259 batches/s with 2,400 batches, 2,928 with 9,600, on the same build).
 */
const BATCHES_PER_RUN = 9_600;
/** Events per batch: a 2-second flush of an interactive page. */
const EVENTS_PER_BATCH = 120;
/** Sessions generated for the list-query benchmark. */
const LIST_SESSIONS = 100_000;
/** Times each list query runs. */
const QUERY_REPEATS = 15;
const INGEST_BAR = 0.5;
const P95_BAR_MS = 50;

const NOW = Date.now();
const PAGES = ['/', '/products', '/products/42', '/cart', '/checkout', '/checkout/pay', '/account', '/help'];

/** Deterministic pseudo-random numbers, so runs compare. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A batch that looks like a real flush: mutations with text, mouse moves, clicks, inputs, scrolls, a few custom events. */
function realisticEvents(start: number, next: () => number): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (let index = 0; index < EVENTS_PER_BATCH; index++) {
    const timestamp = start + index * 16;
    const roll = next();
    if (roll < 0.35) {
      events.push({
        type: EventType.IncrementalSnapshot,
        data: {
          source: IncrementalSource.Mutation,
          texts: [{ id: Math.floor(next() * 5_000), value: `Item ${Math.floor(next() * 1_000)} in stock` }],
          attributes: [
            { id: Math.floor(next() * 5_000), attributes: { class: next() > 0.5 ? 'card active' : 'card' } },
          ],
          removes: [],
          adds: [
            {
              parentId: Math.floor(next() * 5_000),
              nextId: null,
              node: {
                type: 2,
                tagName: 'div',
                attributes: { class: 'product-tile', 'data-id': String(Math.floor(next() * 1_000)) },
                childNodes: [],
                id: Math.floor(next() * 100_000),
              },
            },
          ],
        },
        timestamp,
      });
    } else if (roll < 0.75) {
      events.push({
        type: EventType.IncrementalSnapshot,
        data: {
          source: IncrementalSource.MouseMove,
          positions: Array.from({ length: 5 }, (_, step) => ({
            x: Math.floor(next() * 1_280),
            y: Math.floor(next() * 720),
            id: Math.floor(next() * 5_000),
            timeOffset: -step * 10,
          })),
        },
        timestamp,
      });
    } else if (roll < 0.85) {
      events.push({
        type: EventType.IncrementalSnapshot,
        data: {
          source: IncrementalSource.MouseInteraction,
          type: MouseInteraction.Click,
          id: 17,
          x: 400,
          y: 300,
        },
        timestamp,
      });
    } else if (roll < 0.93) {
      events.push({
        type: EventType.IncrementalSnapshot,
        data: {
          source: IncrementalSource.Input,
          id: 31,
          text: '*'.repeat(1 + Math.floor(next() * 12)),
          isChecked: false,
        },
        timestamp,
      });
    } else if (roll < 0.98) {
      events.push({
        type: EventType.IncrementalSnapshot,
        data: { source: IncrementalSource.Scroll, id: 1, x: 0, y: Math.floor(next() * 4_000) },
        timestamp,
      });
    } else {
      events.push({
        type: EventType.Custom,
        data: { tag: 'add_to_cart', payload: { sku: `sku-${Math.floor(next() * 500)}`, quantity: 1 } },
        timestamp,
      });
    }
  }
  return events;
}

/** A body as the recorder sends it: wire format 2 (delta-encoded numbers), gzipped. */
function wireBody(sessionId: string, windowId: string, seq: number, events: RecordedEvent[]): Uint8Array {
  return gzipSync(encodeWireDeltas(JSON.stringify({ v: 1, sessionId, windowId, seq, events })));
}

interface PreparedBatch {
  sessionId: string;
  windowId: string;
  seq: number;
  body: Uint8Array;
}

/**
 * Each client's batches for sessions of their own (`<prefix>-<client>`), every client's
 * session starting at `start`; BATCHES_PER_RUN in all, rounded up to whole clients.
 */
function prepareBatches(clients: number, prefix: string, seed: number, start: number): PreparedBatch[][] {
  const next = random(seed);
  const perClient = Math.ceil(BATCHES_PER_RUN / clients);
  return Array.from({ length: clients }, (_, client) =>
    Array.from({ length: perClient }, (_, seq) => {
      const sessionId = `${prefix}-${client}`;
      const windowId = `window-${client}`;
      const events = realisticEvents(start + seq * 2_000, next);
      return { sessionId, windowId, seq, body: wireBody(sessionId, windowId, seq, events) };
    }),
  );
}

/** What one load sends: the measured batches, and before them the warm-up batches. */
interface Workload {
  clients: number;
  /** Each client's batches, in the order it sends them. */
  batches: PreparedBatch[][];
  /** The same batches round-robin over the clients, as they arrive at the server (the raw inserts' order). */
  arrivals: PreparedBatch[];
  /** Mean gzip body size, in bytes. */
  bytesPerBatch: number;
  /**
   * As many batches, of other sessions, sent before the clock starts: the server's ingest
   * workers start and its code is compiled and optimised, as in a server that has run for a
   * while. (With a few warm-up batches only, V8's compiler threads were still optimising
   * during the measurement, about 100 µs of CPU per batch.)
   */
  warmup: PreparedBatch[][];
}

function prepareWorkload(clients: number): Workload {
  const batches = prepareBatches(clients, 'bench', 42, NOW - 3_600_000);
  // Every client sends as many batches.
  const arrivals = (batches[0] ?? []).flatMap((_, seq) =>
    batches.map((clientBatches) => clientBatches[seq] as PreparedBatch),
  );
  return {
    clients,
    batches,
    arrivals,
    bytesPerBatch: arrivals.reduce((sum, prepared) => sum + prepared.body.byteLength, 0) / arrivals.length,
    warmup: prepareBatches(clients, 'warmup', 99, NOW - 7_200_000),
  };
}

async function startServe(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  // spawnServe runs the server itself (not the tsx CLI around it), so its CPU time can be
  // read from its pid. A huge rate limit: the benchmark measures storage, not the limiter.
  const server = await spawnServe(
    [
      '--port',
      '0',
      '--quiet',
      '--rate-limit',
      '1000000',
      '--write-key',
      WRITE_KEY,
      '--read-key',
      READ_KEY,
      ...args,
    ],
    { env: { ...process.env, ...env } },
  );
  return { url: server.url, child: server.child };
}

/**
 * One client (a browser tab) on its own keep-alive TCP connection: writes each request's
 * pre-serialised HTTP/1.1 bytes, waits for the answer, then sends the next. Only the status
 * line and the headers needed to find the end of the answer are parsed: a load generator
 * must be cheap (like wrk or autocannon), or it takes the CPU the server is measured on.
 */
function sendAll(port: number, requests: readonly Buffer[]): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let index = 0;
    let refused = 0;
    let pending: Buffer = Buffer.alloc(0);
    const sendNext = () => {
      const request = requests[index];
      if (request === undefined) {
        socket.end();
        resolvePromise(refused);
        return;
      }
      socket.write(request);
    };
    socket.on('connect', sendNext);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const headEnd = pending.indexOf('\r\n\r\n');
        if (headEnd === -1) {
          return;
        }
        const head = pending.toString('latin1', 0, headEnd);
        const status = Number(head.slice(9, 12));
        const length = /\r\ncontent-length: *(\d+)/i.exec(head);
        let end: number;
        if (length?.[1] !== undefined) {
          end = headEnd + 4 + Number(length[1]);
        } else {
          // Chunked: the answer ends with the last chunk, "0" and an empty line.
          const last = pending.indexOf('\r\n0\r\n\r\n', headEnd);
          end = last === -1 ? Number.POSITIVE_INFINITY : last + 7;
        }
        if (pending.length < end) {
          return;
        }
        pending = pending.subarray(end);
        if (status !== 200) {
          refused++;
        }
        index++;
        sendNext();
      }
    });
  });
}

/** The full bytes of one ingest request, serialised once before the clock starts. */
function ingestRequestBytes(port: number, body: Uint8Array): Buffer {
  const head =
    `POST /v1/ingest?key=${WRITE_KEY} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    `Content-Type: text/plain\r\nContent-Length: ${body.byteLength}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/**
 * CPU time (user + system) a process, or with `thread` one of its threads, has used, in ms;
 * undefined where /proc is missing.
 */
function processCpuMs(pid: number | undefined, thread?: number): number | undefined {
  try {
    const path = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`;
    const fields = readFileSync(path, 'utf8').split(') ')[1]?.split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields?.[11]) + Number(fields?.[12])) * 10;
  } catch {
    return undefined;
  }
}

interface IngestResult {
  /** Batches per second. */
  rate: number;
  /** Server CPU per batch (all its threads), in µs, when measurable. */
  serverCpuUs: number | undefined;
  /** The server's main thread's CPU per batch (HTTP and the database), in µs, when measurable. */
  mainThreadCpuUs: number | undefined;
  /** Load generator CPU per batch, in µs. */
  clientCpuUs: number;
}

/**
 * Sends every client's batches in order, clients concurrently, each on its own keep-alive
 * connection like a browser tab; resolves with batches per second and the CPU both sides
 * spent. The requests are serialised before the clock starts (see {@link sendAll}).
 */
async function ingestRate(url: string, workload: Workload, serverPid?: number): Promise<IngestResult> {
  const { batches } = workload;
  const port = Number(new URL(url).port);
  const send = async (groups: PreparedBatch[][]) => {
    const requests = groups.map((clientBatches) =>
      clientBatches.map((prepared) => ingestRequestBytes(port, prepared.body)),
    );
    const counts = await Promise.all(requests.map((clientRequests) => sendAll(port, clientRequests)));
    const refused = counts.reduce((sum, count) => sum + count, 0);
    if (refused > 0) {
      throw new Error(`${refused} batches were refused; the benchmark needs all accepted.`);
    }
  };
  await send(workload.warmup);
  const requests = batches.map((clientBatches) =>
    clientBatches.map((prepared) => ingestRequestBytes(port, prepared.body)),
  );
  const serverCpuBefore = processCpuMs(serverPid);
  const mainCpuBefore = processCpuMs(serverPid, serverPid);
  const clientCpuBefore = process.cpuUsage();
  const started = performance.now();
  const refused = (await Promise.all(requests.map((clientRequests) => sendAll(port, clientRequests)))).reduce(
    (sum, count) => sum + count,
    0,
  );
  if (refused > 0) {
    throw new Error(`${refused} batches were refused; the benchmark needs all accepted.`);
  }
  const elapsedMs = performance.now() - started;
  const total = workload.arrivals.length;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const serverCpuAfter = processCpuMs(serverPid);
  const mainCpuAfter = processCpuMs(serverPid, serverPid);
  const perBatch = (before: number | undefined, after: number | undefined) =>
    before === undefined || after === undefined ? undefined : ((after - before) * 1_000) / total;
  return {
    rate: total / (elapsedMs / 1_000),
    serverCpuUs: perBatch(serverCpuBefore, serverCpuAfter),
    mainThreadCpuUs: perBatch(mainCpuBefore, mainCpuAfter),
    clientCpuUs: (clientCpu.user + clientCpu.system) / total,
  };
}

/** Sessions with varied users, pages, durations, errors and events, as their stored rows. */
function* generateSessions(): Generator<SeedSession> {
  const next = random(7);
  for (let index = 0; index < LIST_SESSIONS; index++) {
    const start = NOW - Math.floor(next() * 30 * 24 * 3_600_000);
    const durationMs = Math.floor(next() * next() * 3_600_000);
    const events: RecordedEvent[] = [
      {
        type: EventType.Meta,
        data: { href: `https://shop.example${PAGES[index % PAGES.length]}`, width: 1, height: 1 },
        timestamp: start,
      },
      {
        type: EventType.Custom,
        data: { tag: '$identify', payload: { userId: `user-${index % 5_000}` } },
        timestamp: start + 1,
      },
      {
        type: EventType.IncrementalSnapshot,
        data: { source: IncrementalSource.MouseMove, positions: [] },
        timestamp: start + 2,
      },
      {
        type: EventType.IncrementalSnapshot,
        data: { source: IncrementalSource.MouseMove, positions: [] },
        timestamp: start + Math.min(durationMs, 4_000),
      },
      ...PAGES.filter(() => next() < 0.2).map((page, step) => ({
        type: EventType.Custom,
        data: { tag: '$navigation', payload: { url: `https://shop.example${page}`, kind: 'pushState' } },
        timestamp: start + 10 + step,
      })),
      ...(next() < 0.1
        ? [
            {
              type: EventType.Custom,
              data: { tag: '$error', payload: { message: 'TypeError' } },
              timestamp: start + 20,
            },
          ]
        : []),
      ...(next() < 0.05
        ? [
            {
              type: EventType.Custom,
              data: { tag: 'checkout_error', payload: { code: `E${index % 7}` } },
              timestamp: start + 30,
            },
          ]
        : []),
      ...(next() < 0.3
        ? [
            {
              type: EventType.Custom,
              data: { tag: 'add_to_cart', payload: { sku: `sku-${index % 500}` } },
              timestamp: start + 40,
            },
          ]
        : []),
      {
        type: EventType.IncrementalSnapshot,
        data: { source: IncrementalSource.Scroll, id: 1, x: 0, y: 1 },
        timestamp: start + durationMs,
      },
    ];
    const id = `s-${String(index).padStart(6, '0')}`;
    const state = newSessionState(id, 'w1', summarizeBatch(events), 4_000 + Math.floor(next() * 40_000));
    yield { id, columns: sessionColumns(state), events: eventProperties(events) };
  }
}

const LIST_QUERIES: Array<[string, SessionListQuery]> = [
  ['newest, first page', {}],
  ['userId', { userId: 'user-123' }],
  ['event', { event: 'checkout_error' }],
  ['event + property', { event: 'checkout_error', eventProperty: 'code=E3' }],
  ['urlContains (common)', { urlContains: 'checkout' }],
  ['urlContains (rare)', { urlContains: 'products/42' }],
  ['hasErrors', { hasErrors: true }],
  ['last 24 h', { from: NOW - 86_400_000 }],
  ['min duration 30 min', { minDurationMs: 1_800_000 }],
  ['min active 3 s', { minActiveMs: 3_000 }],
  ['longest', { sort: 'longest' }],
  ['most errors', { sort: 'most_errors' }],
  ['errors + url + 7 days', { hasErrors: true, urlContains: 'cart', from: NOW - 7 * 86_400_000 }],
];

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

async function measureQueries(label: string, store: Store): Promise<void> {
  const server = createReplayServer({
    store,
    projects: [{ id: 'bench', writeKey: WRITE_KEY, readKey: READ_KEY }],
    retention: { sweepIntervalMs: 0 },
  });
  const all: number[] = [];
  const rows: string[] = [];
  for (const [name, query] of LIST_QUERIES) {
    const times: number[] = [];
    let cursor: string | null = null;
    for (let repeat = 0; repeat < QUERY_REPEATS; repeat++) {
      // Odd repeats fetch the second page, so cursors are measured too.
      const params = sessionListSearchParams({ ...query, ...(repeat % 2 === 1 && cursor ? { cursor } : {}) });
      const started = performance.now();
      const response = await server.fetch(
        new Request(`http://bench.test/v1/sessions?${params}`, {
          headers: { authorization: `Bearer ${READ_KEY}` },
        }),
      );
      const body = (await response.json()) as { nextCursor: string | null };
      times.push(performance.now() - started);
      if (response.status !== 200) {
        throw new Error(`${name}: status ${response.status} ${JSON.stringify(body)}`);
      }
      if (repeat % 2 === 0) {
        cursor = body.nextCursor;
      }
    }
    // The first run warms caches; it is not counted.
    const counted = times.slice(1).sort((a, b) => a - b);
    all.push(...counted);
    rows.push(
      `  ${name.padEnd(24)} median ${percentile(counted, 0.5).toFixed(1).padStart(6)} ms   p95 ${percentile(counted, 0.95).toFixed(1).padStart(6)} ms`,
    );
  }
  server.close();
  all.sort((a, b) => a - b);
  const p95 = percentile(all, 0.95);
  console.log(`${label}: list queries over ${LIST_SESSIONS.toLocaleString('en')} sessions`);
  console.log(rows.join('\n'));
  console.log(
    `  all queries              median ${percentile(all, 0.5).toFixed(1).padStart(6)} ms   p95 ${p95.toFixed(1).padStart(6)} ms   bar p95 ≤ ${P95_BAR_MS} ms: ${p95 <= P95_BAR_MS ? 'met' : 'NOT met'}`,
  );
}

/** One way of running the server, measured against the same baseline. */
interface IngestVariant {
  /** What the line says about it. */
  name: string;
  /** Extra `replaykit serve` arguments. */
  args: string[];
}

/** The default (ingest workers, one per core beyond the first), and decoding on the main thread. */
const INGEST_VARIANTS: readonly IngestVariant[] = [
  { name: 'default ingest workers', args: [] },
  {
    name: 'no ingest workers, decoding on the main thread (--ingest-workers 0)',
    args: ['--ingest-workers', '0'],
  },
];

/** Prints a store's ingest results against its raw insert; returns that baseline (batches/s). */
function printIngest(
  label: string,
  results: ReadonlyArray<[IngestVariant, IngestResult]>,
  rawBefore: number,
  rawAfter: number,
  bytesPerBatch: number,
  /** The raw SQLite insert rate of this run, beside which a PostgreSQL ingest is also shown. */
  rawSqlite?: number,
): number {
  // The raw rate is dominated by the disk's sync latency, which drifts on a shared machine:
  // it is measured right before and right after the ingest runs, and their mean is the baseline.
  const raw = (rawBefore + rawAfter) / 2;
  console.log(
    `${label}: raw insert of the same bytes ${raw.toFixed(0)} batches/s (${rawBefore.toFixed(0)} before, ${rawAfter.toFixed(0)} after), ${(1_000_000 / raw).toFixed(0)} µs wall per batch; ${availableParallelism()} cores shared by the server, the load generator${label.startsWith('PostgreSQL') ? ', PostgreSQL' : ''} and whatever else runs`,
  );
  for (const [variant, ingest] of results) {
    const ratio = ingest.rate / raw;
    const cpu = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(0)} µs`);
    console.log(
      `  ${variant.name}: ingest ${ingest.rate.toFixed(0)} batches/s (${((ingest.rate * bytesPerBatch) / 1_048_576).toFixed(1)} MB/s compressed): ${ratio.toFixed(2)}× raw (bar ≥ ${INGEST_BAR}×: ${ratio >= INGEST_BAR ? 'met' : 'NOT met'})`,
    );
    if (rawSqlite !== undefined) {
      // PRODUCT.md words the bar against the raw SQLite insert; the verdict above uses the
      // stricter raw PostgreSQL insert, which is faster here.
      console.log(`    beside the raw SQLite insert of this run: ${(ingest.rate / rawSqlite).toFixed(2)}×`);
    }
    console.log(
      `    CPU per batch: server ${cpu(ingest.serverCpuUs)} (main thread ${cpu(ingest.mainThreadCpuUs)}), load generator ${cpu(ingest.clientCpuUs)}`,
    );
  }
  return raw;
}

/** Runs each variant of the server once, in order, on a fresh database from `database()`. */
async function ingestVariants(
  workload: Workload,
  database: () => Promise<{ args: string[]; env: Record<string, string> }>,
): Promise<Array<[IngestVariant, IngestResult]>> {
  const results: Array<[IngestVariant, IngestResult]> = [];
  for (const variant of INGEST_VARIANTS) {
    const { args, env } = await database();
    const serve = await startServe([...args, ...variant.args], env);
    try {
      results.push([variant, await ingestRate(serve.url, workload, serve.child.pid)]);
    } finally {
      await stopProcess(serve.child);
    }
  }
  return results;
}

/** Runs the server benchmark for SQLite, then PostgreSQL. */
export async function run(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'replaykit-bench-'));
  // REPLAYKIT_BENCH_ONLY=ingest or =list runs one half.
  const only = process.env.REPLAYKIT_BENCH_ONLY;
  const workloads = only === 'list' ? [] : CLIENT_COUNTS.map(prepareWorkload);
  const rawJsonBytes = JSON.stringify(realisticEvents(NOW, random(1))).length;
  for (const { clients, batches, bytesPerBatch } of workloads) {
    console.log(
      `${clients} clients × ${batches[0]?.length} batches of ${EVENTS_PER_BATCH} events (as many before, to warm up): ${(bytesPerBatch / 1024).toFixed(1)} KB gzip per batch (about ${(rawJsonBytes / 1024).toFixed(0)} KB of JSON)`,
    );
  }
  console.log(
    'Realistic here means what the recorder sends every 2 s (FLUSH_DELAY_MS) from an interactive page: mutations with text, mouse moves, clicks, inputs, scrolls and a few custom events. Size-triggered flushes (up to 900 KB of JSON, full snapshots) are rarer and not in this mix.',
  );
  const postgres = await startTestPostgres();
  try {
    for (const workload of workloads) {
      await ingestBenchmarks(directory, workload, postgres);
    }
    if (only !== 'ingest') {
      await listBenchmarks(directory, postgres);
    }
  } finally {
    await postgres.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

async function ingestBenchmarks(
  directory: string,
  workload: Workload,
  postgres: TestPostgres,
): Promise<void> {
  const { clients, batches, arrivals, bytesPerBatch } = workload;
  const total = arrivals.length;
  // REPLAYKIT_BENCH_STORE=sqlite or =postgres measures one store's ingest.
  const onlyStore = process.env.REPLAYKIT_BENCH_STORE;
  let rawSqliteMean: number | undefined;
  if (onlyStore !== 'postgres') {
    // SQLite
    const rawSqlite = (file: string, perTransaction = 1) =>
      total / (rawSqliteInsert(join(directory, `${clients}-${file}`), arrivals, perTransaction) / 1_000);
    const rawSqliteBefore = rawSqlite('raw-before.db');
    const rawGroupedBefore = rawSqlite('raw-grouped-before.db', clients);
    let databases = 0;
    const sqliteResults = await ingestVariants(workload, async () => ({
      args: ['--db', join(directory, `${clients}-ingest-${databases++}.db`)],
      env: {},
    }));
    rawSqliteMean = printIngest(
      `SQLite, ${clients} clients`,
      sqliteResults,
      rawSqliteBefore,
      rawSqlite('raw-after.db'),
      bytesPerBatch,
    );
    const bestSqlite = Math.max(...sqliteResults.map(([, result]) => result.rate));
    // What no ingest path that validates can skip: inflating each body and checking every
    // byte of it, as ingest's scan does; and, for comparison, inflating and parsing it in
    // full with JSON.parse (how ingest read batches before the scan).
    const floorUs = (read: (json: Buffer) => unknown) => {
      const started = performance.now();
      for (const prepared of arrivals) {
        read(gunzipSync(prepared.body));
      }
      return ((performance.now() - started) * 1_000) / total;
    };
    const scanUs = floorUs((json) => scanBatch(json, MAX_EVENT_NESTING));
    const parseUs = floorUs((json) => JSON.parse(json.toString('utf8')));
    console.log(
      `  floor: gunzip + scan alone take ${scanUs.toFixed(0)} µs per batch, ${((scanUs * rawSqliteBefore) / 1_000_000).toFixed(1)}× the raw insert's wall time (gunzip + JSON.parse: ${parseUs.toFixed(0)} µs)`,
    );
    // The server commits the batches that arrive together in one transaction, so a disk
    // sync per raw batch flatters it when syncs are slow. The stricter baseline: the same
    // bytes, one transaction per round of all clients' batches (the largest group the
    // server can form).
    const rawGrouped = (rawGroupedBefore + rawSqlite('raw-grouped-after.db', clients)) / 2;
    console.log(
      `  stricter baseline, raw insert ${clients} batches per transaction: ${rawGrouped.toFixed(0)} batches/s; faster ingest above / that: ${(bestSqlite / rawGrouped).toFixed(2)}×`,
    );
  }
  if (onlyStore !== 'sqlite') {
    // PostgreSQL
    const rawPostgres = async () =>
      total / ((await rawPostgresInsert(await postgres.createDatabase(), batches)) / 1_000);
    const rawPostgresBefore = await rawPostgres();
    const postgresResults = await ingestVariants(workload, async () => ({
      args: [],
      env: { DATABASE_URL: await postgres.createDatabase() },
    }));
    printIngest(
      `PostgreSQL, ${clients} clients`,
      postgresResults,
      rawPostgresBefore,
      await rawPostgres(),
      bytesPerBatch,
      rawSqliteMean,
    );
  }
}

async function listBenchmarks(directory: string, postgres: TestPostgres): Promise<void> {
  {
    const listFile = join(directory, 'list.db');
    await createSqliteStore({ filename: listFile }).close();
    let started = performance.now();
    seedSqlite(listFile, 'bench', generateSessions());
    console.log(`(seeded SQLite in ${((performance.now() - started) / 1_000).toFixed(1)} s)`);
    const sqliteStore = createSqliteStore({ filename: listFile });
    await measureQueries('SQLite', sqliteStore);
    await sqliteStore.close();

    const listDatabase = await postgres.createDatabase();
    await (await createPostgresStore({ connectionString: listDatabase })).close();
    started = performance.now();
    await seedPostgres(listDatabase, 'bench', generateSessions());
    console.log(`(seeded PostgreSQL in ${((performance.now() - started) / 1_000).toFixed(1)} s)`);
    const postgresStore = await createPostgresStore({ connectionString: listDatabase });
    await measureQueries('PostgreSQL', postgresStore);
    await postgresStore.close();
  }
}
