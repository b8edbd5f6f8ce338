// The scanner is only a faster way to the batch `JSON.parse` gives: whatever it accepts
// must be valid JSON, and everything ingest derives from it (ids, summary, markers, event
// properties, clock correction) must be what ingest derives from `JSON.parse`'s batch.
import { isUtf8 } from 'node:buffer';
import { encodeWireDeltas, type RecordedEvent, restoreWireTimestamps, summarizeBatch } from '@replaykit/core';
import { describe, expect, it } from 'vitest';
import { acceptBatch, checkBatch } from './batch-check';
import { MAX_EVENT_NESTING } from './batch-decode';
import { scanBatch } from './batch-scan';
import { batchMarkers, clockOffset, eventProperties } from './ingest';
import { recordedFixture, recorderBatches } from './test/support';

const T0 = 1_700_000_000_000;
const SKEW = { maxFutureSkewMs: 60_000, maxPastSkewMs: 3_600_000 };

/** A recording as the recorder's batches, as JSON text, each with the time it was sent (as the recorder sends them). */
function recordedBatches(events: RecordedEvent[]): string[] {
  return recorderBatches('session-1', events, 'w').map((batch, index) =>
    JSON.stringify({ ...batch, sentAt: (batch.events.at(-1)?.timestamp ?? 0) + 1_000 * index }),
  );
}

/** Everything ingest takes from a batch. */
function derive(batch: ReturnType<typeof acceptBatch>) {
  if (batch === undefined) {
    return undefined;
  }
  const received = T0 + 10_000;
  return {
    ids: [batch.v, batch.sessionId, batch.windowId, batch.seq, batch.sentAt],
    offset: clockOffset(batch.events, received, SKEW, batch.sentAt),
    summary: summarizeBatch(batch.events),
    markers: batchMarkers(batch.events, batch.windowId, batch.seq),
    properties: eventProperties(batch.events),
  };
}

function viaParse(text: string) {
  const parsed: unknown = JSON.parse(text);
  restoreWireTimestamps(parsed);
  const checked = checkBatch(parsed);
  return derive(checked.ok ? checked.batch : undefined);
}

/** What ingest derives from the scanned batch, or 'not scanned' when the scanner leaves the body to `JSON.parse`. */
function viaScan(text: string, maxNesting = MAX_EVENT_NESTING) {
  const scanned = scanBatch(Buffer.from(text), maxNesting);
  if (scanned === undefined) {
    return 'not scanned';
  }
  restoreWireTimestamps(scanned);
  return derive(acceptBatch(scanned));
}

/** Asserts that the scanner reads `text` (valid JSON) as `JSON.parse` does, and whether it reads it at all. */
function expectSame(text: string, scanned = true) {
  const fast = viaScan(text);
  if (scanned) {
    expect(fast).not.toBe('not scanned');
  }
  if (fast !== 'not scanned') {
    expect(fast).toEqual(viaParse(text));
  }
}

const click = { type: 3, data: { source: 2, type: 2, id: 17, x: 1, y: 2 }, timestamp: T0 };
const custom = {
  type: 5,
  data: { tag: 'checkout_error', payload: { code: 'card_declined', amount: 12.5 } },
  timestamp: T0 + 1,
};
const meta = {
  type: 4,
  data: { href: 'https://shop.example/cart', width: 1280, height: 720 },
  timestamp: T0 + 2,
};

/** A batch's JSON text around the events' JSON text. */
function withEvents(events: string, head = '"v":1,"sessionId":"s-1","windowId":"w","seq":0'): string {
  return `{${head},"events":[${events}]}`;
}

