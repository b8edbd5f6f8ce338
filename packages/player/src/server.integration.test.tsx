import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API_PATHS,
  EventType,
  INGEST_PATH,
  type SessionChunk,
  WIRE_VERSION,
  WRITE_KEY_HEADER,
} from '@replaykit/core';
import { createReplayServer, createSqliteStore } from '@replaykit/server';
import { type NodeServerHandle, startNodeServer } from '@replaykit/server/node';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createRef } from 'react';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import twoTabSession from '../../../stories/fixtures/two-tab-session.json';
import { fetchSessionMeta, STREAM_RESUME_DELAYS_MS, streamSessionChunks } from './load-session';
import { ReplayProvider } from './provider';
import { ReplayPlayer, type ReplayPlayerHandle } from './replay-player';
import { SessionList } from './session-list';
import { startCuttingProxy } from './test/cutting-proxy';
import { stubResizeObserverEachTest } from './test/resize-observer';

// The player against the real replaykit server on loopback (SQLite store): ingest a real
// two-tab recording batch by batch, then load it through the read API as the player does.
// jsdom cannot run the replay itself: the viewport is Chromium's job.
vi.mock('./viewport', () => ({ ReplayViewport: () => <div data-testid="replay-viewport" /> }));

const SESSION_ID = '0192e4a0-7b1c-7def-8000-0000000000aa';
const MANY_CHUNKS_SESSION_ID = '0192e4a0-7b1c-7def-8000-0000000000bb';
const PROJECT = { id: 'player-it', writeKey: 'rk_write_player_it', readKey: 'rk_read_player_it' };
const BATCH_EVENTS = 25;
const tabs = twoTabSession as SessionChunk[];

let dataDir: string;
let handle: NodeServerHandle;
let batchCount = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'replaykit-player-it-'));
  const store = createSqliteStore({ filename: join(dataDir, 'replays.db') });
  handle = await startNodeServer({ server: createReplayServer({ store, projects: [PROJECT] }), port: 0 });
  for (const tab of tabs) {
    batchCount += await ingest(SESSION_ID, tab, BATCH_EVENTS);
  }
  // The longest tab alone, in small batches: a stream of many chunks to break and resume.
  const longest = tabs.reduce((a, b) => (b.events.length > a.events.length ? b : a));
  await ingest(MANY_CHUNKS_SESSION_ID, longest, 5);
});

/**
 * Sends a tab's events to the server in batches of `perBatch`, numbered from `firstSeq`;
 * resolves with their count.
 */
