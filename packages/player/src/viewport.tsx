'use client';

import type { RecordedEvent } from '@replaykit/core';
import type { eventWithTime } from '@rrweb/types';
import { type ComponentPropsWithoutRef, forwardRef, useEffect, useRef } from 'react';
import { Player as RrwebPlayer } from 'rrweb-player';
import { CanvasSnapshotPainter } from './canvas-snapshots';
import { useReplayStore } from './context';
import type { ReplayDriver, ReplayStore } from './replay-store';
import { valueAt } from './timeline-data';
import { useComposedRef } from './use-composed-ref';
import { usePlaybackState, useReplaySelector } from './use-replay';

/** Used until the container has a size of its own (e.g. while it is hidden), in CSS px. */
const FALLBACK_WIDTH_PX = 1024;
const FALLBACK_HEIGHT_PX = 576;

/** Props of `<ReplayViewport>`: those of the `<div>` the replay is drawn into, minus children. */
export interface ReplayViewportProps extends Omit<ComponentPropsWithoutRef<'div'>, 'children'> {
  /**
   * Replays every kind of recorded canvas drawing with rrweb's own canvas replay (2D and
   * WebGL command streams too). UNSAFE: rrweb then adds `allow-scripts` to the replay
   * iframe's sandbox, so a recorded page's markup could run script in it. Off by default:
   * canvases recorded as image snapshots are painted without it.
   */
  UNSAFE_replayCanvas?: boolean;
}

function sizeOf(element: HTMLElement): { width: number; height: number } {
  return {
    width: element.clientWidth > 0 ? element.clientWidth : FALLBACK_WIDTH_PX,
    height: element.clientHeight > 0 ? element.clientHeight : FALLBACK_HEIGHT_PX,
  };
}

/**
 * rrweb-player is a Svelte component, but its type declarations import `svelte`, which it
 * does not install: the component methods it inherits are restated here.
 */
interface SvelteComponentMethods {
  $set(props: Record<string, unknown>): void;
  $destroy(): void;
}

/** rrweb-player hands its listeners `{ payload }` for its own `ui-update-*` events. */
function payloadOf(detail: unknown): unknown {
  return typeof detail === 'object' && detail !== null && 'payload' in detail ? detail.payload : undefined;
}

/** Builds the rrweb-player inside `target` and connects it to the store; returns its teardown. */
function mountReplayer(target: HTMLElement, store: ReplayStore, replayCanvas: boolean): () => void {
  // Without UNSAFE_replayCanvas, canvas image snapshots are painted from here; with it,
  // rrweb replays canvases itself and nothing is painted twice.
  const canvasPainter = replayCanvas ? null : new CanvasSnapshotPainter();
  // The Replayer writes into the events it is given (and throws on frozen ones), so it gets
  // private copies and the store's timeline stays pristine.
  const privateCopies = (events: readonly RecordedEvent[]): eventWithTime[] => {
    const copies = structuredClone(events) as RecordedEvent[];
    canvasPainter?.prepare(copies);
    return copies as unknown as eventWithTime[];
  };
  const player = new RrwebPlayer({
    target,
    props: {
      events: privateCopies(store.timeline.events),
      ...sizeOf(target),
      // Scale up as well as down: the replay should fill the space it was given.
      maxScale: 0,
      showController: false,
      autoPlay: false,
      skipInactive: false,
      // `true` would add allow-scripts to the replay iframe's sandbox: recorded pages must never run script.
      UNSAFE_replayCanvas: replayCanvas,
      // Focusing replayed inputs would steal keyboard focus from the controls.
      triggerFocus: false,
      mouseTail: false,
    },
  });
  const component = player as unknown as SvelteComponentMethods;
  const replayer = player.getReplayer();
  // rrweb leaves its iframe unnamed and in the tab order; the replay is for watching, so it
  // gets a name for assistive technology and no tab stop of its own.
  replayer.iframe.title = 'Replayed page';
  replayer.iframe.tabIndex = -1;
  const detachCanvasPainter = canvasPainter?.attach(replayer);
  player.addEventListener('ui-update-current-time', (detail) => {
    const time = payloadOf(detail);
    if (typeof time === 'number') {
      store.reportTime(time);
    }
  });
  player.addEventListener('ui-update-player-state', (detail) => {
    const state = payloadOf(detail);
    if (state === 'playing' || state === 'paused') {
      store.reportPlayback(state);
    }
  });
  player.addEventListener('finish', () => {
    store.reportFinish(replayer.getCurrentTime());
  });
  // rrweb's Replayer takes added events in a microtask: a goto made right after must wait for
  // it, or it lands among the events the replayer had before (a deep link into a streaming
  // recording showed the end of the first chunk).
  let adding: Promise<void> | null = null;
  const driver: ReplayDriver = {
    goto: (offsetMs, play) => {
      if (adding) {
        void adding.then(() => player.goto(offsetMs, play));
      } else {
        player.goto(offsetMs, play);
      }
    },
    pause: () => player.pause(),
    addEvents: (events) => {
      for (const event of privateCopies(events)) {
        player.addEvent(event);
      }
      // Queued after rrweb's own microtasks for these events, so it settles once they are in.
      const added: Promise<void> = Promise.resolve().then(() => {
        if (adding === added) {
          adding = null;
        }
      });
      adding = added;
    },
    setSpeed: (speed) => player.setSpeed(speed),
  };
  const detach = store.attach(driver);

  // rrweb-player re-fits on the recording's own viewport changes; this covers the container's.
  const resizeObserver = new ResizeObserver(() => {
    component.$set(sizeOf(target));
    player.triggerResize();
  });
  resizeObserver.observe(target);

  return () => {
    resizeObserver.disconnect();
    detachCanvasPainter?.();
    detach();
    component.$destroy();
  };
}

