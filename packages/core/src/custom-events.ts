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
  /** Data that replaykit dropped on purpose (too large, over a cap): payload `{ reason, ... }`. */
  Dropped: '$dropped',
} as const;

export type ReservedEventName = (typeof ReservedEvent)[keyof typeof ReservedEvent];

/** Longest custom event name accepted, in characters. */
export const EVENT_NAME_MAX_LENGTH = 200;

/** Payload of a `$identify` event. */
export interface IdentifyPayload {
  userId: string;
  traits?: Record<string, unknown>;
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
