import '@testing-library/jest-dom/vitest';
import './player.css';
import { EventType, type RecordedEvent, type SessionChunk } from '@replaykit/core';
import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { createRef, type Ref } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import longIdleSession from '../../../stories/fixtures/long-idle-session.json';
import twoTabSession from '../../../stories/fixtures/two-tab-session.json';
import {
  ReplayLoadError,
  ReplayPlayer,
  type ReplayPlayerHandle,
  type ReplayPlayerProps,
  type ReplayPlayerState,
} from './index';
import { SKIP_LEAD_MS } from './replay-store';
import recording from './test/fixtures/checkout-recording.json';
import { REPLAY_WAIT, replayedDocument, replayIframe, seekSlider, twoChunks } from './test/replay-dom';
import { findInactiveStretches } from './timeline-data';

// The real recording of checkout-recording.json (see replay-player.browser.test.tsx): Meta
// at 0, FullSnapshot at 23, "Card declined" typed and shown by 1436, "Try another card"
// added at 2042, last event at 2449.
const events = recording as RecordedEvent[];
/** Idle time between the two page loads of the two-segment recording, in ms. */
const IDLE_GAP_MS = 60_000;
const SECOND_LOAD_OFFSET = 2_449 + IDLE_GAP_MS;

/**
 * The recording followed, after a minute of idleness, by a second load of the same page
 * whose heading reads "Receipt": a second Meta + FullSnapshot pair, 23 ms apart.
 */
function twoLoads(): RecordedEvent[] {
  const shift = SECOND_LOAD_OFFSET;
  const second = (JSON.parse(JSON.stringify(events)) as RecordedEvent[]).map((event) => {
    const copy = { ...event, timestamp: event.timestamp + shift };
    if (event.type === EventType.FullSnapshot) {
      copy.data = JSON.parse(
        JSON.stringify(event.data).replace('"textContent":"Checkout"', '"textContent":"Receipt"'),
      );
    }
    return copy;
  });
  return [...events, ...second];
}

afterEach(() => {
  cleanup();
});

function now(): number {
  return Number(seekSlider().getAttribute('aria-valuenow'));
}

function renderPlayer({ ref, ...props }: ReplayPlayerProps & { ref?: Ref<ReplayPlayerHandle> }) {
  return render(
    <div style={{ width: '900px', height: '560px' }}>
      <ReplayPlayer ref={ref} {...props} />
    </div>,
  );
}

describe('progressive loading in Chromium', () => {
  it('shows the first frame from the first chunk, then plays what streams in later', async () => {
    const { loader, release } = twoChunks(events, 1_300);
    renderPlayer({ loader });
    const iframe = await replayIframe();
    await waitFor(
      () => expect(replayedDocument(iframe).querySelector('h1')?.textContent).toBe('Checkout'),
      REPLAY_WAIT,
    );
    expect(screen.getByRole('progressbar', { name: 'Loading the replay' })).toBeInTheDocument();
    expect(replayedDocument(iframe).querySelector('#later')).toBeNull();

    act(() => release());
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
    // The same replayer (no rebuild) got the later events: seeking to the end shows them.
    expect(document.querySelector('.rk-viewport iframe')).toBe(iframe);
    seekSlider().focus();
    await userEvent.keyboard('{End}');
    await waitFor(
      () => expect(replayedDocument(iframe).querySelector('#later')?.textContent).toBe('Try another card'),
      REPLAY_WAIT,
    );
    expect(replayedDocument(iframe).querySelector<HTMLInputElement>('#card')?.value).toBe('4242');
  });
});

