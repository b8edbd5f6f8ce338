import type { RecordedEvent, SessionChunk } from '@replaykit/core';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ReplayLoadError, streamSessionChunks } from './load-session';
import { ReplayProvider } from './provider';
import { ReplayPlayer } from './replay-player';
import { custom, fullSnapshot, meta, mutation } from './test/events';
import { stubResizeObserverEachTest } from './test/resize-observer';

// jsdom cannot run a replay: the viewport is Chromium's job (streaming.browser.test.tsx).
vi.mock('./viewport', () => ({ ReplayViewport: () => <div data-testid="replay-viewport" /> }));

stubResizeObserverEachTest();

/** A body that arrives in the given pieces, like a network stream split anywhere. */
function streamed(pieces: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) {
        controller.enqueue(encoder.encode(piece));
      }
      controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'application/x-ndjson' } });
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

async function collect(iterable: AsyncIterable<SessionChunk>): Promise<SessionChunk[]> {
  const chunks: SessionChunk[] = [];
  for await (const chunk of iterable) {
    chunks.push(chunk);
  }
  return chunks;
}

describe('streamSessionChunks', () => {
  it('parses NDJSON lines split anywhere across reads, with the read key and window', async () => {
    const line1 = JSON.stringify({ windowId: 'w1', seq: 0, events: [meta(1)] });
    const line2 = JSON.stringify({ windowId: 'w1', seq: 1, events: [mutation(2)] });
    const text = `${line1}\n${line2}\n`;
    const fetch = vi.fn<typeof globalThis.fetch>(async () =>
      streamed([text.slice(0, 7), text.slice(7, line1.length + 3), text.slice(line1.length + 3)]),
    );
    const chunks = await collect(
      streamSessionChunks({
        sessionId: 's1',
        baseUrl: 'https://r.test/',
        readKey: 'rk',
        windowId: 'w1',
        fetch,
      }),
    );
    expect(chunks.map((chunk) => [chunk.seq, chunk.events.length])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    const [url, init] = fetch.mock.calls[0]!;
    expect(String(url)).toBe('https://r.test/v1/sessions/s1/chunks?windowId=w1');
    expect(init?.headers).toEqual({ authorization: 'Bearer rk' });
  });

  it('falls back to /events on a server without the chunks route', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async (input) =>
      String(input).includes('/chunks')
        ? json({ error: { code: 'not_found', message: 'No route GET /v1/sessions/s1/chunks.' } }, 404)
        : json({ events: [meta(1), fullSnapshot(2)] }),
    );
    const chunks = await collect(streamSessionChunks({ sessionId: 's1', fetch }));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.events).toHaveLength(2);
    expect(String(fetch.mock.calls[1]![0])).toBe('/v1/sessions/s1/events');
  });

  it('reports a deleted session as not found, and a bad line as an error naming it', async () => {
    const gone = vi.fn<typeof globalThis.fetch>(async () =>
      json({ error: { code: 'session_not_found', message: 'No session "s1".' } }, 404),
    );
    await expect(collect(streamSessionChunks({ sessionId: 's1', fetch: gone }))).rejects.toMatchObject({
      kind: 'not-found',
    });
    const bad = vi.fn<typeof globalThis.fetch>(async () =>
      streamed(['{"windowId":"w1","seq":0,"events":[]}\n', 'nope\n']),
    );
    const error = await collect(streamSessionChunks({ sessionId: 's1', fetch: bad })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReplayLoadError);
    expect((error as Error).message).toMatch(/^Line 2 of .* is not JSON/);
  });
});

