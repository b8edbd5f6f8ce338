/**
 * A batch body read without building what ingest never looks at. `JSON.parse` builds every
 * object of a batch, yet ingest reads only a few fields: the batch's ids, sequence number and
 * send time (`sentAt`), each event's type and timestamp, the `source` and `type` of snapshot
 * data (what kind of input it was, whether a click) and the data of meta and custom events
 * (URLs, tags, payloads). Mutations and mouse paths, most of a batch, are only checked.
 * Building them was about three fifths of an ingest worker's time.
 *
 * `scanBatch` reads the UTF-8 bytes as received and checks every one of them against the
 * JSON grammar, exactly as `JSON.parse` accepts it (whitespace, escapes, numbers, literals,
 * any nesting; `batch-scan.test.ts` compares the two on generated and mutated texts). It
 * returns the batch with only those fields built: each event's `type`, `timestamp` and
 * `data`, where `data` is built in full for meta and custom events and otherwise holds only
 * its top-level `source` and `type` when they are numbers, strings, booleans or null (an
 * array becomes an empty one, a scalar stays as it is).
 *
 * For any body it does not accept as is (not JSON, not an object with an `events` array of
 * objects, nested more than `maxNesting` levels anywhere), it returns undefined, and ingest
 * reads the body with `JSON.parse` instead, whose refusals and messages are the contract.
 * So this is only a faster way to the same accepted batch, never a second set of rules.
 *
 * It is about twice as fast as `JSON.parse` on recorder batches, mutations and mouse paths
 * being most of them. A batch made mostly of custom events costs more than `JSON.parse`
 * (their data is checked, then parsed), as do member names written with escapes.
 */
import { EventType, type RecordedEvent } from '@replaykit/core';

/** A batch as scanned: its top-level fields as parsed, and its events reduced as described above. */
export interface ScannedBatch {
  v?: unknown;
  sessionId?: unknown;
  windowId?: unknown;
  seq?: unknown;
  sentAt?: unknown;
  events: RecordedEvent[];
  /**
   * How many numbers of the body are written with an exponent: the only text that
   * `JSON.stringify` writes longer than it came (`1e20` becomes `100000000000000000000`).
   */
  exponents: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const LOWER_T = 0x74;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;

/** A table of the bytes for which `accepts` is true (1), for lookups in the scanning loops. */
function byteTable(accepts: (byte: number) => boolean): Uint8Array {
  const table = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) {
    table[byte] = accepts(byte) ? 1 : 0;
  }
  return table;
}

/** JSON's four whitespace characters (space, line feed, carriage return, tab). */
const WHITESPACE = byteTable((byte) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09);
/** Bytes that go on a string as they are: not its end, not an escape, not a control character. */
const PLAIN = byteTable((byte) => byte >= 0x20 && byte !== QUOTE && byte !== BACKSLASH);
const DIGIT = byteTable((byte) => byte >= DIGIT_0 && byte <= DIGIT_9);
const HEX_DIGIT = byteTable(
  (byte) => DIGIT[byte] === 1 || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66),
);
/** The characters after a backslash that make a one-character escape: `"`, `\`, `/`, b, f, n, r, t. */
const SHORT_ESCAPE = byteTable((byte) => '"\\/bfnrt'.includes(String.fromCharCode(byte)));
const LOWER_U = 0x75;

// Lookups with a position past the end read `undefined`, which every table above maps to
// `undefined`, never 1: a loop that looks for 1 stops at the end of the body.

/** Thrown (and caught in `scanBatch`) when the body is not what this reader accepts. */
class NotScanned extends Error {}

const notScanned = new NotScanned();

/** The event types whose `data` ingest reads beyond its `source` and `type`. */
const FULL_DATA_TYPES: ReadonlySet<unknown> = new Set([EventType.Meta, EventType.Custom]);

function skipWhitespace(bytes: Uint8Array, position: number): number {
  while (WHITESPACE[bytes[position] as number] === 1) {
    position++;
  }
  return position;
}

/** The end of the string whose opening quote is at `position`. */
function skipString(bytes: Uint8Array, position: number): number {
  position++;
  for (;;) {
    while (PLAIN[bytes[position] as number] === 1) {
      position++;
    }
    const byte = bytes[position];
    if (byte === QUOTE) {
      return position + 1;
    }
    // A control character, or the end of the body, inside a string.
    if (byte !== BACKSLASH) {
      throw notScanned;
    }
    const escaped = bytes[position + 1] as number;
    if (SHORT_ESCAPE[escaped] === 1) {
      position += 2;
    } else if (
      escaped === LOWER_U &&
      HEX_DIGIT[bytes[position + 2] as number] === 1 &&
      HEX_DIGIT[bytes[position + 3] as number] === 1 &&
      HEX_DIGIT[bytes[position + 4] as number] === 1 &&
      HEX_DIGIT[bytes[position + 5] as number] === 1
    ) {
      position += 6;
    } else {
      throw notScanned;
    }
  }
}

