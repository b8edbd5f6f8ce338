import { isFailedRequest, ReservedEvent, requestStartedAt } from './custom-events';
import { isCustomEvent, type RecordedEvent } from './events';
import { truncateText } from './text';

/** What a timeline marker stands for; drives its colour and its priority when markers crowd. */
export type MarkerKind =
  | 'custom'
  | 'error'
  | 'console_error'
  | 'navigation'
  | 'rage_click'
  | 'dead_click'
  | 'network_error'
  | 'identify'
  | 'dropped';

/** Every marker kind, most important first (the order in which crowded markers are kept). */
export const MARKER_KINDS: readonly MarkerKind[] = [
  'error',
  'custom',
  'dropped',
  'console_error',
  'network_error',
  'rage_click',
  'dead_click',
  'navigation',
  'identify',
];

/** Priority of a marker kind when markers crowd: lower wins. */
export function markerPriority(kind: MarkerKind): number {
  return MARKER_KINDS.indexOf(kind);
}

/** A point of interest on the replay timeline. */
export interface TimelineMarker {
  /** Unique within one session: `idPrefix` plus the index of the event it was derived from. */
  id: string;
  kind: MarkerKind;
  /** Short text for the tooltip, e.g. the custom event's name. */
  label: string;
  /** Wall-clock time of the event, in ms since 1970; for a failed request, when it was sent. */
  timestamp: number;
  /**
   * For a failed request sent before its event: when it ended (its event's time). A request
   * sent before a recording began and failing within it belongs to that recording, though its
   * `timestamp` lies before it.
   */
  endedAt?: number;
  /** The tab (window id) the event was recorded in, when the caller knows it. */
  windowId?: string;
  /** The event's payload, for the tooltip and the inspector. */
  payload?: unknown;
  /**
   * Set when the payload was left out for its size ({@link DeriveMarkersOptions.maxPayloadLength}):
   * the event itself, in the session's chunks, still has it.
   */
  payloadOmitted?: true;
}

/** Options of {@link deriveMarkers}. */
export interface DeriveMarkersOptions {
  /** Prepended to every marker id, so that markers derived batch by batch stay unique. */
  idPrefix?: string;
  /** Stamped on every marker: the tab these events were recorded in. */
  windowId?: string;
  /**
   * Longest payload kept, in characters of JSON; a longer one is left out and the marker
   * says so (`payloadOmitted`). Default: no limit.
   */
  maxPayloadLength?: number;
  /**
   * Most markers returned; past it the most important are kept (by {@link markerPriority},
   * then the earliest). Default: no limit.
   */
  maxMarkers?: number;
}

/** Longest marker label, in characters; longer labels are cut with an ellipsis. */
export const MARKER_LABEL_MAX_LENGTH = 120;

function payloadField(payload: unknown, field: string): unknown {
  if (typeof payload === 'object' && payload !== null && field in payload) {
    return (payload as Record<string, unknown>)[field];
  }
  return undefined;
}

function stringField(payload: unknown, field: string): string | undefined {
  const value = payloadField(payload, field);
  return typeof value === 'string' ? value : undefined;
}

function cut(label: string): string {
  return truncateText(label, MARKER_LABEL_MAX_LENGTH);
}

/** What each reason the recorder gives in a `$dropped` event means, as a reviewer reads it. */
const DROPPED_REASONS: ReadonlyMap<string, string> = new Map([
  ['buffer_full', 'recorder memory full'],
  ['persist_full', 'offline storage full'],
  ['event_too_large', 'event too large'],
  ['event_rejected', 'event refused by the server'],
  ['batch_rejected', 'batch refused by the server'],
]);

/**
 * The label of a `$dropped` event: that the replay is incomplete there, how much is missing
 * and why, e.g. "Recording gap: 12 events lost (recorder memory full)". The console cap is no
 * gap in the replay itself, only in its console.
 */
export function droppedLabel(payload: unknown): string {
  const reason = stringField(payload, 'reason') ?? '';
  const count = payloadField(payload, 'count');
  if (reason === 'console_cap') {
    return 'Console cap reached: later console messages were not recorded';
  }
  const lost =
    typeof count === 'number' && Number.isFinite(count) && count > 0
      ? `${count} ${count === 1 ? 'event' : 'events'} lost`
      : 'events lost';
  // An unknown reason (a newer recorder's, or `unserialisable: …`) is shown as given.
  const why = DROPPED_REASONS.get(reason) ?? reason;
  return `Recording gap: ${lost}${why === '' ? '' : ` (${why})`}`;
}

/**
 * The label of a rage or dead click marker, e.g. "Rage click ×3 on button.pay": on `target`
 * (what was clicked, as the player names it from the recorded page) when given, else on the
 * selector the recorder sent.
 */