describe('a deep link into a recording that is still streaming in', () => {
  it('shows the linked moment once it has loaded, not the end of the first chunk', async () => {
    const { loader, release } = twoChunks(events, 1_300);
    // `?t=2.3`: after "Try another card" was added (2042), which only the second chunk holds.
    renderPlayer({ loader, initialTime: 2_300 });
    const iframe = await replayIframe();
    await waitFor(
      () => expect(replayedDocument(iframe).querySelector('h1')?.textContent).toBe('Checkout'),
      REPLAY_WAIT,
    );
    act(() => release());
    await waitFor(
      () => expect(replayedDocument(iframe).querySelector('#later')?.textContent).toBe('Try another card'),
      REPLAY_WAIT,
    );
    expect(now()).toBe(2_300);
  });

  it('plays from the linked moment on a Play given before it has loaded', async () => {
    const { loader, release } = twoChunks(events, 1_300);
    const ref = createRef<ReplayPlayerHandle>();
    const times: number[] = [];
    renderPlayer({
      loader,
      initialTime: 2_300,
      ref,
      inspector: false,
      onTimeUpdate: (time) => times.push(time),
    });
    // Before the player is ready: a host that autoplays the linked moment.
    act(() => ref.current?.play());
    const iframe = await replayIframe();
    await waitFor(
      () => expect(screen.getByRole('button', { name: 'Pause' })).toBeInTheDocument(),
      REPLAY_WAIT,
    );
    act(() => release());
    await waitFor(
      () => expect(screen.getByRole('button', { name: 'Play' })).toHaveAttribute('data-state', 'ended'),
      REPLAY_WAIT,
    );
    expect(replayedDocument(iframe).querySelector('#later')?.textContent).toBe('Try another card');
    // Straight from the loaded end to the linked moment: nothing between them was played.
    expect(times.filter((time) => time > 1_300 && time < 2_300)).toEqual([]);
    expect(times).toContain(2_300);
  });

  it('gives up the linked moment when the viewer seeks elsewhere first', async () => {
    const { loader, release } = twoChunks(events, 1_300);
    const ref = createRef<ReplayPlayerHandle>();
    renderPlayer({ loader, initialTime: 2_300, ref, inspector: false });
    await replayIframe();
    act(() => ref.current?.seek(500));
    act(() => release());
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull(), REPLAY_WAIT);
    expect(now()).toBe(500);
  });
});

