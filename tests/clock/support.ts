import { gunzipSync } from 'node:zlib';
import { API_PATHS, parseWireBody, type SessionResponse } from '@replaykit/core';
import type { BrowserContext, Page } from 'playwright-core';
import { until } from '../support/until.ts';

/** A server the tests read from: its URL and its read key. */
export interface ReadableServer {
  serverUrl: string;
  readKey: string;
}

/** Makes every page of the context run `skewMs` ahead (negative: behind) of the real clock. */
export async function skewClock(context: BrowserContext, skewMs: number): Promise<void> {
  await context.addInitScript((skew: number) => {
    const RealDate = Date;
    const realNow = RealDate.now.bind(RealDate);
    // biome-ignore lint/suspicious/noExplicitAny: a test shim
    const FakeDate: any = function (this: unknown, ...args: unknown[]) {
      if (!new.target) {
        return new RealDate(realNow() + skew).toString();
      }
      // biome-ignore lint/suspicious/noExplicitAny: a test shim
      return args.length === 0 ? new RealDate(realNow() + skew) : new (RealDate as any)(...args);
    };
    FakeDate.prototype = RealDate.prototype;
    FakeDate.now = () => realNow() + skew;
    FakeDate.parse = RealDate.parse;
    FakeDate.UTC = RealDate.UTC;
    // biome-ignore lint/suspicious/noExplicitAny: a test shim
    (globalThis as any).Date = FakeDate;
    const origin = performance.timeOrigin + skew;
    Object.defineProperty(performance, 'timeOrigin', { get: () => origin, configurable: true });
  }, skewMs);
}

export interface SentBatch {
  sessionId: string;
  windowId: string;
  seq: number;
  sentAt?: number;
  /** Real time the request left the page, as the test's clock saw it. */
  at: number;
  events: { type: number; timestamp: number; data?: { tag?: string } }[];
  keepalive?: boolean;
}

/** Records every ingest request the pages of `context` make, with its parsed body. */
export function watchIngest(context: BrowserContext): SentBatch[] {
  const sent: SentBatch[] = [];
  context.on('request', (request) => {
    if (request.method() !== 'POST' || !request.url().includes('/v1/ingest')) {
      return;
    }
    const body = request.postDataBuffer();
    if (!body) {
      return;
    }
    try {
      const text = (body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body).toString('utf8');
      const batch = parseWireBody(text) as unknown as SentBatch;
      sent.push({ ...batch, at: Date.now() });
    } catch {
      // not a batch
    }
  });
  return sent;
}

export async function api<T>(server: ReadableServer, path: string): Promise<T> {
  const response = await fetch(`${server.serverUrl}${path}`, {
    headers: { authorization: `Bearer ${server.readKey}` },
  });
  if (response.status !== 200) {
    throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as T;
}

export interface Chunk {
  windowId: string;
  seq: number;
  events: { type: number; timestamp: number; data?: { tag?: string; payload?: unknown } }[];
  [key: string]: unknown;
}

export async function chunks(server: ReadableServer, sessionId: string): Promise<Chunk[]> {
  const response = await fetch(`${server.serverUrl}${API_PATHS.sessionChunks(sessionId)}`, {
    headers: { authorization: `Bearer ${server.readKey}` },
  });
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Chunk);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function clickAround(page: Page, times: number, gapMs: number): Promise<void> {
  for (let index = 0; index < times; index++) {
    await page.click('#action');
    await sleep(gapMs);
  }
}

/** Polls the read API until the session has a marker for every one of `labels`; returns what it read. */
export function waitForMarkers(
  server: ReadableServer,
  sessionId: string,
  labels: readonly string[],
  timeoutMs = 20_000,
): Promise<SessionResponse> {
  return until(
    async () => {
      const response = await api<SessionResponse>(server, API_PATHS.session(sessionId)).catch(
        () => undefined,
      );
      return labels.every((label) => response?.markers.some((marker) => marker.label === label))
        ? response
        : undefined;
    },
    `${labels.join(', ')} stored`,
    timeoutMs,
  );
}
