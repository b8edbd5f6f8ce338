import '@testing-library/jest-dom/vitest';
import './player.css';
import { EventType, type RecordedEvent, ReservedEvent, type SessionChunk } from '@replaykit/core';
import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { createRef } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import twoTabSession from '../../../stories/fixtures/two-tab-session.json';
import { INSPECTOR_OVERSCAN_ROWS, type InspectorTab, ReplayPlayer, type ReplayPlayerHandle } from './index';
import recording from './test/fixtures/checkout-recording.json';

// The real checkout recording, with many custom events added after it so the Events list
// overflows its box and has to scroll to keep the current row in view.
const base = recording as RecordedEvent[];
const start = base[0]?.timestamp ?? 0;
const EXTRA_EVENTS = 80;
const EXTRA_SPACING_MS = 100;
const events: RecordedEvent[] = [
  ...base,
  ...Array.from({ length: EXTRA_EVENTS }, (_, index) => ({
    type: EventType.Custom,
    data: { tag: `step_${String(index).padStart(2, '0')}`, payload: { index } },
    timestamp: start + 3_000 + index * EXTRA_SPACING_MS,
  })),
];
const LAST_STEP_OFFSET_MS = 3_000 + (EXTRA_EVENTS - 1) * EXTRA_SPACING_MS;

afterEach(() => {
  cleanup();
});

function eventsList(): HTMLDivElement {
  return screen.getByRole('listbox', { name: 'Events list' }) as HTMLDivElement;
}

function isRowVisible(list: HTMLElement, label: string): boolean {
  const row = Array.from(list.querySelectorAll<HTMLElement>('[role="option"]')).find((item) =>
    item.textContent?.includes(label),
  );
  if (!row) {
    return false;
  }
  const rowBox = row.getBoundingClientRect();
  const listBox = list.getBoundingClientRect();
  return rowBox.top >= listBox.top - 1 && rowBox.bottom <= listBox.bottom + 1;
}

/** A 1000 × 420 player of `recorded`, with its inspector; its handle. */
function renderPlayer(recorded: RecordedEvent[]) {
  const handle = createRef<ReplayPlayerHandle>();
  render(
    <div style={{ width: '1000px', height: '420px', display: 'flex' }}>
      <ReplayPlayer ref={handle} events={recorded} style={{ width: '100%', height: '100%' }} />
    </div>,
  );
  return handle;
}

describe('the inspector in Chromium', () => {
  it('keeps the current row in view, stops following on a manual scroll, and follows again on request', async () => {
    const handle = renderPlayer(events);
    const list = await waitFor(eventsList, { timeout: 5_000 });
    await waitFor(() => expect(list.scrollHeight).toBeGreaterThan(list.clientHeight));

    act(() => handle.current?.seek(LAST_STEP_OFFSET_MS + 10));
    await waitFor(() => expect(isRowVisible(list, 'step_79')).toBe(true), { timeout: 5_000 });
    expect(list.scrollTop).toBeGreaterThan(0);

    // A wheel over the list is the user taking over: the list stays where they put it.
    list.dispatchEvent(new WheelEvent('wheel', { bubbles: true, deltaY: -500 }));
    list.scrollTop = 0;
    const follow = await screen.findByRole('button', { name: 'Follow' });
    act(() => handle.current?.seek(3_000 + 60 * EXTRA_SPACING_MS + 10));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(list.scrollTop).toBe(0);
    expect(isRowVisible(list, 'step_60')).toBe(false);

    await userEvent.click(follow);
    await waitFor(() => expect(isRowVisible(list, 'step_60')).toBe(true), { timeout: 5_000 });
    expect(screen.queryByRole('button', { name: 'Follow' })).toBeNull();
  });

  it('keeps the current row in view when a filter is cleared', async () => {
    const handle = renderPlayer(events);
    const list = await waitFor(eventsList, { timeout: 5_000 });
    act(() => handle.current?.seek(LAST_STEP_OFFSET_MS + 10));
    await waitFor(() => expect(isRowVisible(list, 'step_79')).toBe(true), { timeout: 5_000 });

    // Narrow the list to the current row, which leaves nothing to scroll, then clear it.
    const filter = screen.getByRole('searchbox', { name: 'Filter events' });
    await userEvent.fill(filter, 'step_79');
    await waitFor(() => expect(list.scrollHeight).toBe(list.clientHeight));
    await userEvent.clear(filter);
    await waitFor(() => expect(list.scrollHeight).toBeGreaterThan(list.clientHeight));
    await waitFor(() => expect(isRowVisible(list, 'step_79')).toBe(true), { timeout: 2_000 });
  });
});

