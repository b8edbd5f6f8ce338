import type { RecordedEvent } from '@replaykit/core';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ReplayPlayer } from './replay-player';
import { SessionList } from './session-list';
import { custom, fullSnapshot, meta, mutation } from './test/events';
import { stubResizeObserverEachTest } from './test/resize-observer';
import { sessionSummary } from './test/summary';
import { parseTimeParam, readTimeParam, writeTimeParam } from './time-param';
import { clusterMarkers } from './timeline';

vi.mock('./viewport', () => ({ ReplayViewport: () => <div data-testid="replay-viewport" /> }));

stubResizeObserverEachTest();

const T0 = 1_700_000_000_000;
const recording: RecordedEvent[] = [
  meta(T0, 'https://shop.test/'),
  fullSnapshot(T0 + 10),
  custom(T0 + 1_000, '$navigation', { kind: 'pushState', url: 'https://shop.test/cart' }),
  custom(T0 + 2_000, '$console', { level: 'log', args: ['cart ready'] }),
  custom(T0 + 3_000, '$network', {
    method: 'POST',
    url: '/api/pay',
    status: 502,
    startedAt: T0 + 2_900,
    durationMs: 100,
    initiator: 'fetch',
  }),
  custom(T0 + 3_100, '$console', { level: 'error', args: ['payment failed'] }),
  custom(T0 + 3_200, 'checkout_error', { code: 'declined' }),
  custom(T0 + 3_300, '$error', { message: 'Card declined', kind: 'error' }),
  mutation(T0 + 30_000),
];

function slider(): HTMLElement {
  return screen.getByRole('slider', { name: 'Seek' });
}

