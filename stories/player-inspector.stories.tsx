import { ReplayInspector, ReplayPlayer } from '@replaykit/player';
import '@replaykit/player/style.css';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import {
  BUSY_CONSOLE_LOGS,
  busyConsoleEvents,
  checkoutEvents,
  detailedInspectorEvents,
  LONG_REQUEST_URL,
  playerStoryMeta,
} from './fixtures/player-fixtures';

const meta = {
  title: 'Player/Inspector',
  component: ReplayPlayer,
  ...playerStoryMeta(900, 560),
} satisfies Meta<typeof ReplayPlayer>;

export default meta;
type Story = StoryObj<typeof meta>;

const READY_WAIT = { timeout: 10_000 };

/**
 * Ten thousand console logs: only the rows in view (and a few beyond each edge) are in the
 * page, while the scrollbar and the keyboard span them all.
 */
export const LongWindowedList: Story = {
  args: {
    events: busyConsoleEvents,
    children: <ReplayInspector defaultTab="console" style={{ height: 400 }} />,
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const list = await canvas.findByRole('listbox', { name: 'Console list' }, READY_WAIT);
    const rows = within(list).getAllByRole('option');
    await expect(rows[0]).toHaveAttribute('aria-setsize', String(BUSY_CONSOLE_LOGS));
    await expect(rows.length).toBeLessThan(100);
    list.focus();
    await userEvent.keyboard('{End}');
    await waitFor(() =>
      expect(within(list).getByText(`poll ${BUSY_CONSOLE_LOGS - 1}: 3 items in stock`)).toBeVisible(),
    );
  },
};

/** A tab the recording has no rows for says so in text, rather than showing an empty listbox. */
export const EmptyTab: Story = {
  args: {
    events: checkoutEvents,
    children: <ReplayInspector defaultTab="console" style={{ height: 400 }} />,
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findByText('Nothing here.', {}, READY_WAIT)).toBeVisible();
    await expect(canvas.getByRole('tab', { name: 'Console 0' })).toHaveAttribute('aria-selected', 'true');
    await expect(canvas.queryByRole('listbox')).toBeNull();
  },
};

/** A filter that hides every row says what hides them, and the tab counts what it leaves. */
export const NothingMatches: Story = {
  args: {
    events: checkoutEvents,
    children: <ReplayInspector style={{ height: 400 }} />,
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('listbox', { name: 'Events list' }, READY_WAIT);
    await userEvent.type(canvas.getByRole('searchbox', { name: 'Filter events' }), 'refund');
    await expect(canvas.getByText('Nothing matches "refund".')).toBeVisible();
    await expect(canvas.getByRole('tab', { name: /^Events 0 of \d+$/ })).toHaveTextContent(/0 \/ \d+/);
  },
};

/**
 * Requests of long URLs, cut in the middle so the host and the last segment stay in view
 * (the whole URL is the tooltip); durations from 850 ms to 2.1 min; a request that failed.
 */
export const LongUrls: Story = {
  args: {
    events: detailedInspectorEvents,
    children: <ReplayInspector defaultTab="network" style={{ height: 400 }} />,
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const list = await canvas.findByRole('listbox', { name: 'Network list' }, READY_WAIT);
    const label = within(list).getByTitle(LONG_REQUEST_URL);
    const tail = label.querySelector('.rk-item-url-tail') as HTMLElement;
    await expect(tail).toHaveTextContent('stock?sku=4711&warehouse=berlin');
    // The last segment starts inside the label, though the URL is far wider than it.
    await expect(tail.getBoundingClientRect().left).toBeGreaterThan(label.getBoundingClientRect().left);
    await expect(within(list).getByText('850 ms')).toBeVisible();
    await expect(within(list).getByText('2.1 min')).toBeVisible();
    await expect(
      within(list).getByTitle('http://shop.replaykit.test/api/pay').closest('[role="option"]'),
    ).toHaveTextContent('aborted');
  },
};

/** A console message the recorder cut to its limits is marked "truncated". */
export const TruncatedConsoleMessage: Story = {
  args: {
    events: detailedInspectorEvents,
    children: <ReplayInspector defaultTab="console" style={{ height: 400 }} />,
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const list = await canvas.findByRole('listbox', { name: 'Console list' }, READY_WAIT);
    const marked = within(list).getByText('truncated');
    await expect(marked).toBeVisible();
    await expect(marked.closest('[role="option"]')).toHaveTextContent('Checkout state');
    await expect(within(list).getByText('cart loaded').closest('[role="option"]')).not.toHaveTextContent(
      'truncated',
    );
  },
};

/** The whole player, its inspector opened on the Network tab by `defaultInspectorTab`. */
export const DefaultInspectorTab: Story = {
  args: {
    events: detailedInspectorEvents,
    defaultInspectorTab: 'network',
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const tab = await canvas.findByRole('tab', { name: /^Network/ }, READY_WAIT);
    await expect(tab).toHaveAttribute('aria-selected', 'true');
    await expect(canvas.getByRole('listbox', { name: 'Network list' })).toBeVisible();
  },
};