/** The position in its list (from 1) of the row painted at the list's top edge. */
function rowAtTop(list: HTMLElement): number {
  // From the layout, not elementFromPoint: the test page can be narrower than the player.
  const top = list.getBoundingClientRect().top + 2;
  const row = Array.from(list.querySelectorAll('[role="option"]')).find((option) => {
    const box = option.getBoundingClientRect();
    return box.top <= top && top < box.bottom;
  });
  return Number(row?.getAttribute('aria-posinset'));
}

/** The row the list's keyboard focus is at (its aria-activedescendant). */
function activeRow(list: HTMLElement): HTMLElement | null {
  const rowId = list.getAttribute('aria-activedescendant');
  return rowId === null ? null : document.getElementById(rowId);
}

describe('the inspector list from the keyboard in Chromium', () => {
  it('is one tab stop whose arrows, Page keys, Home and End move between rows, and Enter seeks', async () => {
    renderPlayer(events);
    const list = await waitFor(eventsList, { timeout: 5_000 });
    await waitFor(() => expect(list.scrollHeight).toBeGreaterThan(list.clientHeight));
    const rows = () => within(list).getAllByRole('option');

    screen.getByRole('searchbox', { name: 'Filter events' }).focus();
    await userEvent.tab();
    expect(list).toHaveFocus();
    const first = activeRow(list);
    expect(first).toBe(rows()[0]);
    expect(first).toHaveAttribute('aria-selected', 'true');

    await userEvent.keyboard('{ArrowDown}');
    expect(activeRow(list)).toBe(rows()[1]);
    expect(rows()[0]).toHaveAttribute('aria-selected', 'false');
    await userEvent.keyboard('{ArrowUp}{ArrowUp}');
    expect(activeRow(list)).toBe(rows()[0]);

    await userEvent.keyboard('{End}');
    expect(activeRow(list)).toHaveTextContent('step_79');
    await waitFor(() => expect(isRowVisible(list, 'step_79')).toBe(true));
    await userEvent.keyboard('{Home}');
    expect(activeRow(list)).toBe(rows()[0]);
    await waitFor(() => expect(list.scrollTop).toBe(0));

    // A page is what the list shows, less a row kept for context.
    const pageRows = Math.floor(list.clientHeight / rows()[0]!.getBoundingClientRect().height) - 1;
    await userEvent.keyboard('{PageDown}{PageDown}');
    const paged = activeRow(list) as HTMLElement;
    expect(paged).toHaveAttribute('aria-posinset', String(1 + 2 * pageRows));
    await waitFor(() => expect(isRowVisible(list, paged.textContent ?? '')).toBe(true));
    await userEvent.keyboard('{PageUp}');
    expect(activeRow(list)).toHaveAttribute('aria-posinset', String(1 + pageRows));

    // Enter does what a click does: seeks to the row, which becomes the current one.
    await userEvent.keyboard('{End}{Enter}');
    await waitFor(() =>
      expect(within(list).getByText('step_79').closest('[role="option"]')).toHaveAttribute(
        'aria-current',
        'true',
      ),
    );
    expect(screen.getByRole('slider', { name: 'Seek' })).toHaveAttribute(
      'aria-valuenow',
      String(LAST_STEP_OFFSET_MS),
    );

    // Follow, shown since the keys took over, gives focus back to the list as it goes.
    await userEvent.keyboard('{Shift>}{Tab}{/Shift}');
    expect(screen.getByRole('button', { name: 'Follow' })).toHaveFocus();
    await userEvent.keyboard('{Enter}');
    expect(screen.queryByRole('button', { name: 'Follow' })).toBeNull();
    expect(list).toHaveFocus();
    expect(activeRow(list)).toHaveAttribute('aria-current', 'true');

    // The next Tab leaves the list rather than walking through its rows.
    await userEvent.tab();
    expect(list.contains(document.activeElement)).toBe(false);
  });
});

