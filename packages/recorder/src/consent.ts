/**
 * What both the facade (loaded up front) and the pipeline (loaded on start) need. Kept in a
 * module of its own so the bundler's shared chunk holds only this, and every other constant
 * stays inlined where it is used.
 */

/** Custom events captured before the recorder starts are kept, up to this many. */
export const PENDING_EVENTS_MAX = 100;

/** localStorage key of the persisted opt-out. */
export const OPT_OUT_KEY = 'replaykit:opt-out';

/** True when the user opted out of recording on this origin. */
export function isOptedOut(): boolean {
  try {
    return localStorage.getItem(OPT_OUT_KEY) === '1';
  } catch {
    return false;
  }
}

/**
 * Persists the opt-out choice for the origin, as `recorder.optOut()` / `optIn()` do, also before
 * any recorder exists (a consent banner answered early). Without storage nothing is kept: the
 * recorder then keeps its own choice in memory.
 */
export function setOptedOut(optedOut: boolean): void {
  try {
    if (optedOut) {
      localStorage.setItem(OPT_OUT_KEY, '1');
    } else {
      localStorage.removeItem(OPT_OUT_KEY);
    }
  } catch {
    // Storage missing or forbidden: the recorder keeps the choice in memory.
  }
}
