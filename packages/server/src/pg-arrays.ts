/**
 * One-dimensional PostgreSQL arrays in the binary wire format, for statement parameters.
 *
 * `pg` sends a `Buffer` parameter in binary, and anything else as text. An array passed as a
 * JavaScript array becomes a text literal: every element quoted, its quotes and backslashes
 * escaped by two regular-expression replaces, and the pieces joined into one string, which
 * PostgreSQL then parses again. A group commit sends about twenty such arrays, the session
 * states and timeline markers among them (JSON, full of quotes), and that literal was a third
 * of everything the PostgreSQL store's main thread allocated. Built here, the same array is
 * the element bytes with their lengths, written once into one buffer.
 *
 * The parameter must be cast to the matching array type in the statement (`$1::text[]`,
 * `$2::bigint[]` …): PostgreSQL refuses an array whose element type differs from the one
 * it expects.
 */

/** The element types this module writes, by their PostgreSQL names. */
export type PgArrayElement = 'text' | 'int8' | 'int4' | 'bool' | 'xid';

/** What an element may be given as (see {@link pgArray}). */
export type PgArrayValue = string | number | boolean | null;

/** Each element type's object id (`pg_type.oid`), which the binary array header names. */
const ELEMENT_OIDS: Readonly<Record<PgArrayElement, number>> = {
  bool: 16,
  int8: 20,
  int4: 23,
  text: 25,
  xid: 28,
};

/** Each element type's array type, as a statement casts a parameter to it. */
const ARRAY_TYPES: Readonly<Record<PgArrayElement, string>> = {
  bool: 'boolean[]',
  int8: 'bigint[]',
  int4: 'integer[]',
  text: 'text[]',
  xid: 'xid[]',
};

/**
 * Parameter `index` of a statement cast to the array type of `element` (`$3::bigint[]`), as
 * the statement must read an array {@link pgArray} built for it.
 */
export function pgArrayParam(index: number, element: PgArrayElement): string {
  return `$${index}::${ARRAY_TYPES[element]}`;
}

/** Bytes of each fixed-size element's value. */
const FIXED_SIZES: Readonly<Record<Exclude<PgArrayElement, 'text'>, number>> = {
  bool: 1,
  int8: 8,
  int4: 4,
  xid: 4,
};

/** Dimensions, flags and element type, then one dimension's length and lower bound. */
const HEADER_BYTES = 20;
const TWO_TO_THE_32 = 2 ** 32;

/** The range of `int8`, PostgreSQL's `bigint`: from -2^63 to 2^63 - 1. */
const INT8_MIN = -(2 ** 63);
const INT8_END = 2 ** 63;

/**
 * The array of `values` with elements of type `element`: `text` takes strings (sent as UTF-8)
 * and null (SQL NULL); `int8` any integer `bigint` holds, `int4` a 32-bit one; `xid` a
 * transaction id as PostgreSQL prints it (`xmin::text`) or as a number; `bool` booleans.
 * Only text arrays take null. Anything else is refused with a `TypeError` naming the value.
 */
export function pgArray(element: PgArrayElement, values: readonly PgArrayValue[]): Buffer {
  if (values.length === 0) {
    // No dimensions: PostgreSQL's empty array.
    const empty = Buffer.alloc(12);
    empty.writeUInt32BE(ELEMENT_OIDS[element], 8);
    return empty;
  }
  let hasNull = false;
  let size = HEADER_BYTES + 4 * values.length;
  if (element === 'text') {
    for (const value of values) {
      if (value === null) {
        hasNull = true;
      } else if (typeof value === 'string') {
        size += Buffer.byteLength(value, 'utf8');
      } else {
        throw new TypeError(
          `A PostgreSQL text array element must be a string or null, not ${String(value)}.`,
        );
      }
    }
  } else {
    if (values.includes(null)) {
      throw new TypeError(
        `A PostgreSQL ${element} array element must not be null: only text arrays take null.`,
      );
    }
    size += FIXED_SIZES[element] * values.length;
  }

  // Not from Node's shared pool: a pool slab lives as long as any slice of it, and slabs
  // kept through a group's round trip were promoted, tripling the full collections.
  const buffer = Buffer.allocUnsafeSlow(size);
  buffer.writeInt32BE(1, 0);
  buffer.writeInt32BE(hasNull ? 1 : 0, 4);
  buffer.writeUInt32BE(ELEMENT_OIDS[element], 8);
  buffer.writeInt32BE(values.length, 12);
  buffer.writeInt32BE(1, 16);
  let offset = HEADER_BYTES;
  for (const value of values) {
    if (value === null) {
      buffer.writeInt32BE(-1, offset);
      offset += 4;
      continue;
    }
    switch (element) {
      case 'text': {
        const length = buffer.write(value as string, offset + 4, 'utf8');
        buffer.writeInt32BE(length, offset);
        offset += 4 + length;
        break;
      }
      case 'int8': {
        const number = integer(value, element, INT8_MIN, INT8_END);
        buffer.writeInt32BE(8, offset);
        if (Number.isSafeInteger(number)) {
          const high = Math.floor(number / TWO_TO_THE_32);
          buffer.writeInt32BE(high, offset + 4);
          buffer.writeUInt32BE(number - high * TWO_TO_THE_32, offset + 8);
        } else {
          // Past 2^53 a number is still an integer, just a coarser one: BigInt keeps it exact.
          buffer.writeBigInt64BE(BigInt(number), offset + 4);
        }
        offset += 12;
        break;
      }
      case 'int4':
        buffer.writeInt32BE(4, offset);
        buffer.writeInt32BE(integer(value, element, -(2 ** 31), 2 ** 31), offset + 4);
        offset += 8;
        break;
      case 'xid':
        buffer.writeInt32BE(4, offset);
        buffer.writeUInt32BE(
          integer(
            typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value,
            element,
            0,
            TWO_TO_THE_32,
          ),
          offset + 4,
        );
        offset += 8;
        break;
      case 'bool':
        if (typeof value !== 'boolean') {
          throw new TypeError(`A PostgreSQL bool array element must be true or false, not ${String(value)}.`);
        }
        buffer.writeInt32BE(1, offset);
        buffer.writeUInt8(value ? 1 : 0, offset + 4);
        offset += 5;
        break;
    }
  }
  return buffer;
}

/** `value` if it is an integer from `min` up to, not including, `end`. */
function integer(value: unknown, element: PgArrayElement, min: number, end: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value >= end) {
    throw new TypeError(
      `A PostgreSQL ${element} array element must be an integer from ${BigInt(min)} to ${BigInt(end) - 1n}, not ${String(value)}.`,
    );
  }
  return value;
}