describe('a stream that fails after the replay became playable', () => {
  it('keeps playing what loaded, says the rest failed, and Retry loads on without stopping playback', async () => {
    const start = events[0]!.timestamp;
    const first = events.filter((event) => event.timestamp - start < 1_300);
    const rest = events.filter((event) => event.timestamp - start >= 1_300);
    const calls: { received?: ReadonlyMap<string, number> }[] = [];
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first call breaks after its first chunk; the Retry's starts over from the first
    // chunk (which the player must skip) and holds the rest until released.
    async function* loader(options: {
      received?: ReadonlyMap<string, number>;
    }): AsyncGenerator<SessionChunk> {
      calls.push(options);
      yield { windowId: 'w', seq: 0, events: first };
      if (calls.length === 1) {
        throw new Error('connection reset');
      }
      await released;
      yield { windowId: 'w', seq: 1, events: rest };
    }
    const times: number[] = [];
    renderPlayer({ loader, inspector: false, onTimeUpdate: (time) => times.push(time) });
    const iframe = await replayIframe();
    const notice = await screen.findByRole('status', {}, REPLAY_WAIT);
    expect(notice).toHaveTextContent(
      /The rest of this replay failed to load; what has loaded still plays\..*connection reset/,
    );
    expect(screen.getByRole('region', { name: 'Session replay' })).toHaveAttribute('data-state', 'ready');
    expect(screen.queryByRole('progressbar')).toBeNull();

    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    await userEvent.click(within(notice).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(screen.queryByRole('status')).toBeNull());
    expect(screen.getByRole('button', { name: 'Pause' })).toHaveAttribute('data-state', 'playing');
    // Focus did not fall out with the Retry button: the shortcuts still work.
    expect(screen.getByRole('region', { name: 'Session replay' })).toHaveFocus();
    expect(calls[1]?.received).toEqual(new Map([['w', 0]]));
    act(() => release());
    // The same replayer plays on into the rest, once, to the end.
    await waitFor(() => expect(times.some((time) => time > 1_400 && time < 2_400)).toBe(true), REPLAY_WAIT);
    await waitFor(
      () => expect(screen.getByRole('button', { name: 'Play' })).toHaveAttribute('data-state', 'ended'),
      REPLAY_WAIT,
    );
    expect(document.querySelector('.rk-viewport iframe')).toBe(iframe);
    expect(replayedDocument(iframe).querySelectorAll('#later')).toHaveLength(1);
  });

  it('says the rest is gone, without a Retry, when the session was deleted while it loaded', async () => {
    const start = events[0]!.timestamp;
    async function* loader(): AsyncGenerator<SessionChunk> {
      yield { windowId: 'w', seq: 0, events: events.filter((event) => event.timestamp - start < 1_300) };
      throw new ReplayLoadError('not-found', 'Session "s1" was not found.');
    }
    renderPlayer({ loader, inspector: false });
    const iframe = await replayIframe();
    const notice = await screen.findByRole('status', {}, REPLAY_WAIT);
    expect(notice).toHaveTextContent(
      /session was deleted while it loaded \(HTTP 404\)\. What had loaded still plays\./,
    );
    expect(within(notice).queryByRole('button')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    await waitFor(() => expect(now()).toBe(1_132), REPLAY_WAIT);
    expect(replayedDocument(iframe).querySelector('h1')?.textContent).toBe('Checkout');
  });

  it('tells onStateChange that the replay is incomplete while the notice shows, and when Retry clears it', async () => {
    const start = events[0]!.timestamp;
    let calls = 0;
    async function* loader(): AsyncGenerator<SessionChunk> {
      calls++;
      yield { windowId: 'w', seq: 0, events: events.filter((event) => event.timestamp - start < 1_300) };
      if (calls === 1) {
        throw new Error('connection reset');
      }
      yield { windowId: 'w', seq: 1, events: events.filter((event) => event.timestamp - start >= 1_300) };
    }
    const states: ReplayPlayerState[] = [];
    renderPlayer({ loader, inspector: false, onStateChange: (state) => states.push(state) });
    await replayIframe();
    const notice = await screen.findByRole('status', {}, REPLAY_WAIT);
    // Still "ready" (what loaded plays), and now also said to be incomplete, and why.
    await waitFor(() =>
      expect(states.at(-1)).toEqual({
        load: 'ready',
        playback: 'paused',
        interrupted: { kind: 'failed', message: expect.stringMatching(/failed to load.*connection reset/) },
      }),
    );
    await userEvent.click(within(notice).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(screen.queryByRole('status')).toBeNull());
    await waitFor(() =>
      expect(states.at(-1)).toEqual({ load: 'ready', playback: 'paused', interrupted: null }),
    );
  });

  it('tells onStateChange that the rest is gone when the session was deleted while it loaded', async () => {
    const start = events[0]!.timestamp;
    async function* loader(): AsyncGenerator<SessionChunk> {
      yield { windowId: 'w', seq: 0, events: events.filter((event) => event.timestamp - start < 1_300) };
      throw new ReplayLoadError('not-found', 'Session "s1" was not found.');
    }
    const states: ReplayPlayerState[] = [];
    renderPlayer({ loader, inspector: false, onStateChange: (state) => states.push(state) });
    await replayIframe();
    await waitFor(() =>
      expect(states.at(-1)).toMatchObject({ load: 'ready', interrupted: { kind: 'gone' } }),
    );
  });

  it('still shows the error and its Retry when the stream fails before anything plays', async () => {
    async function* loader(): AsyncGenerator<SessionChunk> {
      yield { windowId: 'w', seq: 0, events: events.slice(0, 1) };
      throw new Error('connection reset');
    }
    renderPlayer({ loader });
    expect(await screen.findByRole('alert', {}, REPLAY_WAIT)).toHaveTextContent(/connection reset/);
    expect(screen.getByRole('region', { name: 'Session replay' })).toHaveAttribute('data-state', 'error');
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument();
  });
});

describe('seeking and skipping in Chromium', () => {
  it('plays on from a row clicked inside an inactive stretch, instead of skipping it at once', async () => {
    // A real visit with idle time from 10.3 s to 24.3 s, during which requests still ran.
    const idle = (longIdleSession as SessionChunk[]).flatMap((chunk) => chunk.events);
    renderPlayer({ events: idle });
    await replayIframe();
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    await userEvent.click(screen.getByRole('tab', { name: /Network/ }));
    const row = within(screen.getByRole('listbox', { name: 'Network list' }))
      .getAllByRole('option')
      .find((button) => button.textContent?.startsWith('0:10'));
    await userEvent.click(row!);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(screen.getByRole('button', { name: 'Pause' })).toHaveAttribute('data-state', 'playing');
    expect(now()).toBeGreaterThanOrEqual(10_900);
    expect(now()).toBeLessThan(14_000);
    expect(seekSlider()).toHaveAttribute('aria-valuetext', expect.stringMatching(/^0:1[01] of /));
  });

  it('shows the new page for a seek between a Meta and its FullSnapshot', async () => {
    const ref = createRef<ReplayPlayerHandle>();
    renderPlayer({ events: twoLoads(), inspector: false, ref });
    const iframe = await replayIframe();
    await waitFor(
      () => expect(replayedDocument(iframe).querySelector('h1')?.textContent).toBe('Checkout'),
      REPLAY_WAIT,
    );
    // 10 ms after the second Meta, 13 ms before its FullSnapshot. Unclamped, rrweb would
    // leave the first page ("Checkout") on screen.
    act(() => ref.current?.seek(SECOND_LOAD_OFFSET + 10));
    await waitFor(
      () => expect(replayedDocument(iframe).querySelector('h1')?.textContent).toBe('Receipt'),
      REPLAY_WAIT,
    );
    expect(now()).toBeGreaterThan(SECOND_LOAD_OFFSET + 23);
  });

  it('jumps over a minute without user activity instead of playing through it', async () => {
    const ref = createRef<ReplayPlayerHandle>();
    renderPlayer({ events: twoLoads(), inspector: false, ref });
    const iframe = await replayIframe();
    expect(document.querySelectorAll('.rk-inactive').length).toBeGreaterThan(0);
    act(() => ref.current?.seek(2_000));
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    // Played through at 1×, the gap would take a minute; skipped, it takes a moment.
    await waitFor(() => expect(now()).toBeGreaterThanOrEqual(SECOND_LOAD_OFFSET - SKIP_LEAD_MS), REPLAY_WAIT);
    await waitFor(
      () => expect(replayedDocument(iframe).querySelector('h1')?.textContent).toBe('Receipt'),
      REPLAY_WAIT,
    );
  });
});

describe('playing into a recording that is still streaming in', () => {
  for (const moment of ['as the replay reaches the loaded end', 'after the replay stopped there']) {
    it(`plays on by itself into a chunk that arrives ${moment}, with the clock running`, async () => {
      // The first chunk ends with the mutation at 1132; the rest waits for release().
      const { loader, release } = twoChunks(events, 1_300);
      const times: number[] = [];
      let released = false;
      const onTimeUpdate = (time: number) => {
        times.push(time);
        if (moment.startsWith('as') && time >= 1_132 && !released) {
          released = true;
          release();
        }
      };
      renderPlayer({ loader, onTimeUpdate, inspector: false });
      const iframe = await replayIframe();
      await userEvent.click(screen.getByRole('button', { name: 'Play' }));
      if (moment.startsWith('after')) {
        await waitFor(() => expect(now()).toBe(1_132), REPLAY_WAIT);
        // rrweb stops 50 ms after it applied its last event, by a timer set before this one.
        await new Promise((resolve) => setTimeout(resolve, 100));
        // Waiting for more, still playing: the button offers Pause.
        expect(screen.getByRole('button', { name: 'Pause' })).toHaveAttribute('data-state', 'playing');
        act(() => release());
      }
      // The clock goes through what arrived (it stood still at the old end, or stayed paused).
      await waitFor(() => expect(times.some((time) => time > 1_400 && time < 2_400)).toBe(true), REPLAY_WAIT);
      await waitFor(
        () => expect(screen.getByRole('button', { name: 'Play' })).toHaveAttribute('data-state', 'ended'),
        REPLAY_WAIT,
      );
      expect(replayedDocument(iframe).querySelector('#later')?.textContent).toBe('Try another card');
    });
  }

  it('ends when the stream ends with nothing more, so one Play starts over', async () => {
    const start = events[0]!.timestamp;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // All of it at once, then the stream stays open a while and ends with nothing more.
    async function* loader(): AsyncGenerator<SessionChunk> {
      yield { windowId: 'w', seq: 0, events };
      await released;
    }
    renderPlayer({ loader, inspector: false });
    await replayIframe();
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    await waitFor(() => expect(now()).toBe(2_449), REPLAY_WAIT);
    // rrweb stops 50 ms after it applied its last event, by a timer set before this one.
    await new Promise((resolve) => setTimeout(resolve, 100));
    act(() => release());
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
    const play = await screen.findByRole('button', { name: 'Play' }, REPLAY_WAIT);
    expect(play).toHaveAttribute('data-state', 'ended');
    await userEvent.click(play);
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Pause' })).toHaveAttribute('data-state', 'playing'),
    );
    expect(now()).toBeLessThan(events[events.length - 1]!.timestamp - start);
  });
});

