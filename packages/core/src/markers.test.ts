import { describe, expect, it } from 'vitest';
import { ReservedEvent } from './custom-events';
import { EventType, type RecordedEvent } from './events';
import { deriveMarkers, MARKER_LABEL_MAX_LENGTH, markerPriority } from './markers';

function custom(tag: string, payload: unknown, timestamp: number): RecordedEvent {
  return { type: EventType.Custom, data: { tag, payload }, timestamp };
}

function meta(href: string, timestamp: number): RecordedEvent {
  return { type: EventType.Meta, data: { href, width: 800, height: 600 }, timestamp };
}

describe('deriveMarkers', () => {
  it('derives one marker per kind the player shows', () => {
    const events = [
      custom(ReservedEvent.Navigation, { kind: 'load', url: 'https://shop.test/' }, 1),
      custom(ReservedEvent.Navigation, { kind: 'pushState', url: 'https://shop.test/cart' }, 2),
      custom('checkout_error', { code: 42 }, 3),
      custom(ReservedEvent.Error, { message: 'Boom', kind: 'error' }, 4),
      custom(ReservedEvent.Console, { level: 'error', args: ['bad', 'thing'] }, 5),
      custom(ReservedEvent.RageClick, { x: 1, y: 2, selector: 'button.pay', clicks: 4 }, 6),
      custom(ReservedEvent.DeadClick, { x: 1, y: 2, selector: 'a.help' }, 7),
      custom(ReservedEvent.Network, { method: 'POST', url: '/api/pay', status: 500 }, 8),
      custom(ReservedEvent.Network, { method: 'GET', url: '/api/x', status: 0, error: 'aborted' }, 9),
      custom(ReservedEvent.Identify, { userId: 'u1' }, 10),
    ];
    expect(deriveMarkers(events).map((m) => [m.kind, m.label])).toEqual([
      ['navigation', 'https://shop.test/'],
      ['navigation', 'https://shop.test/cart'],
      ['custom', 'checkout_error'],
      ['error', 'Boom'],
      ['console_error', 'bad thing'],
      ['rage_click', 'Rage click ×4 on button.pay'],
      ['dead_click', 'Dead click on a.help'],
      ['network_error', 'POST /api/pay 500'],
      ['network_error', 'GET /api/x aborted'],
      ['identify', 'Identified as u1'],
    ]);
  });

  it('skips what is not a point of interest', () => {
    const events = [
      meta('https://shop.test/a', 1),
      meta('https://shop.test/b', 2),
      custom(ReservedEvent.Console, { level: 'warn', args: ['meh'] }, 3),
      custom(ReservedEvent.Network, { method: 'GET', url: '/ok', status: 200 }, 4),
      custom(ReservedEvent.Network, { method: 'GET', url: '/redirect', status: 399 }, 5),
      custom('$future_kind', {}, 7),
      { type: EventType.Custom, data: { tag: 3 }, timestamp: 8 },
    ];
    expect(deriveMarkers(events)).toEqual([]);
  });

  it('marks a recording gap where the recorder dropped data, saying how much and why', () => {
    const markers = deriveMarkers([
      custom(ReservedEvent.Dropped, { reason: 'buffer_full', count: 12, bytes: 40_000 }, 1),
      custom(ReservedEvent.Dropped, { reason: 'persist_full', count: 1 }, 2),
      custom(ReservedEvent.Dropped, { reason: 'event_too_large', count: 1, eventType: 2 }, 3),
      custom(ReservedEvent.Dropped, { reason: 'batch_rejected', count: 30 }, 4),
      custom(ReservedEvent.Dropped, { reason: 'unserialisable: TypeError: cyclic', count: 1 }, 5),
      custom(ReservedEvent.Dropped, { reason: 'toString' }, 6),
      custom(ReservedEvent.Dropped, { reason: 'console_cap', count: 1 }, 7),
    ]);
    expect(markers.map((m) => [m.kind, m.label])).toEqual([
      ['dropped', 'Recording gap: 12 events lost (recorder memory full)'],
      ['dropped', 'Recording gap: 1 event lost (offline storage full)'],
      ['dropped', 'Recording gap: 1 event lost (event too large)'],
      ['dropped', 'Recording gap: 30 events lost (batch refused by the server)'],
      ['dropped', 'Recording gap: 1 event lost (unserialisable: TypeError: cyclic)'],
      ['dropped', 'Recording gap: events lost (toString)'],
      ['dropped', 'Console cap reached: later console messages were not recorded'],
    ]);
    expect(markers[0]?.payload).toEqual({ reason: 'buffer_full', count: 12, bytes: 40_000 });
  });

  it('places a failed request’s marker when it was sent, never after its event', () => {
    const markers = deriveMarkers([
      custom(ReservedEvent.Network, { method: 'GET', url: '/slow', status: 504, startedAt: 1_000 }, 31_000),
      custom(ReservedEvent.Network, { method: 'GET', url: '/odd', status: 500, startedAt: 50_000 }, 40_000),
      custom(ReservedEvent.Network, { method: 'GET', url: '/bare', status: 0 }, 45_000),
    ]);
    expect(markers.map((m) => [m.label, m.timestamp])).toEqual([
      ['GET /slow 504', 1_000],
      ['GET /odd 500', 40_000],
      ['GET /bare failed', 45_000],
    ]);
    // When it ended, for a request sent earlier: a timeline that starts between the two shows it.
    expect(markers.map((m) => m.endedAt)).toEqual([31_000, undefined, undefined]);
  });

  it('counts 400 as a failed request', () => {
    const markers = deriveMarkers([
      custom(ReservedEvent.Network, { method: 'GET', url: '/x', status: 400 }, 1),
    ]);
    expect(markers.map((m) => m.kind)).toEqual(['network_error']);
  });

  it('sorts by time and keeps ids stable from the event index, with the prefix', () => {
    const events = [custom('late', null, 20), custom('early', null, 10), custom('tie', null, 10)];
    const markers = deriveMarkers(events, { idPrefix: 'b7:', windowId: 'w1' });
    expect(markers.map((m) => [m.id, m.label, m.windowId])).toEqual([
      ['b7:1', 'early', 'w1'],
      ['b7:2', 'tie', 'w1'],
      ['b7:0', 'late', 'w1'],
    ]);
  });

  it('gives batch-by-batch derivation the same markers as whole-session derivation', () => {
    const batchA = [custom('a', null, 1), custom(ReservedEvent.Error, { message: 'x', kind: 'error' }, 2)];
    const batchB = [custom(ReservedEvent.Navigation, { kind: 'pushState', url: '/b' }, 3)];
    const perBatch = [
      ...deriveMarkers(batchA, { idPrefix: 'a:' }),
      ...deriveMarkers(batchB, { idPrefix: 'b:' }),
    ];
    const whole = deriveMarkers([...batchA, ...batchB]);
    expect(perBatch.map((m) => [m.kind, m.label, m.timestamp])).toEqual(
      whole.map((m) => [m.kind, m.label, m.timestamp]),
    );
    expect(new Set(perBatch.map((m) => m.id)).size).toBe(perBatch.length);
  });

  it('cuts long labels and tolerates odd payloads', () => {
    const long = 'x'.repeat(500);
    const [error, nav, consoleError] = deriveMarkers([
      custom(ReservedEvent.Error, { message: long }, 1),
      custom(ReservedEvent.Navigation, null, 2),
      custom(ReservedEvent.Console, { level: 'error', args: 'not an array' }, 3),
    ]);
    expect(error?.label).toHaveLength(MARKER_LABEL_MAX_LENGTH);
    expect(error?.label.endsWith('…')).toBe(true);
    expect(nav?.label).toBe('Navigation');
    expect(consoleError?.label).toBe('console.error');
  });

  it('cuts a long label before an emoji rather than between its halves', () => {
    const message = `${'x'.repeat(MARKER_LABEL_MAX_LENGTH - 2)}😀 and more`;
    const [error] = deriveMarkers([custom(ReservedEvent.Error, { message }, 1)]);
    expect(error?.label).toBe(`${'x'.repeat(MARKER_LABEL_MAX_LENGTH - 2)}…`);
  });

  it('leaves out a payload over maxPayloadLength and says so', () => {
    const small = { id: 'x'.repeat(10) };
    const large = { text: 'x'.repeat(100) };
    const markers = deriveMarkers([custom('small', small, 1), custom('large', large, 2)], {
      maxPayloadLength: 50,
    });
    expect(markers).toEqual([
      { id: '0', kind: 'custom', label: 'small', timestamp: 1, payload: small },
      { id: '1', kind: 'custom', label: 'large', timestamp: 2, payloadOmitted: true },
    ]);
    // Without the option every payload is kept.
    expect(deriveMarkers([custom('large', large, 2)])[0]?.payload).toBe(large);
  });

  it('keeps the most important markers past maxMarkers, then the earliest, in time order', () => {
    const events = [
      custom(ReservedEvent.Navigation, { url: '/a' }, 1),
      custom('late', {}, 9),
      custom(ReservedEvent.Error, { message: 'boom' }, 8),
      custom('early', {}, 2),
      custom(ReservedEvent.RageClick, { clicks: 4 }, 3),
    ];
    const markers = deriveMarkers(events, { maxMarkers: 3 });
    expect(markers.map((marker) => [marker.id, marker.kind])).toEqual([
      ['3', 'custom'],
      ['2', 'error'],
      ['1', 'custom'],
    ]);
  });

  it('ranks errors and custom events above the rest', () => {
    expect(markerPriority('error')).toBeLessThan(markerPriority('navigation'));
    expect(markerPriority('custom')).toBeLessThan(markerPriority('rage_click'));
  });
});