describe('the inspector tab a player opens on in Chromium', () => {
  it('opens on defaultInspectorTab', async () => {
    render(
      <div style={{ width: '1000px', height: '420px', display: 'flex' }}>
        <ReplayPlayer
          events={detailed}
          defaultInspectorTab="network"
          style={{ width: '100%', height: '100%' }}
        />
      </div>,
    );
    expect(await screen.findByRole('tab', { name: 'Network 1' }, { timeout: 5_000 })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(within(screen.getByRole('listbox', { name: 'Network list' })).getByText('aborted')).toBeVisible();
  });

  it('stays on the tab the viewer chose when another tab of the session loads', async () => {
    async function* loader(): AsyncGenerator<SessionChunk> {
      yield* twoTabSession as SessionChunk[];
    }
    render(
      <div style={{ width: '1000px', height: '420px', display: 'flex' }}>
        <ReplayPlayer loader={loader} style={{ width: '100%', height: '100%' }} />
      </div>,
    );
    await userEvent.click(await screen.findByRole('tab', { name: /Network/ }, { timeout: 5_000 }));
    const tabSelect = screen.getByRole('combobox', { name: 'Tab' });
    const second = tabSelect.querySelectorAll('option')[1]!.value;
    await userEvent.selectOptions(tabSelect, second);
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Tab' })).toHaveValue(second), {
      timeout: 5_000,
    });
    expect(await screen.findByRole('tab', { name: /Network/ })).toHaveAttribute('aria-selected', 'true');
    expect(document.querySelector('.rk-items')).toHaveAttribute('data-tab', 'network');
  });

  it('says which tabs there are when given another', () => {
    const unknown = 'Network' as InspectorTab;
    expect(() => render(<ReplayPlayer events={detailed} defaultInspectorTab={unknown} />)).toThrow(
      '<ReplayPlayer> defaultInspectorTab must be one of "events", "console", "network", not "Network"',
    );
  });
});

describe('the inspector tabs and their scroll positions in Chromium', () => {
  it('keeps each tab at its own scroll position', async () => {
    const noisy: RecordedEvent[] = [
      ...events,
      ...Array.from({ length: 200 }, (_, index) =>
        custom(3_000 + index * 10, ReservedEvent.Console, { level: 'log', args: [`log ${index}`] }),
      ),
    ].sort((a, b) => a.timestamp - b.timestamp);
    renderPlayer(noisy);
    const list = await waitFor(eventsList, { timeout: 5_000 });
    await waitFor(() => expect(list.scrollHeight).toBeGreaterThan(list.clientHeight + 600));
    list.dispatchEvent(new WheelEvent('wheel', { bubbles: true }));
    list.scrollTop = 600;
    await waitFor(() => expect(rowAtTop(list)).toBeGreaterThan(1));
    const eventsTop = rowAtTop(list);

    // Console was never scrolled: it opens at its top, not 600 px down its own rows.
    await userEvent.click(screen.getByRole('tab', { name: /Console/ }));
    const consoleList = screen.getByRole('listbox', { name: 'Console list' });
    expect(consoleList.scrollTop).toBe(0);
    consoleList.scrollTop = 1_200;
    await waitFor(() => expect(rowAtTop(consoleList)).toBeGreaterThan(1));
    const consoleTop = rowAtTop(consoleList);

    // Back on Events, the list is where it was left there.
    await userEvent.click(screen.getByRole('tab', { name: /Events/ }));
    await waitFor(() => expect(eventsList().scrollTop).toBe(600));
    expect(rowAtTop(eventsList())).toBe(eventsTop);
    await userEvent.click(screen.getByRole('tab', { name: /Console/ }));
    await waitFor(() => expect(consoleList.scrollTop).toBe(1_200));
    expect(rowAtTop(consoleList)).toBe(consoleTop);
  });
});

const LONG_URL = `https://api.example.com/v1/${'segment/'.repeat(40)}report?page=1`;
const LONG_FRAME = `at render (https://cdn.example.com/assets/${'chunk-'.repeat(30)}index.js:1:23456)`;

function custom(offsetMs: number, tag: string, payload: unknown): RecordedEvent {
  return { type: EventType.Custom, data: { tag, payload }, timestamp: start + offsetMs } as RecordedEvent;
}

