import { CONSOLE_LEVELS, type ConsoleLevel } from '@replaykit/core';
import type { PrivacyConfig } from './privacy';
import { checkPrivacyConfig } from './privacy-check';

/** A URL rule: a substring of the full URL, or a regular expression tested against it. */
export type UrlPattern = string | RegExp;

/** Which requests may have headers or bodies recorded (off for every URL by default). */
export interface NetworkCaptureOptions {
  /** Default true. Set false to record no network metadata at all. */
  enabled?: boolean;
  /** URLs whose request and response headers are recorded (auth, cookie and CSRF headers are always redacted). */
  recordHeadersFor?: UrlPattern[];
  /** URLs whose request and response bodies are recorded, cut to `NETWORK_BODY_MAX_CHARS`. */
  recordBodiesFor?: UrlPattern[];
  /**
   * Last say on each entry: return a changed entry, or `null` to drop it. Runs after
   * replaykit's own URL and header redaction, which stays on whatever the hook returns.
   */
  transform?: (
    entry: import('@replaykit/core').NetworkPayload,
  ) => import('@replaykit/core').NetworkPayload | null;
}

/**
 * Most canvas snapshots per second per canvas that `canvas.fps` may ask for. It lives here,
 * not in `limits.ts`, because the up-front entry checks it (importing `limits.ts` there would
 * split it into a chunk of its own).
 */
export const CANVAS_FPS_MAX = 30;

/** Canvas recording as throttled image snapshots (off by default). */
export interface CanvasCaptureOptions {
  /** Snapshots per second per canvas. Default 2. */
  fps?: number;
  /** Image quality between 0 and 1 (WebP; PNG, which ignores it, where the browser cannot encode WebP). Default 0.6. */
  quality?: number;
}

export interface RecorderOptions {
  /** Base URL of the replaykit server, e.g. `https://replays.example.com`. */
  endpoint: string;
  /** The project's public write key. */
  writeKey: string;
  /** Privacy preset and selectors; defaults to the `balanced` preset. */
  privacy?: PrivacyConfig;
  /** Delay between the first buffered event and its flush, in ms. Default 2,000. */
  flushDelayMs?: number;
  /** Buffered JSON size that triggers a flush at once, in bytes. Default 900 KB. */
  flushSizeBytes?: number;
  /** Largest single event, in JSON bytes; a larger one becomes a `$dropped` marker. Default 5 MB. */
  maxEventBytes?: number;
  /** Most event bytes held in memory while the server is unreachable. Default 20 MB. */
  maxMemoryBytes?: number;
  /** A session ends after this long without user activity, in ms. Default 30 minutes. */
  sessionIdleTimeoutMs?: number;
  /** A session never lasts longer than this, in ms. Default 24 hours. */
  sessionMaxDurationMs?: number;
  /** The recorder goes quiet after this long without user activity, in ms. Default 5 minutes. */
  userIdleTimeoutMs?: number;
  /** A full snapshot at least this often while the user is active, in ms. Default 5 minutes. */
  checkoutIntervalMs?: number;
  /** Share of sessions recorded, 0 to 1, decided by the session id (same answer in every tab). Default 1. */
  sampleRate?: number;
  /** Nothing is sent before the session is this old (events are kept meanwhile), in ms. Default 0. */
  minimumDurationMs?: number;
  /**
   * Record only once a trigger fired in the session: a page URL matching `urls` or an event
   * (`capture` name or `$error`) in `events`. Until then the last ~60 s are kept in memory.
   */
  triggers?: { urls?: UrlPattern[]; events?: string[] };
  /** Pages whose URL matches are not recorded (recording pauses there and resumes after). */
  blockedUrls?: UrlPattern[];
  /**
   * Keep only the last ~60 s in memory and send them when an error (or one of `events`)
   * is captured, then keep recording. Default off.
   */
  bufferUntilError?: boolean | { events?: string[] };
  /** Console levels recorded, or false for none. Default `['log', 'info', 'warn', 'error']`. */
  console?: false | { levels?: ConsoleLevel[] };
  /** Network metadata capture. Default on, with no headers or bodies. */
  network?: false | NetworkCaptureOptions;
  /** Uncaught errors and unhandled rejections as `$error` events. Default true. */
  captureErrors?: boolean;
  /** SPA navigations as `$navigation` events. Default true. */
  captureNavigation?: boolean;
  /** Rage and dead clicks as `$rage_click` / `$dead_click` events. Default true. */
  captureClicks?: boolean;
  /** Canvas snapshots; off by default. `true` uses the default rate and quality. */
  canvas?: boolean | CanvasCaptureOptions;
  /** Keep unsent batches in IndexedDB and resend them on the next page load. Default true. */
  persistQueue?: boolean;
  /** Compress in a Web Worker (falls back to the main thread when blocked). Default true. */
  useWorker?: boolean;
}

