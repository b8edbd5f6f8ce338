import { describe, expect, it } from 'vitest';
import { REDACTED, redactUrl } from './redact';

const R = encodeURIComponent(REDACTED);

describe('redactUrl', () => {
  it.each([
    ['https://a.test/cb?code=abc123&state=xyz', `https://a.test/cb?code=${R}&state=xyz`],
    ['https://a.test/?access_token=t0k&page=2', `https://a.test/?access_token=${R}&page=2`],
    ['https://a.test/?apiKey=k&SessionId=s', `https://a.test/?apiKey=${R}&SessionId=${R}`],
    ['/relative?password=hunter2', `/relative?password=${R}`],
    ['https://a.test/#access_token=t&type=bearer', `https://a.test/#access_token=${R}&type=bearer`],
    ['https://a.test/#section-2', 'https://a.test/#section-2'],
    ['https://a.test/plain', 'https://a.test/plain'],
    ['not a url ?% token=%%', `not a url ?% token=${R}`],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('also redacts the values a predicate picks, whatever their name', () => {
    const digits = (value: string) => /\d/.test(value);
    expect(redactUrl('https://a.test/?q=shoes&ref=a1+b&=42#x=7', [], digits)).toBe(
      `https://a.test/?q=shoes&ref=${R}&=${R}#x=${R}`,
    );
    expect(redactUrl('https://a.test/?q=shoes&token=t', [], () => false)).toBe(
      `https://a.test/?q=shoes&token=${R}`,
    );
  });

  it('redacts names the host adds', () => {
    expect(redactUrl('https://a.test/?invite=abc&x=1', ['invite'])).toBe(`https://a.test/?invite=${R}&x=1`);
  });
});