describe('scanBatch', () => {
  it.each(['checkout-session.json', 'long-idle-session.json', 'two-tab-session.json'])(
    'reads every batch of the real recording %s as JSON.parse does, in both wire formats',
    (name) => {
      const texts = recordedBatches(recordedFixture(name));
      expect(texts.length).toBeGreaterThan(1);
      for (const text of texts) {
        expectSame(text);
        expectSame(encodeWireDeltas(text));
      }
    },
  );

  it.each<[string, string, boolean?]>([
    [
      'whitespace around every token',
      JSON.stringify(
        { v: 1, sessionId: 's', windowId: 'w', seq: 3, events: [click, custom, meta] },
        null,
        '\t \r\n',
      ),
    ],
    [
      'escaped member names',
      withEvents(
        '{"\\u0074ype":5,"d\\u0061ta":{"t\\u0061g":"x","payload":{"a\\"b":1}},"timest\\u0061mp":1700000000000}',
        '"\\u0076":1,"session\\u0049d":"s","w\\u0069ndowId":"w","s\\u0065q":0',
      ),
    ],
    [
      'escaped names of the events and of snapshot data',
      '{"v":1,"sessionId":"s","windowId":"w","seq":0,"ev\\u0065nts":[{"type":3,"data":{"sourc\\u0065":2,"typ\\u0065":2},"timestamp":1},{"type":3,"data":{"source":2,"t\\u0079pe":2,"\\u0074ype":4},"timestamp":2}]}',
    ],
    [
      'escaped and non-ASCII strings',
      withEvents(
        `${JSON.stringify({ ...custom, data: { tag: 'caf\u00e9 \u{1f600} "q" \\ / \b\f\n\r\t \u0000 \u001f', payload: { s: '\ud800 lone', e: '\u2028' } } })},{"type":4,"data":{"href":"https://x/\\u00e9\\/p"},"timestamp":1}`,
        '"v":1,"sessionId":"s\\u002d1","windowId":"w","seq":0',
      ),
    ],
    [
      'data before type',
      withEvents(
        '{"data":{"href":"https://shop.example/a"},"timestamp":5,"type":4},{"data":{"tag":"late","payload":{"k":"v"}},"type":5,"timestamp":6},{"data":{"type":2,"source":2},"timestamp":7,"type":3}',
      ),
    ],
    [
      'duplicate members: the last one counts',
      withEvents(
        '{"type":4,"data":{"tag":"a"},"type":5,"timestamp":1,"timestamp":2},{"type":3,"data":{"source":1,"source":2,"type":9,"type":2},"timestamp":3},{"type":5,"data":{"tag":"first"},"data":{"tag":"second","payload":[1]},"timestamp":4}',
        '"v":3,"v":1,"sessionId":"x","sessionId":"s","windowId":"w","seq":5,"seq":0,"events":[],"events":[{"type":0,"data":{},"timestamp":1}]',
      ),
    ],
    [
      '__proto__ members',
      withEvents(
        '{"__proto__":{"type":5},"type":3,"data":{"__proto__":{"source":2},"source":5},"timestamp":1},{"type":5,"data":{"tag":"p","payload":{"__proto__":{"x":1},"y":2}},"timestamp":2}',
        '"__proto__":{"v":2},"v":1,"sessionId":"s","windowId":"w","seq":0',
      ),
    ],
    [
      'numbers in every form',
      withEvents(
        '{"type":3,"data":{"source":2e0,"type":-0,"x":1.5E+2,"y":-0.25e-3},"timestamp":1.7e12},{"type":5,"data":{"tag":"n","payload":{"big":12345678901234567890,"tiny":5e-324,"huge":1e400,"neg":-123456789012345}},"timestamp":1700000000000.5}',
        '"v":1,"sessionId":"s","windowId":"w","seq":0.0',
      ),
    ],
    [
      'a sentAt that moves the batch',
      withEvents(
        JSON.stringify(click),
        '"v":1,"sessionId":"s","windowId":"w","seq":0,"sentAt":1700003600000.5',
      ),
    ],
    [
      'a sentAt within the limits, in exponent form, after the events',
      `{"v":1,"sessionId":"s","windowId":"w","seq":0,"events":[${JSON.stringify(click)}],"sentAt":1.70000001e12}`,
    ],
    [
      'a sentAt twice, the last one named with an escape (the last one counts)',
      withEvents(
        JSON.stringify(click),
        '"v":1,"sessionId":"s","windowId":"w","seq":0,"sentAt":1800000000000,"sent\\u0041t":1700000010000',
      ),
    ],
    [
      'sentAt that is not a time (both read it as no batch)',
      withEvents(
        JSON.stringify(click),
        '"v":1,"sessionId":"s","windowId":"w","seq":0,"sentAt":"1700000000000"',
      ),
    ],
    [
      'sentAt that is null or negative (both read it as no batch)',
      withEvents(
        JSON.stringify(click),
        '"v":1,"sessionId":"s","windowId":"w","seq":0,"sentAt":null,"sentAt":-1',
      ),
    ],
    [
      'sentAt that is an object, left to JSON.parse',
      withEvents(JSON.stringify(click), '"v":1,"sessionId":"s","windowId":"w","seq":0,"sentAt":{"t":1}'),
      false,
    ],
    [
      'data that is null, an array, a string or a number',
      withEvents(
        '{"type":3,"data":null,"timestamp":1},{"type":5,"data":["tag"],"timestamp":2},{"type":4,"data":"https://x","timestamp":3},{"type":2,"data":7,"timestamp":4},{"type":3,"data":[{"source":2}],"timestamp":5}',
      ),
    ],
    [
      'source and type that are not numbers',
      withEvents(
        '{"type":3,"data":{"source":"2","type":true},"timestamp":1},{"type":3,"data":{"source":null},"timestamp":2}',
      ),
    ],
    [
      'empty objects and arrays at every level',
      withEvents(
        '{"type":3,"data":{"source":0,"adds":[],"texts":[{}],"attributes":[[],{}]},"timestamp":1},{"type":1,"data":{},"timestamp":2}',
        '"v":1,"sessionId":"s","windowId":"w","seq":0,"extra":{},"more":[]',
      ),
    ],
    [
      'a batch the schema refuses (both read it as no batch)',
      withEvents('{"type":7,"data":{},"timestamp":1}'),
    ],
    ['an event without data (both read it as no batch)', withEvents('{"type":3,"timestamp":1}')],
    // Left to JSON.parse (and so to its checks and messages): the scanner does not build these.
    ['events that are not objects', withEvents('1,{"type":3,"data":{},"timestamp":1}'), false],
    ['a type that is an object', withEvents('{"type":{"n":3},"data":{},"timestamp":1}'), false],
    ['a source that is an array', withEvents('{"type":3,"data":{"source":[2]},"timestamp":1}'), false],
    [
      'events that are an object',
      '{"v":1,"sessionId":"s","windowId":"w","seq":0,"events":{"0":{"type":3,"data":{},"timestamp":1}}}',
      false,
    ],
    ['no events', '{"v":1,"sessionId":"s","windowId":"w","seq":0}', false],
    ['a body that is an array', '[{"v":1}]', false],
  ])('reads %s as JSON.parse does', (_name, text, scanned = true) => {
    expectSame(text, scanned);
  });

  it.each([
    ['a trailing comma in an array', withEvents('{"type":3,"data":{"a":[1,]},"timestamp":1}')],
    ['a trailing comma in an object', withEvents('{"type":3,"data":{"a":1,},"timestamp":1}')],
    ['a missing comma', withEvents('{"type":3 "data":{},"timestamp":1}')],
    ['a missing colon', withEvents('{"type":3,"data"{},"timestamp":1}')],
    ['a name without quotes', withEvents('{type:3,"data":{},"timestamp":1}')],
    ['single quotes', withEvents(`{"type":3,"data":{'a':1},"timestamp":1}`)],
    ['a leading zero', withEvents('{"type":3,"data":{"a":01},"timestamp":1}')],
    ['a bare minus', withEvents('{"type":3,"data":{"a":-},"timestamp":1}')],
    ['a dot without digits after it', withEvents('{"type":3,"data":{"a":1.},"timestamp":1}')],
    ['a dot without digits before it', withEvents('{"type":3,"data":{"a":.5},"timestamp":1}')],
    ['an exponent without digits', withEvents('{"type":3,"data":{"a":1e+},"timestamp":1}')],
    ['a plus sign', withEvents('{"type":3,"data":{"a":+1},"timestamp":1}')],
    ['a hexadecimal number', withEvents('{"type":3,"data":{"a":0x10},"timestamp":1}')],
    ['NaN', withEvents('{"type":3,"data":{"a":NaN},"timestamp":1}')],
    ['Infinity', withEvents('{"type":3,"data":{"a":-Infinity},"timestamp":1}')],
    ['a cut literal', withEvents('{"type":3,"data":{"a":tru},"timestamp":1}')],
    ['a misspelt literal', withEvents('{"type":3,"data":{"a":nul1},"timestamp":1}')],
    ['a minus before a literal', withEvents('{"type":3,"data":{"a":-true},"timestamp":1}')],
    ['a capitalised literal', withEvents('{"type":3,"data":{"a":False},"timestamp":1}')],
    ['a raw line feed in a string', withEvents('{"type":3,"data":{"a":"x\ny"},"timestamp":1}')],
    ['a raw tab in a name', withEvents('{"type":3,"data":{"a\tb":1},"timestamp":1}')],
    ['a raw NUL in a string', withEvents('{"type":3,"data":{"a":"x\u0000"},"timestamp":1}')],
    ['an unknown escape', withEvents('{"type":3,"data":{"a":"\\x41"},"timestamp":1}')],
    ['a short unicode escape', withEvents('{"type":3,"data":{"a":"\\u12"},"timestamp":1}')],
    [
      'a unicode escape with a non-hex first digit',
      withEvents('{"type":3,"data":{"a":"\\ug234"},"timestamp":1}'),
    ],
    [
      'a unicode escape with a non-hex second digit',
      withEvents('{"type":3,"data":{"a":"\\u1G34"},"timestamp":1}'),
    ],
    [
      'a unicode escape with a non-hex third digit',
      withEvents('{"type":3,"data":{"a":"\\u12 4"},"timestamp":1}'),
    ],
    [
      'a unicode escape with a non-hex fourth digit',
      withEvents('{"type":3,"data":{"a":"\\u123/"},"timestamp":1}'),
    ],
    ['an unterminated string', '{"v":1,"sessionId":"s'],
    ['an unclosed object', withEvents('{"type":3,"data":{"a":{"b":1},"timestamp":1}')],
    ['a mismatched bracket', withEvents('{"type":3,"data":{"a":[1}},"timestamp":1}')],
    ['an extra closing bracket', `${withEvents('{"type":3,"data":{},"timestamp":1}')}}`],
    ['a second value after the body', `${withEvents('{"type":3,"data":{},"timestamp":1}')} {}`],
    // (Ingest's UTF-8 decoding strips it on the JSON.parse path.)
    ['a byte order mark', `\ufeff${withEvents('{"type":3,"data":{},"timestamp":1}')}`],
    ['a comment', withEvents('{"type":3,"data":{} /* x */,"timestamp":1}')],
    ['a non-breaking space as whitespace', withEvents('{"type":3,"data":{},\u00a0"timestamp":1}')],
    ['a form feed as whitespace', withEvents('{"type":3,"data":{},\f"timestamp":1}')],
    ['an empty body', ''],
    ['whitespace only', ' \n'],
  ])('refuses %s, as JSON.parse does', (_name, text) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(scanBatch(Buffer.from(text), MAX_EVENT_NESTING)).toBeUndefined();
  });

  it('agrees with JSON.parse on thousands of batches with one byte deleted, inserted or replaced', () => {
    // Bytes that matter to the grammar, and a few that do not.
    const alphabet = Buffer.from('{}[]",:\\/ \t\n\r0123456789.eE+-tfnrulasbx\u0000\u001f\u007f');
    const originals = [
      withEvents(
        [click, custom].map((event) => JSON.stringify(event)).join(','),
        '"v":1,"sessionId":"s-1","windowId":"w","seq":0,"sentAt":1700003600000',
      ),
      withEvents(
        [
          click,
          custom,
          meta,
          { type: 3, data: { source: 0, adds: [{ node: { tagName: 'p' } }], texts: [] }, timestamp: T0 + 3 },
        ]
          .map((event) => JSON.stringify(event))
          .join(','),
      ),
      withEvents(
        '{"type":5,"data":{"tag":"e\\u0301\\n","payload":{"q":"\\"","n":-1.5e-3,"t":true,"f":false,"z":null}},"timestamp":1}',
      ),
      encodeWireDeltas(recordedBatches(recordedFixture('checkout-session.json'))[3] as string),
    ];
    let state = 7;
    const next = (below: number) => {
      state = (state * 1_103_515_245 + 12_345) >>> 0;
      return state % below;
    };
    let accepted = 0;
    let refused = 0;
    let scanned = 0;
    for (let round = 0; round < 6_000; round++) {
      const original = Buffer.from(originals[round % originals.length] as string);
      const at = next(original.length);
      const byte = alphabet[next(alphabet.length)] as number;
      const edit = next(3);
      const bytes = Buffer.concat([
        original.subarray(0, at),
        edit === 1 ? Buffer.alloc(0) : Buffer.from([byte]),
        original.subarray(edit === 0 ? at : at + 1),
      ]);
      // Ingest checks UTF-8 before it scans.
      if (!isUtf8(bytes)) {
        continue;
      }
      const text = bytes.toString('utf8');
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      const fast = viaScan(text);
      if (fast !== 'not scanned') {
        scanned++;
        expect(valid, `scanned invalid JSON: ${text}`).toBe(true);
        expect(fast, text).toEqual(viaParse(text));
      }
      if (valid) {
        accepted++;
      } else {
        refused++;
      }
    }
    // The edits must reach both sides of the grammar, and valid edits must mostly be scanned.
    expect(refused).toBeGreaterThan(1_000);
    expect(accepted).toBeGreaterThan(1_000);
    expect(scanned).toBeGreaterThan(accepted * 0.9);
  });

  it('leaves a body nested deeper than the limit to JSON.parse, and reads one at the limit', () => {
    const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    // The batch is level 1, its events array 2, an event 3, its data 4.
    const atLimit = withEvents(`{"type":3,"data":{"source":2,"deep":${nested(6)}},"timestamp":1}`);
    const overLimit = withEvents(`{"type":3,"data":{"source":2,"deep":${nested(7)}},"timestamp":1}`);
    expect(viaScan(atLimit, 10)).toEqual(viaParse(atLimit));
    expect(viaScan(overLimit, 10)).toBe('not scanned');
    const deepElsewhere = `{"extra":${nested(10)},${withEvents('{"type":3,"data":{},"timestamp":1}').slice(1)}`;
    expect(viaScan(deepElsewhere, 10)).toBe('not scanned');
    expect(viaScan(deepElsewhere, 11)).toEqual(viaParse(deepElsewhere));
  });

  it('leaves a body of more values than its limit to JSON.parse, counting objects, arrays and commas outside strings', () => {
    for (const text of recordedBatches(recordedFixture('checkout-session.json'))) {
      // Brackets and commas inside strings (a URL, a text node) are not values.
      let values = 0;
      let inString = false;
      for (let index = 0; index < text.length; index++) {
        const unit = text[index];
        if (inString) {
          index += unit === '\\' ? 1 : 0;
          inString = unit !== '"';
        } else if (unit === '"') {
          inString = true;
        } else if (unit === '{' || unit === '[' || unit === ',') {
          values++;
        }
      }
      const bytes = Buffer.from(text);
      expect(scanBatch(bytes, MAX_EVENT_NESTING, values)).toBeDefined();
      expect(scanBatch(bytes, MAX_EVENT_NESTING, values - 1)).toBeUndefined();
    }
  });
});