async function ingest(sessionId: string, tab: SessionChunk, perBatch: number, firstSeq = 0): Promise<number> {
  let seq = firstSeq;
  for (let start = 0; start < tab.events.length; start += perBatch, seq++) {
    const body = {
      v: WIRE_VERSION,
      sessionId,
      windowId: tab.windowId,
      seq,
      events: tab.events.slice(start, start + perBatch),
    };
    const response = await fetch(`${handle.url}${INGEST_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [WRITE_KEY_HEADER]: PROJECT.writeKey },
      body: JSON.stringify(body),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  }
  return seq - firstSeq;
}

afterAll(async () => {
  await handle?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

stubResizeObserverEachTest();

/** Chooses the session's second tab in the Tab select and waits until it plays. */
async function playSecondTab(player: HTMLElement): Promise<void> {
  const tabSelect = screen.getByRole('combobox', { name: 'Tab' });
  const second = within(tabSelect).getAllByRole('option')[1] as HTMLOptionElement;
  await userEvent.selectOptions(tabSelect, second.value);
  // The Tab select stays while the other tab loads: ready is what says it has loaded.
  await waitFor(
    () => {
      expect(screen.getByRole('combobox', { name: 'Tab' })).toHaveValue(second.value);
      expect(player).toHaveAttribute('data-state', 'ready');
    },
    { timeout: 5_000 },
  );
}

describe('the player against the real server', () => {
  it('streams every stored batch of a tab, in order, as NDJSON chunks', async () => {
    const options = { sessionId: SESSION_ID, baseUrl: handle.url, readKey: PROJECT.readKey };
    const meta = await fetchSessionMeta(options);
    expect(meta.session.windowIds).toHaveLength(2);
    expect(meta.markers.some((marker) => marker.label === 'checkout_error')).toBe(true);
    const chunks: SessionChunk[] = [];
    for (const windowId of meta.session.windowIds) {
      for await (const chunk of streamSessionChunks({ ...options, windowId })) {
        chunks.push(chunk);
      }
    }
    expect(chunks).toHaveLength(batchCount);
    const stored = chunks.reduce((sum, chunk) => sum + chunk.events.length, 0);
    expect(stored).toBe(tabs.reduce((sum, tab) => sum + tab.events.length, 0));
    for (const windowId of meta.session.windowIds) {
      const seqs = chunks.filter((chunk) => chunk.windowId === windowId).map((chunk) => chunk.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    // A resume sends windowId and fromSeq, which the server checks like every parameter.
    const [windowId] = meta.session.windowIds;
    const resumed: number[] = [];
    for await (const chunk of streamSessionChunks({ ...options, windowId, fromSeq: 1 })) {
      resumed.push(chunk.seq);
    }
    expect(resumed[0]).toBe(1);
    expect(resumed).toHaveLength(chunks.filter((chunk) => chunk.windowId === windowId).length - 1);
  });

  it('resumes a tab’s stream where a dropped connection broke it, with no chunk lost or repeated', async () => {
    const options = { sessionId: MANY_CHUNKS_SESSION_ID, baseUrl: handle.url, readKey: PROJECT.readKey };
    const [windowId] = (await fetchSessionMeta(options)).session.windowIds;
    const direct: SessionChunk[] = [];
    for await (const chunk of streamSessionChunks({ ...options, windowId })) {
      direct.push(chunk);
    }
    expect(direct.length).toBeGreaterThan(20);
    // Two breaks: after a third of the chunks, then after a third of what is left.
    const third = Math.floor(direct.length / 3);
    const proxy = await startCuttingProxy(Number(new URL(handle.url).port), '/chunks', [third, third]);
    try {
      const resumed: SessionChunk[] = [];
      for await (const chunk of streamSessionChunks({ ...options, baseUrl: proxy.url, windowId })) {
        resumed.push(chunk);
      }
      expect(proxy.cuts).toBe(2);
      const chunkRequests = proxy.requests.filter((line) => line.includes('/chunks'));
      expect(chunkRequests).toHaveLength(3);
      expect(chunkRequests[1]).toContain(`fromSeq=${(direct[third - 1]?.seq ?? Number.NaN) + 1}`);
      expect(chunkRequests[2]).toContain(`fromSeq=${(direct[2 * third - 1]?.seq ?? Number.NaN) + 1}`);
      expect(resumed.map((chunk) => chunk.seq)).toEqual(direct.map((chunk) => chunk.seq));
      expect(resumed).toEqual(direct);
    } finally {
      await proxy.close();
    }
  });

  it('fails with a clear message when the connection keeps breaking without progress', async () => {
    const options = { sessionId: MANY_CHUNKS_SESSION_ID, baseUrl: handle.url, readKey: PROJECT.readKey };
    const [windowId] = (await fetchSessionMeta(options)).session.windowIds;
    // The first answer breaks after a few chunks; every resume before its first byte.
    const proxy = await startCuttingProxy(Number(new URL(handle.url).port), '/chunks', [
      3,
      ...STREAM_RESUME_DELAYS_MS.map(() => 0),
    ]);
    try {
      const seqs: number[] = [];
      const load = async () => {
        for await (const chunk of streamSessionChunks({ ...options, baseUrl: proxy.url, windowId })) {
          seqs.push(chunk.seq);
        }
      };
      await expect(load()).rejects.toThrow(
        /broke 4 times in a row while the replay loaded\. Check the network/,
      );
      expect(seqs).toHaveLength(3);
      expect(proxy.cuts).toBe(1 + STREAM_RESUME_DELAYS_MS.length);
    } finally {
      await proxy.close();
    }
  }, 15_000);

  it('plays a session whose stream breaks while it loads, to its end', async () => {
    const proxy = await startCuttingProxy(Number(new URL(handle.url).port), '/chunks', [4, 4]);
    try {
      render(
        <ReplayPlayer sessionId={MANY_CHUNKS_SESSION_ID} baseUrl={proxy.url} readKey={PROJECT.readKey} />,
      );
      const player = screen.getByRole('region', { name: 'Session replay' });
      await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 10_000 });
      await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull(), { timeout: 10_000 });
      expect(proxy.cuts).toBe(2);
      expect(player).not.toHaveTextContent(/failed|broke/);
    } finally {
      await proxy.close();
    }
  });

  it('keeps what loaded playable when the stream breaks for good, and Retry loads on from where it broke', async () => {
    // The first tab's stream breaks after its first chunk (to 4.0 s), and every resume fails.
    const proxy = await startCuttingProxy(Number(new URL(handle.url).port), '/chunks', [
      1,
      ...STREAM_RESUME_DELAYS_MS.map(() => 0),
    ]);
    try {
      const ref = createRef<ReplayPlayerHandle>();
      render(<ReplayPlayer ref={ref} sessionId={SESSION_ID} baseUrl={proxy.url} readKey={PROJECT.readKey} />);
      const player = screen.getByRole('region', { name: 'Session replay' });
      await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
      act(() => ref.current?.seek(3_000));
      await userEvent.click(screen.getByRole('button', { name: 'Play' }));
      const notice = await screen.findByRole('status', {}, { timeout: 10_000 });
      expect(notice).toHaveTextContent(
        /The rest of this replay failed to load; what has loaded still plays\./,
      );
      expect(notice).toHaveTextContent(/broke 4 times in a row/);
      expect(player).toHaveAttribute('data-state', 'ready');
      const chunkRequests = () => proxy.requests.filter((line) => line.includes('/chunks'));
      const before = chunkRequests().length;

      await userEvent.click(within(notice).getByRole('button', { name: 'Retry' }));
      await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull(), { timeout: 5_000 });
      expect(screen.queryByRole('status')).toBeNull();
      // One more request, after the chunk that had arrived; the replay played on meanwhile.
      expect(chunkRequests()).toHaveLength(before + 1);
      expect(chunkRequests()[before]).toContain('fromSeq=1');
      // Not loaded again: the summary was read once.
      expect(proxy.requests.filter((line) => line.includes(`/v1/sessions/${SESSION_ID} `))).toHaveLength(1);
      expect(screen.getByRole('slider', { name: 'Seek' })).toHaveAttribute('aria-valuenow', '3000');
      expect(screen.getByRole('button', { name: 'Pause' })).toHaveAttribute('data-state', 'playing');
    } finally {
      await proxy.close();
    }
  }, 20_000);

  it('waits out a 503 with Retry-After by itself, before the first chunk and after a break', async () => {
    const options = { sessionId: MANY_CHUNKS_SESSION_ID, baseUrl: handle.url, readKey: PROJECT.readKey };
    const [windowId] = (await fetchSessionMeta(options)).session.windowIds;
    const direct: SessionChunk[] = [];
    for await (const chunk of streamSessionChunks({ ...options, windowId })) {
      direct.push(chunk);
    }
    // A server restarting: busy at first, then the stream breaks, then busy again.
    const proxy = await startCuttingProxy(Number(new URL(handle.url).port), '/chunks', [
      { retryAfterSeconds: 1 },
      5,
      { retryAfterSeconds: 1 },
    ]);
    try {
      const resumed: SessionChunk[] = [];
      for await (const chunk of streamSessionChunks({ ...options, baseUrl: proxy.url, windowId })) {
        resumed.push(chunk);
      }
      const chunkRequests = proxy.requests.filter((line) => line.includes('/chunks'));
      expect(chunkRequests).toHaveLength(4);
      expect(chunkRequests[0]).not.toContain('fromSeq');
      expect(chunkRequests[3]).toContain(`fromSeq=${(direct[4]?.seq ?? Number.NaN) + 1}`);
      expect(resumed).toEqual(direct);
    } finally {
      await proxy.close();
    }
  }, 15_000);

  it('waits out a 503 with Retry-After on the session summary too, and plays', async () => {
    const options = { sessionId: SESSION_ID, baseUrl: handle.url, readKey: PROJECT.readKey };
    const direct = await fetchSessionMeta(options);
    // A server restarting: the summary request is answered 503 twice, then passes.
    const summaryRequest = `${API_PATHS.session(SESSION_ID)} HTTP`;
    const proxy = await startCuttingProxy(Number(new URL(handle.url).port), summaryRequest, [
      { retryAfterSeconds: 1 },
      { retryAfterSeconds: 1 },
    ]);
    try {
      expect(await fetchSessionMeta({ ...options, baseUrl: proxy.url })).toEqual(direct);
      expect(proxy.requests.filter((line) => line.includes(summaryRequest))).toHaveLength(3);
      // The player, which reads the summary first, gets past a busy server by itself too.
      const again = await startCuttingProxy(Number(new URL(handle.url).port), summaryRequest, [
        { retryAfterSeconds: 1 },
      ]);
      try {
        render(<ReplayPlayer sessionId={SESSION_ID} baseUrl={again.url} readKey={PROJECT.readKey} />);
        await waitFor(
          () =>
            expect(screen.getByRole('region', { name: 'Session replay' })).toHaveAttribute(
              'data-state',
              'ready',
            ),
          { timeout: 10_000 },
        );
      } finally {
        await again.close();
      }
    } finally {
      await proxy.close();
    }
  }, 20_000);

  it('says the rest is gone, with no Retry, when the session is deleted while it loads', async () => {
    const sessionId = '0192e4a0-7b1c-7def-8000-0000000000ee';
    const longest = tabs.reduce((a, b) => (b.events.length > a.events.length ? b : a));
    await ingest(sessionId, longest, 5);
    // The stream breaks after a few chunks, and every resume fails.
    const proxy = await startCuttingProxy(Number(new URL(handle.url).port), '/chunks', [
      3,
      ...STREAM_RESUME_DELAYS_MS.map(() => 0),
    ]);
    try {
      render(<ReplayPlayer sessionId={sessionId} baseUrl={proxy.url} readKey={PROJECT.readKey} />);
      const player = screen.getByRole('region', { name: 'Session replay' });
      await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent(/failed to load/), {
        timeout: 10_000,
      });
      const failed = screen.getByRole('status');
      // Deleted meanwhile (by the retention sweep, or someone in the team).
      const deleted = await fetch(`${handle.url}/v1/sessions/${sessionId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${PROJECT.readKey}` },
      });
      expect(deleted.status).toBe(204);
      await userEvent.click(within(failed).getByRole('button', { name: 'Retry' }));
      await waitFor(
        () => expect(screen.getByRole('status')).toHaveTextContent(/deleted while it loaded \(HTTP 404\)/),
        {
          timeout: 5_000,
        },
      );
      expect(within(screen.getByRole('status')).queryByRole('button', { name: 'Retry' })).toBeNull();
      expect(player).toHaveAttribute('data-state', 'ready');
      expect(screen.getByRole('button', { name: 'Play' })).toBeInTheDocument();
    } finally {
      await proxy.close();
    }
  }, 20_000);

  it('plays a session by id, with every tab’s markers and a tab switch', async () => {
    render(<ReplayPlayer sessionId={SESSION_ID} baseUrl={handle.url} readKey={PROJECT.readKey} />);
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull(), { timeout: 5_000 });
    // checkout_error happened in the second tab; its marker shows while the first plays.
    expect(screen.getByRole('button', { name: /^checkout_error at / })).toBeInTheDocument();
    const tabSelect = screen.getByRole('combobox', { name: 'Tab' });
    const [first, second] = within(tabSelect).getAllByRole('option') as HTMLOptionElement[];
    expect(tabSelect).toHaveValue(first!.value);
    await userEvent.selectOptions(tabSelect, second!.value);
    await waitFor(
      () => expect(within(screen.getByRole('tabpanel')).getByText('checkout_error')).toBeInTheDocument(),
      {
        timeout: 5_000,
      },
    );
  });

  it('hands the host the summary it loaded, once per session: not again for a tab switch', async () => {
    const onSummaryLoad = vi.fn();
    const props = { baseUrl: handle.url, readKey: PROJECT.readKey, onSummaryLoad };
    const { rerender } = render(<ReplayPlayer sessionId={SESSION_ID} {...props} />);
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
    const { session } = await fetchSessionMeta({
      sessionId: SESSION_ID,
      baseUrl: handle.url,
      readKey: PROJECT.readKey,
    });
    expect(onSummaryLoad.mock.calls).toEqual([[session]]);
    expect(session).toMatchObject({ id: SESSION_ID, windowIds: expect.any(Array) });

    // Another tab loads the summary again; the host already has it.
    await playSecondTab(player);
    expect(onSummaryLoad).toHaveBeenCalledTimes(1);

    rerender(<ReplayPlayer sessionId={MANY_CHUNKS_SESSION_ID} {...props} />);
    await waitFor(() => expect(onSummaryLoad).toHaveBeenCalledTimes(2), { timeout: 5_000 });
    expect(onSummaryLoad).toHaveBeenLastCalledWith(expect.objectContaining({ id: MANY_CHUNKS_SESSION_ID }));
  });

  it('plays the session when onSummaryLoad throws, and logs the throw', async () => {
    const hostBug = new Error('setHeading is not a function');
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    onTestFinished(() => logged.mockRestore());
    render(
      <ReplayPlayer
        sessionId={SESSION_ID}
        baseUrl={handle.url}
        readKey={PROJECT.readKey}
        onSummaryLoad={() => {
          throw hostBug;
        }}
      />,
    );
    const player = screen.getByRole('region', { name: 'Session replay' });
    // Before, the throw failed the load: "Loading the replay failed", and a Retry played it.
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
    expect(logged.mock.calls.some((call) => call.includes(hostBug))).toBe(true);
  });

  it('hands over the summary of a session with nothing to replay yet, and not again on its Retry', async () => {
    const sessionId = '0192e4a0-7b1c-7def-8000-0000000000ab';
    const [tab] = tabs as [SessionChunk];
    await ingest(sessionId, { ...tab, events: tab.events.slice(0, 1) }, BATCH_EVENTS);
    const onSummaryLoad = vi.fn();
    render(
      <ReplayPlayer
        sessionId={sessionId}
        baseUrl={handle.url}
        readKey={PROJECT.readKey}
        onSummaryLoad={onSummaryLoad}
      />,
    );
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'no-snapshot'), { timeout: 5_000 });
    expect(onSummaryLoad).toHaveBeenCalledTimes(1);
    expect(onSummaryLoad).toHaveBeenLastCalledWith(expect.objectContaining({ id: sessionId }));

    await ingest(sessionId, { ...tab, events: tab.events.slice(1) }, BATCH_EVENTS, 1);
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
    expect(onSummaryLoad).toHaveBeenCalledTimes(1);
  });

  it('keeps the speed and skip setting the viewer chose when switching tabs', async () => {
    render(<ReplayPlayer sessionId={SESSION_ID} baseUrl={handle.url} readKey={PROJECT.readKey} />);
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull(), { timeout: 5_000 });
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Playback speed' }), '4');
    await userEvent.click(screen.getByRole('button', { name: 'Skip inactivity' }));
    await playSecondTab(player);
    expect(screen.getByRole('combobox', { name: 'Playback speed' })).toHaveValue('4');
    expect(screen.getByRole('button', { name: 'Skip inactivity' })).toHaveAttribute('aria-pressed', 'false');
  });

  it('loads a session still being recorded again on Retry, once its full snapshot has arrived', async () => {
    const sessionId = '0192e4a0-7b1c-7def-8000-0000000000cc';
    const [tab] = tabs as [SessionChunk];
    // So far only the Meta event has been stored: nothing to replay yet.
    await ingest(sessionId, { ...tab, events: tab.events.slice(0, 1) }, BATCH_EVENTS);
    render(<ReplayPlayer sessionId={sessionId} baseUrl={handle.url} readKey={PROJECT.readKey} />);
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'no-snapshot'), { timeout: 5_000 });
    expect(player).toHaveTextContent(/no full page snapshot/);

    await ingest(sessionId, { ...tab, events: tab.events.slice(1) }, BATCH_EVENTS, 1);
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
  });

  it('switches tabs at the same moment of the session, playing on if it played', async () => {
    const [first, second] = tabs as [SessionChunk, SessionChunk];
    const ref = createRef<ReplayPlayerHandle>();
    render(<ReplayPlayer ref={ref} sessionId={SESSION_ID} baseUrl={handle.url} readKey={PROJECT.readKey} />);
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull(), { timeout: 5_000 });
    const firstStart = first.events[0]!.timestamp;
    const secondStart = second.events[0]!.timestamp;
    act(() => ref.current?.seek(3_000));
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    const tabSelect = screen.getByRole('combobox', { name: 'Tab' });
    await userEvent.selectOptions(tabSelect, second.windowId);
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Tab' })).toHaveValue(second.windowId), {
      timeout: 5_000,
    });
    // Nothing drives the clock in jsdom: the time is where the switch put it.
    expect(screen.getByRole('slider', { name: 'Seek' })).toHaveAttribute(
      'aria-valuenow',
      String(firstStart + 3_000 - secondStart),
    );
    expect(screen.getByRole('button', { name: 'Pause' })).toHaveAttribute('data-state', 'playing');
  });

  it('reports the new session’s time when the sessionId changes, not the last one’s', async () => {
    const ref = createRef<ReplayPlayerHandle>();
    const onTimeUpdate = vi.fn();
    const props = { baseUrl: handle.url, readKey: PROJECT.readKey, onTimeUpdate };
    const { rerender } = render(<ReplayPlayer ref={ref} sessionId={SESSION_ID} {...props} />);
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
    act(() => ref.current?.seek(3_000));
    expect(onTimeUpdate).toHaveBeenLastCalledWith(3_000);

    rerender(<ReplayPlayer ref={ref} sessionId={MANY_CHUNKS_SESSION_ID} {...props} />);
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
    const now = Number(screen.getByRole('slider', { name: 'Seek' }).getAttribute('aria-valuenow'));
    expect(now).toBeLessThan(3_000);
    // A host that shows the time from onTimeUpdate must not keep the last session's.
    await waitFor(() => expect(onTimeUpdate).toHaveBeenLastCalledWith(now));
  });

  it('does not load again when the host re-renders with a new inline fetch', async () => {
    let requests = 0;
    // Custom auth as a host would write it: a new function on every render.
    const page = () => (
      <ReplayProvider
        baseUrl={handle.url}
        readKey={PROJECT.readKey}
        fetch={(input, init) => {
          requests++;
          return fetch(input, init);
        }}
      >
        <SessionList pageSize={1} onSelect={() => undefined} />
        <ReplayPlayer sessionId={SESSION_ID} />
      </ReplayProvider>
    );
    const { rerender } = render(page());
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull(), { timeout: 5_000 });
    await screen.findByRole('button', { name: /^Play the recording/ });
    const loaded = requests;
    rerender(page());
    rerender(page());
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(requests).toBe(loaded);
    expect(player).toHaveAttribute('data-state', 'ready');
    // The latest function is the one used.
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(requests).toBe(loaded + 1));
  });

  it('plays the first tab that has something to replay when the first one has no full snapshot', async () => {
    const sessionId = '0192e4a0-7b1c-7def-8000-0000000000dd';
    const [first, second] = tabs as [SessionChunk, SessionChunk];
    // The first tab's full snapshot never arrived (say its page closed before sending it).
    const withoutSnapshot = first.events.filter((event) => event.type !== EventType.FullSnapshot);
    await ingest(sessionId, { ...first, events: withoutSnapshot }, BATCH_EVENTS);
    await ingest(sessionId, second, BATCH_EVENTS);
    render(<ReplayPlayer sessionId={sessionId} baseUrl={handle.url} readKey={PROJECT.readKey} />);
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
    expect(screen.getByRole('combobox', { name: 'Tab' })).toHaveValue(second.windowId);
    // Choosing the first tab still says why it cannot play, and the way back stays.
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Tab' }), first.windowId);
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'no-snapshot'), { timeout: 5_000 });
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Tab' }), second.windowId);
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
  }, 15_000);

  it('says the session was not found, and that a write key cannot read', async () => {
    const { unmount } = render(
      <ReplayPlayer
        sessionId="0192e4a0-7b1c-7def-8000-0000000000ff"
        baseUrl={handle.url}
        readKey={PROJECT.readKey}
      />,
    );
    await waitFor(() => expect(screen.getByRole('region')).toHaveAttribute('data-state', 'not-found'));
    unmount();
    render(<ReplayPlayer sessionId={SESSION_ID} baseUrl={handle.url} readKey={PROJECT.writeKey} />);
    await waitFor(() => expect(screen.getByRole('region')).toHaveAttribute('data-state', 'unauthorized'));
  });

  it('drops a "Load more" page that arrives after the sort changed, instead of mixing it in', async () => {
    // The real server, with the next page held back until the sort has changed.
    let releasePage: () => void = () => undefined;
    const pageHeld = new Promise<void>((resolve) => {
      releasePage = resolve;
    });
    let pageServed: () => void = () => undefined;
    const served = new Promise<void>((resolve) => {
      pageServed = resolve;
    });
    const slowNextPage: typeof fetch = async (input, init) => {
      if (!String(input).includes('cursor=')) {
        return fetch(input, init);
      }
      await pageHeld;
      try {
        const response = await fetch(input, init);
        // Read whole here: the list has the page at once, and the test knows when it has.
        return new Response(await response.text(), response);
      } finally {
        pageServed();
      }
    };
    render(
      <SessionList
        baseUrl={handle.url}
        readKey={PROJECT.readKey}
        fetch={slowNextPage}
        pageSize={1}
        onSelect={() => undefined}
      />,
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Load more' }));
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Sort' }), 'longest');
    await screen.findByRole('button', { name: 'Load more' });
    const longest = screen.getByRole('button', { name: /^Play the recording/ }).dataset.sessionId;
    releasePage();
    // Served (or refused, its request aborted): a page that is not dropped is in the next render.
    await served;
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Still the first page of the longest: nothing of the old order came in.
    const rows = screen.getAllByRole('button', { name: /^Play the recording/ });
    expect(rows.map((row) => row.dataset.sessionId)).toEqual([longest]);
  });

  it('keeps the rows it has when "Load more" fails, and loads them on the next press', async () => {
    // The next page's connection breaks before its first byte; the one after passes.
    const proxy = await startCuttingProxy(Number(new URL(handle.url).port), 'cursor=', [0]);
    try {
      render(
        <SessionList baseUrl={proxy.url} readKey={PROJECT.readKey} pageSize={1} onSelect={() => undefined} />,
      );
      await userEvent.click(await screen.findByRole('button', { name: 'Load more' }));
      expect(await screen.findByRole('alert')).toHaveTextContent(
        /Could not load more recordings: could not reach the replaykit server/,
      );
      expect(screen.getAllByRole('button', { name: /^Play the recording/ })).toHaveLength(1);
      await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
      await waitFor(() =>
        expect(screen.getAllByRole('button', { name: /^Play the recording/ })).toHaveLength(2),
      );
      expect(screen.queryByRole('alert')).toBeNull();
      expect(proxy.cuts).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('shows what the server said of a filter it refuses, in <SessionList>', async () => {
    render(<SessionList baseUrl={handle.url} readKey={PROJECT.readKey} onSelect={() => undefined} />);
    await screen.findAllByRole('button', { name: /^Play the recording/ });
    await userEvent.type(screen.getByRole('textbox', { name: 'Event' }), '$navigation');
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    // The server's 400 names the filter to use instead; a bare status would leave the viewer guessing.
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(/HTTP 400: event "\$navigation" never matches/);
    expect(alert).toHaveTextContent('Filter sessions by urlContains instead.');
  });

  it('lists the session in <SessionList> and opens it', async () => {
    const onSelect = vi.fn();
    render(<SessionList baseUrl={handle.url} readKey={PROJECT.readKey} onSelect={onSelect} />);
    await screen.findAllByRole('button', { name: /^Play the recording/ });
    const play = document.querySelector(`button[data-session-id="${SESSION_ID}"]`) as HTMLButtonElement;
    await userEvent.click(play);
    expect(onSelect).toHaveBeenCalledWith(expect.objectContaining({ id: SESSION_ID }));
  });
});
