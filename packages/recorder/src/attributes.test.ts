import { describe, expect, it } from 'vitest';
import { PRIVACY_ATTRIBUTES } from './attributes';
import { PRIVACY_ATTRIBUTES as RULE_ATTRIBUTES } from './privacy';

describe('PRIVACY_ATTRIBUTES', () => {
  it('names the same attributes the privacy rules read', () => {
    expect(PRIVACY_ATTRIBUTES).toEqual(RULE_ATTRIBUTES);
  });
});