// The checkout recording with console, network and error rows of every shape a user meets.
const detailed: RecordedEvent[] = [
  ...base,
  custom(3_000, ReservedEvent.Console, { level: 'warn', args: ['stock is low'] }),
  custom(3_100, ReservedEvent.Console, { level: 'log', args: ['x'.repeat(600)] }),
  custom(3_200, ReservedEvent.Error, {
    message: 'Render failed',
    stack: `${LONG_FRAME}\n    at main (app.js:1:1)`,
  }),
  custom(3_300, ReservedEvent.Network, {
    method: 'GET',
    url: LONG_URL,
    status: 0,
    error: 'aborted',
    startedAt: start + 3_300,
    durationMs: 40,
    initiator: 'fetch',
  }),
];

function renderDetailed() {
  return render(
    <div style={{ width: '1000px', height: '420px', display: 'flex' }}>
      <ReplayPlayer events={detailed} style={{ width: '100%', height: '100%' }} />
    </div>,
  );
}

function overflowsSideways(list: HTMLElement): boolean {
  const listBox = list.getBoundingClientRect();
  return Array.from(list.querySelectorAll<HTMLElement>('.rk-item')).some(
    (row) => row.getBoundingClientRect().right > listBox.right + 1 || row.scrollWidth > row.clientWidth + 1,
  );
}

/** Where the last occurrence of `text` in `element` is painted (it must lie in one text node). */
function textBox(element: HTMLElement, text: string): DOMRect {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  let found: { node: Text; at: number } | null = null;
  while (walker.nextNode()) {
    const node = walker.currentNode as Text;
    const at = node.data.lastIndexOf(text);
    if (at !== -1) {
      found = { node, at };
    }
  }
  if (found === null) {
    throw new Error(`"${text}" is not in one text node of the element`);
  }
  const range = document.createRange();
  range.setStart(found.node, found.at);
  range.setEnd(found.node, found.at + text.length);
  return range.getBoundingClientRect();
}

