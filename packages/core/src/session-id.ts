/**
 * Creates a UUIDv7: 48 bits of Unix milliseconds, then random bits. Ids sort by creation
 * time, which keeps the store's session index append-friendly.
 */
export function createUuidV7(now: number = Date.now()): string {
  // The 80 bits after the timestamp: version 7 in the top nibble of the first byte, the
  // RFC 9562 variant (binary 10) in the top bits of the third.
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(10));
  bytes[0] = ((bytes[0] ?? 0) & 0x0f) | 0x70;
  bytes[2] = ((bytes[2] ?? 0) & 0x3f) | 0x80;
  const hex =
    (Math.max(0, Math.floor(now)) % 2 ** 48).toString(16).padStart(12, '0') +
    Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return hex.replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}
