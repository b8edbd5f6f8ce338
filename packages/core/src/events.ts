/**
 * rrweb's event types, restated here so that `@replaykit/core` has no rrweb dependency.
 * The numbers are rrweb's wire values and must never change.
 */
export const EventType = {
  DomContentLoaded: 0,
  Load: 1,
  FullSnapshot: 2,
  IncrementalSnapshot: 3,
  Meta: 4,
  Custom: 5,
  Plugin: 6,
} as const;

export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

/** rrweb's incremental snapshot sources (the `data.source` of an IncrementalSnapshot). */
export const IncrementalSource = {
  Mutation: 0,
  MouseMove: 1,
  MouseInteraction: 2,
  Scroll: 3,
  ViewportResize: 4,
  Input: 5,
  TouchMove: 6,
  MediaInteraction: 7,
  StyleSheetRule: 8,
  CanvasMutation: 9,
  Font: 10,
  Log: 11,
  Drag: 12,
  StyleDeclaration: 13,
  Selection: 14,
  AdoptedStyleSheet: 15,
  CustomElement: 16,
} as const;

/** rrweb's mouse interaction kinds (the `data.type` of a MouseInteraction). */
export const MouseInteraction = {
  MouseUp: 0,
  MouseDown: 1,
  Click: 2,
  ContextMenu: 3,
  DblClick: 4,
  Focus: 5,
  Blur: 6,
  TouchStart: 7,
  TouchMove_Departed: 8,
  TouchEnd: 9,
  TouchCancel: 10,
} as const;

/**
 * One recorded event as it travels on the wire. It is rrweb's `eventWithTime`, typed
 * loosely on purpose: recorded data is untrusted input wherever it is read.
 */
export interface RecordedEvent {
  type: number;
  data: unknown;
  timestamp: number;
}

/** The payload of a custom event (rrweb `type: 5`). */
export interface CustomEventData {
  tag: string;
  payload: unknown;
}

/** The payload of a Meta event (rrweb `type: 4`). */
export interface MetaEventData {
  href: string;
  width: number;
  height: number;
}

// The values the checks below need, as plain constants: bundlers inline these, while a
// property read on the objects above keeps the whole object in every browser bundle.
const INCREMENTAL_SNAPSHOT = 3;
const META = 4;
const CUSTOM = 5;

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Narrows an event to a custom event with a string tag. */
export function isCustomEvent(event: RecordedEvent): event is RecordedEvent & { data: CustomEventData } {
  return event.type === CUSTOM && isRecord(event.data) && typeof event.data.tag === 'string';
}

/** Narrows an event to a Meta event with an href. */
export function isMetaEvent(event: RecordedEvent): event is RecordedEvent & { data: MetaEventData } {
  return event.type === META && isRecord(event.data) && typeof event.data.href === 'string';
}

/** True for an IncrementalSnapshot whose source is the one given. */
export function isIncremental(event: RecordedEvent, source: number): boolean {
  return event.type === INCREMENTAL_SNAPSHOT && isRecord(event.data) && event.data.source === source;
}

/** True for a click recorded by rrweb (a MouseInteraction of type Click). */
export function isClick(event: RecordedEvent): boolean {
  return (
    isIncremental(event, IncrementalSource.MouseInteraction) &&
    isRecord(event.data) &&
    event.data.type === MouseInteraction.Click
  );
}

/** Incremental sources that mean a person is using the page: pointer, input, scroll, touch. */
const USER_ACTIVITY_SOURCES: ReadonlySet<number> = new Set([
  2, // IncrementalSource.MouseInteraction
  5, // IncrementalSource.Input
  3, // IncrementalSource.Scroll
  6, // IncrementalSource.TouchMove
  1, // IncrementalSource.MouseMove
]);

/**
 * True for events that show a person using the page. The one rule behind a session's
 * active time (server) and the recorder's idle and rotation clocks.
 */
export function isUserActivity(event: RecordedEvent): boolean {
  return (
    event.type === INCREMENTAL_SNAPSHOT &&
    isRecord(event.data) &&
    typeof event.data.source === 'number' &&
    USER_ACTIVITY_SOURCES.has(event.data.source)
  );
}