describe('the inspector tabs and rows in Chromium', () => {
  it('names each tab with its count apart', async () => {
    renderDetailed();
    expect(await screen.findByRole('tab', { name: 'Console 2' })).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Network 1' })).toBeInTheDocument();
  });

  it('counts the rows a filter leaves of all, in each tab that has one', async () => {
    renderDetailed();
    await userEvent.click(await screen.findByRole('tab', { name: 'Console 2' }));
    const filter = screen.getByRole('searchbox', { name: 'Filter console' });
    await userEvent.fill(filter, 'stock');
    // Shown as DevTools shows it, read out in words.
    const consoleTab = screen.getByRole('tab', { name: 'Console 1 of 2' });
    expect(consoleTab).toHaveTextContent('1 / 2');
    expect(consoleTab).toBeVisible();
    // The filter stays on its tab, and so does its count when another tab is shown.
    await userEvent.click(screen.getByRole('tab', { name: 'Network 1' }));
    expect(screen.getByRole('tab', { name: 'Console 1 of 2' })).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: /^Events \d+$/ })).toBeInTheDocument();
    // A filter that hides nothing is still a filter: it says so.
    await userEvent.fill(screen.getByRole('searchbox', { name: 'Filter network' }), 'GET');
    expect(screen.getByRole('tab', { name: 'Network 1 of 1' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('tab', { name: /Console/ }));
    await userEvent.clear(screen.getByRole('searchbox', { name: 'Filter console' }));
    expect(screen.getByRole('tab', { name: 'Console 2' })).toHaveTextContent(/^Console 2$/);
  });

  it('switches to the first and last tab with Home and End', async () => {
    renderDetailed();
    const first = await screen.findByRole('tab', { name: /Events/ });
    first.focus();
    await userEvent.keyboard('{End}');
    expect(screen.getByRole('tab', { name: /Network/ })).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByRole('tab', { name: /Network/ })).toHaveFocus();
    await userEvent.keyboard('{Home}');
    expect(first).toHaveAttribute('aria-selected', 'true');
    expect(first).toHaveFocus();
  });

  it('marks warnings apart from plain logs', async () => {
    renderDetailed();
    await userEvent.click(await screen.findByRole('tab', { name: /Console/ }));
    const list = screen.getByRole('listbox', { name: 'Console list' });
    const warning = within(list).getByText('stock is low').closest('[role="option"]') as HTMLElement;
    const log = within(list).getByText('x'.repeat(600)).closest('[role="option"]') as HTMLElement;
    expect(warning).toHaveAttribute('data-level', 'warn');
    const style = (element: HTMLElement) => {
      const computed = getComputedStyle(element);
      return `${computed.color} ${computed.backgroundColor} ${computed.borderLeftColor}`;
    };
    expect(style(warning)).not.toBe(style(log));
  });

  it('keeps long messages, stack lines and URLs inside the list', async () => {
    renderDetailed();
    const events = await waitFor(eventsList, { timeout: 5_000 });
    const rowHeights = Array.from(
      events.querySelectorAll('[role="option"]'),
      (row) => row.getBoundingClientRect().height,
    );
    const label = within(events).getByText('Render failed');
    expect(label.getBoundingClientRect().width).toBeGreaterThan(label.scrollWidth / 2);
    expect(within(events).getByTitle(LONG_FRAME)).toBeInTheDocument();
    expect(overflowsSideways(events)).toBe(false);
    await userEvent.click(screen.getByRole('tab', { name: /Console/ }));
    const consoleList = screen.getByRole('listbox', { name: 'Console list' });
    expect(overflowsSideways(consoleList)).toBe(false);
    expect(within(consoleList).getByTitle('x'.repeat(600))).toBeInTheDocument();
    for (const row of consoleList.querySelectorAll('[role="option"]')) {
      rowHeights.push(row.getBoundingClientRect().height);
    }
    await userEvent.click(screen.getByRole('tab', { name: /Network/ }));
    const network = screen.getByRole('listbox', { name: 'Network list' });
    expect(overflowsSideways(network)).toBe(false);
    expect(within(network).getByText('aborted')).toBeVisible();
    // Only the rows in view are rendered, placed by their index: every row is one height.
    const networkRow = network.querySelector('[role="option"]')?.getBoundingClientRect().height;
    expect(networkRow).toBeGreaterThan(0);
    expect(rowHeights.every((height) => height === networkRow)).toBe(true);
  });

  it('cuts a long URL in its middle, keeping its last segment in view, with the whole URL as its tooltip', async () => {
    renderDetailed();
    await userEvent.click(await screen.findByRole('tab', { name: /Network/ }));
    const network = screen.getByRole('listbox', { name: 'Network list' });
    const label = within(network).getByTitle(LONG_URL);
    // Read out whole, by the accessible name computation: the two parts shown, flex items
    // of the label, were read with a space between them ("…/segment/ report?page=1").
    await expect.element(page.getByRole('option', { name: ` ${LONG_URL} ` })).toBeInTheDocument();
    const box = label.getBoundingClientRect();
    // The last path segment, in a label about 100 px wide here (the query may be cut).
    const tail = textBox(label.querySelector<HTMLElement>('.rk-item-url-tail')!, 'report');
    expect(tail.width).toBeGreaterThan(0);
    expect(tail.left).toBeGreaterThanOrEqual(box.left);
    expect(tail.right).toBeLessThanOrEqual(box.right + 1);
    // The host still shows at the start.
    const head = label.querySelector('[aria-hidden="true"]');
    expect(head).toHaveTextContent(/^https:\/\/api\.example\.com/);
    expect(head).toBeVisible();
  });

  it('says what each click reached, and finds a click by it', async () => {
    renderPlayer(events);
    const list = await waitFor(eventsList, { timeout: 5_000 });
    const clicks = () =>
      within(eventsList())
        .getAllByRole('option')
        .filter((row) => row.dataset.kind === 'click')
        .map((row) => row.querySelector('.rk-item-label')?.textContent);
    expect(clicks()).toEqual(['Click on text input "card"', 'Click on button "Pay"']);
    expect(within(list).getByText('Click on button "Pay"')).toBeVisible();
    await userEvent.fill(screen.getByRole('searchbox', { name: 'Filter events' }), 'button "pay"');
    await waitFor(() => expect(clicks()).toEqual(['Click on button "Pay"']));
    expect(screen.getByRole('tab', { name: /^Events 1 of \d+$/ })).toBeInTheDocument();
  });

  it('finds a failed request by the reason it shows', async () => {
    renderDetailed();
    await userEvent.click(await screen.findByRole('tab', { name: /Network/ }));
    await userEvent.fill(screen.getByRole('searchbox', { name: 'Filter network' }), 'Aborted');
    const network = screen.getByRole('listbox', { name: 'Network list' });
    expect(within(network).getByText('aborted')).toBeInTheDocument();
    expect(within(network).queryByText('Nothing here.')).toBeNull();
  });

  it('marks a console message the recorder cut to its limits', async () => {
    render(
      <div style={{ width: '1000px', height: '420px', display: 'flex' }}>
        <ReplayPlayer
          events={[
            ...base,
            custom(3_000, ReservedEvent.Console, { level: 'log', args: ['whole'] }),
            custom(3_100, ReservedEvent.Console, {
              level: 'log',
              args: ['a'.repeat(2_000)],
              truncated: true,
            }),
          ]}
          style={{ width: '100%', height: '100%' }}
        />
      </div>,
    );
    await userEvent.click(await screen.findByRole('tab', { name: /Console/ }, { timeout: 5_000 }));
    const list = screen.getByRole('listbox', { name: 'Console list' });
    expect(within(list).getByText('truncated')).toBeVisible();
    expect(within(list).getByText('truncated').closest('[role="option"]')).toHaveTextContent(
      'a'.repeat(2_000),
    );
    expect(within(list).getByText('whole').closest('[role="option"]')).not.toHaveTextContent('truncated');
  });

  it('says a filter hides every row, rather than that the tab has none', async () => {
    renderDetailed();
    await userEvent.click(await screen.findByRole('tab', { name: /Console/ }));
    await userEvent.fill(screen.getByRole('searchbox', { name: 'Filter console' }), ' checkout ');
    const message = screen.getByText('Nothing matches "checkout".');
    expect(message).toBeVisible();
    expect(message.closest('.rk-inspector')?.querySelector('[role="option"]')).toBeNull();
  });

  it('shows an empty list as text, not as a listbox without options', async () => {
    renderDetailed();
    await userEvent.click(await screen.findByRole('tab', { name: /Console/ }));
    await userEvent.fill(screen.getByRole('searchbox', { name: 'Filter console' }), 'checkout');
    const message = screen.getByText('Nothing matches "checkout".');
    // A listbox must hold options: empty, a screen reader announced an empty listbox (and
    // a tab stop) and left the message, which is no option, unread.
    expect(message.closest('[role="listbox"]')).toBeNull();
    expect(message.closest('.rk-items')).not.toHaveAttribute('tabindex');
    const results = await axe.run(message.closest('.rk-inspector')!);
    expect(results.violations.map((violation) => violation.id)).toEqual([]);
    // Rows again make it a listbox.
    await userEvent.clear(screen.getByRole('searchbox', { name: 'Filter console' }));
    expect(screen.getByRole('listbox', { name: 'Console list' })).toHaveAttribute('tabindex', '0');
  });
});

