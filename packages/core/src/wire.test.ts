import { describe, expect, it } from 'vitest';
import { ID_MAX_LENGTH, isValidId } from './wire';
import { parseBatch } from './wire-schema';

const event = {
  type: 4,
  data: { href: 'https://shop.test/', width: 800, height: 600 },
  timestamp: 1_700_000_000_000,
};
const batch = { v: 1, sessionId: 'session-1', windowId: 'window_1', seq: 0, events: [event] };

describe('parseBatch', () => {
  it('accepts a batch with the time it was sent, and one without', () => {
    const sent = parseBatch({ ...batch, sentAt: 1_700_000_001_000 });
    expect(sent.ok && sent.batch.sentAt).toBe(1_700_000_001_000);
    const unsent = parseBatch(batch);
    expect(unsent.ok && 'sentAt' in unsent.batch).toBe(false);
  });

  it('accepts a well-formed batch and keeps unknown event fields', () => {
    const result = parseBatch({ ...batch, events: [{ ...event, extra: true }] });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.batch.events[0]).toMatchObject({ extra: true });
    }
  });

  it.each([
    [{ ...batch, v: 3 }, /^v: v must be 1 or 2/],
    [{ ...batch, sessionId: '' }, /^sessionId: sessionId must not be empty/],
    [{ ...batch, sessionId: 'a'.repeat(ID_MAX_LENGTH + 1) }, /at most 64 characters/],
    [{ ...batch, windowId: '../etc/passwd' }, /^windowId: .*letters, digits/],
    [{ ...batch, seq: -1 }, /^seq: seq must not be negative/],
    [{ ...batch, seq: 1.5 }, /^seq: seq must be a whole number/],
    [{ ...batch, events: [] }, /^events: events must not be empty/],
    [{ ...batch, events: [{ ...event, type: 9 }] }, /^events\.0\.type: .*rrweb event type/],
    [{ ...batch, events: [{ ...event, timestamp: '1' }] }, /^events\.0\.timestamp: .*number/],
    [{ ...batch, sentAt: '1' }, /^sentAt: sentAt must be a number of milliseconds since 1970/],
    [{ ...batch, sentAt: -1 }, /^sentAt: sentAt must not be negative/],
    [{ ...batch, sentAt: 1.7e18 }, /^sentAt: .*not nanoseconds/],
    ['not an object', /./],
  ])('refuses %j with a message naming the field', (body, message) => {
    const result = parseBatch(body);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toMatch(message);
    }
  });
});

describe('isValidId', () => {
  it('accepts UUIDs and refuses path tricks', () => {
    expect(isValidId('0190c6f0-8b1e-7c3a-9d2e-1f2a3b4c5d6e')).toBe(true);
    expect(isValidId('a/b')).toBe(false);
    expect(isValidId('')).toBe(false);
    expect(isValidId(42)).toBe(false);
  });
});
