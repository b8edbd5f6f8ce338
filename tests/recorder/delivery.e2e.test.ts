import { EventType, type RecordedEvent } from '@replaykit/core';
import { PERSIST_MAX_BATCHES, REQUEST_TIMEOUT_MS } from '@replaykit/recorder';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chunks } from '../clock/support.ts';
import { openRecordedPage } from '../support/recorder-harness.ts';
import { context, harness, queuedBatches, setUpRecorderPages } from '../support/recorder-pages.ts';
import { until } from '../support/until.ts';

setUpRecorderPages();

function customTags(events: RecordedEvent[]): string[] {
  return events
    .filter((event) => event.type === EventType.Custom)
    .map((event) => (event.data as { tag: string }).tag);
}

/** Custom events of 600 random characters each (they do not compress), recorded at once. */
function captureBulky(page: Page, names: string[]): Promise<void> {
  return page.evaluate((tags) => {
    for (const tag of tags) {
      let noise = '';
      for (let character = 0; character < 600; character++) {
        noise += String.fromCharCode(33 + Math.floor(Math.random() * 90));
      }
      window.recorder.capture(tag, { noise });
    }
  }, names);
}

function count(events: RecordedEvent[], tag: string): number {
  return customTags(events).filter((name) => name === tag).length;
}

const open = async (path: string, options: Record<string, unknown> = {}, markup = ''): Promise<Page> =>
  (await openRecordedPage(context, harness.pageUrl(path, options, markup))).page;

async function waitForStored(
  sessionId: string,
  tags: string[],
  timeoutMs?: number,
): Promise<RecordedEvent[]> {
  let stored: string[] = [];
  try {
    return await until(
      async () => {
        const events = await harness.storedEvents(sessionId);
        stored = customTags(events);
        return tags.every((tag) => stored.includes(tag)) ? events : undefined;
      },
      `${tags.join(', ')} stored`,
      timeoutMs,
    );
  } catch (error) {
    // What a flaky run needs to be understood: which tags never landed, and every request seen.
    const missing = tags.filter((tag) => !stored.includes(tag));
    const requests = harness.log.map(({ windowId, seq, eventCount, status, duplicate }) =>
      [windowId.slice(0, 8), seq, eventCount, status, duplicate ? 'dup' : ''].join(' '),
    );
    throw new Error(
      `${(error as Error).message}: missing ${missing.join(', ')}; stored tags: ${stored.join(', ') || 'none'}; requests (window seq events status): ${requests.join(' | ') || 'none'}`,
    );
  }
}

/** What a React provider mounted again does: stops the page's recorder and starts a new one. */
const makeRecorderAgain = (page: Page) =>
  page.evaluate((writeKey) => {
    window.recorder.stop();
    window.recorder = window.replaykit.createRecorder({
      endpoint: location.origin,
      writeKey,
      flushDelayMs: 100,
    });
    window.recorder.start();
  }, harness.writeKey);

/**
 * Opens a page while the server is down and records one batch more per `waiting_<n>` event
 * than IndexedDB keeps (and a few more), so the oldest are evicted there.
 */
async function outlastIndexedDb(path: string) {
  harness.down = true;
  const page = await open(path, { persistQueue: true });
  const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
  await until(async () => harness.log.length >= 1, 'a failed attempt');
  const total = PERSIST_MAX_BATCHES + 5;
  await page.evaluate(async (count) => {
    for (let index = 0; index < count; index++) {
      window.recorder.capture(`waiting_${index}`);
      await window.recorder.flush();
    }
  }, total);
  return { page, sessionId, total };
}

