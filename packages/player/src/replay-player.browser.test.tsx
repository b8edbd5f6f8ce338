import '@testing-library/jest-dom/vitest';
import './player.css';
import { deriveMarkers, type RecordedEvent, type SessionChunk } from '@replaykit/core';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import axe from 'axe-core';
import { createRef, type Ref, StrictMode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import checkoutSession from '../../../stories/fixtures/checkout-session.json';
import twoTabSession from '../../../stories/fixtures/two-tab-session.json';
import { ReplayPlayer, type ReplayPlayerHandle, useReplay } from './index';
import recording from './test/fixtures/checkout-recording.json';
import { REPLAY_WAIT, replayedDocument, replayIframe, seekSlider } from './test/replay-dom';

// A real recording made by @rrweb/record 2.1.6 in headless Chromium: a "Checkout" heading,
// a card input typed into ("4242"), a "Card declined" message, a checkout_error custom event
// at 1436 ms, then a later "Try another card" message at 2042 ms; it ends at 2449 ms.
// It is a fixture rather than recorded here because @rrweb/record is not a dependency of
// this package (it belongs to @replaykit/recorder), so this package cannot import it.
const events = recording as RecordedEvent[];
const MARKER_OFFSET_MS = 1_436;
const CONTAINER_WIDTH_PX = 640;

afterEach(() => {
  cleanup();
});

function renderPlayer(ref?: Ref<ReplayPlayerHandle>) {
  render(
    <div data-testid="container" style={{ width: `${CONTAINER_WIDTH_PX}px` }}>
      <ReplayPlayer ref={ref} events={events} />
    </div>,
  );
}

async function pressOnSlider(key: string): Promise<void> {
  seekSlider().focus();
  await userEvent.keyboard(key);
}

async function expectEndFrame(iframe: HTMLIFrameElement): Promise<void> {
  await waitFor(() => {
    const page = replayedDocument(iframe);
    expect(page.querySelectorAll('h1')).toHaveLength(1);
    expect(page.querySelector('h1')?.textContent).toBe('Checkout');
    expect(page.querySelectorAll('#later')).toHaveLength(1);
    expect(page.querySelector('#later')?.textContent).toBe('Try another card');
    expect(page.querySelector<HTMLInputElement>('#card')?.value).toBe('4242');
    // The very last event is a mouse move to (300, 200): only a seek past it applies it.
    const mouse = document.querySelector<HTMLElement>('.rk-viewport .replayer-mouse');
    expect([mouse?.style.left, mouse?.style.top]).toEqual(['300px', '200px']);
  }, REPLAY_WAIT);
}

describe('<ReplayPlayer> in Chromium', () => {
  it('replays in an iframe sandboxed without allow-scripts, and shows the end after seeking there', async () => {
    renderPlayer();
    const iframe = await replayIframe();
    const sandbox = iframe.getAttribute('sandbox');
    expect(sandbox).not.toBeNull();
    expect(sandbox).not.toContain('allow-scripts');
    expect(iframe.sandbox.contains('allow-same-origin')).toBe(true);
    // Named for assistive technology, and no tab stop: the replay is watched, not used.
    expect(iframe).toHaveAttribute('title', 'Replayed page');
    expect(iframe.tabIndex).toBe(-1);

    await pressOnSlider('{End}');
    expect(seekSlider()).toHaveAttribute('aria-valuetext', '0:02 of 0:02');
    await expectEndFrame(iframe);
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Play' })).toHaveAttribute('data-state', 'ended'),
    );
  });

  it('seeks to the checkout_error marker and shows the page as it was then', async () => {
    renderPlayer();
    const iframe = await replayIframe();
    await pressOnSlider('{End}');
    await expectEndFrame(iframe);

    const marker = screen.getByRole('button', { name: 'checkout_error at 0:01' });
    expect(marker).toHaveAttribute('data-kind', 'custom');
    await userEvent.click(marker);
    expect(seekSlider()).toHaveAttribute('aria-valuenow', String(MARKER_OFFSET_MS));
    expect(screen.getByText('0:01 / 0:02')).toBeInTheDocument();
    // A backward seek: the later message must go, the earlier one must stay.
    await waitFor(() => {
      const page = replayedDocument(iframe);
      expect(page.body.textContent).toContain('Card declined');
      expect(page.querySelector('#later')).toBeNull();
    }, REPLAY_WAIT);
  });

  it('plays and pauses, then plays on to the end', async () => {
    renderPlayer();
    const iframe = await replayIframe();
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    const pause = await screen.findByRole('button', { name: 'Pause' });
    expect(pause).toHaveAttribute('data-state', 'playing');
    await waitFor(() => expect(Number(seekSlider().getAttribute('aria-valuenow'))).toBeGreaterThan(300));

    await userEvent.click(pause);
    const play = await screen.findByRole('button', { name: 'Play' });
    expect(play).toHaveAttribute('data-state', 'paused');
    const pausedAt = seekSlider().getAttribute('aria-valuenow');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seekSlider()).toHaveAttribute('aria-valuenow', pausedAt);

    await userEvent.click(play);
    await waitFor(
      () => expect(screen.getByRole('button', { name: 'Play' })).toHaveAttribute('data-state', 'ended'),
      REPLAY_WAIT,
    );
    expect(screen.getByText('0:02 / 0:02')).toBeInTheDocument();
    await expectEndFrame(iframe);
  });

  it('survives the backward-seek trap: seeking to 0 while playing, then to the end, shows every change', async () => {
    const ref = createRef<ReplayPlayerHandle>();
    renderPlayer(ref);
    const iframe = await replayIframe();
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    await waitFor(
      () => expect(Number(seekSlider().getAttribute('aria-valuenow'))).toBeGreaterThan(800),
      REPLAY_WAIT,
    );

    // Back to 0 while playing, then straight on to the end, before rrweb has rebuilt the
    // page asynchronously. Unclamped, rrweb resets its node map at 0 and the later seek
    // applies nothing ("Try another card" never appears); the player clamps 0 to just past
    // the FullSnapshot, which rebuilds the page synchronously.
    act(() => {
      ref.current?.seek(0);
      ref.current?.seek(Number.POSITIVE_INFINITY);
    });
    await expectEndFrame(iframe);

    // The same through the keyboard, at a user's pace (Play after the end starts over).
    await userEvent.click(await screen.findByRole('button', { name: 'Play' }, REPLAY_WAIT));
    await waitFor(
      () => expect(Number(seekSlider().getAttribute('aria-valuenow'))).toBeGreaterThan(800),
      REPLAY_WAIT,
    );
    await pressOnSlider('{Home}');
    expect(Number(seekSlider().getAttribute('aria-valuenow'))).toBeLessThan(500);
    await pressOnSlider('{End}');
    await expectEndFrame(iframe);
  });

  it('seeks to the marker a cluster is named after, not to the cluster’s first marker', async () => {
    const start = events[0]!.timestamp;
    const crowded: RecordedEvent[] = [
      ...events,
      // 30 ms before the error: one cluster (1.5% of the timeline), named after the error.
      { type: 5, data: { tag: 'coupon_applied', payload: {} }, timestamp: start + 1_400 },
      { type: 5, data: { tag: '$error', payload: { message: 'Card declined' } }, timestamp: start + 1_430 },
    ].sort((a, b) => a.timestamp - b.timestamp);
    render(<ReplayPlayer events={crowded} />);
    await replayIframe();
    await userEvent.click(screen.getByRole('button', { name: 'Card declined at 0:01 (+2 more)' }));
    expect(seekSlider()).toHaveAttribute('aria-valuenow', '1430');
  });

  it('fills the timeline at the end of a recording whose length is not a whole number of steps', async () => {
    const start = events[0]!.timestamp;
    // 10.1 s: arrow keys step by 1 s from 10 s on.
    const longer: RecordedEvent[] = [
      ...events,
      {
        type: 3,
        data: { source: 1, positions: [{ x: 5, y: 5, id: 1, timeOffset: 0 }] },
        timestamp: start + 10_100,
      },
    ];
    render(<ReplayPlayer events={longer} />);
    await replayIframe();
    await pressOnSlider('{End}');
    expect(screen.getByText('0:10 / 0:10')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Play' })).toHaveAttribute('data-state', 'ended');
    // The played range reaches the end of the track, where the time says the replay is.
    const track = document.querySelector('.rk-slider-track')!.getBoundingClientRect();
    const range = document.querySelector('.rk-slider-range')!.getBoundingClientRect();
    expect(range.right).toBeCloseTo(track.right, 0);
    // The keys still step by whole seconds.
    await pressOnSlider('{ArrowLeft}');
    expect(seekSlider()).toHaveAttribute('aria-valuenow', '9000');
    await pressOnSlider('{End}');
    await pressOnSlider('{PageDown}');
    // 10 steps back is 0.1 s, a whole number of steps: 0, just past the FullSnapshot.
    expect(seekSlider()).toHaveAttribute('aria-valuenow', '24');
  });

  it('seeks where the thumb is dropped', async () => {
    renderPlayer();
    const iframe = await replayIframe();
    // Drag the thumb onto the marker: the pointer ends at the marker's x, so the seek lands
    // at its time (within a pixel's worth of time).
    await userEvent.dragAndDrop(seekSlider(), screen.getByRole('button', { name: 'checkout_error at 0:01' }));
    await waitFor(() => {
      const now = Number(seekSlider().getAttribute('aria-valuenow'));
      expect(Math.abs(now - MARKER_OFFSET_MS)).toBeLessThanOrEqual(100);
    });
    await waitFor(
      () => expect(replayedDocument(iframe).body.textContent).toContain('Card declined'),
      REPLAY_WAIT,
    );
    expect(replayedDocument(iframe).querySelector('#later')).toBeNull();
  });

  it('mounts exactly one replayer under StrictMode and removes it on unmount', async () => {
    const { unmount } = render(
      <StrictMode>
        <ReplayPlayer events={events} />
      </StrictMode>,
    );
    const iframe = await replayIframe();
    expect(document.querySelectorAll('.rk-viewport iframe')).toHaveLength(1);
    await pressOnSlider('{End}');
    await expectEndFrame(iframe);
    unmount();
    expect(document.querySelector('.replayer-wrapper')).toBeNull();
  });

  it('fits a container of fixed height, controls included', async () => {
    render(
      <div data-testid="box" style={{ width: '900px', height: '400px' }}>
        <ReplayPlayer events={events} />
      </div>,
    );
    await replayIframe();
    const box = screen.getByTestId('box').getBoundingClientRect();
    const player = screen.getByRole('region', { name: 'Session replay' }).getBoundingClientRect();
    expect(player.bottom).toBeLessThanOrEqual(box.bottom + 1);
    const viewport = document.querySelector<HTMLElement>('.rk-viewport')!.getBoundingClientRect();
    // The replay (800×600) scales to the viewport's height, centred, inside its box.
    await waitFor(() => {
      const wrapper = document
        .querySelector<HTMLElement>('.rk-viewport .replayer-wrapper')!
        .getBoundingClientRect();
      expect(wrapper.height).toBeCloseTo(viewport.height, 0);
      expect(wrapper.left).toBeGreaterThan(viewport.left);
      expect(wrapper.right).toBeLessThan(viewport.right);
    });
  });

  it('keeps the keyboard shortcuts popover inside a narrow player', async () => {
    render(
      <div style={{ width: '360px' }}>
        <ReplayPlayer events={events} />
      </div>,
    );
    await replayIframe();
    await userEvent.click(screen.getByRole('button', { name: 'Keyboard shortcuts' }));
    const popover = screen.getByRole('dialog', { name: 'Keyboard shortcuts' }).getBoundingClientRect();
    const player = screen.getByRole('region', { name: 'Session replay' }).getBoundingClientRect();
    // The controls wrap there, the help button to the left: the popover must not spill out.
    expect(popover.left).toBeGreaterThanOrEqual(player.left);
    expect(popover.right).toBeLessThanOrEqual(player.right);
  });

  it('keeps the tooltips of markers at either end of the timeline inside the player', async () => {
    const start = events[0]!.timestamp;
    const end = events[events.length - 1]!.timestamp;
    const withEnds: RecordedEvent[] = [
      ...events,
      { type: 5, data: { tag: 'opened_the_checkout_page', payload: {} }, timestamp: start + 30 },
      { type: 5, data: { tag: 'left_the_checkout_page', payload: {} }, timestamp: end },
    ].sort((a, b) => a.timestamp - b.timestamp);
    render(
      <div style={{ width: '360px' }}>
        <ReplayPlayer events={withEnds} inspector={false} />
      </div>,
    );
    await replayIframe();
    const player = screen.getByRole('region', { name: 'Session replay' }).getBoundingClientRect();
    for (const name of ['opened_the_checkout_page at 0:00', 'left_the_checkout_page at 0:02']) {
      const marker = screen.getByRole('button', { name });
      await userEvent.hover(marker);
      const tooltip = (marker.nextElementSibling as HTMLElement).getBoundingClientRect();
      expect(tooltip.width).toBeGreaterThan(0);
      expect(tooltip.left, name).toBeGreaterThanOrEqual(player.left);
      expect(tooltip.right, name).toBeLessThanOrEqual(player.right);
    }
  });

  it('names what a rage or dead click reached in its timeline marker, as the inspector does, else its selector', async () => {
    const start = events[0]!.timestamp;
    // Where the recording's clicks were: the card field at 524 ms, the Pay button at 1122 ms.
    const withClicks: RecordedEvent[] = [
      ...events,
      {
        type: 5,
        timestamp: start + 600,
        data: { tag: '$dead_click', payload: { x: 210, y: 92, selector: 'label > input' } },
      },
      {
        type: 5,
        timestamp: start + 1_123,
        data: {
          tag: '$rage_click',
          payload: { x: 322, y: 92, clicks: 3, selector: 'main > button:nth-child(3)' },
        },
      },
      // No click was recorded at this spot: the marker can only give the recorder's selector.
      {
        type: 5,
        timestamp: start + 1_900,
        data: { tag: '$dead_click', payload: { x: 5, y: 5, selector: 'div#messages' } },
      },
    ].sort((a, b) => a.timestamp - b.timestamp);
    render(
      <div style={{ width: `${CONTAINER_WIDTH_PX}px` }}>
        <ReplayPlayer events={withClicks} />
      </div>,
    );
    await replayIframe();
    const expected = [
      ['Dead click on text input "card"', '0:00'],
      ['Rage click ×3 on button "Pay"', '0:01'],
      ['Dead click on div#messages', '0:01'],
    ];
    for (const [label, at] of expected) {
      const marker = screen.getByRole('button', { name: `${label} at ${at}` });
      await userEvent.hover(marker);
      const tooltip = marker.nextElementSibling as HTMLElement;
      await waitFor(() => expect(tooltip).toBeVisible());
      expect(tooltip).toHaveTextContent(`${label} · ${at}`);
    }
    // The inspector's rows for the same clicks say it in the same words.
    const rows = screen.getByRole('listbox', { name: 'Events list' });
    expect(rows).toHaveTextContent('Dead click on text input "card"');
    expect(rows).toHaveTextContent('Rage click on button "Pay"');
  });

  it('names the page shown from the start, when the recording begins with an event before its Meta', async () => {
    // A real session: the recorder's identify call comes 2 ms before rrweb's Meta event.
    render(<ReplayPlayer events={checkoutSession as RecordedEvent[]} />);
    const iframe = await replayIframe();
    await waitFor(
      () => expect(replayedDocument(iframe).body?.textContent).toContain('Products'),
      REPLAY_WAIT,
    );
    const info = document.querySelector<HTMLElement>('.rk-page-info')!;
    expect(info).toHaveTextContent('http://shop.replaykit.test/');
    expect(info).toHaveTextContent('1024 × 700');
  });

  it('has no axe violations, colour contrast included', async () => {
    renderPlayer();
    const iframe = await replayIframe();
    // rrweb hides its iframe until the first page is built; axe skips what is hidden.
    await waitFor(
      () => expect(replayedDocument(iframe).body?.textContent).toContain('Checkout'),
      REPLAY_WAIT,
    );
    await waitFor(() => expect(iframe.style.display).not.toBe('none'));
    // The replayed page is the recorded app's, not ours: axe checks the player and the
    // replay iframe element, without going into the (script-less) frame.
    const results = await axe.run(screen.getByRole('region', { name: 'Session replay' }), { iframes: false });
    expect(results.violations.map((violation) => violation.id)).toEqual([]);
  });

  it('scales the replay to fit its container, and follows the container when it resizes', async () => {
    renderPlayer();
    await replayIframe();
    const wrapper = await waitFor(() => {
      const element = document.querySelector<HTMLElement>('.rk-viewport .replayer-wrapper');
      expect(element).not.toBeNull();
      return element!;
    });
    // The recording is 800×600; the viewport takes the container's width and that ratio.
    await waitFor(() => expect(wrapper.getBoundingClientRect().width).toBeCloseTo(CONTAINER_WIDTH_PX, 0));
    const viewport = document.querySelector<HTMLElement>('.rk-viewport')!;
    expect(viewport.getBoundingClientRect().height).toBeCloseTo((CONTAINER_WIDTH_PX * 600) / 800, 0);

    screen.getByTestId('container').style.width = '400px';
    await waitFor(() => expect(wrapper.getBoundingClientRect().width).toBeCloseTo(400, 0));
    const wrapperBox = wrapper.getBoundingClientRect();
    const viewportBox = viewport.getBoundingClientRect();
    expect(wrapperBox.left).toBeGreaterThanOrEqual(viewportBox.left - 1);
    expect(wrapperBox.bottom).toBeLessThanOrEqual(viewportBox.bottom + 1);
  });

  it('re-shapes the viewport when the recording resizes, and back when seeking before it', async () => {
    const last = events[events.length - 1]!;
    const resized: RecordedEvent[] = [
      ...events,
      // The recorded window turns portrait shortly before the end.
      { type: 3, data: { source: 4, width: 400, height: 600 }, timestamp: last.timestamp + 100 },
      {
        type: 3,
        data: { source: 1, positions: [{ x: 10, y: 10, id: 1, timeOffset: 0 }] },
        timestamp: last.timestamp + 200,
      },
    ];
    const handle = createRef<ReplayPlayerHandle>();
    render(
      <div style={{ width: `${CONTAINER_WIDTH_PX}px` }}>
        <ReplayPlayer ref={handle} events={resized} />
      </div>,
    );
    await replayIframe();
    const viewport = document.querySelector<HTMLElement>('.rk-viewport')!;
    const ratio = () => viewport.getBoundingClientRect().height / viewport.getBoundingClientRect().width;
    await waitFor(() => expect(ratio()).toBeCloseTo(600 / 800, 2));
    act(() => handle.current?.seek(last.timestamp + 150 - events[0]!.timestamp));
    await waitFor(() => expect(ratio()).toBeCloseTo(600 / 400, 2), REPLAY_WAIT);
    act(() => handle.current?.seek(100));
    await waitFor(() => expect(ratio()).toBeCloseTo(600 / 800, 2), REPLAY_WAIT);
  });
});

