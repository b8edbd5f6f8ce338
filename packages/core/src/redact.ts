/**
 * Query parameter names whose values are secrets wherever a URL is recorded (page URLs,
 * links, images, network requests). A name matches when it contains one of these words,
 * case-insensitively (so `access_token`, `apiKey` and `session_id` match).
 */
export const SENSITIVE_QUERY_WORDS: readonly string[] = [
  'token',
  'key',
  'secret',
  'password',
  'passwd',
  'pwd',
  'auth',
  'code',
  'session',
  'signature',
  'sig',
  'credential',
  'otp',
];

/** What replaces a redacted query value. */
export const REDACTED = '[redacted]';

function isSensitive(name: string, words: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return words.some((word) => lower.includes(word));
}

/** A query name or value as the page meant it; the raw text when it is not valid encoding. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * Replaces the values of sensitive query parameters (and of the fragment's, for OAuth-style
 * `#access_token=`) with `[redacted]`. Relative and malformed URLs are handled as text, so
 * nothing is lost and nothing throws. `extraWords` adds host-specific names;
 * `redactValue`, when given, also redacts every value (decoded) for which it returns true,
 * whatever its name (the recorder's privacy presets use it for personal-looking values).
 */
export function redactUrl(
  url: string,
  extraWords: readonly string[] = [],
  redactValue?: (value: string) => boolean,
): string {
  if (typeof url !== 'string' || (!url.includes('?') && !url.includes('#'))) {
    return url;
  }
  const words = extraWords.length
    ? [...SENSITIVE_QUERY_WORDS, ...extraWords.map((word) => word.toLowerCase())]
    : SENSITIVE_QUERY_WORDS;
  const redactPairs = (part: string) =>
    part
      .split('&')
      .map((pair) => {
        const equals = pair.indexOf('=');
        if (equals < 0) {
          return pair;
        }
        const name = pair.slice(0, equals);
        return (equals > 0 && isSensitive(decode(name), words)) ||
          redactValue?.(decode(pair.slice(equals + 1)))
          ? `${name}=${encodeURIComponent(REDACTED)}`
          : pair;
      })
      .join('&');
  const hashIndex = url.indexOf('#');
  const beforeHash = hashIndex >= 0 ? url.slice(0, hashIndex) : url;
  const hash = hashIndex >= 0 ? url.slice(hashIndex + 1) : undefined;
  const queryIndex = beforeHash.indexOf('?');
  let result =
    queryIndex >= 0
      ? `${beforeHash.slice(0, queryIndex)}?${redactPairs(beforeHash.slice(queryIndex + 1))}`
      : beforeHash;
  if (hash !== undefined) {
    result += `#${hash.includes('=') ? redactPairs(hash) : hash}`;
  }
  return result;
}
