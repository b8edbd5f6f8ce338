import { ReservedEvent } from '@replaykit/core';
import { describe, expect, it } from 'vitest';
import { inspectorItems, urlTailStart } from './inspector-data';
import { custom, fullSnapshot, meta } from './test/events';

describe('inspectorItems', () => {
  it('gives the same row objects for the same events when a streaming recording grows', () => {
    const first = [
      meta(1_000),
      fullSnapshot(1_001),
      custom(1_500, ReservedEvent.Console, { level: 'log', args: ['a'] }),
      custom(2_000, 'add_to_cart'),
    ];
    const before = inspectorItems(first, 1_000);
    const after = inspectorItems(
      [...first, custom(3_000, ReservedEvent.Console, { level: 'warn', args: ['b'] })],
      1_000,
    );
    // The inspector's memoized rows skip rows whose item is the same object.
    expect(after.console[0]).toBe(before.console[0]);
    expect(after.events).toEqual(before.events);
    expect(after.events[0]).toBe(before.events[0]);
    expect(after.console).toHaveLength(2);
    // Another start time (another recording of these events) derives the rows again.
    expect(inspectorItems(first, 500).console[0]).not.toBe(before.console[0]);
    expect(inspectorItems(first, 500).console[0]?.offset).toBe(1_000);
  });
});

describe('inspectorItems network rows', () => {
  const request = (at: number, url: string, startedAt?: unknown) =>
    custom(at, ReservedEvent.Network, { method: 'GET', url, status: 200, startedAt, durationMs: 10 });

  it('places a request at its start, kept between the start of the recording and its own event', () => {
    const rows = inspectorItems(
      [
        meta(1_000),
        fullSnapshot(1_001),
        request(1_200, '/before-recording', 400),
        request(1_300, '/sent', 1_250),
        request(1_400, '/no-start'),
        request(1_500, '/after-its-event', 9_000),
      ],
      1_000,
    ).network;
    expect(rows.map((row) => [row.network?.url, row.offset, row.timestamp])).toEqual([
      ['/before-recording', 0, 1_000],
      ['/sent', 250, 1_250],
      ['/no-start', 400, 1_400],
      ['/after-its-event', 500, 1_500],
    ]);
  });

  it('lists requests in the order they were sent, those sent together in the order they ended', () => {
    const rows = inspectorItems(
      [meta(1_000), request(1_300, '/a', 1_100), request(1_400, '/b', 1_050), request(1_500, '/c', 1_100)],
      1_000,
    ).network;
    expect(rows.map((row) => row.network?.url)).toEqual(['/b', '/a', '/c']);
  });
});

describe('urlTailStart', () => {
  const tail = (url: string) => url.slice(urlTailStart(url));

  it('starts at the last path segment, with its query and fragment', () => {
    expect(tail('https://api.example.com/v1/orders/42/report?page=1&sort=a/b')).toBe(
      'report?page=1&sort=a/b',
    );
    expect(tail('/api/pay#retry')).toBe('pay#retry');
    expect(tail('https://api.example.com/v1/users/')).toBe('users/');
    expect(tail('https://api.example.com/?q=1')).toBe('api.example.com/?q=1');
    expect(tail('pay')).toBe('pay');
    expect(tail('')).toBe('');
  });
});