/** Numbers with an exponent skipped by the scan under way (see {@link ScannedBatch.exponents}). */
let exponents = 0;

/** The end of the number, `true`, `false` or `null` at `position`. */
function skipScalar(bytes: Uint8Array, position: number): number {
  let byte = bytes[position] as number;
  if (byte === LOWER_T) {
    return skipWord(bytes, position, 'true');
  }
  if (byte === LOWER_F) {
    return skipWord(bytes, position, 'false');
  }
  if (byte === LOWER_N) {
    return skipWord(bytes, position, 'null');
  }
  if (byte === MINUS) {
    position++;
  }
  // No leading zeros: a 0 stands alone.
  position = bytes[position] === DIGIT_0 ? position + 1 : skipDigits(bytes, position);
  byte = bytes[position] as number;
  if (byte === DOT) {
    position = skipDigits(bytes, position + 1);
    byte = bytes[position] as number;
  }
  if (byte === LOWER_E || byte === UPPER_E) {
    exponents++;
    byte = bytes[++position] as number;
    if (byte === PLUS || byte === MINUS) {
      position++;
    }
    position = skipDigits(bytes, position);
  }
  return position;
}

/** The end of the one or more digits at `position`. */
function skipDigits(bytes: Uint8Array, position: number): number {
  if (DIGIT[bytes[position] as number] !== 1) {
    throw notScanned;
  }
  do {
    position++;
  } while (DIGIT[bytes[position] as number] === 1);
  return position;
}

/** The end of `word` (a literal), which must stand at `position`. */
function skipWord(bytes: Uint8Array, position: number, word: string): number {
  for (let index = 0; index < word.length; index++) {
    if (bytes[position + index] !== word.charCodeAt(index)) {
      throw notScanned;
    }
  }
  return position + word.length;
}

/** Moves past `"name"`, whitespace and `:` at `position`, to the member's value (whitespace skipped). */
function skipMemberName(bytes: Uint8Array, position: number): number {
  if (bytes[position] !== QUOTE) {
    throw notScanned;
  }
  position = skipString(bytes, position);
  if (bytes[position] !== COLON) {
    position = skipWhitespace(bytes, position);
    if (bytes[position] !== COLON) {
      throw notScanned;
    }
  }
  position++;
  return WHITESPACE[bytes[position] as number] === 1 ? skipWhitespace(bytes, position) : position;
}

/** What the value after the member name just read is, for the batch being built. */
enum Field {
  /** A value nothing is built from: checked and skipped. */
  None,
  V,
  SessionId,
  WindowId,
  Seq,
  SentAt,
  Events,
  EventType,
  Timestamp,
  Data,
  Source,
  DataType,
}

/** An event as scanned (see the top of the file). */
interface ScannedEvent {
  type?: unknown;
  timestamp?: unknown;
  data?: unknown;
}

/** What a scalar at `start` (string, number or literal) ending at `end` is, as `JSON.parse` reads it. */
function scalarValue(bytes: Uint8Array, start: number, end: number, text: Buffer): unknown {
  switch (bytes[start]) {
    case QUOTE:
      for (let index = start + 1; index < end - 1; index++) {
        if (bytes[index] === BACKSLASH) {
          return JSON.parse(text.toString('utf8', start, end));
        }
      }
      return text.toString('utf8', start + 1, end - 1);
    case LOWER_T:
      return true;
    case LOWER_F:
      return false;
    case LOWER_N:
      return null;
    default:
      return readNumber(bytes, start, end, text);
  }
}

/** Whether the bytes between the quotes at `start` and `end` are `name` (ASCII) as they are. */
function isName(bytes: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start - 1 !== name.length) {
    return false;
  }
  for (let index = 0; index < name.length; index++) {
    if (bytes[start + 1 + index] !== name.charCodeAt(index)) {
      return false;
    }
  }
  return true;
}

/**
 * Which field the member named between the quotes at `start` and `end` is, in the object
 * at `depth`: the batch (1), an event (3) or an event's data (4).
 */