/**
 * The replay itself: an rrweb-player (rrweb's Replayer plus scaling), fitted to this
 * element, without rrweb-player's own controls.
 *
 * Why rrweb-player rather than `@rrweb/replay`'s bare Replayer: it already scales the
 * replay to a given size, re-fits on the recording's own viewport changes and exposes
 * `goto(offset, play)`, which is all this slice needs; nothing it does blocks us. Its
 * controller is bypassed where it is unsafe: it plays from 0 after a finish (a target
 * before the first FullSnapshot, the backward-seek trap), so every play goes through
 * `goto` with a clamped target, and its finish report is checked against the clock.
 */
export const ReplayViewport = forwardRef<HTMLDivElement, ReplayViewportProps>(function ReplayViewport(
  { className, style, UNSAFE_replayCanvas = false, ...props },
  forwardedRef,
) {
  const store = useReplayStore('<ReplayViewport>');
  const playback = usePlaybackState(store);
  const targetRef = useRef<HTMLDivElement | null>(null);
  const setRefs = useComposedRef(targetRef, forwardedRef);

  useEffect(() => {
    const target = targetRef.current;
    if (target === null) {
      return;
    }
    let unmount: (() => void) | null = null;
    let cancelled = false;
    // StrictMode mounts, unmounts and remounts effects in one go during development. Waiting
    // a microtask lets that throwaway mount skip building a Replayer, which would rebuild the
    // whole page for nothing and then warn from a timer after its destruction.
    queueMicrotask(() => {
      if (!cancelled) {
        unmount = mountReplayer(target, store, UNSAFE_replayCanvas);
      }
    });
    return () => {
      cancelled = true;
      unmount?.();
    };
  }, [store, UNSAFE_replayCanvas]);

  // The box takes the shape of the page as recorded at the current time, so a recorded
  // resize (a phone turned, a window made narrow) re-shapes it; rrweb-player then re-fits.
  const sizeNow = useReplaySelector(store, (snapshot) =>
    valueAt(snapshot.timeline.sizes, snapshot.currentTime),
  );
  const recordedSize =
    sizeNow && sizeNow.width > 0 && sizeNow.height > 0 ? sizeNow : store.timeline.recordedSize;
  return (
    <div
      {...props}
      ref={setRefs}
      className={className ? `rk-viewport ${className}` : 'rk-viewport'}
      data-state={playback}
      style={
        recordedSize ? { aspectRatio: `${recordedSize.width} / ${recordedSize.height}`, ...style } : style
      }
    />
  );
});
