/**
 * Wire format 2: format 1 with the numbers that move by small steps through a recording
 * written as differences. Node ids (`id`, `parentId`, `nextId`), timestamps, the pointer's
 * `x`/`y` and mouse-move `timeOffset`s change a little from one event to the next, but deflate
 * sees each as fresh digits; as the difference to the previous number under the same key they
 * become the same few characters again and again. On the bench's mutation storm this makes the
 * gzip body a third smaller than plain gzip of the same events, on its interaction script a
 * few percent.
 *
 * The encoding works on the JSON text, not on parsed objects, so both sides walk the numbers
 * in exactly the text's order: `"<key>":<integer>` followed by `,`, `}` or `]`, for the keys
 * in the pattern below, anywhere in the body. Every such integer is replaced by its
 * difference to the previous integer matched under the same key (the first by itself).
 * Fractions and exponents are left as they are, on both sides. A match ends with an unescaped
 * `"` followed by `:`, so it is always an object key (string values never match; a key that
 * merely ends in `\"id` does, which is harmless since both sides read the same text). Only
 * digits change, so the matches of the encoded text are exactly those of the original.
 */

/** What a format 2 body starts with; format 1 bodies from the recorder start with `{"v":1,`. */
export const WIRE_DELTA_PREFIX = '{"v":2,';

/**
 * Encodes a format 1 body (as the recorder writes it, starting with `{"v":1,`) as format 2.
 * Anything else, and a body holding an integer too long to subtract exactly (more than 15
 * digits) under one of the keys, comes back unchanged: format 1 stays valid.
 *
 * Self-contained on purpose (no outside names): the recorder's compression worker runs this
 * function's own source text.
 */
export function encodeWireDeltas(text: string): string {
  if (!text.startsWith('{"v":1,')) {
    return text;
  }
  const last: Record<string, number> = {};
  let exact = true;
  // The same pattern as in decodeWireDeltas: this function must stay self-contained.
  const body = text
    .slice(7)
    .replace(
      /"(id|parentId|nextId|timestamp|timeOffset|x|y)":(-?\d+)(?=[,}\]])/g,
      (_match, key: string, digits: string) => {
        if (digits.length > 15) {
          exact = false;
        }
        const value = Number(digits);
        const delta = value - (last[key] ?? 0);
        last[key] = value;
        return `"${key}":${delta}`;
      },
    );
  return exact ? `{"v":2,${body}` : text;
}

/**
 * Turns a format 2 body back into format 1 text (the numbers as recorded); any other text
 * comes back unchanged. The server calls it on every body before parsing.
 */
export function decodeWireDeltas(text: string): string {
  if (!text.startsWith(WIRE_DELTA_PREFIX)) {
    return text;
  }
  const last: Record<string, number> = {};
  const body = text
    .slice(WIRE_DELTA_PREFIX.length)
    .replace(
      /"(id|parentId|nextId|timestamp|timeOffset|x|y)":(-?\d+)(?=[,}\]])/g,
      (_match, key: string, digits: string) => {
        const value = Number(digits) + (last[key] ?? 0);
        last[key] = value;
        return `"${key}":${value}`;
      },
    );
  return `{"v":1,${body}`;
}
