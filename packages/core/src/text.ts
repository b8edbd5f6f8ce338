/** What ends a text that was cut to its limit (a marker label, a summary's URL or trait). */
export const TRUNCATION_MARKER = '…';

/**
 * `text` cut to at most `max` characters, ending in {@link TRUNCATION_MARKER} when it was cut
 * (never between the halves of a surrogate pair). Text within the limit is returned as it is,
 * so cutting again changes nothing.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  let end = max - TRUNCATION_MARKER.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) {
    end--;
  }
  return text.slice(0, end) + TRUNCATION_MARKER;
}
