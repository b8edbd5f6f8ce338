import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeWireDeltas, encodeWireDeltas, WIRE_DELTA_PREFIX } from './wire-deltas';

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

describe('wire format 2 (delta-encoded numbers)', () => {
  it('gives back exactly the recorded text, and is much smaller once gzipped', () => {
    const text = body(Array.from({ length: 150 }, (_, frame) => mutation(frame)));
    const encoded = encodeWireDeltas(text);
    expect(encoded.startsWith(WIRE_DELTA_PREFIX)).toBe(true);
    expect(encoded).toContain('"id":1}');
    expect(decodeWireDeltas(encoded)).toBe(text);
    expect(gzipSync(encoded).length).toBeLessThan(gzipSync(text).length * 0.8);
  });

  it('writes each number as the difference to the one before under the same key', () => {
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
    ]);
    expect(encodeWireDeltas(text)).toBe(
      '{"v":2,"sessionId":"s-1","windowId":"w-1","seq":3,"events":[' +
        '{"type":3,"data":{"source":2,"type":2,"id":40,"x":10,"y":20},"timestamp":1000},' +
        '{"type":3,"data":{"source":2,"type":2,"id":-2,"x":12.5,"y":6},"timestamp":16},' +
        '{"type":3,"data":{"source":1,"positions":[{"x":4,"y":4,"id":0,"timeOffset":-40},{"x":3,"y":3,"id":0,"timeOffset":20}]},"timestamp":54}]}',
    );
  });

  it('leaves fractions, exponents and string contents as they are', () => {
    const text = body([
      {
        type: 5,
        data: {
          tag: 'note',
          payload: {
            text: '{"id":5,"timestamp":7}',
            'odd"id': 9,
            quoted: 'say \\"id\\":3,',
            id: 2.5,
            parentId: 1e21,
            nextId: -4,
            list: [{ id: 7 }, { id: 8 }],
          },
        },
        timestamp: 1_700_000_000_000,
      },
    ]);
    const encoded = encodeWireDeltas(text);
    expect(encoded).toContain('"id":2.5');
    expect(encoded).toContain('"parentId":1e+21');
    expect(encoded).toContain('{\\"id\\":5,\\"timestamp\\":7}');
    // A key that merely ends in `"id` matches as `id` too: harmless, both sides see the same text.
    expect(encoded).toContain('"odd\\"id":9');
    expect(encoded).toContain('[{"id":-2},{"id":1}]');
    expect(decodeWireDeltas(encoded)).toBe(text);
  });

  it('round-trips any JSON the recorder could write', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const keys = ['id', 'parentId', 'nextId', 'timestamp', 'x', 'ids', 'id"', '"id', 'a'];
    const strings = ['"id":1,', '\\', '\\"id\\":2}', '"timestamp":', ']', '}', 'é', ''];
    const value = (depth: number): unknown => {
      const roll = random();
      if (depth > 3 || roll < 0.3) {
        return Math.floor(random() * 2e12) - 1e6;
      }
      if (roll < 0.4) {
        return random() * 100;
      }
      if (roll < 0.5) {
        return strings[Math.floor(random() * strings.length)];
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
      const text = body(Array.from({ length: 1 + Math.floor(random() * 5) }, () => value(0)));
      const encoded = encodeWireDeltas(text);
      expect(encoded.startsWith(WIRE_DELTA_PREFIX)).toBe(true);
      expect(decodeWireDeltas(encoded)).toBe(text);
    }
  });

  it('keeps format 1 when a number is too long to subtract exactly, and leaves other texts alone', () => {
    const huge = body([{ type: 3, data: { source: 3, id: 1_234_567_890_123_456 }, timestamp: 1 }]);
    expect(encodeWireDeltas(huge)).toBe(huge);
    expect(encodeWireDeltas('{"seq":1,"v":1}')).toBe('{"seq":1,"v":1}');
    expect(decodeWireDeltas('{"v":1,"id":5}')).toBe('{"v":1,"id":5}');
    expect(decodeWireDeltas('not json')).toBe('not json');
  });
});
