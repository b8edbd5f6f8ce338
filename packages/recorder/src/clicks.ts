import type { ClickPayload } from '@replaykit/core';
import {
  DEAD_CLICK_TIMEOUT_MS,
  RAGE_CLICK_COUNT,
  RAGE_CLICK_RADIUS_PX,
  RAGE_CLICK_WINDOW_MS,
} from './limits';

const CLICKABLE = 'a[href],button,[role="button"],[role="link"],input[type="submit"],input[type="button"]';

/** A short CSS selector for an element, to name it in a marker. */
export function describeElement(element: Element | null | undefined): string | undefined {
  if (!element) {
    return undefined;
  }
  let selector = element.tagName.toLowerCase();
  if (element.id) {
    selector += `#${element.id}`;
  }
  const classes =
    typeof element.className === 'string' ? element.className.trim().split(/\s+/).filter(Boolean) : [];
  for (const name of classes.slice(0, 2)) {
    selector += `.${name}`;
  }
  return selector;
}

/** Rage and dead click detection, fed by the recorder. */
export interface ClickDetector {
  click(x: number, y: number, at: number, target: Element | null | undefined): void;
  /** The DOM changed or the page navigated: the last click was not dead. */
  cancelDead(): void;
  reset(): void;
}

/**
 * Rage and dead clicks, derived from the events rrweb already emits (no extra listeners):
 * 3+ clicks within 1 s within 30 px is a rage click; a click on a link or button followed by
 * no DOM mutation within 2.5 s is a dead click.
 *
 * A burst of rage is reported once, when it reaches 3 clicks: a click within 1 s and 30 px of
 * a click of a reported burst belongs to that burst, so a visitor hammering a button for ten
 * seconds is one rage click on the timeline, not one per click (PostHog counts the same way).
 * Clicks elsewhere in between (a slip of the hand, a second button clicked in turn) neither
 * end the burst nor hide it: each spot keeps its own clicks of the last second.
 */
export function createClickDetector(
  emitRage: (payload: ClickPayload) => void,
  emitDead: (payload: ClickPayload) => void,
): ClickDetector {
  /** The clicks of the last second, anywhere; `rage` marks those of a reported burst. */
  let recent: Array<{ x: number; y: number; at: number; rage?: boolean }> = [];
  let deadTimer: ReturnType<typeof setTimeout> | undefined;
  const detector: ClickDetector = {
    click(x, y, at, target) {
      recent = recent.filter((click) => at - click.at <= RAGE_CLICK_WINDOW_MS);
      const near = recent.filter((click) => Math.hypot(click.x - x, click.y - y) <= RAGE_CLICK_RADIUS_PX);
      const click = { x, y, at, rage: near.some((other) => other.rage) };
      near.push(click);
      recent.push(click);
      if (!click.rage && near.length >= RAGE_CLICK_COUNT) {
        for (const other of near) {
          other.rage = true;
        }
        emitRage({ x, y, clicks: near.length, selector: describeElement(target) });
      }
      const clickable = target?.closest?.(CLICKABLE);
      detector.cancelDead();
      if (clickable) {
        deadTimer = setTimeout(
          () => emitDead({ x, y, selector: describeElement(clickable) }),
          DEAD_CLICK_TIMEOUT_MS,
        );
      }
    },
    cancelDead() {
      clearTimeout(deadTimer);
    },
    reset() {
      clearTimeout(deadTimer);
      recent = [];
    },
  };
  return detector;
}
