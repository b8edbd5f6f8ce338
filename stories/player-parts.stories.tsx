import {
  ReplayFullscreenButton,
  ReplayInspector,
  ReplayPageInfo,
  ReplayPlayButton,
  ReplayPlayer,
  ReplayShortcutsHelp,
  ReplaySkipInactiveToggle,
  ReplaySpeedSelect,
  ReplayTime,
  ReplayTimeline,
  ReplayViewport,
} from '@replaykit/player';
import '@replaykit/player/style.css';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { checkoutEvents, fixtureLoader, longIdleChunks, playerStoryMeta } from './fixtures/player-fixtures';

const meta = {
  title: 'Player/Parts',
  component: ReplayPlayer,
  ...playerStoryMeta(900, 560),
} satisfies Meta<typeof ReplayPlayer>;

export default meta;
type Story = StoryObj<typeof meta>;

/** The parts rearranged: controls on top, the viewport below, no inspector. */
export const CustomLayout: Story = {
  args: {
    events: checkoutEvents,
    children: (
      <>
        <div className="rk-controls">
          <ReplayPlayButton />
          <ReplayTime />
          <ReplaySpeedSelect />
          <ReplaySkipInactiveToggle />
          <ReplayShortcutsHelp />
          <ReplayFullscreenButton />
        </div>
        <ReplayPageInfo />
        <ReplayViewport />
      </>
    ),
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const speed = await canvas.findByRole('combobox', { name: 'Playback speed' });
    await userEvent.selectOptions(speed, '4');
    await expect(speed).toHaveValue('4');
    await userEvent.click(canvas.getByRole('button', { name: 'Keyboard shortcuts' }));
    const help = canvas.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect(help).toBeVisible();
    // The controls are at the top of the window: the list opens below them, not off screen.
    await expect(help.getBoundingClientRect().top).toBeGreaterThanOrEqual(0);
  },
};

/** The timeline alone: markers (clustered, errors first), shaded idle stretches, keyboard seeking. */
export const TimelineOnly: Story = {
  args: {
    loader: fixtureLoader(longIdleChunks),
    children: (
      <div className="rk-controls">
        <ReplayPlayButton />
        <ReplayTime />
        <ReplayTimeline />
      </div>
    ),
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const slider = await canvas.findByRole('slider', { name: 'Seek' }, { timeout: 10_000 });
    slider.focus();
    await userEvent.keyboard('{End}');
    await waitFor(() =>
      expect(canvas.getByRole('button', { name: 'Play' })).toHaveAttribute('data-state', 'ended'),
    );
    // The timeline is at the top of the window: a marker's tooltip opens below it, in sight.
    await userEvent.tab({ shift: true });
    const marker = canvasElement.ownerDocument.activeElement as HTMLElement;
    await expect(marker).toHaveClass('rk-marker');
    const tooltip = marker.nextElementSibling as HTMLElement;
    await expect(tooltip).toBeVisible();
    await expect(tooltip.getBoundingClientRect().top).toBeGreaterThanOrEqual(0);
  },
};

/** The inspector alone: Events, Console and Network tabs, each with a filter. */
export const InspectorOnly: Story = {
  args: {
    events: checkoutEvents,
    children: <ReplayInspector style={{ height: 400 }} />,
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(await canvas.findByRole('tab', { name: /Network/ }));
    await userEvent.type(canvas.getByRole('searchbox', { name: 'Filter network' }), 'sessions');
    await expect(canvas.getByTitle(/v1\/sessions/)).toBeInTheDocument();
  },
};