describe('keyboard focus when the player loads again', () => {
  it('gives focus back to the Tab select once the chosen tab has loaded', async () => {
    async function* loader({ windowId }: { windowId: string | null }): AsyncGenerator<SessionChunk> {
      if (windowId !== null) {
        // The chosen tab takes a moment to arrive, as from a server: "Loading…" shows meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      yield* twoTabSession as SessionChunk[];
    }
    render(<ReplayPlayer loader={loader} />);
    const tabSelect = await screen.findByRole('combobox', { name: 'Tab' }, REPLAY_WAIT);
    const second = tabSelect.querySelectorAll('option')[1]!.value;
    tabSelect.focus();
    await userEvent.selectOptions(tabSelect, second);
    await waitFor(
      () => expect(screen.getByRole('combobox', { name: 'Tab' })).toHaveValue(second),
      REPLAY_WAIT,
    );
    // The controls were replaced by "Loading…" meanwhile: focus must not be left on the page's body.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('combobox', { name: 'Tab' })));
  });

  it('leaves focus where the viewer took it while the chosen tab loaded', async () => {
    let arrive: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    async function* loader({ windowId }: { windowId: string | null }): AsyncGenerator<SessionChunk> {
      if (windowId !== null) {
        // A slow tab: the viewer moves on to the host's own search box meanwhile.
        await arrived;
      }
      yield* twoTabSession as SessionChunk[];
    }
    render(
      <>
        <input aria-label="Search" />
        <ReplayPlayer loader={loader} />
      </>,
    );
    const tabSelect = await screen.findByRole('combobox', { name: 'Tab' }, REPLAY_WAIT);
    const second = tabSelect.querySelectorAll('option')[1]!.value;
    tabSelect.focus();
    await userEvent.selectOptions(tabSelect, second);
    const search = screen.getByRole('textbox', { name: 'Search' });
    await userEvent.click(search);
    await userEvent.keyboard('checkout');
    act(() => arrive());
    await waitFor(
      () => expect(screen.getByRole('combobox', { name: 'Tab' })).toHaveValue(second),
      REPLAY_WAIT,
    );
    await replayIframe();
    expect(document.activeElement).toBe(search);
    expect(search).toHaveValue('checkout');
  });

  it('keeps focus in the player after Retry, so the shortcuts work at once', async () => {
    let calls = 0;
    async function* loader(): AsyncGenerator<SessionChunk> {
      calls++;
      if (calls === 1) {
        throw new Error('the network is down');
      }
      yield { windowId: 'w', seq: 0, events };
    }
    render(<ReplayPlayer loader={loader} />);
    const retry = await screen.findByRole('button', { name: 'Retry' }, REPLAY_WAIT);
    retry.focus();
    await userEvent.keyboard('{Enter}');
    await replayIframe();
    expect(screen.getByRole('region', { name: 'Session replay' })).toContainElement(
      document.activeElement as HTMLElement,
    );
    await userEvent.keyboard('k');
    expect(screen.getByRole('button', { name: 'Pause' })).toHaveAttribute('data-state', 'playing');
  });
});

interface SeenStart {
  recording: string;
  startTime: number;
}

/** A host's own part, told which recording it is in: notes the timeline it renders with. */
function StartTimeSpy({ recording, seen }: { recording: string; seen: SeenStart[] }) {
  const { timeline } = useReplay();
  seen.push({ recording, startTime: timeline.startTime });
  return null;
}

describe('another recording in the same player', () => {
  it('never renders the last recording’s timeline for the new one', async () => {
    const start = events[0]!.timestamp;
    const later = events.map((event) => ({ ...event, timestamp: event.timestamp + 60_000 }));
    async function* first(): AsyncGenerator<SessionChunk> {
      yield { windowId: 'w', seq: 0, events };
    }
    async function* second(): AsyncGenerator<SessionChunk> {
      yield { windowId: 'w', seq: 0, events: later };
    }
    const seen: SeenStart[] = [];
    const { rerender } = render(
      <ReplayPlayer loader={first}>
        <StartTimeSpy recording="first" seen={seen} />
      </ReplayPlayer>,
    );
    await waitFor(() => expect(seen.at(-1)).toEqual({ recording: 'first', startTime: start }), REPLAY_WAIT);
    rerender(
      <ReplayPlayer loader={second}>
        <StartTimeSpy recording="second" seen={seen} />
      </ReplayPlayer>,
    );
    await waitFor(
      () => expect(seen.at(-1)).toEqual({ recording: 'second', startTime: start + 60_000 }),
      REPLAY_WAIT,
    );
    expect(seen.filter((render) => render.recording === 'second' && render.startTime === start)).toEqual([]);
  });

  it('plays the first tab of a new loader, not the tab chosen in the previous recording', async () => {
    async function* twoTabs(): AsyncGenerator<SessionChunk> {
      yield* twoTabSession as SessionChunk[];
    }
    async function* oneTab(): AsyncGenerator<SessionChunk> {
      yield { windowId: 'w', seq: 0, events };
    }
    const { rerender } = render(<ReplayPlayer loader={twoTabs} />);
    const tabSelect = await screen.findByRole('combobox', { name: 'Tab' }, REPLAY_WAIT);
    const second = tabSelect.querySelectorAll('option')[1]!.value;
    await userEvent.selectOptions(tabSelect, second);
    await waitFor(
      () => expect(screen.getByRole('combobox', { name: 'Tab' })).toHaveValue(second),
      REPLAY_WAIT,
    );

    rerender(<ReplayPlayer loader={oneTab} />);
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), REPLAY_WAIT);
    const iframe = await replayIframe();
    await waitFor(
      () => expect(replayedDocument(iframe).querySelector('h1')?.textContent).toBe('Checkout'),
      REPLAY_WAIT,
    );
  });
});