// A busy console: a log every 10 ms for 100 s.
const BUSY_LOGS = 10_000;
const BUSY_SPACING_MS = 10;
const busy: RecordedEvent[] = [
  ...base,
  ...Array.from({ length: BUSY_LOGS }, (_, index) =>
    custom(3_000 + index * BUSY_SPACING_MS, ReservedEvent.Console, { level: 'log', args: [`tick ${index}`] }),
  ),
];
const FRAME_MS = 16;

describe('the inspector waterfall in Chromium', () => {
  it('keeps a request that outlasts the recording inside its waterfall, its duration in seconds', async () => {
    const endsLate: RecordedEvent[] = [
      ...base,
      custom(2_900, ReservedEvent.Network, {
        method: 'GET',
        url: '/api/poll',
        status: 200,
        startedAt: start + 2_900,
        durationMs: 30_000,
        initiator: 'fetch',
      }),
    ];
    render(
      <div style={{ width: '1000px', height: '420px', display: 'flex' }}>
        <ReplayPlayer events={endsLate} style={{ width: '100%', height: '100%' }} />
      </div>,
    );
    await userEvent.click(await screen.findByRole('tab', { name: /Network/ }));
    const list = screen.getByRole('listbox', { name: 'Network list' });
    // In the unit DevTools would pick, not "30000 ms".
    expect(list.querySelector('.rk-item-duration')).toHaveTextContent(/^30 s$/);
    const waterfall = list.querySelector('.rk-waterfall') as HTMLElement;
    const bar = waterfall.firstElementChild as HTMLElement;
    const box = waterfall.getBoundingClientRect();
    // Just right of the waterfall, in the row's padding: what is painted there.
    const beside = document.elementFromPoint(box.right + 4, box.top + box.height / 2);
    expect(beside).not.toBe(bar);
    expect(beside?.closest('.rk-item')).not.toBeNull();
  });
});

