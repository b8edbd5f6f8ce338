import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeWireDeltas, parseWireBody, restoreWireTimestamps } from './wire-deltas';

const body = (events: unknown[]) =>
  JSON.stringify({ v: 1, sessionId: 's-1', windowId: 'w-1', seq: 3, events });

/** A frame of a list growing by 40 items: ids, parents and siblings that count up. */
function mutation(frame: number) {
  const base = 100 + frame * 40;
  return {
    type: 3,
    data: {
      source: 0,
      texts: [{ id: base - 3, value: `frame ${frame}` }],
      attributes: [{ id: base - 7, attributes: { class: `item c${frame % 9}` } }],
      removes: [{ parentId: 17, id: base - 40 }],
      adds: Array.from({ length: 40 }, (_, index) => ({
        parentId: 17,
        nextId: index === 0 ? null : base + index - 1,
        node: {
          type: 2,
          tagName: 'li',
          attributes: { class: `item c${(frame * 7 + index) % 9}` },
          childNodes: [],
          id: base + index,
        },
      })),
    },
    timestamp: 1_795_749_677_691 + frame * 16,
  };
}

describe('wire format 2 (numbers as differences)', () => {
  it('gives back exactly the recorded events, and is much smaller once gzipped', () => {
    const text = body(Array.from({ length: 150 }, (_, frame) => mutation(frame)));
    const encoded = encodeWireDeltas(text);
    expect(encoded.startsWith('{"v":2,')).toBe(true);
    expect(encoded).toContain('"id":1}');
    expect(parseWireBody(encoded)).toEqual(JSON.parse(text));
    expect(gzipSync(encoded).length).toBeLessThan(gzipSync(text).length * 0.8);
  });

  it('writes timestamps, and ids and coordinates inside snapshot data, as differences', () => {
    const text = body([
      { type: 3, data: { source: 2, type: 2, id: 40, x: 10, y: 20 }, timestamp: 1_000 },
      { type: 3, data: { source: 2, type: 2, id: 38, x: 12.5, y: 26 }, timestamp: 1_016 },
      {
        type: 3,
        data: {
          source: 1,
          positions: [
            { x: 14, y: 30, id: 38, timeOffset: -40 },
            { x: 17, y: 33, id: 38, timeOffset: -20 },
          ],
        },
        timestamp: 1_070,
      },
      { type: 5, data: { tag: '$rage_click', payload: { x: 17, y: 33, id: 4 } }, timestamp: 1_071 },
      { type: 4, data: { href: 'https://shop.test/', width: 1280, height: 720 }, timestamp: 1_071.5 },
    ]);
    expect(encodeWireDeltas(text)).toBe(
      '{"v":2,"sessionId":"s-1","windowId":"w-1","seq":3,"events":[' +
        '{"type":3,"data":{"source":2,"type":2,"id":40,"x":10,"y":20},"timestamp":1000},' +
        '{"type":3,"data":{"source":2,"type":2,"id":-2,"x":12.5,"y":6},"timestamp":16},' +
        '{"type":3,"data":{"source":1,"positions":[{"x":4,"y":4,"id":0,"timeOffset":-40},{"x":3,"y":3,"id":0,"timeOffset":20}]},"timestamp":54},' +
        // Custom events and meta keep their numbers (a fractional timestamp too).
        '{"type":5,"data":{"tag":"$rage_click","payload":{"x":17,"y":33,"id":4}},"timestamp":1},' +
        '{"type":4,"data":{"href":"https://shop.test/","width":1280,"height":720},"timestamp":1071.5}]}',
    );
  });

  it('restores the timestamps alone, which is all ingest needs', () => {
    const batch = JSON.parse(encodeWireDeltas(body([mutation(0), mutation(1), mutation(2)]))) as {
      events: Array<{ timestamp: number }>;
    };
    restoreWireTimestamps(batch);
    const { events } = batch;
    expect(events.map((event) => event.timestamp)).toEqual(
      [0, 1, 2].map((frame) => 1_795_749_677_691 + frame * 16),
    );
  });

  it('round-trips any batch the recorder could write, property order included', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    // Integer-like keys come first in JavaScript's property order: both sides walk that order.
    const keys = [
      'id',
      'parentId',
      'nextId',
      'timeOffset',
      'x',
      'y',
      'timestamp',
      '1',
      '0',
      'a',
      '__proto__',
    ];
    const value = (depth: number): unknown => {
      const roll = random();
      if (depth > 3 || roll < 0.3) {
        return Math.floor(random() * 2e12) - 1e6;
      }
      if (roll < 0.4) {
        return random() * 100;
      }
      if (roll < 0.5) {
        return ['"id":1,', '\\', 'é', ''][Math.floor(random() * 4)];
      }
      if (roll < 0.55) {
        return null;
      }
      if (roll < 0.75) {
        return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      }
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 5) }, () => [
          keys[Math.floor(random() * keys.length)],
          value(depth + 1),
        ]),
      );
    };
    for (let round = 0; round < 500; round++) {
      const events = Array.from({ length: 1 + Math.floor(random() * 5) }, () => ({
        type: Math.floor(random() * 7),
        data: value(0),
        timestamp: random() < 0.9 ? 1_700_000_000_000 + Math.floor(random() * 1e6) : random(),
      }));
      const text = body(events);
      const encoded = encodeWireDeltas(text);
      expect(encoded.startsWith('{"v":2,')).toBe(true);
      expect(JSON.stringify(parseWireBody(encoded))).toBe(text);
    }
  });

  it('keeps format 1 when a number is too large to subtract exactly or the batch too deep to walk, and reads format 1 as it is', () => {
    const huge = body([{ type: 3, data: { source: 3, id: 1e13 }, timestamp: 1 }]);
    expect(encodeWireDeltas(huge)).toBe(huge);
    // Just below the bound, the widest differences still come back exact.
    const edge = body([
      { type: 3, data: { source: 3, id: 1 - 1e13, x: 1e13 - 1 }, timestamp: 1 },
      { type: 3, data: { source: 3, id: 1e13 - 1, x: 1 - 1e13 }, timestamp: 1e13 - 1 },
    ]);
    expect(encodeWireDeltas(edge)).toContain('"id":19999999999998');
    expect(JSON.stringify(parseWireBody(encodeWireDeltas(edge)))).toBe(edge);
    // Nested deeper than a walk can go: sent as written rather than lost.
    const deep = body([{ type: 3, data: 'DEEP', timestamp: 1 }]).replace(
      '"DEEP"',
      `${'['.repeat(200_000)}${']'.repeat(200_000)}`,
    );
    expect(encodeWireDeltas(deep)).toBe(deep);
    const plain = body([mutation(0)]);
    expect(parseWireBody(plain)).toEqual(JSON.parse(plain));
  });
});
