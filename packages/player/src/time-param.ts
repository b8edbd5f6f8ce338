/** Name of the query parameter that holds a replay's time in a shared link. */
export const TIME_PARAM = 't';

/**
 * Parses a `?t=` value into ms: plain seconds (`95`, `95.5`) or `1h2m3s`-style parts.
 * Returns undefined for anything else.
 */
export function parseTimeParam(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === '') {
    return undefined;
  }
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return Math.round(Number(trimmed) * 1000);
  }
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(trimmed);
  if (match === null || trimmed === '') {
    return undefined;
  }
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  return Math.round((Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1000);
}

/** Formats ms as a `?t=` value: whole seconds, e.g. `95`. */
export function formatTimeParam(ms: number): string {
  return String(Math.max(0, Math.floor(ms / 1000)));
}

/** Reads `?t=` from a URL (default: the host page's), in ms; undefined when absent or malformed. */
export function readTimeParam(url: string | URL = globalThis.location?.href ?? ''): number | undefined {
  try {
    return parseTimeParam(new URL(url).searchParams.get(TIME_PARAM));
  } catch {
    return undefined;
  }
}

/**
 * Writes `?t=` (whole seconds) into the host page's URL with `history.replaceState`, so a
 * copied link opens the replay at the same moment without adding history entries. Returns
 * the new URL.
 */
export function writeTimeParam(ms: number, win: Window = window): string {
  const url = new URL(win.location.href);
  url.searchParams.set(TIME_PARAM, formatTimeParam(ms));
  win.history.replaceState(win.history.state, '', url);
  return url.href;
}