/** Checks options up front so a mistake fails where it was written, with how to fix it. */
export function validateOptions(options: RecorderOptions): void {
  if (!options || typeof options !== 'object') {
    throw new Error('createRecorder needs an options object: createRecorder({ endpoint, writeKey }).');
  }
  if (!options.endpoint) {
    throw new Error('createRecorder needs `endpoint`, the base URL of your replaykit server.');
  }
  if (!options.writeKey) {
    throw new Error('createRecorder needs `writeKey`, the public write key printed by `replaykit serve`.');
  }
  /** Throws the one message shape: the option, its rule, and the value given (strings quoted). */
  const fail = (name: string, rule: string, value: unknown) => {
    throw new Error(
      `createRecorder: \`${name}\` must be ${rule}, got ${typeof value === 'string' ? `"${value}"` : String(value)}.`,
    );
  };
  /** Throws, naming the option and its rule, when `value` is set to something other than a number `ok` accepts. */
  const checkNumber = (name: string, value: unknown, ok: (value: number) => boolean, rule: string) => {
    if (value !== undefined && !(typeof value === 'number' && ok(value))) {
      fail(name, rule, value);
    }
  };
  /** Throws, naming the first entry `ok` refuses, when a list option is set to something other than an array of them. */
  const checkEntries = (name: string, list: unknown, ok: (entry: unknown) => boolean, rule: string) => {
    const refused =
      list === undefined ? [] : Array.isArray(list) ? list.filter((entry) => !ok(entry)) : [list];
    if (refused.length) {
      fail(name, `an array of ${rule}`, refused[0]);
    }
  };
  for (const name of [
    'flushDelayMs',
    'flushSizeBytes',
    'maxEventBytes',
    'maxMemoryBytes',
    'sessionIdleTimeoutMs',
    'sessionMaxDurationMs',
    'userIdleTimeoutMs',
    'checkoutIntervalMs',
  ] as const) {
    checkNumber(name, options[name], (value) => value > 0 && Number.isFinite(value), 'a positive number');
  }
  if (options.privacy !== undefined) {
    checkPrivacyConfig(options.privacy);
  }
  checkNumber(
    'sampleRate',
    options.sampleRate,
    (value) => value >= 0 && value <= 1,
    'between 0 and 1 (e.g. 0.25 for a quarter)',
  );
  checkNumber(
    'minimumDurationMs',
    options.minimumDurationMs,
    (value) => value >= 0,
    '0 or more milliseconds',
  );
  // An unknown level recorded nothing, and a list that is not an array made start() reject.
  checkEntries(
    'console.levels',
    options.console ? options.console.levels : undefined,
    (level) => CONSOLE_LEVELS.includes(level as ConsoleLevel),
    `console levels (${CONSOLE_LEVELS.join(', ')})`,
  );
  // Every URL rule goes through one matcher: a bad rule threw there (in the fetch and XHR
  // wrappers no request was recorded), and an empty string is in every URL, so it would
  // record every body, block every page or trigger on every one.
  const { network } = options;
  for (const [name, rules] of [
    ['network.recordHeadersFor', network ? network.recordHeadersFor : undefined],
    ['network.recordBodiesFor', network ? network.recordBodiesFor : undefined],
    ['triggers.urls', options.triggers ? options.triggers.urls : undefined],
    ['blockedUrls', options.blockedUrls],
  ] as const) {
    checkEntries(
      name,
      rules,
      (pattern) => (typeof pattern === 'string' && pattern !== '') || pattern instanceof RegExp,
      "URL substrings or RegExps, such as ['/api/']",
    );
  }
  const { canvas } = options;
  if (typeof canvas === 'object' && canvas) {
    checkNumber(
      'canvas.fps',
      canvas.fps,
      (value) => value > 0 && value <= CANVAS_FPS_MAX,
      `more than 0 and at most ${CANVAS_FPS_MAX} snapshots a second`,
    );
    checkNumber(
      'canvas.quality',
      canvas.quality,
      (value) => value >= 0 && value <= 1,
      'between 0 and 1 (e.g. 0.6)',
    );
  } else if (canvas !== undefined && typeof canvas !== 'boolean') {
    // Any other truthy value would turn canvas recording on (even the string 'false').
    fail('canvas', 'true, false or an object such as { fps: 2 }', canvas);
  }
}
