import { describe, expect, it } from 'vitest';
import { createUuidV7 } from './session-id';

describe('createUuidV7 in Chromium', () => {
  it('makes version-7 ids that sort by creation time', () => {
    const earlier = createUuidV7(1_700_000_000_000);
    const later = createUuidV7(1_700_000_000_001);
    expect(earlier).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(earlier < later).toBe(true);
    expect(navigator.userAgent).toContain('Chrome');
  });
});