/** Why each `$dropped` marker among some events was recorded. */
const droppedReasons = (events: RecordedEvent[]): string[] =>
  events
    .filter((event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === '$dropped')
    .map((event) => (event.data as { payload: { reason: string } }).payload.reason);

describe('recorder delivery against the real server', () => {
  it('keeps unsent batches in IndexedDB and delivers them after a reload, once each', async () => {
    harness.down = true;
    const page = await open('/reload', { persistQueue: true });
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    await page.evaluate(() => window.recorder.capture('before_reload'));
    await until(async () => harness.log.length >= 2, 'failed attempts');
    // Still down while the page goes away: neither the retries nor the page-hide send can land.
    await page.reload();
    await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
    expect(await page.evaluate(() => window.recorder.getSessionId())).toBe(sessionId);
    await page.evaluate(() => window.recorder.capture('after_reload'));
    harness.down = false;
    // One request in flight per window, in order: once the second page's event is stored, so
    // is everything that page sent before it, its full snapshot included.
    const events = await waitForStored(sessionId, ['before_reload', 'after_reload']);
    expect(count(events, 'before_reload')).toBe(1);
    // Both page loads are in the session.
    expect(events.filter((event) => event.type === EventType.FullSnapshot).length).toBeGreaterThanOrEqual(2);
  });

  it('marks the batches IndexedDB had no room for with a $dropped marker, once a next page sends the rest', async () => {
    // A long outage: more batches wait than IndexedDB keeps, so the oldest are evicted there.
    const { page, sessionId, total } = await outlastIndexedDb('/persist-full');
    // IndexedDB works behind the page: it has evicted the oldest once it holds no more than it keeps.
    const storedBatches = async () => (await queuedBatches(page)).length;
    await until(async () => (await storedBatches()) <= PERSIST_MAX_BATCHES, 'IndexedDB to evict batches');
    // The page goes away without sending them, so the next page has only what IndexedDB kept.
    // (Its page-hide sends, a keepalive request per batch, would still be queued by the browser
    // when the server comes back and deliver the lot; stop() leaves nothing to send on hide.)
    await page.evaluate(() => window.recorder.stop());
    await page.reload();
    await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
    harness.down = false;
    const last = `waiting_${total - 1}`;
    const events = await waitForStored(sessionId, [last, '$dropped'], 60_000);
    expect(count(events, last)).toBe(1);
    expect(count(events, 'waiting_0')).toBe(0);
    // The gap shows in the replay: a marker says what was lost and why.
    expect(droppedReasons(events)).toContain('persist_full');
  });

  it('stores the persist_full marker of evicted batches when the page sent the last of them after all, on page hide', async () => {
    const { page, sessionId, total } = await outlastIndexedDb('/persist-full-sent');
    // The oldest waiting_ tag IndexedDB still holds, once it has evicted what it had no room for.
    const oldestKept = async () => {
      const batches = await queuedBatches(page);
      const kept = batches
        .flat()
        .map((event) => Number(/"tag":"waiting_(\d+)"/.exec(event)?.[1] ?? Number.NaN))
        .filter((index) => index >= 0);
      return batches.length <= PERSIST_MAX_BATCHES ? Math.min(...kept) : -1;
    };
    const firstKept = await until(async () => {
      const index = await oldestKept();
      return index > 0 ? index : undefined;
    }, 'IndexedDB to evict batches');
    // The last evicted batch was still in the page's memory: the page goes, and of its
    // page-hide sends only that one lands, before the page could note it sent.
    const lastEvicted = `waiting_${firstKept - 1}`;
    harness.down = (batch) => !batch || !customTags(batch.events).includes(lastEvicted);
    await page.goto('about:blank');
    await waitForStored(sessionId, [lastEvicted]);
    // The next page of the tab sends what IndexedDB kept: the marker record and the rest.
    harness.down = false;
    await page.goto(harness.pageUrl('/persist-full-sent', { persistQueue: true }));
    const last = `waiting_${total - 1}`;
    const events = await waitForStored(sessionId, [last, '$dropped'], 30_000);
    expect(count(events, lastEvicted)).toBe(1);
    expect(count(events, 'waiting_0')).toBe(0);
    expect(droppedReasons(events)).toContain('persist_full');
  });

  it('loses nothing and stores nothing twice when the server is down, then up', async () => {
    const page = await open('/outage');
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    await until(async () => harness.log.some((entry) => entry.status === 200), 'the first batch');
    harness.down = true;
    for (let index = 0; index < 5; index++) {
      await page.evaluate((name) => window.recorder.capture(name), `during_outage_${index}`);
      await page.waitForTimeout(150);
    }
    await until(async () => harness.log.filter((entry) => entry.status === 0).length >= 2, 'failed attempts');
    harness.down = false;
    const names = [0, 1, 2, 3, 4].map((index) => `during_outage_${index}`);
    const events = await waitForStored(sessionId, names);
    for (const name of names) {
      expect(count(events, name), name).toBe(1);
    }
    const stored = harness.log.filter((entry) => entry.status === 200 && !entry.duplicate);
    const keys = stored.map((entry) => `${entry.windowId}/${entry.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keeps the newest batches at the memory cap during an outage, with one fresh full snapshot, not one per flush', async () => {
    harness.down = true;
    const page = await open('/memory-cap', { maxMemoryBytes: 20_000 });
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    const names = Array.from({ length: 20 }, (_, index) => `filler_${index}`);
    for (const name of names) {
      // 2 KB each, in a batch of its own: twice the cap in all.
      await page.evaluate((tag) => {
        window.recorder.capture(tag, { text: 'x'.repeat(2_000) });
        return window.recorder.flush();
      }, name);
    }
    // The outage goes on while the page is idle for three more attempts (about 4 s).
    const failed = harness.log.length;
    await until(async () => harness.log.length >= failed + 3, 'three more failed attempts');
    harness.down = false;
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    // The newest filler was within the cap, so it was kept; asking for a fresh full snapshot
    // after every drop made each snapshot's batch push the queue over the cap again, one
    // snapshot per flush for the whole outage, and they evicted everything recorded before.
    const events = await waitForStored(sessionId, ['filler_19', '$dropped']);
    expect(count(events, 'filler_19')).toBe(1);
    expect(count(events, 'filler_0')).toBe(0);
    expect(events.filter((event) => event.type === EventType.FullSnapshot)).toHaveLength(1);
  });

  it.each([413, 408] as const)(
    'splits a batch the server refuses with %i and delivers every event',
    async (status) => {
      // 408: the server's time limit for a body, which on a slow uplink only large bodies miss;
      // sent whole again, the batch was refused again, for good, and held up every later batch.
      harness.maxBodyBytes = 4_000;
      harness.oversizeStatus = status;
      const page = await open(`/split-${status}`, { flushDelayMs: 1_000 });
      const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
      await until(async () => harness.log.some((entry) => entry.status === 200), 'the first batches');
      // Random text does not compress, so the batch is well over the limit.
      const names = Array.from({ length: 12 }, (_, index) => `bulky_${index}`);
      await captureBulky(page, names);
      const events = await waitForStored(sessionId, names);
      for (const name of names) {
        expect(count(events, name), name).toBe(1);
      }
      expect(harness.log.some((entry) => entry.status === status)).toBe(true);
    },
  );

  it('keeps the halves of a batch split after a 413 before the batches recorded after it, in the stream and the events', async () => {
    harness.maxBodyBytes = 4_000;
    const page = await open('/split-order', { flushDelayMs: 60_000 });
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    await page.evaluate(() => window.recorder.flush());
    await until(async () => harness.log.some((entry) => entry.status === 200), 'the first batch');
    const bulky = Array.from({ length: 12 }, (_, index) => `bulky_${index}`);
    await captureBulky(page, bulky);
    await page.evaluate(() => {
      // The bulky batch goes out, and the next one is sealed behind it before the 413 comes back.
      void window.recorder.flush();
      window.recorder.capture('after_split');
      void window.recorder.flush();
    });
    const names = [...bulky, 'after_split'];
    const events = await waitForStored(sessionId, names);
    expect(harness.log.some((entry) => entry.status === 413)).toBe(true);
    const inOrder = (recorded: RecordedEvent[]) => customTags(recorded).filter((tag) => names.includes(tag));
    // The player plays the chunk stream as it arrives: a second half numbered after the next
    // batch came after it, its events played after later ones.
    const streamed = (await chunks(harness, sessionId)).flatMap((chunk) => chunk.events as RecordedEvent[]);
    expect(inOrder(streamed)).toEqual(names);
    expect(inOrder(events)).toEqual(names);
  });

  it('stores each half of a batch split after a 413 once, when a recorder made again on the page adopted it too', async () => {
    harness.maxBodyBytes = 4_000;
    const page = await open('/split-adopted', { flushDelayMs: 60_000 });
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    await page.evaluate(() => window.recorder.flush());
    await until(async () => harness.log.some((entry) => entry.status === 200), 'the first batch');
    // The server is slow to answer the first recorder's request for the bulky batch.
    harness.faults.push({ kind: 'delay', ms: 3_000 });
    const bulky = Array.from({ length: 12 }, (_, index) => `bulky_${index}`);
    await captureBulky(page, bulky);
    void page.evaluate(() => window.recorder.flush());
    await until(async () => harness.log.length >= 2, 'the bulky batch under way');
    // A React provider mounted again meanwhile: the new recorder of the window takes the batch
    // over (the stopped one hands over what it left) and sends it at once, while the first one
    // still gets the answer to the request it had under way and acts on it.
    await makeRecorderAgain(page);
    // Each recorder is refused the whole batch and sends its two halves of 6 events.
    await until(
      async () =>
        harness.log.filter((entry) => entry.status === 413).length >= 2 &&
        harness.log.filter((entry) => entry.status === 200 && entry.eventCount === 6).length >= 4,
      'both recorders to split the batch and send its halves',
      20_000,
    );
    const events = await waitForStored(sessionId, bulky);
    for (const name of bulky) {
      expect(count(events, name), name).toBe(1);
    }
  });

  it('loses no batch the previous release left in IndexedDB, numbered one by one, when one of them is split after a 413', async () => {
    // The previous release numbered a window's batches 0, 1, 2…: a part of its batch numbered
    // by its first event's place took the seq of a later batch of the same window, and the
    // server kept only the first of the two.
    const page = await open('/legacy-split');
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    const bulky = Array.from({ length: 12 }, (_, index) => `bulky_${index}`);
    const later = Array.from({ length: 6 }, (_, index) => `legacy_${index + 1}`);
    // What that release left unsent as a page of this window went: the bulky batch (seq 90),
    // one batch per later event (91 to 96), and the window's counter after them (past the few
    // this page has taken).
    await page.evaluate(
      ({ bulkyTags, laterTags, writeKey }) =>
        new Promise<void>((resolve, reject) => {
          const windowId = window.recorder.getWindowId() as string;
          const sessionId = window.recorder.getSessionId() as string;
          const custom = (tag: string, payload: object) =>
            JSON.stringify({ type: 5, data: { tag, payload }, timestamp: Date.now() });
          const noise = () =>
            Array.from({ length: 600 }, () => String.fromCharCode(33 + Math.floor(Math.random() * 90))).join(
              '',
            );
          const batches = [
            bulkyTags.map((tag) => custom(tag, { noise: noise() })),
            ...laterTags.map((tag) => [custom(tag, {})]),
          ];
          const opening = indexedDB.open('replaykit');
          opening.onerror = () => reject(opening.error);
          opening.onsuccess = () => {
            const transaction = opening.result.transaction('batches', 'readwrite');
            batches.forEach((events, index) => {
              const seq = 90 + index;
              transaction.objectStore('batches').put({
                key: `${sessionId}/${windowId}/${seq}`,
                target: `${location.origin}/v1/ingest?key=${encodeURIComponent(writeKey)}`,
                sessionId,
                windowId,
                seq,
                events,
                bytes: events.join('').length,
                createdAt: Date.now() - 1_000 + index,
              });
            });
            sessionStorage.setItem(`replaykit:seq:${windowId}`, '100');
            transaction.oncomplete = () => {
              opening.result.close();
              resolve();
            };
            transaction.onerror = () => reject(transaction.error);
          };
        }),
      { bulkyTags: bulky, laterTags: later, writeKey: harness.writeKey },
    );
    harness.maxBodyBytes = 4_000;
    // The page reloaded on the upgraded recorder sends what the previous release left.
    await page.reload();
    await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
    const events = await waitForStored(sessionId, [...bulky, ...later]);
    expect(harness.log.some((entry) => entry.status === 413)).toBe(true);
    for (const name of [...bulky, ...later]) {
      expect(count(events, name), name).toBe(1);
    }
  });

  it('sends the rest of a batch whose one event the server refuses, with a $dropped marker for it', async () => {
    const page = await open('/one-bad-event', { flushDelayMs: 60_000 });
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    await page.evaluate(async () => {
      // Deeper than the server stores (MAX_EVENT_NESTING), between two events it takes.
      let deep: unknown[] = [];
      for (let level = 0; level < 3_100; level++) {
        deep = [deep];
      }
      window.recorder.capture('before_deep', { step: 1 });
      window.recorder.capture('too_deep', { deep });
      window.recorder.capture('after_deep', { step: 2 });
      await window.recorder.flush();
    });
    const events = await waitForStored(sessionId, ['before_deep', 'after_deep', '$dropped']);
    expect(count(events, 'too_deep')).toBe(0);
    const dropped = events.find(
      (event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === '$dropped',
    );
    expect((dropped?.data as { payload?: { reason?: string } } | undefined)?.payload?.reason).toBe(
      'event_rejected',
    );
    expect(harness.log.some((entry) => entry.status === 400)).toBe(true);
  });

  it('waits for Retry-After after a 429 before trying again', async () => {
    const page = await open('/rate-limited', { flushDelayMs: 60_000 });
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    harness.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '2' } });
    await page.evaluate(() => {
      window.recorder.capture('after_429');
      void window.recorder.flush();
    });
    await waitForStored(sessionId, ['after_429']);
    const refused = harness.log.findIndex((entry) => entry.status === 429);
    expect(refused).toBeGreaterThanOrEqual(0);
    const retry = harness.log[refused + 1];
    expect(retry?.seq).toBe(harness.log[refused]?.seq);
    expect((retry?.at ?? 0) - (harness.log[refused]?.at ?? 0)).toBeGreaterThanOrEqual(1_900);
  });

  it('keeps the wait a Retry-After asks for when the browser comes back online meanwhile', async () => {
    const page = await open('/rate-limited-online', { flushDelayMs: 60_000 });
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    harness.faults.push({ kind: 'status', status: 503, headers: { 'retry-after': '3' } });
    await page.evaluate(() => {
      window.recorder.capture('after_503');
      void window.recorder.flush();
    });
    await until(async () => harness.log.some((entry) => entry.status === 503), 'the 503');
    const refusedAt = harness.log.find((entry) => entry.status === 503)?.at ?? 0;
    // The browser says it is online again and again while the server's wait lasts (the first
    // may come before the page has read the 503): it retried at once, the server's wait ignored.
    while (harness.log.length === 1 && Date.now() - refusedAt < 2_500) {
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.waitForTimeout(50);
    }
    await waitForStored(sessionId, ['after_503']);
    const retry = harness.log[1];
    expect(retry?.seq).toBe(harness.log[0]?.seq);
    expect((retry?.at ?? 0) - refusedAt).toBeGreaterThanOrEqual(2_900);
  });

  it('gives up on a request the server never answers and sends the batch again', async () => {
    const page = await open('/no-answer', { flushDelayMs: 60_000 });
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    // The server (or a proxy before it) takes the body and never answers, as a stuck process
    // or a connection dropped without a reset does: one request in flight per page, so
    // nothing else could be sent while it waited.
    harness.faults.push({ kind: 'hang' });
    await page.evaluate(() => {
      window.recorder.capture('unanswered');
      void window.recorder.flush();
    });
    const events = await waitForStored(sessionId, ['unanswered'], REQUEST_TIMEOUT_MS + 30_000);
    expect(count(events, 'unanswered')).toBe(1);
    // Stored is not yet answered: the proxy logs the server's status once it relays it.
    await until(async () => harness.log.some((entry) => entry.status === 200), 'the answer to the retry');
    expect(harness.log.map((entry) => entry.status)).toEqual([0, 200]);
  });

  it('stops and reports an error when the server refuses the write key, keeping what it could not send', async () => {
    // A key the server does not know (or an origin it does not allow): 403, for every batch.
    harness.faults.push({ kind: 'status', status: 403 });
    const page = await open('/refused-key', { flushDelayMs: 60_000 });
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    await page.evaluate(() => {
      window.recorder.capture('before_refusal');
      return window.recorder.flush();
    });
    // The host app learns it through the status (subscribe) and the last error…
    await page.waitForFunction(() => window.recorder.getStatus() === 'error');
    expect(await page.evaluate(() => window.recorder.getLastError())).toMatch(/403.*writeKey/s);
    // …and the recorder does not go on sending batches that would all be refused: the refused
    // one was the only request, and its events were not dropped.
    expect(harness.log.map((entry) => entry.status)).toEqual([403]);
    // Once the server takes the key again, a flush delivers what was refused.
    await page.evaluate(() => window.recorder.flush());
    const events = await waitForStored(sessionId, ['before_refusal']);
    expect(count(events, 'before_refusal')).toBe(1);
    expect(count(events, '$dropped')).toBe(0);
    // The stop is not for good: start() records again, in the same session.
    await page.evaluate(() => {
      window.recorder.start();
      window.recorder.capture('after_restart');
      return window.recorder.flush();
    });
    expect(await page.evaluate(() => window.recorder.getStatus())).toBe('recording');
    await waitForStored(sessionId, ['after_restart']);
  });

  it('sends what is buffered when the page is hidden and goes away', async () => {
    const page = await open('/leaving', { flushDelayMs: 60_000, persistQueue: false });
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    await page.evaluate(() => window.recorder.capture('last_words'));
    expect(harness.log).toHaveLength(0);
    await page.goto('about:blank');
    const events = await waitForStored(sessionId, ['last_words']);
    expect(count(events, 'last_words')).toBe(1);
  });

  it('sends what stop() left unsent when the page goes away right after, as on page hide', async () => {
    // A React provider unmounts (its recorder stops) on a route change, and the tab is closed
    // before the last batch lands: here its plain request is refused and waits for a retry.
    const page = await open('/stopped-leaving', { flushDelayMs: 60_000, persistQueue: false });
    const sessionId = (await page.evaluate(() => window.recorder.getSessionId())) as string;
    await page.evaluate(() => window.recorder.capture('stopped_then_left'));
    harness.faults.push({ kind: 'status', status: 503, headers: { 'retry-after': '60' } });
    await page.evaluate(() => window.recorder.stop());
    await until(async () => harness.log.some((entry) => entry.status === 503), 'the refused request');
    await page.goto('about:blank');
    const events = await waitForStored(sessionId, ['stopped_then_left']);
    expect(count(events, 'stopped_then_left')).toBe(1);
  });

  it('keeps the window across a reload after the recorder was stopped, and for a recorder made again on the page', async () => {
    // What a React app does: the provider unmounts (its recorder stops) on a page that is not
    // recorded, the user reloads, and later a provider mounts again or gets new options.
    const page = await open('/stopped-reload');
    const ids = await page.evaluate(() => [window.recorder.getSessionId(), window.recorder.getWindowId()]);
    await page.evaluate(() => window.recorder.capture('before_stop'));
    await page.evaluate(() => window.recorder.stop());
    await page.reload();
    await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
    await page.evaluate(() => window.recorder.capture('after_reload'));
    await makeRecorderAgain(page);
    await page.waitForFunction(() => typeof window.recorder?.getSessionId() === 'string');
    expect(
      await page.evaluate(() => [window.recorder.getSessionId(), window.recorder.getWindowId()]),
    ).toEqual(ids);
    await page.evaluate(() => {
      window.recorder.capture('second_recorder');
      return window.recorder.flush();
    });
    await waitForStored(ids[0] as string, ['before_stop', 'after_reload', 'second_recorder']);
    const stored = harness.log.filter((entry) => entry.status === 200);
    expect(new Set(stored.map((entry) => entry.windowId))).toEqual(new Set([ids[1]]));
    // One counter for the window: a seq sent twice is the same batch again (resent from
    // IndexedDB or on page hide), never another batch the server would drop as a repeat.
    const eventCounts = new Map<number, Set<number>>();
    for (const entry of stored) {
      eventCounts.set(entry.seq, (eventCounts.get(entry.seq) ?? new Set()).add(entry.eventCount));
    }
    expect([...eventCounts.values()].every((counts) => counts.size === 1)).toBe(true);
  });

  it('shares one session between two tabs, each with its own window, and they agree on rotation', async () => {
    const options = { sessionIdleTimeoutMs: 3_000 };
    const first = await open('/tab-a', options);
    const second = await open('/tab-b', options);
    const ids = async (page: Page) =>
      page.evaluate(() => [window.recorder.getSessionId(), window.recorder.getWindowId()] as const);
    const [sessionA, windowA] = await ids(first);
    const [sessionB, windowB] = await ids(second);
    expect(sessionB).toBe(sessionA);
    expect(windowB).not.toBe(windowA);
    // 3 s without activity ends the session; the next click in tab A starts a new one…
    await first.waitForTimeout(3_300);
    await first.click('#action');
    const rotated = await until(async () => {
      const [now] = await ids(first);
      return now !== sessionA ? now : undefined;
    }, 'tab A to rotate');
    // …which tab B adopts from shared storage instead of starting its own.
    await until(async () => (await ids(second))[0] === rotated, 'tab B to follow');
    await first.evaluate(() => window.recorder.capture('tab_a_after'));
    await second.evaluate(() => window.recorder.capture('tab_b_after'));
    const events = await waitForStored(rotated as string, ['tab_a_after', 'tab_b_after']);
    expect(events.some((event) => event.type === EventType.FullSnapshot)).toBe(true);
  });
});
