import { ReservedEvent } from './custom-events';
import { isCustomEvent, isMetaEvent, type RecordedEvent } from './events';

/** What a timeline marker stands for; drives its colour and its priority when markers crowd. */
export type MarkerKind = 'custom' | 'error' | 'navigation' | 'identify';

/** A point of interest on the replay timeline. */
export interface TimelineMarker {
  /** Stable within one session: the index of the event it was derived from. */
  id: string;
  kind: MarkerKind;
  /** Short text for the tooltip, e.g. the custom event's name. */
  label: string;
  /** Wall-clock time of the event, in ms since 1970. */
  timestamp: number;
  /** The event's payload, for the tooltip and the inspector. */
  payload?: unknown;
}

function payloadField(payload: unknown, field: string): unknown {
  if (typeof payload === 'object' && payload !== null && field in payload) {
    return (payload as Record<string, unknown>)[field];
  }
  return undefined;
}

/**
 * Derives the timeline markers of a session from its events: one per custom event (errors
 * and navigations captured by replaykit get their own kinds) and one per page load after
 * the first. Events need not be sorted; markers come out sorted by time.
 */
export function deriveMarkers(events: readonly RecordedEvent[]): TimelineMarker[] {
  const markers: TimelineMarker[] = [];
  let lastHref: string | undefined;
  const sorted = events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.timestamp - b.event.timestamp || a.index - b.index);
  for (const { event, index } of sorted) {
    if (isMetaEvent(event)) {
      if (lastHref !== undefined && event.data.href !== lastHref) {
        markers.push({
          id: String(index),
          kind: 'navigation',
          label: event.data.href,
          timestamp: event.timestamp,
        });
      }
      lastHref = event.data.href;
      continue;
    }
    if (!isCustomEvent(event)) {
      continue;
    }
    const { tag, payload } = event.data;
    const id = String(index);
    if (tag === ReservedEvent.Error) {
      const message = payloadField(payload, 'message');
      markers.push({
        id,
        kind: 'error',
        label: typeof message === 'string' ? message : 'Error',
        timestamp: event.timestamp,
        payload,
      });
    } else if (tag === ReservedEvent.Navigation) {
      const url = payloadField(payload, 'url');
      lastHref = typeof url === 'string' ? url : lastHref;
      markers.push({
        id,
        kind: 'navigation',
        label: typeof url === 'string' ? url : 'Navigation',
        timestamp: event.timestamp,
        payload,
      });
    } else if (tag === ReservedEvent.Identify) {
      const userId = payloadField(payload, 'userId');
      markers.push({
        id,
        kind: 'identify',
        label: typeof userId === 'string' ? `Identified as ${userId}` : 'Identified',
        timestamp: event.timestamp,
        payload,
      });
    } else if (tag.startsWith('$')) {
      // Other reserved events (drop markers and future kinds) are not timeline markers.
    } else {
      markers.push({ id, kind: 'custom', label: tag, timestamp: event.timestamp, payload });
    }
  }
  return markers;
}
