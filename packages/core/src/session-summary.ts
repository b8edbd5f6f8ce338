import { ReservedEvent } from './custom-events';
import { EventType, isClick, isCustomEvent, isMetaEvent, type RecordedEvent } from './events';

/** Most distinct URLs and custom event names kept per session summary. */
export const SUMMARY_LIST_MAX = 50;

/** Metadata of one session, computed from its events as they are ingested. */
export interface SessionSummary {
  id: string;
  /** First and last event time, ms since 1970. */
  startedAt: number;
  endedAt: number;
  durationMs: number;
  eventCount: number;
  /** Bytes received for this session (compressed, as sent). */
  byteCount: number;
  firstUrl: string | null;
  userId: string | null;
  clickCount: number;
  errorCount: number;
  /** Distinct custom event names, in order of first appearance (capped). */
  customEventNames: string[];
  /** Window (tab) ids that sent batches for this session. */
  windowIds: string[];
  /** True once a FullSnapshot has arrived: without one, nothing can be replayed. */
  hasFullSnapshot: boolean;
}

/** The part of a summary that one batch contributes; the store merges these. */
export interface BatchSummary {
  startedAt: number;
  endedAt: number;
  eventCount: number;
  firstUrl: string | null;
  /** Time of the event that gave `firstUrl`, so the earliest wins when batches arrive out of order. */
  firstUrlAt: number | null;
  userId: string | null;
  clickCount: number;
  errorCount: number;
  customEventNames: string[];
  hasFullSnapshot: boolean;
}

/** Summarises the events of one batch. The batch must hold at least one event. */
export function summarizeBatch(events: readonly RecordedEvent[]): BatchSummary {
  let startedAt = Number.POSITIVE_INFINITY;
  let endedAt = Number.NEGATIVE_INFINITY;
  let firstUrl: string | null = null;
  let firstUrlAt: number | null = null;
  let userId: string | null = null;
  let userIdAt = Number.NEGATIVE_INFINITY;
  let clickCount = 0;
  let errorCount = 0;
  let hasFullSnapshot = false;
  const names: string[] = [];
  for (const event of events) {
    startedAt = Math.min(startedAt, event.timestamp);
    endedAt = Math.max(endedAt, event.timestamp);
    if (event.type === EventType.FullSnapshot) {
      hasFullSnapshot = true;
    } else if (isMetaEvent(event)) {
      if (firstUrlAt === null || event.timestamp < firstUrlAt) {
        firstUrl = event.data.href;
        firstUrlAt = event.timestamp;
      }
    } else if (isClick(event)) {
      clickCount++;
    } else if (isCustomEvent(event)) {
      const { tag, payload } = event.data;
      if (tag === ReservedEvent.Error) {
        errorCount++;
      } else if (tag === ReservedEvent.Identify) {
        const id = (payload as { userId?: unknown } | null)?.userId;
        if (typeof id === 'string' && event.timestamp >= userIdAt) {
          userId = id;
          userIdAt = event.timestamp;
        }
      } else if (!tag.startsWith('$') && !names.includes(tag) && names.length < SUMMARY_LIST_MAX) {
        names.push(tag);
      }
    }
  }
  return {
    startedAt,
    endedAt,
    eventCount: events.length,
    firstUrl,
    firstUrlAt,
    userId,
    clickCount,
    errorCount,
    customEventNames: names,
    hasFullSnapshot,
  };
}
