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

/**
 * Rage and dead clicks, derived from the events rrweb already emits (no extra listeners):
 * 3+ clicks within 1 s within 30 px is a rage click; a click on a link or button followed by
 * no DOM mutation within 2.5 s is a dead click.
 */
export class ClickDetector {
  private recent: Array<{ x: number; y: number; at: number }> = [];
  private rageReported = false;
  private deadTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly emitRage: (payload: ClickPayload, at: number) => void,
    private readonly emitDead: (payload: ClickPayload, at: number) => void,
  ) {}

  click(x: number, y: number, at: number, target: Element | null | undefined): void {
    const first = this.recent[0];
    this.recent = this.recent.filter(
      (click) =>
        at - click.at <= RAGE_CLICK_WINDOW_MS && Math.hypot(click.x - x, click.y - y) <= RAGE_CLICK_RADIUS_PX,
    );
    if (this.recent.length === 0 || (first && this.recent[0] !== first)) {
      this.rageReported = false;
    }
    this.recent.push({ x, y, at });
    if (this.recent.length >= RAGE_CLICK_COUNT && !this.rageReported) {
      this.rageReported = true;
      this.emitRage({ x, y, clicks: this.recent.length, selector: describeElement(target) }, at);
    }
    const clickable = target?.closest?.(CLICKABLE);
    this.cancelDead();
    if (clickable) {
      this.deadTimer = setTimeout(() => {
        this.deadTimer = undefined;
        this.emitDead({ x, y, selector: describeElement(clickable) }, at);
      }, DEAD_CLICK_TIMEOUT_MS);
    }
  }

  /** The DOM changed or the page navigated: the last click was not dead. */
  cancelDead(): void {
    if (this.deadTimer !== undefined) {
      clearTimeout(this.deadTimer);
      this.deadTimer = undefined;
    }
  }

  reset(): void {
    this.cancelDead();
    this.recent = [];
    this.rageReported = false;
  }
}
