import type { RecordedEvent } from '@replaykit/core';
import { ReplayPlayer } from '@replaykit/player';
import '@replaykit/player/style.css';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, waitFor, within } from 'storybook/test';
import checkoutSession from './fixtures/checkout-session.json';

// Recorded from the real demo by real rrweb through replaykit's recorder: `pnpm fixtures`.
const checkoutEvents = checkoutSession as RecordedEvent[];

const meta = {
  title: 'Player/ReplayPlayer',
  component: ReplayPlayer,
  parameters: { layout: 'padded' },
  decorators: [
    (Story) => (
      <div style={{ width: 900, height: 620 }}>
        <Story />
      </div>
    ),
  ],
} satisfies Meta<typeof ReplayPlayer>;

export default meta;
type Story = StoryObj<typeof meta>;

/** A short checkout whose payment is declined: the `checkout_error` marker sits on the timeline. */
export const CheckoutWithError: Story = {
  args: { events: checkoutEvents },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const marker = await canvas.findByRole('button', { name: /^checkout_error at / }, { timeout: 10_000 });
    await expect(canvas.getByRole('button', { name: 'Play' })).toBeEnabled();
    await expect(canvas.getByRole('slider', { name: 'Seek' })).toBeInTheDocument();
    marker.click();
    const iframe = canvasElement.querySelector('iframe');
    await expect(iframe?.getAttribute('sandbox') ?? '').not.toContain('allow-scripts');
    await waitFor(() => expect(iframe?.contentDocument?.body.textContent ?? '').toContain('Checkout'), {
      timeout: 5_000,
    });
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
