import { deriveMarkers } from '@replaykit/core';
import { ReplayPlayer, ReplayProvider } from '@replaykit/player';
import '@replaykit/player/style.css';
import type { Decorator, Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import {
  checkoutEvents,
  fixtureLoader,
  longIdleChunks,
  longSessionEvents,
  pendingLoader,
  playerStoryMeta,
  splitIntoChunks,
  twoTabChunks,
} from './fixtures/player-fixtures';

const meta = {
  title: 'Player/ReplayPlayer',
  component: ReplayPlayer,
  ...playerStoryMeta(1100, 620),
} satisfies Meta<typeof ReplayPlayer>;

export default meta;
type Story = StoryObj<typeof meta>;

const REPLAY_WAIT = { timeout: 10_000 };

function replayedText(canvasElement: HTMLElement): string {
  return canvasElement.querySelector('iframe')?.contentDocument?.body?.textContent ?? '';
}

/**
 * A short checkout whose payment is declined: the `checkout_error` marker sits on the timeline,
 * and the order chart (a canvas) shows as recorded.
 */
export const CheckoutWithError: Story = {
  args: { events: checkoutEvents },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const marker = await canvas.findByRole('button', { name: /^checkout_error at / }, REPLAY_WAIT);
    // The recording opens with the shopper's `$identify` events, before the page's Meta event:
    // at 0:00 the page info still names the page on screen.
    await expect(canvasElement.querySelector('.rk-page-url')).toHaveTextContent(
      'Page: http://shop.replaykit.test/',
    );
    await expect(canvas.getByRole('button', { name: 'Play' })).toBeEnabled();
    await expect(canvas.getByRole('slider', { name: 'Seek' })).toBeInTheDocument();
    marker.click();
    const iframe = canvasElement.querySelector('iframe');
    await expect(iframe?.getAttribute('sandbox') ?? '').not.toContain('allow-scripts');
    await waitFor(() => expect(replayedText(canvasElement)).toContain('Checkout'), REPLAY_WAIT);
    // The order chart, a canvas recorded as image snapshots, is shown without script in the frame.
    await waitFor(() => {
      const image = iframe?.contentDocument?.querySelector<HTMLImageElement>(
        'canvas.order-chart img[data-rk-canvas-image]',
      );
      expect(image?.src).toMatch(/^data:image\/webp;base64,/);
      expect(image?.getBoundingClientRect().width).toBeGreaterThan(0);
    }, REPLAY_WAIT);
    // The inspector lists the session-list request the shopper's last click started (aborted
    // as the shop unmounted) in its Network tab.
    await userEvent.click(canvas.getByRole('tab', { name: /Network/ }));
    await expect(within(canvas.getByRole('tabpanel')).getByTitle(/v1\/sessions/)).toBeInTheDocument();
  },
};

