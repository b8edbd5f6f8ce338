/**
 * Custom events are rrweb custom events (`type: 5`) whose `tag` is the event name.
 * Names that replaykit itself emits start with `$`; the host's own names may not.
 */
export const ReservedEvent = {
  /** `identify(userId, traits)`: payload `{ userId, traits }`. */
  Identify: '$identify',
  /** An uncaught error or a captured one: payload `{ message, stack?, source? }`. */
  Error: '$error',
  /** An SPA navigation: payload `{ url, kind }`. */
  Navigation: '$navigation',
  /** Data that replaykit dropped on purpose (too large, over a cap): payload {@link DroppedPayload}. */
  Dropped: '$dropped',
  /** A console call: payload {@link ConsolePayload}. */
  Console: '$console',
  /** A network request's metadata: payload {@link NetworkPayload}. */
  Network: '$network',
  /** 3+ clicks within 1 s within 30 px: payload {@link ClickPayload}. */
  RageClick: '$rage_click',
  /** A click on a link or button with no DOM change within 2.5 s: payload {@link ClickPayload}. */
  DeadClick: '$dead_click',
} as const;

export type ReservedEventName = (typeof ReservedEvent)[keyof typeof ReservedEvent];

/** Longest custom event name accepted, in characters. */
export const EVENT_NAME_MAX_LENGTH = 200;

/** Payload of a `$identify` event. */
export interface IdentifyPayload {
  userId: string;
  traits?: Record<string, unknown>;
}

/** Payload of a `$error` event. */
export interface ErrorPayload {
  message: string;
  /** Where it came from: an uncaught error, an unhandled rejection, a React render error, or `capture`d. */
  kind: 'error' | 'unhandledrejection' | 'react' | 'captured';
  stack?: string;
  /** `file:line:column` of the throw, when the browser says. */
  source?: string;
  /** React's component stack, for render errors. */
  componentStack?: string;
}

/** Payload of a `$navigation` event: a page load (`kind: 'load'`) or an SPA navigation. */
export interface NavigationPayload {
  /** The new URL, with sensitive query values redacted. */
  url: string;
  /** `load`: the recorder started on a freshly loaded page; the others: SPA navigations. */
  kind: 'load' | 'pushState' | 'replaceState' | 'popstate' | 'hashchange';
}

/** The console methods replaykit records, least to most severe. */
export const CONSOLE_LEVELS = ['debug', 'log', 'info', 'warn', 'error'] as const;

export type ConsoleLevel = (typeof CONSOLE_LEVELS)[number];

/** Payload of a `$console` event: arguments already turned into capped strings. */
export interface ConsolePayload {
  level: ConsoleLevel;
  args: string[];
  /** True when arguments or their text were cut to the caps. */
  truncated?: boolean;
}

/** Payload of a `$network` event. Times are ms since 1970; sizes are bytes, when known. */
export interface NetworkPayload {
  method: string;
  /** The request URL, with sensitive query values redacted. */
  url: string;
  /** HTTP status; 0 when the request failed without an answer (network error, abort, CORS). */
  status: number;
  startedAt: number;
  durationMs: number;
  initiator: 'fetch' | 'xhr' | 'resource' | 'navigation' | 'beacon' | 'other';
  requestBytes?: number;
  responseBytes?: number;
  /** Why it failed, for status 0 (e.g. "aborted", "network error"). */
  error?: string;
  /** Headers and bodies only where the host allowed them for this URL. */
  requestHeaders?: Record<string, string>;
  responseHeaders?: Record<string, string>;
  requestBody?: string;
  responseBody?: string;
}

/** Payload of `$rage_click` and `$dead_click` events: page coordinates and a CSS selector. */
export interface ClickPayload {
  x: number;
  y: number;
  selector?: string;
  /** For rage clicks: how many clicks. */
  clicks?: number;
}

/** Payload of a `$dropped` event: what was dropped on purpose, and why. */
export interface DroppedPayload {
  reason:
    | 'event_too_large'
    | 'event_rejected'
    | 'buffer_full'
    | 'persist_full'
    | 'console_cap'
    | 'batch_rejected'
    | string;
  /** How many events were dropped. */
  count?: number;
  /** How many bytes were dropped, when known. */
  bytes?: number;
  /** Type of the dropped event(s), for `event_too_large`. */
  eventType?: number;
}

/**
 * Checks a host-chosen event name; returns an error message, or `undefined` when the
 * name is fine.
 */
export function checkEventName(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') {
    return 'An event name must be a non-empty string, such as "checkout_error".';
  }
  if (name.length > EVENT_NAME_MAX_LENGTH) {
    return `The event name "${name.slice(0, 40)}…" is ${name.length} characters long; the limit is ${EVENT_NAME_MAX_LENGTH}.`;
  }
  if (name.startsWith('$')) {
    return `The event name "${name}" starts with "$", which replaykit keeps for its own events; rename it.`;
  }
  return undefined;
}

/**
 * True for a `$network` payload that failed: no answer (status 0) or an HTTP error
 * (status ≥ 400). The one rule behind failed-request counts and their timeline markers.
 */
export function isFailedRequest(payload: unknown): boolean {
  const status =
    typeof payload === 'object' && payload !== null ? (payload as { status?: unknown }).status : undefined;
  return typeof status === 'number' && (status === 0 || status >= 400);
}

/**
 * When a `$network` request was sent, ms since 1970: its `startedAt`, never after its event
 * (stamped when the request ended; a host's transform can set anything), and the event's own
 * time when it has none. Where the inspector row and the timeline marker of a request both
 * seek, as in DevTools.
 */
export function requestStartedAt(payload: unknown, eventTimestamp: number): number {
  const startedAt =
    typeof payload === 'object' && payload !== null
      ? (payload as { startedAt?: unknown }).startedAt
      : undefined;
  return typeof startedAt === 'number' && Number.isFinite(startedAt)
    ? Math.min(startedAt, eventTimestamp)
    : eventTimestamp;
}
