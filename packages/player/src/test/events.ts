import { EventType, IncrementalSource, type RecordedEvent } from '@replaykit/core';

// Small hand-made rrweb events for unit tests; the browser tests use a real recording.

export function meta(timestamp: number, href = 'https://shop.test/checkout'): RecordedEvent {
  return { type: EventType.Meta, timestamp, data: { href, width: 800, height: 600 } };
}

/** A full snapshot of a document (id 1) holding `childNodes` (serialized nodes). */
export function fullSnapshot(timestamp: number, childNodes: unknown[] = []): RecordedEvent {
  return {
    type: EventType.FullSnapshot,
    timestamp,
    data: { node: { type: 0, childNodes, id: 1 }, initialOffset: { top: 0, left: 0 } },
  };
}

export function mutation(timestamp: number): RecordedEvent {
  return {
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.Mutation, texts: [], attributes: [], removes: [], adds: [] },
  };
}

export function custom(timestamp: number, tag: string, payload: unknown = {}): RecordedEvent {
  return { type: EventType.Custom, timestamp, data: { tag, payload } };
}