describe('another tab that is still streaming in', () => {
  it('opens at the same moment of the session and plays on from there, once it has loaded', async () => {
    const chunks = twoTabSession as SessionChunk[];
    const second = chunks.find((chunk) => chunk.windowId === 'tab-2')!;
    const firstStart = chunks.find((chunk) => chunk.windowId === 'tab-1')!.events[0]!.timestamp;
    const secondStart = second.events[0]!.timestamp;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* loader({ windowId }: { windowId: string | null }): AsyncGenerator<SessionChunk> {
      if (windowId !== 'tab-2') {
        yield* chunks;
        return;
      }
      // The first tab as before; the other one's first 0.2 s (its page), the rest a while later.
      yield* chunks.filter((chunk) => chunk.windowId !== 'tab-2');
      yield { ...second, events: second.events.filter((event) => event.timestamp - secondStart < 200) };
      await released;
      yield {
        ...second,
        seq: 1,
        events: second.events.filter((event) => event.timestamp - secondStart >= 200),
      };
    }
    renderPlayer({ loader, inspector: false, defaultSkipInactive: false });
    const tabSelect = await screen.findByRole('combobox', { name: 'Tab' }, REPLAY_WAIT);
    await replayIframe();
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    await waitFor(() => expect(now()).toBeGreaterThan(2_000), REPLAY_WAIT);
    await userEvent.selectOptions(tabSelect, 'tab-2');
    await waitFor(
      () => expect(screen.getByRole('combobox', { name: 'Tab' })).toHaveValue('tab-2'),
      REPLAY_WAIT,
    );
    // At least where the first tab was when the switch was made, on the second tab's clock.
    const moment = 2_000 - (secondStart - firstStart);
    act(() => release());
    await waitFor(() => expect(now()).toBeGreaterThan(moment), REPLAY_WAIT);
    expect(screen.getByRole('button', { name: 'Pause' })).toHaveAttribute('data-state', 'playing');
  });
});

