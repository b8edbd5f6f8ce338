import { gunzipSync } from 'node:zlib';
import { EventType, type IngestBatch, parseWireBody, type RecordedEvent } from '@replaykit/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRecorder as createFacade } from './lazy';
import type { PrivacyConfig } from './privacy';
import { createRecorder, type RecorderEngine } from './recorder';

const ENDPOINT = 'https://replays.test';
const MINUTE = 60_000;

let batches: IngestBatch[];
let requests: number;
let recorder: RecorderEngine | undefined;
const originalFetch = globalThis.fetch;

async function decode(body: unknown): Promise<string> {
  const bytes =
    body instanceof Uint8Array ? body : new Uint8Array(await new Response(body as BodyInit).arrayBuffer());
  return bytes[0] === 0x1f && bytes[1] === 0x8b
    ? gunzipSync(bytes).toString('utf8')
    : new TextDecoder().decode(bytes);
}

function make(options: Partial<Parameters<typeof createRecorder>[0]> = {}): RecorderEngine {
  recorder = createRecorder({
    endpoint: ENDPOINT,
    writeKey: 'rk_test',
    persistQueue: false,
    useWorker: false,
    network: false,
    console: false,
    ...options,
  });
  return recorder;
}

/** Most real time to wait for real I/O on a loaded machine; a bound, not a speed assertion. */
const SETTLE_LIMIT_NS = 15_000_000_000n;

/**
 * Lets real I/O (compression runs on Node's thread pool) finish, without moving fake time.
 * It counts real time with hrtime, which fake timers leave alone, so a busy machine that
 * needs more event-loop turns does not fail the test.
 */
async function settle(check: () => boolean): Promise<void> {
  const started = process.hrtime.bigint();
  while (!check() && process.hrtime.bigint() - started < SETTLE_LIMIT_NS) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function events(): RecordedEvent[] {
  return batches.flatMap((batch) => batch.events);
}

function tags(): string[] {
  return events()
    .filter((event) => event.type === EventType.Custom)
    .map((event) => (event.data as { tag: string }).tag);
}

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  document.body.innerHTML = '<main><button id="buy">Buy</button></main>';
  batches = [];
  requests = 0;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  globalThis.fetch = (async (_url: RequestInfo | URL, init?: RequestInit) => {
    requests++;
    // As the server reads it: format 2's numbers restored.
    batches.push(parseWireBody(await decode(init?.body)) as IngestBatch);
    return new Response('{"ok":true}', { status: 200 });
  }) as typeof fetch;
});

afterEach(async () => {
  recorder?.optIn();
  recorder?.stop();
  // Let the last batch land in this test's stub, not the next one's.
  await recorder?.flush();
  recorder = undefined;
  vi.useRealTimers();
  globalThis.fetch = originalFetch;
});

describe('flush rules', () => {
  it('sends 2 s after the first buffered event, not before', async () => {
    make().start();
    await vi.advanceTimersByTimeAsync(1_990);
    expect(requests).toBe(0);
    await vi.advanceTimersByTimeAsync(20);
    await settle(() => requests > 0);
    expect(requests).toBe(1);
    expect(
      events()
        .slice(0, 2)
        .map((event) => event.type),
    ).toEqual([EventType.Meta, EventType.FullSnapshot]);
    expect(tags()).toContain('$navigation');
  });

  it('stamps each batch with the time it is sent (sentAt), by the page clock', async () => {
    const started = Date.now();
    make().start();
    await vi.advanceTimersByTimeAsync(2_010);
    await settle(() => requests > 0);
    // Sent when the 2 s flush timer fired, after the events it holds.
    expect(batches[0]?.sentAt).toBe(started + 2_000);
    const newest = Math.max(...events().map((event) => event.timestamp));
    expect(batches[0]?.sentAt).toBeGreaterThanOrEqual(newest);
  });

  it('sends at once when the buffer reaches the size threshold', async () => {
    const rec = make({ flushSizeBytes: 20_000 });
    rec.start();
    rec.capture('bulky', { text: 'x'.repeat(25_000) });
    await vi.advanceTimersByTimeAsync(5);
    await settle(() => requests > 0);
    // Sent well before the 2 s timer.
    expect(requests).toBe(1);
    expect(tags()).toContain('bulky');
  });

  it('replaces an event over the per-event cap with a $dropped marker', async () => {
    const rec = make({ maxEventBytes: 50_000 });
    rec.start();
    rec.capture('huge', { text: 'x'.repeat(60_000) });
    await rec.flush();
    const dropped = events().find(
      (event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === '$dropped',
    );
    expect(dropped?.data).toEqual({
      tag: '$dropped',
      payload: {
        reason: 'event_too_large',
        count: 1,
        bytes: expect.any(Number),
        eventType: EventType.Custom,
      },
    });
    expect(tags()).not.toContain('huge');
  });
});

describe('session rules in a running recorder', () => {
  it('goes quiet after 5 minutes without activity and comes back with a full snapshot', async () => {
    const rec = make();
    rec.start();
    await vi.advanceTimersByTimeAsync(5 * MINUTE + 10);
    expect(rec.getStatus()).toBe('paused');
    batches = [];
    document
      .querySelector('button')
      ?.dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: 5, clientY: 5 }));
    await vi.advanceTimersByTimeAsync(10);
    expect(rec.getStatus()).toBe('recording');
    await rec.flush();
    expect(events().some((event) => event.type === EventType.FullSnapshot)).toBe(true);
  });

  it('rotates to a new session after 30 idle minutes, ending the old one and snapshotting the new one', async () => {
    const rec = make();
    rec.start();
    await rec.flush();
    const first = rec.getSessionId();
    await vi.advanceTimersByTimeAsync(31 * MINUTE);
    batches = [];
    document
      .querySelector('button')
      ?.dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: 5, clientY: 5 }));
    await vi.advanceTimersByTimeAsync(10);
    await rec.flush();
    const second = rec.getSessionId();
    expect(second).not.toBe(first);
    const newSession = batches.filter((batch) => batch.sessionId === second).flatMap((batch) => batch.events);
    expect(newSession.some((event) => event.type === EventType.FullSnapshot)).toBe(true);
    expect(
      newSession.some(
        (event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === '$navigation',
      ),
    ).toBe(true);
  });
});

