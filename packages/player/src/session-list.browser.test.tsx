import '@testing-library/jest-dom/vitest';
import './player.css';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { SessionList } from './session-list';
import { sessionSummary } from './test/summary';

/** A phone held upright, less the page's margins. */
const NARROW_WIDTH_PX = 360;

afterEach(() => {
  cleanup();
});

/** Answers every list request with the same page, as a server with these sessions would. */
function answerWith(ids: string[]): typeof fetch {
  const body = JSON.stringify({
    sessions: ids.map((id) =>
      sessionSummary({
        id,
        userId: `${id}@example.com`,
        firstUrl: `https://shop.test/checkout/${id}/with/a/rather/long/path`,
        consoleErrorCount: 2,
        failedRequestCount: 1,
      }),
    ),
    nextCursor: null,
  });
  return async () => new Response(body, { headers: { 'content-type': 'application/json' } });
}

describe('<SessionList> in Chromium', () => {
  it('keeps a narrow window from scrolling sideways: only the table scrolls, and Play is reached by Tab', async () => {
    render(
      // Positioned and scrollable, as a page is: whatever sticks out of the list, visually
      // hidden text included, would make it scroll sideways.
      <div
        data-testid="column"
        style={{ width: `${NARROW_WIDTH_PX}px`, position: 'relative', overflow: 'auto' }}
      >
        <SessionList fetch={answerWith(['s1', 's2'])} onSelect={() => undefined} />
      </div>,
    );
    const table = await screen.findByRole('table');
    const list = screen.getByRole('region', { name: 'Recordings' });
    // Nothing sticks out of the column the host gave the list.
    expect(list.scrollWidth).toBeLessThanOrEqual(NARROW_WIDTH_PX);
    expect(screen.getByTestId('column').scrollWidth).toBeLessThanOrEqual(NARROW_WIDTH_PX);
    expect(list.getBoundingClientRect().right).toBeLessThanOrEqual(
      screen.getByTestId('column').getBoundingClientRect().right,
    );
    // The table is wider than the column, and scrolls within it to its Play buttons.
    const scroller = table.parentElement as HTMLElement;
    expect(scroller.scrollWidth).toBeGreaterThan(scroller.clientWidth);
    const play = within(table).getAllByRole('button', { name: /^Play the recording of s1@/ })[0]!;
    screen.getByRole('button', { name: 'Apply' }).focus();
    await userEvent.keyboard('{Tab}');
    expect(play).toHaveFocus();
    await expect.poll(() => scroller.scrollLeft).toBeGreaterThan(0);
    const playBox = play.getBoundingClientRect();
    const scrollerBox = scroller.getBoundingClientRect();
    expect(playBox.left).toBeGreaterThanOrEqual(scrollerBox.left);
    expect(playBox.right).toBeLessThanOrEqual(scrollerBox.right);
  });

  it('follows the theme it is given, as the player beside it does', async () => {
    render(
      <>
        <SessionList theme="dark" fetch={answerWith(['s1'])} onSelect={() => undefined} />
        <SessionList title="Light" fetch={answerWith(['s2'])} onSelect={() => undefined} />
      </>,
    );
    await waitFor(() => expect(screen.getAllByRole('table')).toHaveLength(2));
    const [dark, light] = screen.getAllByRole('region');
    // The shipped dark and light backgrounds.
    expect(getComputedStyle(dark!).backgroundColor).toBe('rgb(22, 22, 29)');
    expect(getComputedStyle(light!).backgroundColor).toBe('rgb(255, 255, 255)');
    const results = await axe.run(dark!);
    expect(results.violations.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);
  });

  it('has no axe violations, colour contrast included', async () => {
    render(<SessionList fetch={answerWith(['s1'])} onSelect={() => undefined} />);
    await screen.findByRole('table');
    const results = await axe.run(screen.getByRole('region', { name: 'Recordings' }));
    expect(results.violations.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);
  });
});
