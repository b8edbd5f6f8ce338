import { SessionList } from '@replaykit/player';
import '@replaykit/player/style.css';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, userEvent, waitFor, within } from 'storybook/test';
import { sessionListFetch, sessionSummaries } from './fixtures/player-fixtures';

const meta = {
  title: 'Player/SessionList',
  component: SessionList,
  parameters: { layout: 'padded' },
  args: { onSelect: fn(), fetch: sessionListFetch(sessionSummaries) },
} satisfies Meta<typeof SessionList>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Recordings newest first, two per page here, with filters and sorting. */
export const Recordings: Story = {
  play: async ({ canvasElement, args }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('table');
    await expect(canvas.getByText('demo-user-42')).toBeInTheDocument();
    await userEvent.click(canvas.getByRole('button', { name: 'Load more' }));
    await expect(await canvas.findByText('ada@example.com')).toBeInTheDocument();
    await userEvent.click(canvas.getAllByRole('button', { name: /^Play the recording of ada/ })[0]!);
    await expect(args.onSelect).toHaveBeenCalledWith(expect.objectContaining({ userId: 'ada@example.com' }));
  },
};

/** Nothing recorded yet; under filters, the list would say that nothing matches them. */
export const Empty: Story = {
  args: { fetch: sessionListFetch([]) },
  play: async ({ canvasElement }) => {
    await expect(await within(canvasElement).findByText(/^No recordings yet/)).toBeInTheDocument();
  },
};

/** Waiting for the server's first page. */
export const Loading: Story = {
  args: { fetch: () => new Promise<Response>(() => undefined) },
  play: async ({ canvasElement }) => {
    await expect(await within(canvasElement).findByRole('status')).toHaveTextContent('Loading recordings…');
  },
};

/** The server fails: the list says why, and Retry asks again. */
export const ServerError: Story = {
  args: {
    fetch: fn(async () => new Response('upstream timed out', { status: 503 })),
  },
  play: async ({ canvasElement, args }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findByRole('alert')).toHaveTextContent('the server answered HTTP 503');
    await userEvent.click(canvas.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(args.fetch).toHaveBeenCalledTimes(2));
    await expect(await canvas.findByRole('alert')).toBeInTheDocument();
  },
};