function fieldOf(depth: number, bytes: Uint8Array, start: number, end: number, text: Buffer): Field {
  const field = plainFieldOf(depth, bytes, start, end);
  if (field !== Field.None) {
    return field;
  }
  // Only an escape can make other bytes spell one of the names: decoded once, as
  // `JSON.parse` decodes it, the name is looked up again.
  for (let index = start + 1; index < end; index++) {
    if (bytes[index] === BACKSLASH) {
      const decoded = Buffer.from(`"${JSON.parse(text.toString('utf8', start, end + 1))}"`);
      return plainFieldOf(depth, decoded, 0, decoded.length - 1);
    }
  }
  return Field.None;
}

/** {@link fieldOf} for the bytes of the name as they are, escapes and all. */
function plainFieldOf(depth: number, bytes: Uint8Array, start: number, end: number): Field {
  if (depth === 1) {
    if (isName(bytes, start, end, 'events')) {
      return Field.Events;
    }
    if (isName(bytes, start, end, 'v')) {
      return Field.V;
    }
    if (isName(bytes, start, end, 'sessionId')) {
      return Field.SessionId;
    }
    if (isName(bytes, start, end, 'windowId')) {
      return Field.WindowId;
    }
    if (isName(bytes, start, end, 'sentAt')) {
      return Field.SentAt;
    }
    return isName(bytes, start, end, 'seq') ? Field.Seq : Field.None;
  }
  if (depth === 3) {
    if (isName(bytes, start, end, 'type')) {
      return Field.EventType;
    }
    if (isName(bytes, start, end, 'timestamp')) {
      return Field.Timestamp;
    }
    return isName(bytes, start, end, 'data') ? Field.Data : Field.None;
  }
  if (isName(bytes, start, end, 'source')) {
    return Field.Source;
  }
  return isName(bytes, start, end, 'type') ? Field.DataType : Field.None;
}

/**
 * Reads the whole body in one pass, checking every byte, and builds the batch on the way:
 * the batch's members at depth 1, the `events` array at depth 2, each event at depth 3 and
 * its data at depth 4. Deeper, it only checks. Throws `notScanned` for what it does not accept.
 */