describe('the speed set through the ref before the replay is ready', () => {
  it('applies once ready and stays when another tab loads, as the viewer’s choice', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* loader(): AsyncGenerator<SessionChunk> {
      await released;
      yield* twoTabSession as SessionChunk[];
    }
    const ref = createRef<ReplayPlayerHandle>();
    render(<ReplayPlayer ref={ref} loader={loader} inspector={false} />);
    act(() => ref.current?.setSpeed(4));
    act(() => release());
    await replayIframe();
    expect(screen.getByRole('combobox', { name: 'Playback speed' })).toHaveValue('4');
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Tab' }), 'tab-2');
    await waitFor(
      () => expect(screen.getByRole('combobox', { name: 'Tab' })).toHaveValue('tab-2'),
      REPLAY_WAIT,
    );
    expect(screen.getByRole('combobox', { name: 'Playback speed' })).toHaveValue('4');
  });
});

describe('the Fullscreen button', () => {
  it('is named after what it does, and follows fullscreen left without it', async () => {
    renderPlayer();
    await replayIframe();
    await userEvent.click(screen.getByRole('button', { name: 'Fullscreen' }));
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(document.fullscreenElement).toBe(player), REPLAY_WAIT);
    expect(await screen.findByRole('button', { name: 'Exit fullscreen' })).toHaveAttribute(
      'data-state',
      'fullscreen',
    );
    // What the browser does on Escape (headless Chromium leaves the key to the page).
    await document.exitFullscreen();
    expect(await screen.findByRole('button', { name: 'Fullscreen' })).toHaveAttribute('data-state', 'normal');
    // The F shortcut goes the same way.
    player.focus();
    await userEvent.keyboard('f');
    expect(await screen.findByRole('button', { name: 'Exit fullscreen' }, REPLAY_WAIT)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Exit fullscreen' }));
    await waitFor(() => expect(document.fullscreenElement).toBeNull(), REPLAY_WAIT);
    expect(await screen.findByRole('button', { name: 'Fullscreen' })).toBeInTheDocument();
  });
});

