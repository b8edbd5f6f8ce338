'use client';

import { type ComponentPropsWithoutRef, forwardRef } from 'react';
import { useReplayStore } from './context';
import { formatTime } from './format-time';
import { usePlaybackState, useReplaySnapshot } from './use-replay';

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
  const { currentTime, previewTime } = useReplaySnapshot(store);
  return (
    <span {...props} ref={ref} className={joinClassNames('rk-time', className)}>
      {`${formatTime(previewTime ?? currentTime)} / ${formatTime(store.timeline.durationMs)}`}
    </span>
  );
});