function scan(bytes: Uint8Array, maxNesting: number, maxValues: number): ScannedBatch {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The open containers, by depth from 1: 1 for an object, 0 for an array (0 at depth 0, the body itself).
  const objects = new Uint8Array(maxNesting + 1);
  const batch: ScannedBatch = { events: [], exponents: 0 };
  exponents = 0;
  let sawEvents = false;
  // The containers being built: the batch's events array (depth 2), an event (3), its data (4).
  let inEvents = false;
  let event: ScannedEvent | undefined;
  let data: { source?: unknown; type?: unknown } | undefined;
  let dataOpen = false;
  let dataStart = -1;
  let dataEnd = -1;
  let field = Field.None;
  let depth = 0;
  // Objects, arrays and commas so far: a body with more than `maxValues` is left to the
  // reader that refuses it, before any of its data is built.
  let values = 0;
  let position = skipWhitespace(bytes, 0);
  if (bytes[position] !== OPEN_BRACE) {
    throw notScanned;
  }
  for (;;) {
    // A member of the container at `depth` starts here (whitespace skipped): in an object,
    // its name first, then its value; in an array, its value. `field` says what the value is.
    if (objects[depth] === 1) {
      const nameStart = position;
      position = skipMemberName(bytes, position);
      if (depth === 1 || (depth === 3 && event) || (depth === 4 && data)) {
        field = fieldOf(depth, bytes, nameStart, memberNameEnd(bytes, position), text);
      }
    }
    let byte = bytes[position] as number;
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      const isObject = byte === OPEN_BRACE;
      if (depth === maxNesting || ++values > maxValues) {
        throw notScanned;
      }
      depth++;
      objects[depth] = isObject ? 1 : 0;
      if (field !== Field.None) {
        if (field === Field.Events && !isObject) {
          inEvents = true;
          sawEvents = true;
          batch.events = [];
        } else if (field === Field.Data) {
          dataOpen = true;
          dataStart = position;
          data = isObject ? {} : undefined;
          (event as ScannedEvent).data = data ?? [];
        } else {
          // A field ingest reads as a number or a string holds an object or array.
          throw notScanned;
        }
        field = Field.None;
      } else if (depth === 3 && inEvents) {
        if (!isObject) {
          throw notScanned;
        }
        event = {};
        batch.events.push(event as RecordedEvent);
        dataStart = -1;
      }
      position++;
      if (WHITESPACE[bytes[position] as number] === 1) {
        position = skipWhitespace(bytes, position);
      }
      if (bytes[position] !== byte + 2) {
        // Not empty (`}` and `]` are two code points after `{` and `[`): its first member starts here.
        continue;
      }
      // Empty: the loop below closes it at once.
    } else {
      const start = position;
      position = byte === QUOTE ? skipString(bytes, position) : skipScalar(bytes, position);
      if (field !== Field.None) {
        const value = scalarValue(bytes, start, position, text);
        switch (field) {
          case Field.V:
            batch.v = value;
            break;
          case Field.SessionId:
            batch.sessionId = value;
            break;
          case Field.WindowId:
            batch.windowId = value;
            break;
          case Field.Seq:
            batch.seq = value;
            break;
          case Field.SentAt:
            batch.sentAt = value;
            break;
          case Field.EventType:
            (event as ScannedEvent).type = value;
            break;
          case Field.Timestamp:
            (event as ScannedEvent).timestamp = value;
            break;
          case Field.Data:
            (event as ScannedEvent).data = value;
            dataStart = start;
            dataEnd = position;
            break;
          case Field.Source:
            (data as { source?: unknown }).source = value;
            break;
          case Field.DataType:
            (data as { type?: unknown }).type = value;
            break;
          default:
            // `events` holds a string, number or literal.
            throw notScanned;
        }
        field = Field.None;
      } else if (depth === 2 && inEvents) {
        // An event that is not an object.
        throw notScanned;
      }
    }
    // After a value: close containers, or go on to the next member.
    for (;;) {
      if (depth === 0) {
        if (skipWhitespace(bytes, position) !== bytes.length || !sawEvents) {
          throw notScanned;
        }
        batch.exponents = exponents;
        return batch;
      }
      byte = bytes[position] as number;
      if (WHITESPACE[byte] === 1) {
        position = skipWhitespace(bytes, position);
        byte = bytes[position] as number;
      }
      const inObject = objects[depth] === 1;
      if (byte === COMMA) {
        if (++values > maxValues) {
          throw notScanned;
        }
        position++;
        if (WHITESPACE[bytes[position] as number] === 1) {
          position = skipWhitespace(bytes, position);
        }
        break;
      }
      if (byte !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) {
        throw notScanned;
      }
      position++;
      if (depth === 4 && dataOpen) {
        dataOpen = false;
        data = undefined;
        dataEnd = position;
      } else if (depth === 3 && event) {
        if (dataStart !== -1 && FULL_DATA_TYPES.has(event.type)) {
          event.data = JSON.parse(text.toString('utf8', dataStart, dataEnd));
        }
        event = undefined;
      } else if (depth === 2 && inEvents) {
        inEvents = false;
      }
      depth--;
    }
  }
}

/** The closing quote of the member name whose value starts at `valueStart`. */
function memberNameEnd(bytes: Uint8Array, valueStart: number): number {
  let end = valueStart - 1;
  while (bytes[end] !== QUOTE) {
    end--;
  }
  return end;
}

/** Integers of up to 15 digits add up exactly; anything else is read by `Number`, as `JSON.parse` reads it. */
function readNumber(bytes: Uint8Array, start: number, end: number, text: Buffer): number {
  const negative = bytes[start] === MINUS;
  const from = negative ? start + 1 : start;
  if (end - from <= 15) {
    let value = 0;
    let index = from;
    while (index < end && DIGIT[bytes[index] as number] === 1) {
      value = value * 10 + ((bytes[index] as number) - DIGIT_0);
      index++;
    }
    if (index === end) {
      return negative ? -value : value;
    }
  }
  return Number(text.toString('latin1', start, end));
}

/**
 * The batch in `bytes` (valid UTF-8) with only what ingest reads built (see the top of this
 * file), or undefined when the body is not valid JSON, not an object with an `events` array
 * of objects, or nests objects and arrays more than `maxNesting` levels deep anywhere (the
 * body counting as one, its events array as two: an event that nests `maxNesting` levels
 * itself is left too), or holds more than `maxValues` objects, arrays and commas. Read those
 * with `JSON.parse` for the answer, and for the refusal of an event that nests more than
 * `maxNesting` levels or a body of more values than `maxValues`.
 */
export function scanBatch(
  bytes: Uint8Array,
  maxNesting: number,
  maxValues = Number.POSITIVE_INFINITY,
): ScannedBatch | undefined {
  try {
    return scan(bytes, maxNesting, maxValues);
  } catch (error) {
    if (error === notScanned) {
      return undefined;
    }
    throw error;
  }
}