describe('the timeline of a long recording', () => {
  it('moves a tenth of it with Page Up and Page Down, and 5 s with the arrows', async () => {
    const start = events[0]!.timestamp;
    const TWO_HOURS_MS = 2 * 60 * 60 * 1_000;
    const long: RecordedEvent[] = [
      ...events,
      {
        type: 3,
        data: { source: 1, positions: [{ x: 5, y: 5, id: 1, timeOffset: 0 }] },
        timestamp: start + TWO_HOURS_MS,
      },
    ];
    render(<ReplayPlayer events={long} inspector={false} />);
    await replayIframe();
    await pressOnSlider('{PageUp}');
    expect(seekSlider()).toHaveAttribute('aria-valuenow', String(TWO_HOURS_MS / 10));
    expect(seekSlider()).toHaveAttribute('aria-valuetext', '12:00 of 2:00:00');
    await pressOnSlider('{ArrowRight}');
    expect(seekSlider()).toHaveAttribute('aria-valuenow', String(TWO_HOURS_MS / 10 + 5_000));
    await pressOnSlider('{PageDown}');
    expect(seekSlider()).toHaveAttribute('aria-valuenow', '5000');
  });
});

describe('markers on the timeline', () => {
  it('sit where the thumb lands when seeking to them, at either end too', async () => {
    const start = events[0]!.timestamp;
    const end = events[events.length - 1]!.timestamp;
    const withEnds: RecordedEvent[] = [
      ...events,
      { type: 5, data: { tag: 'opened_the_checkout_page', payload: {} }, timestamp: start + 50 },
      { type: 5, data: { tag: 'left_the_checkout_page', payload: {} }, timestamp: end },
    ].sort((a, b) => a.timestamp - b.timestamp);
    render(
      <div style={{ width: `${CONTAINER_WIDTH_PX}px` }}>
        <ReplayPlayer events={withEnds} inspector={false} />
      </div>,
    );
    await replayIframe();
    const centre = (element: Element) => {
      const box = element.getBoundingClientRect();
      return box.left + box.width / 2;
    };
    for (const name of [
      'opened_the_checkout_page at 0:00',
      'checkout_error at 0:01',
      'left_the_checkout_page at 0:02',
    ]) {
      const marker = screen.getByRole('button', { name });
      await userEvent.click(marker);
      await waitFor(() => expect(Math.abs(centre(seekSlider()) - centre(marker)), name).toBeLessThan(1));
    }
  });
});