/** A visit with two idle pauses: they are shaded on the timeline and skipped while playing. */
export const LongWithIdleGaps: Story = {
  args: { loader: fixtureLoader(longIdleChunks) },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('slider', { name: 'Seek' }, REPLAY_WAIT);
    await waitFor(() =>
      expect(canvasElement.querySelectorAll('.rk-inactive').length).toBeGreaterThanOrEqual(2),
    );
    await expect(canvas.getByRole('button', { name: 'Skip inactivity' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
  },
};

/** One session in two tabs: choose the tab; markers of both tabs are on the timeline. */
export const TwoTabs: Story = {
  args: { loader: fixtureLoader(twoTabChunks) },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const tabs = await canvas.findByRole('combobox', { name: 'Tab' }, REPLAY_WAIT);
    await expect(tabs).toHaveValue('tab-1');
    // checkout_error happened in the second tab; its marker shows while the first plays.
    await expect(canvas.getByRole('button', { name: /^checkout_error at / })).toBeInTheDocument();
    await userEvent.selectOptions(tabs, 'tab-2');
    await waitFor(
      () => expect(canvas.getByRole('combobox', { name: 'Tab' })).toHaveValue('tab-2'),
      REPLAY_WAIT,
    );
  },
};

/**
 * Thirty minutes with more than fifty markers on a 330 px timeline: markers too close to tell apart
 * share one button (its name says how many more), and none covers another or leaves the track.
 */
export const LongSessionManyMarkers: Story = {
  args: { events: longSessionEvents },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('slider', { name: 'Seek' }, REPLAY_WAIT);
    await expect(canvas.getByText('0:00 / 30:00')).toBeInTheDocument();
    const markers = [...canvasElement.querySelectorAll<HTMLElement>('.rk-marker')];
    const counted = markers.reduce((sum, marker) => sum + Number(marker.dataset.count), 0);
    await expect(counted).toBe(deriveMarkers(longSessionEvents).length);
    await expect(canvas.getAllByRole('button', { name: /\(\+\d+ more\)$/ }).length).toBeGreaterThan(0);
    // Where the recorder lost data, a marker of its own says so, and how much.
    const gaps = canvas.getAllByRole('button', {
      name: /^Recording gap: \d+ events lost \(recorder memory full\) at /,
    });
    await expect(gaps.length).toBeGreaterThan(0);
    await expect(gaps[0]).toHaveAttribute('data-kind', 'dropped');
    const track = canvasElement.querySelector('.rk-slider-track')?.getBoundingClientRect();
    const boxes = markers.map((marker) => marker.getBoundingClientRect()).sort((a, b) => a.left - b.left);
    for (const [index, box] of boxes.entries()) {
      const center = box.left + box.width / 2;
      expect(center).toBeGreaterThanOrEqual((track?.left ?? 0) - 0.5);
      expect(center).toBeLessThanOrEqual((track?.right ?? 0) + 0.5);
      const previous = boxes[index - 1];
      if (previous !== undefined) {
        expect(box.left, 'a marker covers the one before it').toBeGreaterThanOrEqual(previous.right - 0.5);
      }
    }
    // The first button gathers the checkout's markers from 0:00 on; it is named after, and
    // seeks to, the most important one.
    await userEvent.click(canvas.getByRole('button', { name: /^checkout_error at 0:07 \(\+\d+ more\)$/ }));
    await waitFor(() => expect(canvasElement.querySelector('.rk-time')).toHaveTextContent(/^0:07 \//));
  },
};

/** Chunks arrive one every 400 ms: the replay starts with the first, the timeline fills in. */
export const ProgressiveLoading: Story = {
  args: { loader: fixtureLoader(splitIntoChunks(checkoutEvents, 20), 400) },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('slider', { name: 'Seek' }, REPLAY_WAIT);
    await waitFor(() => expect(canvas.queryByRole('progressbar')).toBeNull(), REPLAY_WAIT);
  },
};

/** The dark theme (set `theme="auto"` to follow the system). */
export const DarkTheme: Story = {
  args: { events: checkoutEvents, theme: 'dark' },
  // Storybook 10 picks a story's background from this global (its `default` parameter no longer does).
  globals: { backgrounds: { value: 'dark' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const player = await canvas.findByRole('region', { name: 'Session replay' });
    await expect(player).toHaveAttribute('data-theme', 'dark');
    // The colours really switch (light-dark() follows the theme's color-scheme).
    await expect(getComputedStyle(player).backgroundColor).toBe('rgb(22, 22, 29)');
    await expect(getComputedStyle(player).color).toBe('rgb(236, 236, 243)');
  },
};

/** Without the inspector, the replay takes the whole width. */
export const WithoutInspector: Story = {
  args: { events: checkoutEvents, inspector: false },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).queryByRole('tablist')).toBeNull();
  },
};

/** Waiting for the first chunk. */
export const Loading: Story = {
  args: { loader: pendingLoader },
  play: async ({ canvasElement }) => {
    await expect(await within(canvasElement).findByText('Loading the replay…')).toBeInTheDocument();
  },
};

/** A recording without a full snapshot cannot be replayed: the player says so. */
export const NoSnapshot: Story = {
  args: { events: checkoutEvents.filter((event) => event.type !== 2) },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findByText(/no full page snapshot/)).toBeInTheDocument();
  },
};

function answering(status: number, code: string, message: string): typeof fetch {
  return async () =>
    new Response(JSON.stringify({ error: { code, message } }), {
      status,
      headers: { 'content-type': 'application/json' },
    });
}

/** Wraps the story in a `<ReplayProvider>` whose server requests go to `fetchFn`. */
function withFetch(fetchFn: typeof fetch): Decorator {
  return (Story) => (
    <ReplayProvider fetch={fetchFn}>
      <Story />
    </ReplayProvider>
  );
}

/** The server does not know the session (deleted by retention, or a wrong id). */
export const NotFound: Story = {
  args: { sessionId: 'missing-session' },
  decorators: [withFetch(answering(404, 'session_not_found', 'No session "missing-session".'))],
  play: async ({ canvasElement }) => {
    await expect(await within(canvasElement).findByRole('alert')).toHaveTextContent(/was not found/);
  },
};

/** A wrong read key. */
export const Unauthorized: Story = {
  args: { sessionId: 'some-session', readKey: 'rk_wrong' },
  decorators: [withFetch(answering(401, 'unauthorized', 'Unknown read key.'))],
  play: async ({ canvasElement }) => {
    await expect(await within(canvasElement).findByRole('alert')).toHaveTextContent(/refused the read key/);
  },
};

/** The server cannot be reached: Retry loads again. */
export const NetworkError: Story = {
  args: { sessionId: 'some-session' },
  decorators: [
    withFetch(async () => {
      throw new TypeError('Failed to fetch');
    }),
  ],
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findByRole('alert')).toHaveTextContent(/Could not reach/);
    await expect(canvas.getByRole('button', { name: 'Retry' })).toBeInTheDocument();
  },
};