/** A loader whose chunks the test releases one by one. */
function controlledLoader() {
  const queue: Array<SessionChunk | null> = [];
  let wake: (() => void) | null = null;
  const push = (chunk: SessionChunk | null) => {
    queue.push(chunk);
    wake?.();
  };
  async function* chunks(): AsyncGenerator<SessionChunk> {
    for (;;) {
      while (queue.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const next = queue.shift();
      if (next === null || next === undefined) {
        return;
      }
      yield next;
    }
  }
  const loader = vi.fn(() => chunks());
  return { loader, push };
}

function chunk(windowId: string, seq: number, events: RecordedEvent[]): SessionChunk {
  return { windowId, seq, events };
}

function root(): HTMLElement {
  return screen.getByRole('region', { name: 'Session replay' });
}

describe('<ReplayPlayer loader> (progressive)', () => {
  it('is ready after the first chunk with Meta + FullSnapshot, then grows as chunks arrive', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { loader, push } = controlledLoader();
    render(<ReplayPlayer loader={loader} />);
    expect(root()).toHaveAttribute('data-state', 'loading');

    await act(async () => push(chunk('w1', 0, [meta(1_000)])));
    expect(root()).toHaveAttribute('data-state', 'loading');
    expect(screen.getByRole('status')).toHaveTextContent('1 events so far');

    await act(async () => push(chunk('w1', 1, [fullSnapshot(1_020), mutation(3_000)])));
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    expect(screen.getByText('0:00 / 0:02')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Loading the replay' })).toBeInTheDocument();

    vi.setSystemTime(Date.now() + 1_000);
    await act(async () => push(chunk('w1', 2, [custom(40_000, 'checkout_error'), mutation(61_000)])));
    await waitFor(() => expect(screen.getByText('0:00 / 1:00')).toBeInTheDocument());
    expect(screen.getByRole('button', { name: 'checkout_error at 0:39' })).toBeInTheDocument();

    await act(async () => push(null));
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
    vi.useRealTimers();
  });

  it('says so when the stream ends without a full snapshot', async () => {
    const { loader, push } = controlledLoader();
    render(<ReplayPlayer loader={loader} />);
    await act(async () => {
      push(chunk('w1', 0, [meta(1_000), mutation(2_000)]));
      push(null);
    });
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'no-snapshot'));
  });

  it('plays one tab at a time, shows every tab’s markers, and switches tabs', async () => {
    const loader = vi.fn(async function* () {
      yield chunk('tab-a', 0, [meta(1_000), fullSnapshot(1_010), custom(2_000, 'in_tab_a'), mutation(9_000)]);
      yield chunk('tab-b', 0, [meta(3_000), fullSnapshot(3_010), custom(5_000, 'in_tab_b'), mutation(6_000)]);
    });
    render(<ReplayPlayer loader={loader} inspector />);
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    await waitFor(() => expect(screen.getByRole('button', { name: 'in_tab_b at 0:04' })).toBeInTheDocument());
    expect(screen.getByRole('button', { name: 'in_tab_a at 0:01' })).toBeInTheDocument();
    // The inspector lists what happened in the tab being played.
    const events = within(screen.getByRole('tabpanel'));
    expect(events.getByText('in_tab_a')).toBeInTheDocument();
    expect(events.queryByText('in_tab_b')).toBeNull();

    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Tab' }), 'tab-b');
    await waitFor(() =>
      expect(within(screen.getByRole('tabpanel')).getByText('in_tab_b')).toBeInTheDocument(),
    );
    expect(loader).toHaveBeenLastCalledWith(expect.objectContaining({ windowId: 'tab-b' }));
    expect(screen.getByText('0:00 / 0:03')).toBeInTheDocument();
  });

  it('shows a loader failure with a Retry that calls the loader again', async () => {
    let calls = 0;
    const loader = vi.fn(async function* () {
      calls++;
      if (calls === 1) {
        throw new Error('disk on fire');
      }
      yield chunk('w', 0, [meta(1_000), fullSnapshot(1_010), mutation(2_000)]);
    });
    render(<ReplayPlayer loader={loader} />);
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('disk on fire'));
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
  });
});

describe('<ReplayProvider>', () => {
  it('gives players its base URL and read key', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async (input) =>
      String(input).includes('/chunks')
        ? streamed([
            `${JSON.stringify(chunk('w1', 0, [meta(1_000), fullSnapshot(1_010), mutation(2_000)]))}\n`,
          ])
        : json({
            session: { id: 's1', endedAt: 2_000, windowIds: ['w1'] },
            markers: [],
          }),
    );
    render(
      <ReplayProvider baseUrl="https://replay.test" readKey="rk_read" fetch={fetch}>
        <ReplayPlayer sessionId="s1" />
      </ReplayProvider>,
    );
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    expect(fetch.mock.calls.map(([url]) => String(url))).toEqual([
      'https://replay.test/v1/sessions/s1',
      // One tab's stream, even for a session of one tab: a broken connection resumes within a tab.
      'https://replay.test/v1/sessions/s1/chunks?windowId=w1',
    ]);
    expect(fetch.mock.calls[1]![1]?.headers).toEqual({ authorization: 'Bearer rk_read' });
  });
});