describe('markers of the other tabs', () => {
  it('are left out from before this tab opened and after it closed', async () => {
    const chunks = twoTabSession as SessionChunk[];
    async function* loader(): AsyncGenerator<SessionChunk> {
      yield* chunks;
    }
    render(<ReplayPlayer loader={loader} inspector={false} />);
    const tabSelect = await screen.findByRole('combobox', { name: 'Tab' }, REPLAY_WAIT);
    await userEvent.selectOptions(tabSelect, 'tab-2');
    await waitFor(
      () => expect(screen.getByRole('combobox', { name: 'Tab' })).toHaveValue('tab-2'),
      REPLAY_WAIT,
    );
    await replayIframe();
    // The first tab was open from before the second one until after it: its page loads at
    // either end fall outside the second tab's recording (they were drawn piled at the ends).
    const secondTabMarkers = deriveMarkers(
      chunks.filter((chunk) => chunk.windowId === 'tab-2').flatMap((chunk) => chunk.events),
    );
    const buttons = [...document.querySelectorAll<HTMLElement>('.rk-marker')];
    const shown = buttons.reduce((sum, button) => sum + Number(button.dataset.count), 0);
    expect(shown).toBe(secondTabMarkers.length);
  });
});

describe('a tab that is still loading', () => {
  it('keeps the Tab select meanwhile, so the viewer can go back to the tab they left', async () => {
    const chunks = twoTabSession as SessionChunk[];
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* loader({ windowId }: { windowId: string | null }): AsyncGenerator<SessionChunk> {
      if (windowId === 'tab-2') {
        // A tab whose first full snapshot is slow to come.
        await released;
      }
      yield* chunks;
    }
    render(<ReplayPlayer loader={loader} inspector={false} />);
    await userEvent.selectOptions(await screen.findByRole('combobox', { name: 'Tab' }, REPLAY_WAIT), 'tab-2');
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'loading'));
    const tabSelect = screen.getByRole('combobox', { name: 'Tab' });
    expect(tabSelect).toHaveValue('tab-2');
    await userEvent.selectOptions(tabSelect, 'tab-1');
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), REPLAY_WAIT);
    expect(screen.getByRole('combobox', { name: 'Tab' })).toHaveValue('tab-1');
    release();
  });
});