describe('the inspector network rows in Chromium', () => {
  it('shows, seeks to and draws a request from the moment it was sent, in the order they were sent', async () => {
    // The recorder stamps a request's event when it ends: the slow one, sent first, is recorded last.
    const requests: RecordedEvent[] = [
      ...base,
      custom(3_100, ReservedEvent.Network, {
        method: 'GET',
        url: '/api/fast',
        status: 200,
        startedAt: start + 3_000,
        durationMs: 100,
        initiator: 'fetch',
      }),
      custom(5_000, ReservedEvent.Network, {
        method: 'POST',
        url: '/api/slow',
        status: 200,
        startedAt: start + 2_000,
        durationMs: 3_000,
        initiator: 'fetch',
      }),
    ];
    const times: number[] = [];
    render(
      <div style={{ width: '1000px', height: '420px', display: 'flex' }}>
        <ReplayPlayer
          events={requests}
          onTimeUpdate={(time) => times.push(time)}
          style={{ width: '100%', height: '100%' }}
        />
      </div>,
    );
    await userEvent.click(await screen.findByRole('tab', { name: /Network/ }, { timeout: 5_000 }));
    const list = screen.getByRole('listbox', { name: 'Network list' });
    const [slow, fast] = within(list).getAllByRole('option');
    expect(slow).toHaveTextContent('/api/slow');
    expect(fast).toHaveTextContent('/api/fast');
    expect(slow!.querySelector('.rk-item-time')).toHaveTextContent('0:02');
    expect(fast!.querySelector('.rk-item-time')).toHaveTextContent('0:03');
    // The bars step down the list as the rows do: each starts where its row's time is.
    const barLeft = (row: HTMLElement) =>
      row.querySelector('.rk-waterfall > span')!.getBoundingClientRect().left;
    expect(barLeft(slow!)).toBeLessThan(barLeft(fast!));

    await userEvent.click(slow!);
    await waitFor(() => expect(times.at(-1)).toBe(2_000));
    await waitFor(() => expect(slow).toHaveAttribute('aria-current', 'true'));
    expect(fast).not.toHaveAttribute('aria-current');
  });
});