describe('sampling, minimum duration, triggers and opt-out', () => {
  it('records nothing when the session is sampled out', async () => {
    const rec = make({ sampleRate: 0 });
    rec.start();
    expect(rec.getStatus()).toBe('disabled');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(requests).toBe(0);
  });

  it('sends nothing before the minimum duration, then everything held', async () => {
    const rec = make({ minimumDurationMs: 10_000 });
    rec.start();
    rec.capture('early');
    expect(rec.getStatus()).toBe('buffering');
    await vi.advanceTimersByTimeAsync(9_000);
    expect(requests).toBe(0);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(rec.getStatus()).toBe('recording');
    await rec.flush();
    expect(events()[0]?.type).toBe(EventType.Meta);
    expect(tags()).toContain('early');
  });

  it('in buffer-until-error mode, sends the recent past when an error is captured, then keeps recording', async () => {
    const rec = make({ bufferUntilError: true });
    rec.start();
    rec.capture('before_error');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(requests).toBe(0);
    expect(rec.getStatus()).toBe('buffering');
    rec.captureError({ kind: 'captured', message: 'payment failed' });
    await rec.flush();
    expect(tags()).toEqual(expect.arrayContaining(['before_error', '$error']));
    expect(rec.getStatus()).toBe('recording');
    rec.capture('after_error');
    await rec.flush();
    expect(tags()).toContain('after_error');
  });

  it('starts recording when an event trigger fires, and only then', async () => {
    const rec = make({ triggers: { events: ['checkout_started'] } });
    rec.start();
    rec.capture('browsing');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(requests).toBe(0);
    rec.capture('checkout_started');
    await rec.flush();
    expect(tags()).toEqual(expect.arrayContaining(['browsing', 'checkout_started']));
  });

  it('starts recording when the page reaches a trigger URL, sending what was held', async () => {
    const rec = make({ triggers: { urls: ['/checkout'] } });
    rec.start();
    rec.capture('browsing');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(rec.getStatus()).toBe('buffering');
    expect(requests).toBe(0);
    history.pushState({}, '', '/checkout?step=1');
    await rec.flush();
    expect(rec.getStatus()).toBe('recording');
    expect(tags()).toEqual(expect.arrayContaining(['browsing', '$navigation']));
    history.replaceState({}, '', '/');
  });

  it('pauses on a blocked SPA route and resumes with a full snapshot when leaving it', async () => {
    const rec = make({ blockedUrls: ['/admin'] });
    rec.start();
    expect(rec.getStatus()).toBe('recording');
    history.pushState({}, '', '/admin/users');
    expect(rec.getStatus()).toBe('paused');
    rec.capture('on_admin_page');
    await rec.flush();
    history.pushState({}, '', '/shop');
    expect(rec.getStatus()).toBe('recording');
    await vi.advanceTimersByTimeAsync(10);
    await rec.flush();
    expect(tags()).not.toContain('on_admin_page');
    // The first snapshot at start, and a fresh one on leaving the blocked route.
    expect(events().filter((event) => event.type === EventType.FullSnapshot)).toHaveLength(2);
    history.replaceState({}, '', '/');
  });

  it('pauses on a blocked URL', async () => {
    const rec = make({ blockedUrls: [/\/$/] });
    rec.start();
    expect(rec.getStatus()).toBe('paused');
    rec.capture('hidden');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(tags()).not.toContain('hidden');
  });

  it('remembers an opt-out across recorders until opt-in', async () => {
    const rec = make();
    rec.start();
    rec.optOut();
    expect(rec.getStatus()).toBe('disabled');
    rec.stop();
    const next = make();
    next.start();
    expect(next.getStatus()).toBe('disabled');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(requests).toBe(0);
    next.optIn();
    expect(next.getStatus()).toBe('recording');
  });

  it('rejects bad options with a message that says how to fix them', () => {
    // The facade checks options once, before the pipeline is loaded.
    const base = { endpoint: ENDPOINT, writeKey: 'rk_test' };
    expect(() => createFacade({ ...base, sampleRate: 2 })).toThrow(/between 0 and 1/);
    expect(() => createFacade({ ...base, flushDelayMs: -1 })).toThrow(/positive number/);
    expect(() => createFacade({ endpoint: '', writeKey: 'k' })).toThrow(/endpoint/);
  });

  it('rejects canvas options out of range when the recorder is created', () => {
    const base = { endpoint: ENDPOINT, writeKey: 'rk_test' };
    // An fps of 0 or less would fire the snapshot timer every few milliseconds.
    expect(() => createFacade({ ...base, canvas: { fps: 0 } })).toThrow(
      /`canvas.fps` must be more than 0 and at most 30 snapshots a second, got 0/,
    );
    expect(() => createFacade({ ...base, canvas: { fps: 120 } })).toThrow(/canvas.fps/);
    expect(() => createFacade({ ...base, canvas: { quality: 1.5 } })).toThrow(
      /`canvas.quality` must be between 0 and 1 \(e.g. 0.6\), got 1.5/,
    );
    expect(() => createFacade({ ...base, canvas: { fps: 30, quality: 0 } })).not.toThrow();
  });

  it('rejects canvas given as anything but a boolean or an object when the recorder is created', () => {
    const base = { endpoint: ENDPOINT, writeKey: 'rk_test' };
    const canvas = (value: unknown) => createFacade({ ...base, canvas: value as boolean });
    // A truthy non-object turned canvas recording on: the string 'false' recorded every canvas.
    expect(() => canvas('false')).toThrow(
      /`canvas` must be true, false or an object such as \{ fps: 2 \}, got "false"/,
    );
    expect(() => canvas(1)).toThrow(/`canvas` must be/);
    expect(() => canvas(true)).not.toThrow();
    expect(() => canvas(false)).not.toThrow();
  });

  it('rejects console levels the console does not have when the recorder is created', () => {
    const base = { endpoint: ENDPOINT, writeKey: 'rk_test' };
    const levels = (value: unknown) => createFacade({ ...base, console: { levels: value as [] } });
    // An unknown level recorded nothing; a non-array made start() reject.
    expect(() => levels(['warn', 'warning'])).toThrow(
      /`console.levels` must be an array of console levels \(debug, log, info, warn, error\), got "warning"/,
    );
    expect(() => levels('warn')).toThrow(/`console.levels` must be an array .*, got "warn"/);
    expect(() => levels(['debug', 'error'])).not.toThrow();
    expect(() => createFacade({ ...base, console: false })).not.toThrow();
  });

  it('rejects network URL rules that are not non-empty strings or RegExps when the recorder is created', () => {
    const base = { endpoint: ENDPOINT, writeKey: 'rk_test' };
    const network = (value: unknown) => createFacade({ ...base, network: value as false });
    // A bad rule threw inside the fetch and XHR wrappers, so no request was recorded at all;
    // an empty string matches every URL, which would record every body.
    expect(() => network({ recordBodiesFor: [''] })).toThrow(
      /`network.recordBodiesFor` must be an array of URL substrings or RegExps, such as \['\/api\/'\], got ""/,
    );
    expect(() => network({ recordHeadersFor: '/api/' })).toThrow(/`network.recordHeadersFor` must be/);
    expect(() => network({ recordHeadersFor: [undefined] })).toThrow(/got undefined/);
    expect(() => network({ recordHeadersFor: ['/api/'], recordBodiesFor: [/\/api\/search/] })).not.toThrow();
    expect(() => network(false)).not.toThrow();
  });

  it('rejects blocked and trigger URL rules that are not non-empty strings or RegExps when the recorder is created', () => {
    const base = { endpoint: ENDPOINT, writeKey: 'rk_test' };
    // An empty string is in every URL: it would block every page, or trigger on every one.
    expect(() => createFacade({ ...base, blockedUrls: [''] })).toThrow(
      /`blockedUrls` must be an array of URL substrings or RegExps, such as \['\/api\/'\], got ""/,
    );
    expect(() => createFacade({ ...base, triggers: { urls: [42 as unknown as string] } })).toThrow(
      /`triggers.urls` must be an array of URL substrings or RegExps.*got 42/,
    );
    expect(() =>
      createFacade({ ...base, blockedUrls: ['/admin/'], triggers: { urls: [/\/checkout/], events: ['x'] } }),
    ).not.toThrow();
  });

  it('rejects sensitiveQueryParams entries that are not non-empty strings when the recorder is created', () => {
    const base = { endpoint: ENDPOINT, writeKey: 'rk_test' };
    const words = (value: unknown) =>
      createFacade({ ...base, privacy: { sensitiveQueryParams: value as string[] } });
    // A non-string turned every event into a `$dropped` marker; an empty word is in every
    // parameter name, so every query value was redacted.
    expect(() => words([''])).toThrow(
      /privacy.sensitiveQueryParams has an empty or non-string entry \(remove it\); it must be an array of query parameter names, such as \['voucher'\]/,
    );
    expect(() => words([42])).toThrow(/privacy.sensitiveQueryParams has an empty or non-string entry/);
    expect(() => words('voucher')).toThrow(/privacy.sensitiveQueryParams is not an array/);
    expect(() => words(['voucher'])).not.toThrow();
  });

  it('rejects a bad privacy configuration when the recorder is created, not later at start()', () => {
    const base = { endpoint: ENDPOINT, writeKey: 'rk_test' };
    const privacy = (config: unknown) => createFacade({ ...base, privacy: config as PrivacyConfig });
    expect(() => privacy({ preset: 'paranoid' })).toThrow(
      /Unknown privacy preset "paranoid"; use one of strict/,
    );
    expect(() => privacy({ maskSelectors: ['[[oops'] })).toThrow(
      /privacy.maskSelectors has an invalid CSS selector/,
    );
    expect(() => privacy({ blockSelectors: '#chat' })).toThrow(/privacy.blockSelectors is not an array/);
    expect(() => privacy({ maskAttributes: [''] })).toThrow(/privacy.maskAttributes has an empty/);
  });
});

