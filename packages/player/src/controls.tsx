'use client';

import {
  type ComponentPropsWithoutRef,
  forwardRef,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import { useReplayStore } from './context';
import { formatTime } from './format-time';
import { type FloatingSide, sideWithRoom } from './placement';
import { PLAYBACK_SPEEDS, type PlaybackSpeed } from './replay-store';
import { valueAt } from './timeline-data';
import { useComposedRef } from './use-composed-ref';
import { usePlaybackState, useReplaySelector } from './use-replay';

function joinClassNames(base: string, extra: string | undefined): string {
  return extra ? `${base} ${extra}` : base;
}

/** Props of `<ReplayPlayButton>`: those of its `<button>`, whose content and click it owns. */
export type ReplayPlayButtonProps = Omit<ComponentPropsWithoutRef<'button'>, 'children' | 'onClick' | 'type'>;

/** Toggles playback; its accessible name is "Play" or "Pause" and `data-state` the playback state. */
export const ReplayPlayButton = forwardRef<HTMLButtonElement, ReplayPlayButtonProps>(
  function ReplayPlayButton({ className, ...props }, ref) {
    const store = useReplayStore('<ReplayPlayButton>');
    const playback = usePlaybackState(store);
    const playing = playback === 'playing';
    return (
      <button
        {...props}
        ref={ref}
        type="button"
        className={joinClassNames('rk-play-button', className)}
        aria-label={playing ? 'Pause' : 'Play'}
        data-state={playback}
        onClick={() => store.toggle()}
      >
        <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
          {playing ? (
            <path d="M4 2h3v12H4zM9 2h3v12H9z" fill="currentColor" />
          ) : (
            <path d="M4 2l10 6-10 6z" fill="currentColor" />
          )}
        </svg>
      </button>
    );
  },
);

/** Props of `<ReplayTime>`: those of its `<span>`. */
export type ReplayTimeProps = Omit<ComponentPropsWithoutRef<'span'>, 'children'>;

/** "current / total" as `m:ss`; shows the scrub preview while the timeline is dragged. */
export const ReplayTime = forwardRef<HTMLSpanElement, ReplayTimeProps>(function ReplayTime(
  { className, ...props },
  ref,
) {
  const store = useReplayStore('<ReplayTime>');
  // The text changes once a second; selecting it (not the clock) re-renders only then.
  const text = useReplaySelector(
    store,
    (s) => `${formatTime(s.previewTime ?? s.currentTime)} / ${formatTime(s.timeline.totalDurationMs)}`,
  );
  return (
    <span {...props} ref={ref} className={joinClassNames('rk-time', className)}>
      {text}
    </span>
  );
});

/** Props of `<ReplaySpeedSelect>`: those of its `<select>`. */
export type ReplaySpeedSelectProps = Omit<
  ComponentPropsWithoutRef<'select'>,
  'children' | 'value' | 'onChange'
>;

/** Chooses the playback speed among {@link PLAYBACK_SPEEDS}. */
export const ReplaySpeedSelect = forwardRef<HTMLSelectElement, ReplaySpeedSelectProps>(
  function ReplaySpeedSelect({ className, ...props }, ref) {
    const store = useReplayStore('<ReplaySpeedSelect>');
    const speed = useReplaySelector(store, (snapshot) => snapshot.speed);
    return (
      <select
        aria-label="Playback speed"
        {...props}
        ref={ref}
        className={joinClassNames('rk-speed', className)}
        value={String(speed)}
        onChange={(event) => store.setSpeed(Number(event.currentTarget.value) as PlaybackSpeed)}
      >
        {PLAYBACK_SPEEDS.map((option) => (
          <option key={option} value={String(option)}>
            {`${option}×`}
          </option>
        ))}
      </select>
    );
  },
);

/** Props of `<ReplaySkipInactiveToggle>`: those of its `<button>`. */
export type ReplaySkipInactiveToggleProps = Omit<
  ComponentPropsWithoutRef<'button'>,
  'children' | 'onClick' | 'type'
>;

/** A toggle button (`aria-pressed`) for skipping stretches without user activity. */
export const ReplaySkipInactiveToggle = forwardRef<HTMLButtonElement, ReplaySkipInactiveToggleProps>(
  function ReplaySkipInactiveToggle({ className, ...props }, ref) {
    const store = useReplayStore('<ReplaySkipInactiveToggle>');
    const skip = useReplaySelector(store, (snapshot) => snapshot.skipInactive);
    return (
      <button
        {...props}
        ref={ref}
        type="button"
        className={joinClassNames('rk-toggle', className)}
        aria-pressed={skip}
        onClick={() => store.setSkipInactive(!skip)}
      >
        Skip inactivity
      </button>
    );
  },
);

/** Props of `<ReplayFullscreenButton>`: those of its `<button>`. */
export type ReplayFullscreenButtonProps = Omit<
  ComponentPropsWithoutRef<'button'>,
  'children' | 'onClick' | 'type'
>;

/** Whether the document shows `element` in fullscreen (in the player or an ancestor made fullscreen). */
function isInFullscreen(element: Element): boolean {
  return element.ownerDocument.fullscreenElement?.contains(element) ?? false;
}

/**
 * Puts the closest `.rk-player` in fullscreen, or leaves fullscreen. Its accessible name says
 * which ("Fullscreen" or "Exit fullscreen") and follows every change, the browser's own
 * (Escape) and the F shortcut included.
 */
export const ReplayFullscreenButton = forwardRef<HTMLButtonElement, ReplayFullscreenButtonProps>(
  function ReplayFullscreenButton({ className, ...props }, ref) {
    const buttonRef = useRef<HTMLButtonElement | null>(null);
    const setRefs = useComposedRef(buttonRef, ref);
    const [fullscreen, setFullscreen] = useState(false);
    useEffect(() => {
      const button = buttonRef.current;
      if (button === null) {
        return;
      }
      const doc = button.ownerDocument;
      const update = () => setFullscreen(isInFullscreen(button));
      update();
      doc.addEventListener('fullscreenchange', update);
      return () => doc.removeEventListener('fullscreenchange', update);
    }, []);
    return (
      <button
        {...props}
        ref={setRefs}
        type="button"
        className={joinClassNames('rk-icon-button', className)}
        aria-label={fullscreen ? 'Exit fullscreen' : 'Fullscreen'}
        data-state={fullscreen ? 'fullscreen' : 'normal'}
        onClick={(event) => toggleFullscreen(event.currentTarget)}
      >
        <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
          <path
            d={
              fullscreen ? 'M6 2v4H2M10 2v4h4M14 10h-4v4M2 10h4v4' : 'M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4'
            }
            fill="none"
            stroke="currentColor"
            strokeWidth="1.6"
          />
        </svg>
      </button>
    );
  },
);

/** Enters fullscreen on the player around `element`, or leaves it. */
export function toggleFullscreen(element: Element): void {
  const doc = element.ownerDocument;
  if (doc.fullscreenElement) {
    void doc.exitFullscreen?.();
    return;
  }
  const player = element.closest('.rk-player') ?? element;
  // Browsers refuse fullscreen without a user gesture or in some iframes: nothing to do then.
  player.requestFullscreen?.().catch(() => undefined);
}

/** Props of `<ReplayPageInfo>`: those of its `<div>`. */
export type ReplayPageInfoProps = Omit<ComponentPropsWithoutRef<'div'>, 'children'>;

/** The replayed page's URL and recorded viewport size at the current time. */
export const ReplayPageInfo = forwardRef<HTMLDivElement, ReplayPageInfoProps>(function ReplayPageInfo(
  { className, ...props },
  ref,
) {
  const store = useReplayStore('<ReplayPageInfo>');
  const url = useReplaySelector(store, (s) => valueAt(s.timeline.urls, s.previewTime ?? s.currentTime));
  const size = useReplaySelector(store, (s) => valueAt(s.timeline.sizes, s.previewTime ?? s.currentTime));
  return (
    <div {...props} ref={ref} className={joinClassNames('rk-page-info', className)}>
      <span className="rk-page-url" title={url}>
        <span className="rk-visually-hidden">Page: </span>
        {url ?? '—'}
      </span>
      {size && (
        <span className="rk-page-size">
          <span className="rk-visually-hidden">Viewport: </span>
          {`${size.width} × ${size.height}`}
        </span>
      )}
    </div>
  );
});

/** Keyboard shortcuts of `<ReplayPlayer>`, as shown in its help popover. */
export const KEYBOARD_SHORTCUTS: readonly { keys: string; action: string }[] = [
  { keys: 'Space or K', action: 'Play or pause' },
  { keys: '← / →', action: 'Back or forward 10 seconds' },
  { keys: 'Shift + ← / →', action: 'Back or forward 1 second' },
  { keys: '< / >', action: 'Slower or faster' },
  { keys: `1 – ${PLAYBACK_SPEEDS.length}`, action: 'Speed 0.5× … 16×' },
  { keys: 'F', action: 'Fullscreen' },
  { keys: '?', action: 'Show these shortcuts' },
];

/** Props of `<ReplayShortcutsHelp>`: those of its wrapping `<div>`. */
export type ReplayShortcutsHelpProps = Omit<ComponentPropsWithoutRef<'div'>, 'children'>;

/**
 * A "Keyboard shortcuts" button that opens a small list of them (Escape in the player closes
 * it), above the button, or below it when the window has no room above (controls on top).
 */
export const ReplayShortcutsHelp = forwardRef<HTMLDivElement, ReplayShortcutsHelpProps>(
  function ReplayShortcutsHelp({ className, ...props }, ref) {
    const store = useReplayStore('<ReplayShortcutsHelp>');
    const open = useReplaySelector(store, (snapshot) => snapshot.helpOpen);
    const id = useId();
    const buttonRef = useRef<HTMLButtonElement | null>(null);
    const popoverRef = useRef<HTMLDivElement | null>(null);
    const [side, setSide] = useState<FloatingSide>('top');
    // Measured once shown, before the browser paints it.
    useLayoutEffect(() => {
      const button = buttonRef.current;
      const popover = popoverRef.current;
      if (!open || button === null || popover === null) {
        return;
      }
      setSide(sideWithRoom(button, popover));
    }, [open]);
    return (
      <div {...props} ref={ref} className={joinClassNames('rk-help', className)}>
        <button
          ref={buttonRef}
          type="button"
          className="rk-icon-button"
          aria-label="Keyboard shortcuts"
          aria-expanded={open}
          aria-controls={id}
          onClick={() => store.setHelpOpen(!open)}
        >
          <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
            <path
              d="M5.5 6a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5V11M8 13.2v.3"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.6"
              strokeLinecap="round"
            />
          </svg>
        </button>
        <div
          ref={popoverRef}
          id={id}
          className="rk-help-popover"
          role="dialog"
          aria-label="Keyboard shortcuts"
          data-side={side}
          hidden={!open}
        >
          <dl>
            {KEYBOARD_SHORTCUTS.map((shortcut) => (
              <div key={shortcut.keys}>
                <dt>
                  <kbd>{shortcut.keys}</kbd>
                </dt>
                <dd>{shortcut.action}</dd>
              </div>
            ))}
          </dl>
        </div>
      </div>
    );
  },
);
