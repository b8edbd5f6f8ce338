'use client';

import * as Slider from '@radix-ui/react-slider';
import { markerPriority, type TimelineMarker } from '@replaykit/core';
import {
  type ComponentPropsWithoutRef,
  Fragment,
  forwardRef,
  type KeyboardEvent,
  type SyntheticEvent,
  useCallback,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { useReplayStore } from './context';
import { formatTime } from './format-time';
import { type FloatingSide, sideWithRoom } from './placement';
import { pageStepMs, seekStepMs } from './seek';
import { useReplaySnapshot } from './use-replay';

/** Markers closer than this share one button (a cluster), in % of the timeline's width. */
export const MARKER_CLUSTER_SPAN_PERCENT = 1.5;

/**
 * Markers closer than this share one button too, in px: a cluster's button is 12 px wide, so
 * on a narrow timeline (1.5% of 330 px is 5 px) buttons any closer would cover each other.
 */
export const MARKER_CLUSTER_MIN_PX = 12;

/** Markers that share one place on the timeline; `top` is the one shown (errors first). */
export interface MarkerCluster {
  offset: number;
  top: TimelineMarker;
  markers: TimelineMarker[];
}

/**
 * Groups markers closer than `spanMs` into clusters; each cluster shows its most important
 * marker (errors, then custom events, then the rest: `markerPriority`), earliest on ties.
 */
export function clusterMarkers(
  markers: readonly TimelineMarker[],
  startTime: number,
  spanMs: number,
): MarkerCluster[] {
  const clusters: MarkerCluster[] = [];
  let current: MarkerCluster | null = null;
  for (const marker of markers) {
    const offset = Math.max(0, marker.timestamp - startTime);
    if (current !== null && offset - current.offset < spanMs) {
      current.markers.push(marker);
      if (markerPriority(marker.kind) < markerPriority(current.top.kind)) {
        current.top = marker;
      }
      continue;
    }
    current = { offset, top: marker, markers: [marker] };
    clusters.push(current);
  }
  return clusters;
}

/**
 * The markers of moments the timeline spans. Another tab of the session may have been open
 * before this one or after it closed: its markers then have no place on this tab's timeline
 * (drawn at either end, they named moments the replay cannot show). A failed request sent
 * before the recording began but ending within it is kept, drawn at the start, where its
 * inspector row stands too.
 */
function markersWithin(
  markers: readonly TimelineMarker[],
  startTime: number,
  spanMs: number,
): readonly TimelineMarker[] {
  return markers.filter(
    (marker) => (marker.endedAt ?? marker.timestamp) >= startTime && marker.timestamp - startTime <= spanMs,
  );
}

/** The accessible name of a cluster's button, e.g. "checkout_error at 0:01 (+2 more)". */
function clusterLabel(cluster: MarkerCluster, startTime: number): string {
  const at = formatTime(Math.max(0, cluster.top.timestamp - startTime));
  const more = cluster.markers.length - 1;
  return `${cluster.top.label} at ${at}${more > 0 ? ` (+${more} more)` : ''}`;
}

/** Props of `<ReplayTimeline>`: those of its wrapping `<div>`, and a marker click callback. */
export interface ReplayTimelineProps extends Omit<ComponentPropsWithoutRef<'div'>, 'children'> {
  /** Called when a marker is clicked (after the seek to it). */
  onMarkerClick?: (marker: TimelineMarker) => void;
}

/** Arrow keys move the slider by one step (ten with Shift), as Radix's own do. */
const SLIDER_STEP_KEYS: Readonly<Record<string, number>> = {
  ArrowRight: 1,
  ArrowUp: 1,
  ArrowLeft: -1,
  ArrowDown: -1,
};

/** Page Up/Down move it by a page, a fraction of the recording (`pageStepMs`). */
const SLIDER_PAGE_KEYS: Readonly<Record<string, number>> = {
  PageUp: 1,
  PageDown: -1,
};

/**
 * Where a key pressed on the slider seeks to, or null for a key it does not handle: Home and
 * End go to either end; the arrows step (ten steps with Shift), Page Up/Down by a page,
 * landing on a multiple of the step as Radix would.
 */
function sliderKeyTarget(
  event: Pick<KeyboardEvent, 'key' | 'shiftKey'>,
  value: number,
  durationMs: number,
): number | null {
  if (event.key === 'Home') {
    return 0;
  }
  if (event.key === 'End') {
    return durationMs;
  }
  const step = seekStepMs(durationMs);
  const steps = SLIDER_STEP_KEYS[event.key];
  const pages = SLIDER_PAGE_KEYS[event.key];
  let distance: number;
  if (steps !== undefined) {
    distance = steps * step * (event.shiftKey ? 10 : 1);
  } else if (pages !== undefined) {
    distance = pages * pageStepMs(durationMs);
  } else {
    return null;
  }
  const next = Math.round((value + distance) / step) * step;
  return Math.min(Math.max(0, next), durationMs);
}

function fractionOf(offset: number, max: number): number {
  return Math.min(1, Math.max(0, offset / max));
}

function percent(offset: number, max: number): string {
  return `${fractionOf(offset, max) * 100}%`;
}

/**
 * Where the thumb's centre is at `offset`, as a CSS length. Radix keeps the thumb inside the
 * slider: its centre runs from half a thumb in from the left end to half a thumb in from the
 * right one. Markers, stretches and the loaded range placed at the plain percentage sat up to
 * half a thumb (7 px) away from where the thumb landed when seeking to them.
 */
function thumbAlignedLeft(offset: number, max: number): string {
  const fraction = fractionOf(offset, max);
  return `calc(${fraction * 100}% + var(--rk-thumb-size) * ${0.5 - fraction})`;
}

/** The width from `start` to `end` by the thumb's mapping (see `thumbAlignedLeft`), as a CSS length. */
function thumbAlignedWidth(start: number, end: number, max: number): string {
  const fraction = fractionOf(end, max) - fractionOf(start, max);
  return `calc(${fraction * 100}% - var(--rk-thumb-size) * ${fraction})`;
}

/**
 * The seek bar (a Radix slider: dragging previews, releasing or a key press seeks) with
 * the loaded range, shaded inactive stretches and marker buttons above it; a marker
 * seeks to its event. Crowded markers cluster, the most important one shown.
 */
export const ReplayTimeline = forwardRef<HTMLDivElement, ReplayTimelineProps>(function ReplayTimeline(
  { className, onMarkerClick, ...props },
  ref,
) {
  const store = useReplayStore('<ReplayTimeline>');
  const { currentTime, previewTime, timeline } = useReplaySnapshot(store);
  const { durationMs, totalDurationMs, markers, startTime, inactiveStretches, complete } = timeline;
  const value = previewTime ?? currentTime;
  const pointerDownRef = useRef(false);
  // Runs before Radix's own pointer-up handler, which commits the dragged value (a seek).
  const endPointerPreview = () => {
    pointerDownRef.current = false;
    store.preview(null);
  };
  // The slider spans the recording exactly, so its end is where the time says the replay ends.
  // Radix snaps every value it produces to a multiple of its step, and would stop End and a
  // drag to the far right short of a duration that is not one: it gets a 1 ms step, and the
  // keys that step by `seekStepMs` are handled here. The store maps the duration to "seek to end".
  const max = Math.max(totalDurationMs, 1);
  const onSliderKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    const next = sliderKeyTarget(event, value, totalDurationMs);
    if (next !== null) {
      // Radix leaves a key whose default was prevented alone.
      event.preventDefault();
      store.seek(next);
    }
  };
  const markersRef = useRef<HTMLDivElement | null>(null);
  // The strip's width in px, 0 until measured (and where nothing lays out, as in jsdom).
  const [widthPx, setWidthPx] = useState(0);
  // Measured before the first paint, so crowded markers never show overlapping, then on resize.
  useLayoutEffect(() => {
    const strip = markersRef.current;
    if (strip === null) {
      return;
    }
    const measure = () => setWidthPx(Math.round(strip.clientWidth));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(strip);
    return () => observer.disconnect();
  }, []);
  const spanPercent =
    widthPx > 0
      ? Math.max(MARKER_CLUSTER_SPAN_PERCENT, (MARKER_CLUSTER_MIN_PX / widthPx) * 100)
      : MARKER_CLUSTER_SPAN_PERCENT;
  // Tooltips open above the markers, or below them when the window has no room above.
  const [tooltipSide, setTooltipSide] = useState<FloatingSide>('top');
  const clusters = useMemo(
    () => clusterMarkers(markersWithin(markers, startTime, max), startTime, (max * spanPercent) / 100),
    [markers, startTime, max, spanPercent],
  );

  // Measured as a marker's tooltip shows (on hover or keyboard focus, see player.css).
  const placeTooltip = useCallback((event: SyntheticEvent<HTMLButtonElement>) => {
    const tooltip = event.currentTarget.nextElementSibling;
    if (tooltip instanceof HTMLElement) {
      setTooltipSide(sideWithRoom(event.currentTarget, tooltip));
    }
  }, []);

  // The markers and the shaded stretches change with the timeline, not with the clock: kept
  // as the same elements, React skips them on each of the clock's 60 updates a second.
  const markerButtons = useMemo(
    () => (
      <div className="rk-markers" ref={markersRef}>
        {clusters.map((cluster) => {
          const label = clusterLabel(cluster, startTime);
          const left = percent(cluster.offset, max);
          return (
            <Fragment key={cluster.top.id}>
              <button
                type="button"
                className="rk-marker"
                data-kind={cluster.top.kind}
                data-count={cluster.markers.length}
                aria-label={label}
                style={{ left: thumbAlignedLeft(cluster.offset, max) }}
                onFocus={placeTooltip}
                onPointerEnter={placeTooltip}
                onClick={() => {
                  // The moment the button is named after: its top marker's, not the cluster's first.
                  store.seek(Math.min(Math.max(0, cluster.top.timestamp - startTime), durationMs));
                  onMarkerClick?.(cluster.top);
                }}
              />
              {/* A sibling, not a child: the button's name must match its (empty) visible text. */}
              <span
                className="rk-marker-tooltip"
                aria-hidden="true"
                // Shifted left by as much of its width as the marker is far along: centred in
                // the middle, flush with either end of the timeline at the ends, never outside it.
                style={{ left, transform: `translateX(-${left})` }}
              >
                {cluster.markers.slice(0, 5).map((marker) => (
                  <span key={marker.id} data-kind={marker.kind}>
                    {`${marker.label} · ${formatTime(Math.max(0, marker.timestamp - startTime))}`}
                  </span>
                ))}
                {cluster.markers.length > 5 && <span>{`+${cluster.markers.length - 5} more`}</span>}
              </span>
            </Fragment>
          );
        })}
      </div>
    ),
    [clusters, startTime, max, durationMs, store, onMarkerClick, placeTooltip],
  );
  const stretchSpans = useMemo(
    () =>
      inactiveStretches.map((stretch) => (
        <span
          key={stretch.start}
          className="rk-inactive"
          style={{
            left: thumbAlignedLeft(stretch.start, max),
            width: thumbAlignedWidth(stretch.start, stretch.end, max),
          }}
        />
      )),
    [inactiveStretches, max],
  );

  return (
    <div
      {...props}
      ref={ref}
      className={className ? `rk-timeline ${className}` : 'rk-timeline'}
      data-complete={complete}
      data-tooltip-side={tooltipSide}
    >
      {markerButtons}
      <Slider.Root
        className="rk-slider"
        min={0}
        max={max}
        step={1}
        value={[value]}
        onKeyDown={onSliderKeyDown}
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
          {!complete && (
            <span
              className="rk-loaded"
              data-testid="loaded-range"
              // From the track's start to where the thumb lands at the loaded end.
              style={{ width: thumbAlignedLeft(durationMs, max) }}
            />
          )}
          {stretchSpans}
          <Slider.Range className="rk-slider-range" />
        </Slider.Track>
        <Slider.Thumb
          className="rk-slider-thumb"
          aria-label="Seek"
          aria-valuetext={`${formatTime(value)} of ${formatTime(totalDurationMs)}`}
        />
      </Slider.Root>
    </div>
  );
});