describe('a recorder started while the page is still loading', () => {
  let databaseOpens: number;

  beforeEach(() => {
    // As a recorder script at the end of <body> sees the page: rrweb waits for DOMContentLoaded.
    Object.defineProperty(document, 'readyState', { configurable: true, get: () => 'loading' });
    databaseOpens = 0;
    (globalThis as { indexedDB?: unknown }).indexedDB = {
      open: () => {
        databaseOpens++;
        throw new Error('no IndexedDB in this test: the queue stays in memory');
      },
    };
  });

  afterEach(() => {
    delete (document as { readyState?: unknown }).readyState;
    delete (globalThis as { indexedDB?: unknown }).indexedDB;
  });

  const finishLoading = () => {
    delete (document as { readyState?: unknown }).readyState;
    document.dispatchEvent(new Event('DOMContentLoaded'));
  };

  it('opens IndexedDB only after the first snapshot, and loses nothing captured before it', async () => {
    const rec = make({ persistQueue: true });
    rec.start();
    rec.capture('before_snapshot');
    expect(rec.getStatus()).toBe('recording');
    expect(databaseOpens).toBe(0);
    finishLoading();
    expect(databaseOpens).toBe(1);
    await rec.flush();
    await settle(() => requests > 0);
    expect(events().map((event) => event.type)).toEqual(
      expect.arrayContaining([EventType.Meta, EventType.FullSnapshot]),
    );
    expect(tags()).toEqual(expect.arrayContaining(['$navigation', 'before_snapshot']));
  });

  it('sends what was captured before the first snapshot when the flush timer comes first', async () => {
    const rec = make();
    rec.start();
    rec.capture('early');
    await vi.advanceTimersByTimeAsync(2_010);
    await settle(() => requests > 0);
    expect(requests).toBe(1);
    expect(tags()).toContain('early');
    expect(events().some((event) => event.type === EventType.FullSnapshot)).toBe(false);
    finishLoading();
    await rec.flush();
    await settle(() => requests > 1);
    expect(events().some((event) => event.type === EventType.FullSnapshot)).toBe(true);
  });
});
