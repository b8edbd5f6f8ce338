export type {
  SessionChunk,
  SessionEventsResponse,
  SessionListQuery,
  SessionListResponse,
  SessionResponse,
  SessionSort,
} from './api';
export { API_PATHS, parseRetryAfterMs, READ_KEY_HEADER, sessionListSearchParams } from './api';
export type {
  ClickPayload,
  ConsoleLevel,
  ConsolePayload,
  DroppedPayload,
  ErrorPayload,
  IdentifyPayload,
  NavigationPayload,
  NetworkPayload,
  ReservedEventName,
} from './custom-events';
export {
  CONSOLE_LEVELS,
  checkEventName,
  EVENT_NAME_MAX_LENGTH,
  isFailedRequest,
  ReservedEvent,
  requestStartedAt,
} from './custom-events';
export type { CustomEventData, EventTypeValue, MetaEventData, RecordedEvent } from './events';
export {
  EventType,
  IncrementalSource,
  isClick,
  isCustomEvent,
  isIncremental,
  isMetaEvent,
  isRecord,
  isUserActivity,
  MouseInteraction,
} from './events';
export type { DeriveMarkersOptions, MarkerKind, TimelineMarker } from './markers';
export {
  clickMarkerLabel,
  deriveMarkers,
  droppedLabel,
  MARKER_KINDS,
  MARKER_LABEL_MAX_LENGTH,
  markerPriority,
} from './markers';
export { REDACTED, redactUrl, SENSITIVE_QUERY_WORDS } from './redact';
export { createUuidV7 } from './session-id';
export type { ActivityIntervals, BatchSummary, FirstSeenList, SessionSummary } from './session-summary';
export {
  activeMsOf,
  boundUserTraits,
  createFirstSeenList,
  DROPPED_TRAITS_KEY,
  emptySessionSummary,
  INACTIVITY_THRESHOLD_MS,
  mergeActivity,
  SUMMARY_LIST_MAX,
  SUMMARY_URL_MAX_LENGTH,
  SUMMARY_USER_ID_MAX_LENGTH,
  summarizeBatch,
  USER_TRAIT_KEY_MAX_LENGTH,
  USER_TRAIT_VALUE_MAX_LENGTH,
  USER_TRAITS_MAX_KEYS,
} from './session-summary';
export { TRUNCATION_MARKER, truncateText } from './text';
export type { ErrorBody, IngestBatch, IngestResponse } from './wire';
export {
  BATCH_MAX_EVENTS,
  ID_MAX_LENGTH,
  ID_PATTERN,
  INGEST_PATH,
  isValidId,
  SEQ_MAX,
  TIMESTAMP_MAX,
  WIRE_VERSION,
  WIRE_VERSION_DELTAS,
  WRITE_KEY_HEADER,
  WRITE_KEY_QUERY,
} from './wire';
export { encodeWireDeltas, parseWireBody, restoreWireTimestamps } from './wire-deltas';
export type { BatchParseResult } from './wire-schema';
export { ingestBatchSchema, parseBatch, recordedEventSchema } from './wire-schema';
