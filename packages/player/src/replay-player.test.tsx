import type { RecordedEvent, SessionChunk, SessionEventsResponse, SessionResponse } from '@replaykit/core';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';
import { createRef } from 'react';
import { describe, expect, it, vi } from 'vitest';
import twoTabSession from '../../../stories/fixtures/two-tab-session.json';
import { ReplayPlayer, type ReplayPlayerHandle, type ReplayPlayerState } from './replay-player';
import { custom, fullSnapshot, meta, mutation } from './test/events';
import recording from './test/fixtures/checkout-recording.json';
import { stubResizeObserverEachTest } from './test/resize-observer';
import { sessionSummary } from './test/summary';
import { ReplayTimeline } from './timeline';

// jsdom cannot run a replay (no layout, no real iframes): the viewport is Chromium's job,
// tested in replay-player.browser.test.tsx. Here it is a stub, and the store runs without
// a driver, so these tests cover loading states, controls and markers.
vi.mock('./viewport', () => ({ ReplayViewport: () => <div data-testid="replay-viewport" /> }));

const events = recording as RecordedEvent[];
const SESSION_ID = 'session-1';
// The fixture's checkout_error happens 1436 ms in; it lasts 2449 ms.
const MARKER_NAME = 'checkout_error at 0:01';

const serverEvents: SessionEventsResponse = {
  events: [meta(1_000), fullSnapshot(1_020), custom(13_000, 'checkout_error'), mutation(66_000)],
};
const serverSession: SessionResponse = {
  session: sessionSummary({
    id: SESSION_ID,
    startedAt: 1_000,
    endedAt: 66_000,
    durationMs: 65_000,
    windowIds: ['w1'],
  }),
  markers: [{ id: '2', kind: 'custom', label: 'checkout_error', timestamp: 13_000, payload: {} }],
};

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function ndjson(lines: unknown[]): Response {
  return new Response(lines.map((line) => `${JSON.stringify(line)}\n`).join(''), {
    headers: { 'content-type': 'application/x-ndjson' },
  });
}

function stubServer(...sessionResponses: Array<() => Response>) {
  let call = 0;
  const fetch = vi.fn<typeof globalThis.fetch>(async (input) => {
    if (String(input).includes('/chunks')) {
      return ndjson([{ windowId: 'w1', seq: 0, events: serverEvents.events }]);
    }
    if (String(input).endsWith('/events')) {
      return json(serverEvents);
    }
    const respond = sessionResponses[Math.min(call, sessionResponses.length - 1)]!;
    call++;
    return respond();
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

function root(): HTMLElement {
  return screen.getByRole('region', { name: 'Session replay' });
}

stubResizeObserverEachTest();

describe('<ReplayPlayer sessionId>', () => {
  it('tells onEventClick when the server left a marker payload out for its size', async () => {
    stubServer(() =>
      json({
        ...serverSession,
        markers: [
          { id: 'w1:0:2', kind: 'custom', label: 'checkout_error', timestamp: 13_000, payloadOmitted: true },
        ],
      }),
    );
    const onEventClick = vi.fn();
    render(
      <ReplayPlayer
        sessionId={SESSION_ID}
        baseUrl="https://replay.test"
        readKey="rk_read"
        onEventClick={onEventClick}
      />,
    );
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    await userEvent.click(screen.getByRole('button', { name: 'checkout_error at 0:12' }));
    expect(onEventClick).toHaveBeenCalledWith(
      expect.objectContaining({ source: 'marker', label: 'checkout_error', payloadOmitted: true }),
    );
  });

  it('shows loading, then ready with the server markers, sending the read key', async () => {
    const fetch = stubServer(() => json(serverSession));
    render(<ReplayPlayer sessionId={SESSION_ID} baseUrl="https://replay.test" readKey="rk_read" />);
    expect(root()).toHaveAttribute('data-state', 'loading');
    expect(screen.getByRole('status')).toHaveTextContent(/loading/i);
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    expect(screen.getByRole('button', { name: 'checkout_error at 0:12' })).toBeInTheDocument();
    expect(screen.getByRole('slider', { name: 'Seek' })).toHaveAttribute('aria-valuetext', '0:00 of 1:05');
    expect(fetch.mock.calls[0]?.[1]?.headers).toEqual({ authorization: 'Bearer rk_read' });
  });

  it('shows not-found on 404', async () => {
    stubServer(() => json({ error: 'not found' }, 404));
    render(<ReplayPlayer sessionId={SESSION_ID} readKey="rk_read" />);
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'not-found'));
    expect(screen.getByRole('alert')).toHaveTextContent(/not found/i);
    expect(screen.queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
  });

  it('shows unauthorized on 401 and says which key to pass', async () => {
    stubServer(() => json({ error: 'unauthorized' }, 401));
    render(<ReplayPlayer sessionId={SESSION_ID} readKey="rk_write_by_mistake" />);
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'unauthorized'));
    expect(screen.getByRole('alert')).toHaveTextContent(/read key/i);
  });

  it('shows an error with a Retry button that loads again', async () => {
    const fetch = stubServer(
      () => {
        throw new TypeError('Failed to fetch');
      },
      () => json(serverSession),
    );
    render(<ReplayPlayer sessionId={SESSION_ID} baseUrl="https://replay.test" readKey="rk_read" />);
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'error'));
    expect(screen.getByRole('alert')).toHaveTextContent(/could not reach/i);
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    expect(fetch.mock.calls.filter(([url]) => String(url).endsWith(SESSION_ID))).toHaveLength(2);
  });

  it('shows no-snapshot when the session has nothing to replay', async () => {
    stubServer(() => json(serverSession));
    vi.mocked(globalThis.fetch).mockImplementation(async (input) =>
      String(input).includes('/chunks')
        ? ndjson([{ windowId: 'w1', seq: 0, events: [meta(1_000), mutation(2_000)] }])
        : json(serverSession),
    );
    render(<ReplayPlayer sessionId={SESSION_ID} readKey="rk_read" />);
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'no-snapshot'));
    expect(screen.getByRole('status')).toHaveTextContent(/no full page snapshot/i);
  });
});