export function clickMarkerLabel(
  kind: 'rage_click' | 'dead_click',
  payload: unknown,
  target?: string,
): string {
  const on = target ?? stringField(payload, 'selector');
  if (kind === 'dead_click') {
    return cut(`Dead click${on ? ` on ${on}` : ''}`);
  }
  const clicks = payloadField(payload, 'clicks');
  const times = typeof clicks === 'number' ? ` ×${clicks}` : '';
  return cut(`Rage click${times}${on ? ` on ${on}` : ''}`);
}

function describe(tag: string, payload: unknown): { kind: MarkerKind; label: string } | undefined {
  switch (tag) {
    case ReservedEvent.Error:
      return { kind: 'error', label: stringField(payload, 'message') ?? 'Error' };
    case ReservedEvent.Console: {
      if (payloadField(payload, 'level') !== 'error') {
        return undefined;
      }
      const args = payloadField(payload, 'args');
      const text = Array.isArray(args) ? args.filter((a) => typeof a === 'string').join(' ') : '';
      return { kind: 'console_error', label: text === '' ? 'console.error' : text };
    }
    case ReservedEvent.Navigation:
      return { kind: 'navigation', label: stringField(payload, 'url') ?? 'Navigation' };
    case ReservedEvent.RageClick:
      return { kind: 'rage_click', label: clickMarkerLabel('rage_click', payload) };
    case ReservedEvent.DeadClick:
      return { kind: 'dead_click', label: clickMarkerLabel('dead_click', payload) };
    case ReservedEvent.Network: {
      if (!isFailedRequest(payload)) {
        return undefined;
      }
      const status = payloadField(payload, 'status') as number;
      const method = stringField(payload, 'method') ?? 'GET';
      const url = stringField(payload, 'url') ?? '';
      const outcome = status === 0 ? (stringField(payload, 'error') ?? 'failed') : String(status);
      return { kind: 'network_error', label: `${method} ${url} ${outcome}` };
    }
    case ReservedEvent.Identify: {
      const userId = stringField(payload, 'userId');
      return { kind: 'identify', label: userId ? `Identified as ${userId}` : 'Identified' };
    }
    case ReservedEvent.Dropped:
      return { kind: 'dropped', label: droppedLabel(payload) };
    default:
      // Other reserved events (future kinds) are not timeline markers.
      return tag.startsWith('$') ? undefined : { kind: 'custom', label: tag };
  }
}

/**
 * Derives the timeline markers of some events: custom events, errors, console errors,
 * navigations (page loads and SPA navigations, from `$navigation`), rage and dead clicks,
 * failed requests (status 0 or ≥ 400), identify calls and recording gaps (`$dropped`: data
 * the recorder had to lose). Each marker depends on its own
 * event only, so a session's markers are the concatenation of its batches' markers (give
 * each batch its own `idPrefix`). Events need not be sorted; markers come out sorted by time.
 */
export function deriveMarkers(
  events: readonly RecordedEvent[],
  options: DeriveMarkersOptions = {},
): TimelineMarker[] {
  const { idPrefix = '', maxPayloadLength, maxMarkers } = options;
  const markers: { marker: TimelineMarker; index: number }[] = [];
  events.forEach((event, index) => {
    if (!isCustomEvent(event)) {
      return;
    }
    const { tag, payload } = event.data;
    const described = describe(tag, payload);
    if (described === undefined) {
      return;
    }
    // A request's event is stamped as it ends; its marker stands where its inspector row
    // does, at the moment it was sent, so clicking either lands at the same time.
    const timestamp =
      tag === ReservedEvent.Network ? requestStartedAt(payload, event.timestamp) : event.timestamp;
    const marker: TimelineMarker = {
      id: `${idPrefix}${index}`,
      kind: described.kind,
      label: cut(described.label),
      timestamp,
    };
    if (timestamp !== event.timestamp) {
      marker.endedAt = event.timestamp;
    }
    if (maxPayloadLength !== undefined && (JSON.stringify(payload)?.length ?? 0) > maxPayloadLength) {
      marker.payloadOmitted = true;
    } else {
      marker.payload = payload;
    }
    if (options.windowId !== undefined) {
      marker.windowId = options.windowId;
    }
    markers.push({ marker, index });
  });
  const byTime = (a: (typeof markers)[number], b: (typeof markers)[number]) =>
    a.marker.timestamp - b.marker.timestamp || a.index - b.index;
  if (maxMarkers !== undefined && markers.length > maxMarkers) {
    markers.sort((a, b) => markerPriority(a.marker.kind) - markerPriority(b.marker.kind) || byTime(a, b));
    markers.length = maxMarkers;
  }
  markers.sort(byTime);
  return markers.map(({ marker }) => marker);
}
