/** Space between a control and the popover or tooltip it opens, in px (as in player.css). */
export const FLOATING_GAP_PX = 6;

/** Which side of its control a popover or tooltip opens on. */
export type FloatingSide = 'top' | 'bottom';

/**
 * Above `anchor` when the window has room for `floating` there, else below: a player whose
 * controls sit at the top of the window would otherwise open them off screen. `floating`
 * must be displayed (its height is measured).
 */
export function sideWithRoom(anchor: Element, floating: HTMLElement): FloatingSide {
  return anchor.getBoundingClientRect().top >= floating.offsetHeight + FLOATING_GAP_PX ? 'top' : 'bottom';
}