describe('<ReplayPlayer events>', () => {
  it('is ready at once and labels each marker with its name, kind and time', () => {
    render(<ReplayPlayer events={events} />);
    expect(root()).toHaveAttribute('data-state', 'ready');
    const marker = screen.getByRole('button', { name: MARKER_NAME });
    expect(marker.nextElementSibling).toHaveTextContent('checkout_error · 0:01');
    expect(marker).toHaveAttribute('data-kind', 'custom');
    expect(screen.getByText('0:00 / 0:02')).toBeInTheDocument();
  });

  it('gives error markers their own kind', () => {
    const withError = [...events, custom(events[0]!.timestamp + 500, '$error', { message: 'Card declined' })];
    render(<ReplayPlayer events={withError} />);
    expect(screen.getByRole('button', { name: 'Card declined at 0:00' })).toHaveAttribute(
      'data-kind',
      'error',
    );
  });

  it('shows where the recorder lost data as a marker of its own and a row in the inspector', async () => {
    const gap = custom(events[0]!.timestamp + 800, '$dropped', {
      reason: 'buffer_full',
      count: 12,
      bytes: 48_000,
    });
    const onEventClick = vi.fn();
    render(<ReplayPlayer events={[...events, gap]} onEventClick={onEventClick} />);
    const label = 'Recording gap: 12 events lost (recorder memory full)';
    const marker = screen.getByRole('button', { name: `${label} at 0:00` });
    expect(marker).toHaveAttribute('data-kind', 'dropped');
    expect(marker.nextElementSibling).toHaveTextContent(`${label} · 0:00`);
    await userEvent.click(marker);
    expect(screen.getByRole('slider', { name: 'Seek' })).toHaveAttribute('aria-valuenow', '800');
    expect(onEventClick).toHaveBeenLastCalledWith(
      expect.objectContaining({ source: 'marker', kind: 'dropped', label }),
    );
    const row = within(screen.getByRole('listbox', { name: 'Events list' })).getByRole('option', {
      name: new RegExp(label.replace(/[()]/g, '\\$&')),
    });
    expect(row).toHaveAttribute('data-kind', 'dropped');
  });

  it('seeks to when a failed request was sent, from its marker as from its inspector row', async () => {
    const start = events[0]!.timestamp;
    // The recorder stamps a request's event when it ends: sent at 0:00.6, failed at 0:01.9.
    const failed = custom(start + 1_900, '$network', {
      method: 'POST',
      url: '/api/pay',
      status: 500,
      startedAt: start + 600,
      durationMs: 1_300,
      initiator: 'fetch',
    });
    const onTimeUpdate = vi.fn();
    render(<ReplayPlayer events={[...events, failed]} onTimeUpdate={onTimeUpdate} />);
    const slider = screen.getByRole('slider', { name: 'Seek' });
    await userEvent.click(screen.getByRole('button', { name: /^POST \/api\/pay 500 at / }));
    expect(slider).toHaveAttribute('aria-valuenow', '600');
    // Away from it, so the row's seek is seen.
    act(() => slider.focus());
    await userEvent.keyboard('{End}');
    expect(slider).not.toHaveAttribute('aria-valuenow', '600');
    await userEvent.click(screen.getByRole('tab', { name: /Network/ }));
    await userEvent.click(
      within(screen.getByRole('listbox', { name: 'Network list' })).getByRole('option', {
        name: /\/api\/pay/,
      }),
    );
    expect(slider).toHaveAttribute('aria-valuenow', '600');
    expect(onTimeUpdate).toHaveBeenLastCalledWith(600);
  });

  it('shows a failed request sent before the recording began, at its start as its inspector row', async () => {
    const start = events[0]!.timestamp;
    // In flight when the recorder started: sent 0.4 s before the recording, failed at 0:01.9.
    const failed = custom(start + 1_900, '$network', {
      method: 'GET',
      url: '/api/boot',
      status: 504,
      startedAt: start - 400,
      durationMs: 2_300,
      initiator: 'fetch',
    });
    render(<ReplayPlayer events={[...events, failed]} />);
    // Before, its marker stood before the timeline's start and was left out as another tab's.
    const marker = screen.getByRole('button', { name: 'GET /api/boot 504 at 0:00' });
    expect(marker).toHaveAttribute('data-kind', 'network_error');
    const slider = screen.getByRole('slider', { name: 'Seek' });
    act(() => slider.focus());
    await userEvent.keyboard('{End}');
    await userEvent.click(marker);
    // The start (moved just past the first FullSnapshot, as every seek there is).
    const landed = slider.getAttribute('aria-valuenow');
    expect(Number(landed)).toBeLessThan(100);
    act(() => slider.focus());
    await userEvent.keyboard('{End}');
    await userEvent.click(screen.getByRole('tab', { name: /Network/ }));
    await userEvent.click(
      within(screen.getByRole('listbox', { name: 'Network list' })).getByRole('option', {
        name: /\/api\/boot/,
      }),
    );
    expect(slider).toHaveAttribute('aria-valuenow', landed);
  });

  it('shows no-snapshot for events without a FullSnapshot', () => {
    render(<ReplayPlayer events={[meta(0), mutation(100)]} />);
    expect(root()).toHaveAttribute('data-state', 'no-snapshot');
  });

  it('seeks to a marker when it is clicked', async () => {
    const onTimeUpdate = vi.fn();
    render(<ReplayPlayer events={events} onTimeUpdate={onTimeUpdate} />);
    await userEvent.click(screen.getByRole('button', { name: MARKER_NAME }));
    const slider = screen.getByRole('slider', { name: 'Seek' });
    expect(slider).toHaveAttribute('aria-valuenow', '1436');
    expect(slider).toHaveAttribute('aria-valuetext', '0:01 of 0:02');
    expect(onTimeUpdate).toHaveBeenLastCalledWith(1436);
  });

  it('seeks with the keyboard through the slider, clamped past the first FullSnapshot', async () => {
    render(<ReplayPlayer events={events} />);
    const slider = screen.getByRole('slider', { name: 'Seek' });
    act(() => slider.focus());
    await userEvent.keyboard('{End}');
    expect(slider).toHaveAttribute('aria-valuenow', '2449');
    expect(screen.getByText('0:02 / 0:02')).toBeInTheDocument();
    await userEvent.keyboard('{Home}');
    // 0 falls before the FullSnapshot (23 ms after the Meta): the seek lands just after it.
    expect(slider).toHaveAttribute('aria-valuenow', '24');
    await userEvent.keyboard('{ArrowRight}');
    expect(slider).toHaveAttribute('aria-valuenow', '100');
  });

  it('toggles Play and Pause, reporting the state', async () => {
    const states: ReplayPlayerState[] = [];
    render(<ReplayPlayer events={events} onStateChange={(state) => states.push(state)} />);
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    expect(screen.getByRole('button', { name: 'Pause' })).toHaveAttribute('data-state', 'playing');
    await userEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(screen.getByRole('button', { name: 'Play' })).toHaveAttribute('data-state', 'paused');
    expect(states).toEqual([
      { load: 'ready', playback: 'paused', interrupted: null },
      { load: 'ready', playback: 'playing', interrupted: null },
      { load: 'ready', playback: 'paused', interrupted: null },
    ]);
  });

  it('keeps its place when re-rendered with a new array of the same events', async () => {
    const { rerender } = render(<ReplayPlayer events={[...events]} />);
    await userEvent.click(screen.getByRole('button', { name: MARKER_NAME }));
    rerender(<ReplayPlayer events={[...events]} />);
    expect(screen.getByRole('slider', { name: 'Seek' })).toHaveAttribute('aria-valuenow', '1436');
    rerender(<ReplayPlayer events={events.slice(0, -1)} />);
    expect(screen.getByRole('slider', { name: 'Seek' })).toHaveAttribute('aria-valuenow', '0');
  });

  it('starts at initialTime and takes commands through its ref', () => {
    const ref = createRef<ReplayPlayerHandle>();
    render(<ReplayPlayer ref={ref} events={events} initialTime={1_000} />);
    const slider = screen.getByRole('slider', { name: 'Seek' });
    expect(slider).toHaveAttribute('aria-valuenow', '1000');
    act(() => ref.current?.seek(2_000));
    expect(slider).toHaveAttribute('aria-valuenow', '2000');
    act(() => ref.current?.play());
    expect(screen.getByRole('button', { name: 'Pause' })).toBeInTheDocument();
  });

  it('applies ref commands made while loading once the session is ready', async () => {
    stubServer(() => json(serverSession));
    const ref = createRef<ReplayPlayerHandle>();
    render(<ReplayPlayer ref={ref} sessionId={SESSION_ID} readKey="rk_read" />);
    ref.current?.seek(30_000);
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    expect(screen.getByRole('slider', { name: 'Seek' })).toHaveAttribute('aria-valuetext', '0:30 of 1:05');
  });

  it('lets children rearrange the parts', () => {
    render(
      <ReplayPlayer events={events}>
        <ReplayTimeline data-testid="only-timeline" />
      </ReplayPlayer>,
    );
    expect(screen.getByTestId('only-timeline')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Play' })).not.toBeInTheDocument();
  });

  it('says which part needs a <ReplayPlayer> around it', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => render(<ReplayTimeline />)).toThrow('<ReplayTimeline> must be used within <ReplayPlayer>');
  });

  it('has no axe violations when ready', async () => {
    const { container } = render(<ReplayPlayer events={events} />);
    // jsdom cannot paint, so colour contrast (which needs a canvas) is Chromium's to check.
    const results = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    expect(results.violations.map((violation) => violation.id)).toEqual([]);
    expect(within(root()).getByTestId('replay-viewport')).toBeInTheDocument();
  });
});

