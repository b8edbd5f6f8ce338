'use client';

import * as Slider from '@radix-ui/react-slider';
import { type ComponentPropsWithoutRef, forwardRef, useRef } from 'react';
import { useReplayStore } from './context';
import { formatTime } from './format-time';
import { seekStepMs } from './seek';
import { useReplaySnapshot } from './use-replay';

/** Props of `<ReplayTimeline>`: those of its wrapping `<div>`. */
export type ReplayTimelineProps = Omit<ComponentPropsWithoutRef<'div'>, 'children'>;

/**
 * The seek bar (a Radix slider: dragging previews, releasing or a key press seeks) with one
 * button per timeline marker above it; a marker seeks to its event.
 */
export const ReplayTimeline = forwardRef<HTMLDivElement, ReplayTimelineProps>(function ReplayTimeline(
  { className, ...props },
  ref,
) {
  const store = useReplayStore('<ReplayTimeline>');
  const { currentTime, previewTime } = useReplaySnapshot(store);
  const { durationMs, markers, startTime } = store.timeline;
  const value = previewTime ?? currentTime;
  const pointerDownRef = useRef(false);
  // Runs before Radix's own pointer-up handler, which commits the dragged value (a seek).
  const endPointerPreview = () => {
    pointerDownRef.current = false;
    store.preview(null);
  };
  const step = seekStepMs(durationMs);
  // Radix snaps every value it produces to a multiple of the step, so End and a drag to the
  // far right could never reach a duration that is not one: round the slider's end up. The
  // store maps anything at or past the duration to "seek to end".
  const max = Math.max(Math.ceil(durationMs / step), 1) * step;

  return (
    <div {...props} ref={ref} className={className ? `rk-timeline ${className}` : 'rk-timeline'}>
      <div className="rk-markers">
        {markers.map((marker) => {
          const offset = Math.min(Math.max(0, marker.timestamp - startTime), durationMs);
          const label = `${marker.label} at ${formatTime(offset)}`;
          return (
            <button
              key={marker.id}
              type="button"
              className="rk-marker"
              data-kind={marker.kind}
              aria-label={label}
              title={label}
              style={{ left: `${(offset / max) * 100}%` }}
              onClick={() => store.seek(offset)}
            />
          );
        })}
      </div>
      <Slider.Root
        className="rk-slider"
        min={0}
        max={max}
        step={step}
        value={[value]}
        onPointerDown={() => {
          pointerDownRef.current = true;
        }}
        onPointerUp={endPointerPreview}
        onPointerCancel={endPointerPreview}
        onValueChange={([next]) => {
          // Only a drag previews. A key press seeks at once, and Radix reports its change
          // after its commit, so a preview set then would outlive the seek.
          if (pointerDownRef.current && next !== undefined) {
            store.preview(next);
          }
        }}
        onValueCommit={([next]) => {
          if (next !== undefined) {
            store.seek(next);
          }
        }}
      >
        <Slider.Track className="rk-slider-track">
          <Slider.Range className="rk-slider-range" />
        </Slider.Track>
        <Slider.Thumb
          className="rk-slider-thumb"
          aria-label="Seek"
          aria-valuetext={`${formatTime(value)} of ${formatTime(durationMs)}`}
        />
      </Slider.Root>
    </div>
  );
});