describe('the inspector with thousands of rows in Chromium', () => {
  it('keeps rows one height in a theme that lets long messages wrap, so the keyboard row shows', async () => {
    const wordy: RecordedEvent[] = [
      ...base,
      ...Array.from({ length: 300 }, (_, index) =>
        custom(3_000 + index * BUSY_SPACING_MS, ReservedEvent.Console, {
          level: 'log',
          args: [index % 3 === 2 ? `tick ${index} ${'a long message '.repeat(30)}` : `tick ${index}`],
        }),
      ),
    ];
    render(
      <div style={{ width: '1000px', height: '420px', display: 'flex' }}>
        <style>{'.rk-item-label { white-space: normal; }'}</style>
        <ReplayPlayer events={wordy} style={{ width: '100%', height: '100%' }} />
      </div>,
    );
    await userEvent.click(await screen.findByRole('tab', { name: /Console/ }, { timeout: 5_000 }));
    const list = screen.getByRole('listbox', { name: 'Console list' });
    list.focus();
    await userEvent.keyboard('{Home}');
    for (let row = 0; row < 40; row++) {
      await userEvent.keyboard('{ArrowDown}');
    }
    expect(activeRow(list)).toHaveTextContent(/^0:03logtick 40$/);
    // Placed by its index: a wrapped row above it no longer pushes it out of the list's view.
    await waitFor(() => expect(isRowVisible(list, 'tick 40')).toBe(true));
  });

  // Each step re-renders only the rows whose state changes; a test asserts no time, as the
  // shared machines are too noisy for that, only that the current row follows.
  it('follows playback through a busy console, step by step', async () => {
    const handle = renderPlayer(busy);
    await userEvent.click(await screen.findByRole('tab', { name: /Console/ }, { timeout: 5_000 }));
    const list = screen.getByRole('listbox', { name: 'Console list' });

    // Playback moves the current row a row or two a frame; each step is a seek.
    for (let frame = 1; frame <= 15; frame++) {
      act(() => handle.current?.seek(50_000 + frame * FRAME_MS));
      expect(list.querySelector('[aria-current="true"]')).toHaveTextContent(
        `tick ${Math.floor((50_000 + frame * FRAME_MS - 3_000) / BUSY_SPACING_MS)}`,
      );
    }
  }, 30_000);

  it('comes back where it was scrolled to when a filter that hid every row is cleared', async () => {
    renderPlayer(busy);
    await userEvent.click(await screen.findByRole('tab', { name: /Console/ }, { timeout: 5_000 }));
    const list = screen.getByRole('listbox', { name: 'Console list' });
    const rowHeight = list.querySelector('[role="option"]')!.getBoundingClientRect().height;
    list.dispatchEvent(new WheelEvent('wheel', { bubbles: true }));
    list.scrollTop = 3_000 * rowHeight;
    await waitFor(() => expect(rowAtTop(list)).toBe(3_001));
    const filter = screen.getByRole('searchbox', { name: 'Filter console' });
    await userEvent.fill(filter, 'no such message');
    expect(screen.getByText('Nothing matches "no such message".')).toBeVisible();
    await userEvent.clear(filter);
    const shown = screen.getByRole('listbox', { name: 'Console list' });
    await waitFor(() => expect(rowAtTop(shown)).toBe(3_001));
  }, 30_000);

  it('gives focus to the filter when Follow is pressed with every row filtered out', async () => {
    renderPlayer(busy);
    await userEvent.click(await screen.findByRole('tab', { name: /Console/ }, { timeout: 5_000 }));
    const list = screen.getByRole('listbox', { name: 'Console list' });
    list.dispatchEvent(new WheelEvent('wheel', { bubbles: true }));
    const filter = screen.getByRole('searchbox', { name: 'Filter console' });
    await userEvent.fill(filter, 'no such message');
    await userEvent.click(screen.getByRole('button', { name: 'Follow' }));
    // No list to go to: focus stays in the inspector, next to where Follow was, not on the page.
    expect(screen.queryByRole('button', { name: 'Follow' })).toBeNull();
    expect(document.activeElement).toBe(filter);
  }, 30_000);

  it('renders only the rows in view and a few around them, laid out where the whole list would have them', async () => {
    const handle = renderPlayer(busy);
    await userEvent.click(await screen.findByRole('tab', { name: /Console/ }, { timeout: 5_000 }));
    const list = screen.getByRole('listbox', { name: 'Console list' });
    const rows = () => Array.from(list.querySelectorAll<HTMLElement>('[role="option"]'));
    const rowHeight = rows()[0]!.getBoundingClientRect().height;
    // What the list shows, the rows rendered beyond each edge, and the active row.
    const bound = Math.ceil(list.clientHeight / rowHeight) + 1 + 2 * INSPECTOR_OVERSCAN_ROWS + 1;
    expect(rows().length).toBeLessThanOrEqual(bound);
    expect(rows()[0]).toHaveAttribute('aria-setsize', String(BUSY_LOGS));
    // The scrollbar spans every row, rendered or not.
    expect(list.scrollHeight).toBeGreaterThanOrEqual(Math.floor(BUSY_LOGS * rowHeight));

    act(() => handle.current?.seek(70_000));
    const current = () => list.querySelector('[aria-current="true"]');
    expect(current()).toHaveTextContent('tick 6700');
    expect(isRowVisible(list, 'tick 6700')).toBe(true);
    expect(rows().length).toBeLessThanOrEqual(bound);

    // A scroll by hand far from the current row shows the rows that belong there.
    list.dispatchEvent(new WheelEvent('wheel', { bubbles: true }));
    list.scrollTop = 2_000 * rowHeight;
    await waitFor(() => expect(rowAtTop(list)).toBe(2_001));
    expect(within(list).getByText('tick 2000')).toBeVisible();
    expect(rows().length).toBeLessThanOrEqual(bound);

    // The keyboard reaches rows that were not rendered, and brings them into view.
    list.focus();
    await userEvent.keyboard('{End}');
    expect(
      list.querySelector(`#${CSS.escape(list.getAttribute('aria-activedescendant') ?? '')}`),
    ).toHaveTextContent(`tick ${BUSY_LOGS - 1}`);
    await waitFor(() => expect(isRowVisible(list, `tick ${BUSY_LOGS - 1}`)).toBe(true));
    await userEvent.keyboard('{PageUp}{Enter}');
    await waitFor(() => expect(current()).toHaveAttribute('id', list.getAttribute('aria-activedescendant')));
    expect(rows().length).toBeLessThanOrEqual(bound);
  }, 30_000);
});