describe('<ReplayPlayer loader> switching tabs', () => {
  it('does not carry "playing on" from a tab switch into the next recording', async () => {
    // The second tab never arrives: the viewer moves on to another recording meanwhile.
    async function* twoTabs({ signal, windowId }: { signal: AbortSignal; windowId: string | null }) {
      if (windowId === 'tab-2') {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        return;
      }
      yield* twoTabSession as SessionChunk[];
    }
    async function* other(): AsyncGenerator<SessionChunk> {
      yield { windowId: 'w', seq: 0, events };
    }
    const { rerender } = render(<ReplayPlayer loader={twoTabs} />);
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Tab' }), 'tab-2');
    expect(root()).toHaveAttribute('data-state', 'loading');

    rerender(<ReplayPlayer loader={other} />);
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    expect(screen.getByRole('button', { name: /^(Play|Pause)$/ })).toHaveAttribute('data-state', 'paused');
  });
});

describe('<ReplayPlayer loader> going back to a recording', () => {
  it('reads as loading until the recording it went back to reports, and takes a seek made meanwhile', async () => {
    let loadsOfFirst = 0;
    async function* first(): AsyncGenerator<SessionChunk> {
      yield { windowId: 'w', seq: 0, events };
      loadsOfFirst++;
    }
    // The host shows another recording for a moment, which has not arrived yet.
    async function* slow({ signal }: { signal: AbortSignal }): AsyncGenerator<SessionChunk> {
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    }
    const ref = createRef<ReplayPlayerHandle>();
    const { rerender } = render(<ReplayPlayer ref={ref} loader={first} />);
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    rerender(<ReplayPlayer ref={ref} loader={slow} />);
    expect(root()).toHaveAttribute('data-state', 'loading');

    rerender(<ReplayPlayer ref={ref} loader={first} />);
    // Loading again: nothing of the last load of this recording is shown meanwhile.
    expect(root()).toHaveAttribute('data-state', 'loading');
    act(() => ref.current?.seek(2_000));
    // Once the recording has loaded again, a store thrown away after the seek would show.
    await waitFor(() => expect(loadsOfFirst).toBe(2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    expect(screen.getByRole('slider', { name: 'Seek' })).toHaveAttribute('aria-valuenow', '2000');
  });

  it('loads its loader again after playing given events, reading as loading meanwhile', async () => {
    async function* first(): AsyncGenerator<SessionChunk> {
      yield { windowId: 'w', seq: 0, events };
    }
    const { rerender } = render(<ReplayPlayer loader={first} />);
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
    rerender(<ReplayPlayer loader={first} events={[meta(0), fullSnapshot(20), mutation(9_000)]} />);
    expect(screen.getByRole('slider', { name: 'Seek' })).toHaveAttribute('aria-valuetext', '0:00 of 0:09');

    rerender(<ReplayPlayer loader={first} />);
    expect(root()).toHaveAttribute('data-state', 'loading');
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'ready'));
  });
});