describe('the loaded range and inactive stretches on the track', () => {
  /** The horizontal centre of the seek thumb, px. */
  function thumbCentre(): number {
    const box = seekSlider().getBoundingClientRect();
    return box.left + box.width / 2;
  }

  it('shade an inactive stretch from where the thumb lands at its start to where it lands at its end', async () => {
    const ref = createRef<ReplayPlayerHandle>();
    const recorded = twoLoads();
    renderPlayer({ events: recorded, inspector: false, ref });
    await replayIframe();
    const [stretch] = findInactiveStretches(recorded);
    const shaded = document.querySelector('.rk-inactive')!.getBoundingClientRect();
    // Its start lies near the track's left end, where the plain percentage was off most.
    act(() => ref.current?.seek(stretch!.start));
    await waitFor(() => expect(now()).toBe(stretch!.start));
    expect(Math.abs(thumbCentre() - shaded.left)).toBeLessThan(1);
    act(() => ref.current?.seek(stretch!.end));
    await waitFor(() => expect(now()).toBe(stretch!.end));
    expect(Math.abs(thumbCentre() - shaded.right)).toBeLessThan(1);
  });

  it('ends the loaded range where the thumb lands at the loaded end', async () => {
    const { loader, release } = twoChunks(events, 1_300);
    renderPlayer({ loader, inspector: false });
    await replayIframe();
    seekSlider().focus();
    await userEvent.keyboard('{End}');
    const loaded = screen.getByTestId('loaded-range');
    await waitFor(() => expect(now()).toBeGreaterThan(1_000));
    expect(Math.abs(thumbCentre() - loaded.getBoundingClientRect().right)).toBeLessThan(1);
    release();
  });
});