describe('keyboard shortcuts', () => {
  it('play, seek, step, speed and help work while focus is in the player', async () => {
    const onSpeedChange = vi.fn();
    render(<ReplayPlayer events={recording} onSpeedChange={onSpeedChange} />);
    const player = screen.getByRole('region', { name: 'Session replay' });
    player.focus();
    await userEvent.keyboard('{ArrowRight}');
    expect(slider()).toHaveAttribute('aria-valuenow', '10000');
    await userEvent.keyboard('{Shift>}{ArrowLeft}{/Shift}');
    expect(slider()).toHaveAttribute('aria-valuenow', '9000');
    await userEvent.keyboard('>');
    expect(screen.getByRole('combobox', { name: 'Playback speed' })).toHaveValue('1.5');
    // One digit per speed, 3× among them (as PostHog's player has).
    await userEvent.keyboard('5');
    expect(onSpeedChange).toHaveBeenLastCalledWith(3);
    await userEvent.keyboard('8');
    expect(onSpeedChange).toHaveBeenLastCalledWith(16);
    await userEvent.keyboard('<');
    expect(onSpeedChange).toHaveBeenLastCalledWith(8);
    await userEvent.keyboard(' ');
    expect(screen.getByRole('button', { name: 'Pause' })).toBeInTheDocument();
    await userEvent.keyboard('k');
    expect(screen.getByRole('button', { name: 'Play' })).toBeInTheDocument();
    await userEvent.keyboard('?');
    const help = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(help).toBeVisible();
    expect(within(help).getByText('Fullscreen')).toBeInTheDocument();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('takes K with Shift or Caps Lock as well, as it does F', async () => {
    render(<ReplayPlayer events={recording} />);
    screen.getByRole('region', { name: 'Session replay' }).focus();
    await userEvent.keyboard('K');
    expect(screen.getByRole('button', { name: 'Pause' })).toBeInTheDocument();
    await userEvent.keyboard('K');
    expect(screen.getByRole('button', { name: 'Play' })).toBeInTheDocument();
  });

  it('leaves keys typed into the inspector filter alone', async () => {
    render(<ReplayPlayer events={recording} />);
    const filter = screen.getByRole('searchbox', { name: 'Filter events' });
    await userEvent.type(filter, 'k 7');
    expect(filter).toHaveValue('k 7');
    expect(screen.getByRole('button', { name: 'Play' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Playback speed' })).toHaveValue('1');
  });

  it('toggles skip inactivity, on by default', async () => {
    render(<ReplayPlayer events={recording} />);
    const toggle = screen.getByRole('button', { name: 'Skip inactivity' });
    expect(toggle).toHaveAttribute('aria-pressed', 'true');
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-pressed', 'false');
  });
});

describe('controlled props and page info', () => {
  it('follows currentTime, playing and speed props, and shows the URL and viewport at the time', () => {
    const { rerender } = render(
      <ReplayPlayer events={recording} currentTime={500} playing={false} speed={2} />,
    );
    expect(slider()).toHaveAttribute('aria-valuenow', '500');
    const pageUrl = () => document.querySelector('.rk-page-url');
    expect(pageUrl()).toHaveTextContent('https://shop.test/');
    expect(screen.getByText('800 × 600')).toBeInTheDocument();
    rerender(<ReplayPlayer events={recording} currentTime={1_500} playing speed={4} />);
    expect(slider()).toHaveAttribute('aria-valuenow', '1500');
    expect(pageUrl()).toHaveTextContent('https://shop.test/cart');
    expect(screen.getByRole('button', { name: 'Pause' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Playback speed' })).toHaveValue('4');
  });
});

describe('<ReplayInspector>', () => {
  it('lists events, console and network per tab, marks the current row and seeks on click', async () => {
    const onEventClick = vi.fn();
    render(<ReplayPlayer events={recording} onEventClick={onEventClick} />);
    const panel = () => within(screen.getByRole('tabpanel'));
    expect(panel().getByText('https://shop.test/cart')).toBeInTheDocument();
    expect(panel().getByText('checkout_error')).toBeInTheDocument();
    expect(panel().getByText('Card declined')).toBeInTheDocument();

    await userEvent.click(panel().getByText('checkout_error'));
    expect(slider()).toHaveAttribute('aria-valuenow', '3200');
    expect(onEventClick).toHaveBeenLastCalledWith(
      expect.objectContaining({
        source: 'inspector',
        kind: 'custom',
        label: 'checkout_error',
        timestamp: T0 + 3_200,
      }),
    );
    expect(panel().getByText('checkout_error').closest('[role="option"]')).toHaveAttribute(
      'aria-current',
      'true',
    );

    await userEvent.click(screen.getByRole('tab', { name: /Console/ }));
    expect(panel().getByText('payment failed').closest('[role="option"]')).toHaveAttribute(
      'data-level',
      'error',
    );
    await userEvent.type(panel().getByRole('searchbox', { name: 'Filter console' }), 'ready');
    expect(panel().queryByText('payment failed')).toBeNull();
    expect(panel().getByText('cart ready')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('tab', { name: /Network/ }));
    const request = panel().getByTitle('/api/pay').closest('[role="option"]')!;
    expect(request).toHaveTextContent('POST');
    expect(request).toHaveTextContent('502');
    expect(request).toHaveTextContent('100 ms');
  });

  it('stops following on a manual scroll until Follow is pressed', async () => {
    render(<ReplayPlayer events={recording} />);
    expect(screen.queryByRole('button', { name: 'Follow' })).toBeNull();
    fireEvent.wheel(screen.getByRole('listbox', { name: 'Events list' }));
    const follow = screen.getByRole('button', { name: 'Follow' });
    await userEvent.click(follow);
    expect(screen.queryByRole('button', { name: 'Follow' })).toBeNull();
  });

  it('switches tabs with the arrow keys', async () => {
    render(<ReplayPlayer events={recording} />);
    screen.getByRole('tab', { name: /Events/ }).focus();
    await userEvent.keyboard('{ArrowRight}');
    expect(screen.getByRole('tab', { name: /Console/ })).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByRole('tab', { name: /Console/ })).toHaveFocus();
  });
});

describe('timeline markers', () => {
  it('cluster when close, showing errors before custom events and the rest', () => {
    const markers = [
      { id: 'a', kind: 'navigation' as const, label: 'nav', timestamp: 100 },
      { id: 'b', kind: 'custom' as const, label: 'custom', timestamp: 150 },
      { id: 'c', kind: 'error' as const, label: 'boom', timestamp: 180 },
      { id: 'd', kind: 'custom' as const, label: 'later', timestamp: 5_000 },
    ];
    const clusters = clusterMarkers(markers, 0, 500);
    expect(clusters.map((cluster) => [cluster.top.label, cluster.markers.length])).toEqual([
      ['boom', 3],
      ['later', 1],
    ]);
  });

  it('show every kind the recording has, with the cluster count in the name', () => {
    const onEventClick = vi.fn();
    render(<ReplayPlayer events={recording} onEventClick={onEventClick} />);
    // 3.0–3.3 s of 30 s are within one cluster: the error wins.
    const cluster = screen.getByRole('button', { name: 'Card declined at 0:03 (+3 more)' });
    expect(cluster).toHaveAttribute('data-kind', 'error');
    fireEvent.click(cluster);
    expect(onEventClick).toHaveBeenCalledWith(expect.objectContaining({ source: 'marker', kind: 'error' }));
    expect(screen.getByRole('button', { name: 'https://shop.test/cart at 0:01' })).toHaveAttribute(
      'data-kind',
      'navigation',
    );
  });
});

describe('?t= deep links', () => {
  it('parses seconds and h/m/s forms, and rejects the rest', () => {
    expect(parseTimeParam('95')).toBe(95_000);
    expect(parseTimeParam('1.5')).toBe(1_500);
    expect(parseTimeParam('1m30s')).toBe(90_000);
    expect(parseTimeParam('1h')).toBe(3_600_000);
    expect(parseTimeParam('soon')).toBeUndefined();
    expect(parseTimeParam('')).toBeUndefined();
    expect(readTimeParam('https://app.test/replays?session=s&t=42')).toBe(42_000);
    expect(readTimeParam('not a url')).toBeUndefined();
  });

  it('writes t= into the URL without a history entry', () => {
    window.history.replaceState(null, '', '/replays?session=s1');
    const length = window.history.length;
    expect(writeTimeParam(61_900)).toMatch(/\/replays\?session=s1&t=61$/);
    expect(window.location.search).toBe('?session=s1&t=61');
    expect(window.history.length).toBe(length);
    expect(readTimeParam()).toBe(61_000);
  });
});

describe('<SessionList>', () => {
  function listResponse(ids: string[], nextCursor: string | null) {
    return new Response(
      JSON.stringify({
        sessions: ids.map((id, index) =>
          sessionSummary({
            id,
            userId: index === 0 ? 'ada@example.com' : null,
            durationMs: 125_000,
            activeMs: 61_000,
            clickCount: 7,
            errorCount: 1,
            failedRequestCount: 2,
          }),
        ),
        nextCursor,
      }),
      { headers: { 'content-type': 'application/json' } },
    );
  }

  it('lists sessions with their columns, filters, sorts, pages and selects', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async (input) =>
      String(input).includes('cursor=')
        ? listResponse(['s3'], null)
        : listResponse(['s1', 's2'], 'next-page'),
    );
    const onSelect = vi.fn();
    render(<SessionList baseUrl="https://replay.test" readKey="rk_read" fetch={fetch} onSelect={onSelect} />);
    const table = await screen.findByRole('table');
    const firstRow = within(table).getAllByRole('row')[1]!;
    expect(firstRow).toHaveTextContent('ada@example.com');
    expect(firstRow).toHaveTextContent('2:05');
    expect(firstRow).toHaveTextContent('1:01');
    expect(firstRow).toHaveTextContent('https://shop.test/checkout');
    expect(firstRow).toHaveTextContent('7');
    expect(within(firstRow).getAllByRole('cell')[6]).toHaveTextContent(/^1 error, 2 failed requests$/);
    expect(String(fetch.mock.calls[0]![0])).toBe('https://replay.test/v1/sessions?sort=newest&limit=25');
    expect(fetch.mock.calls[0]![1]?.headers).toEqual({ authorization: 'Bearer rk_read' });

    await userEvent.type(screen.getByRole('textbox', { name: 'User' }), 'ada@example.com');
    await userEvent.type(screen.getByRole('textbox', { name: 'URL contains' }), 'checkout');
    await userEvent.type(screen.getByRole('spinbutton', { name: 'Min. duration (s)' }), '30');
    await userEvent.click(screen.getByRole('checkbox', { name: 'With errors' }));
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() =>
      expect(String(fetch.mock.lastCall![0])).toBe(
        'https://replay.test/v1/sessions?userId=ada%40example.com&urlContains=checkout&minDurationMs=30000&hasErrors=true&sort=newest&limit=25',
      ),
    );
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Sort' }), 'most_errors');
    await waitFor(() => expect(String(fetch.mock.lastCall![0])).toContain('sort=most_errors'));

    await userEvent.click(await screen.findByRole('button', { name: 'Load more' }));
    await waitFor(() =>
      expect(screen.getAllByRole('button', { name: /^Play the recording/ })).toHaveLength(3),
    );
    expect(String(fetch.mock.lastCall![0])).toContain('cursor=next-page');
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();

    await userEvent.click(screen.getAllByRole('button', { name: /^Play the recording/ })[2]!);
    expect(onSelect).toHaveBeenCalledWith(expect.objectContaining({ id: 's3' }));
  });

  it('counts in Errors only the errors that "With errors" and "Most errors" go by, naming the rest apart', async () => {
    // The server's hasErrors filter and most_errors sort count $error events only: a session
    // with console errors and failed requests but no error must not show a red error count.
    const body = {
      sessions: [
        sessionSummary({ id: 'quiet', errorCount: 0, consoleErrorCount: 2, failedRequestCount: 1 }),
        sessionSummary({ id: 'broken', errorCount: 1 }),
      ],
      nextCursor: null,
    };
    const fetch = vi.fn<typeof globalThis.fetch>(async () => new Response(JSON.stringify(body)));
    render(<SessionList fetch={fetch} onSelect={() => undefined} />);
    const [, quietRow, brokenRow] = within(await screen.findByRole('table')).getAllByRole('row');
    const quietErrors = within(quietRow!).getAllByRole('cell')[6]!;
    expect(quietErrors).toHaveTextContent(/^0 errors, 2 console errors, 1 failed request$/);
    expect(quietErrors).toHaveAttribute('data-errors', 'false');
    const brokenErrors = within(brokenRow!).getAllByRole('cell')[6]!;
    expect(brokenErrors).toHaveTextContent(/^1$/);
    expect(brokenErrors).toHaveAttribute('data-errors', 'true');
  });

  /** Renders a list, then applies a range of the days `fromDay` to `toDay` (`yyyy-mm-dd`). */
  async function applyDays(fromDay: string, toDay: string) {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => listResponse(['s1'], null));
    render(<SessionList fetch={fetch} onSelect={() => undefined} />);
    await screen.findByRole('table');
    const from = screen.getByLabelText('From');
    const to = screen.getByLabelText('To');
    fireEvent.change(from, { target: { value: fromDay } });
    fireEvent.change(to, { target: { value: toDay } });
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    return { fetch, from, to };
  }

  it('filters by a range of whole local days, the last one included', async () => {
    const { fetch } = await applyDays('2026-03-28', '2026-03-29');
    await waitFor(() => expect(String(fetch.mock.lastCall![0])).toContain('from='));
    const params = new URL(String(fetch.mock.lastCall![0]), 'https://replay.test').searchParams;
    expect(Number(params.get('from'))).toBe(new Date(2026, 2, 28).getTime());
    expect(Number(params.get('to'))).toBe(new Date(2026, 2, 30).getTime());
  });

  it('says a date range that ends before it starts is the wrong way round, instead of asking the server', async () => {
    const { fetch, from, to } = await applyDays('2026-03-29', '2026-03-28');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(
      '"From" (2026-03-29) is after "To" (2026-03-28); pick a From day on or before the To day, or clear one of them.',
    );
    expect(from).toHaveAccessibleDescription(alert.textContent ?? '');
    expect(from).toHaveAttribute('aria-invalid', 'true');
    // A new sort does not send the reversed range either; the rows shown stay.
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Sort' }), 'longest');
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('table')).toBeInTheDocument();

    fireEvent.change(to, { target: { value: '2026-03-29' } });
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(2));
    expect(String(fetch.mock.lastCall![0])).toContain('sort=longest');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(from).not.toHaveAttribute('aria-invalid');
  });

  it('explains a refused read key, and retries', async () => {
    let calls = 0;
    const fetch = vi.fn<typeof globalThis.fetch>(async () => {
      calls++;
      return calls === 1 ? new Response('{}', { status: 401 }) : listResponse([], null);
    });
    render(<SessionList fetch={fetch} onSelect={() => undefined} />);
    expect(await screen.findByRole('alert')).toHaveTextContent(/refused the read key/);
    await act(async () => {
      await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    });
    expect(await screen.findByText(/^No recordings yet/)).toBeInTheDocument();
  });

  it('reports the filters and sort it applies, so a host can keep them in its URL', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => listResponse(['s1'], null));
    const onQueryChange = vi.fn();
    render(
      <SessionList
        fetch={fetch}
        pageSize={10}
        initialQuery={{ userId: 'ada@example.com' }}
        onSelect={() => undefined}
        onQueryChange={onQueryChange}
      />,
    );
    expect(await screen.findByRole('textbox', { name: 'User' })).toHaveValue('ada@example.com');
    await screen.findByRole('table');
    expect(onQueryChange).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('checkbox', { name: 'With errors' }));
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect(onQueryChange).toHaveBeenLastCalledWith({
      userId: 'ada@example.com',
      event: undefined,
      urlContains: undefined,
      from: undefined,
      to: undefined,
      minDurationMs: undefined,
      hasErrors: true,
      sort: 'newest',
    });
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Sort' }), 'longest');
    expect(onQueryChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ hasErrors: true, sort: 'longest' }),
    );
    expect(onQueryChange.mock.lastCall![0]).not.toHaveProperty('limit');
  });

  it('tells an empty project from filters that match nothing', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => listResponse([], null));
    render(<SessionList fetch={fetch} onSelect={() => undefined} />);
    expect(
      await screen.findByText('No recordings yet: a session shows here once a recorder has sent it.'),
    ).toBeInTheDocument();
    // Another sort narrows nothing either.
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Sort' }), 'longest');
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(2));
    expect(await screen.findByText(/^No recordings yet/)).toBeInTheDocument();

    await userEvent.click(screen.getByRole('checkbox', { name: 'With errors' }));
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(3));
    expect(await screen.findByText('No recordings match these filters.')).toBeInTheDocument();
  });
});
