import { EventType, type RecordedEvent, ReservedEvent } from '@replaykit/core';
import { describe, expect, it } from 'vitest';
import { createEventProcessor, maskSensitiveText } from './privacy';

function custom(tag: string, payload: unknown): RecordedEvent {
  return { type: EventType.Custom, data: { tag, payload }, timestamp: 1 };
}

function payloadOf(event: RecordedEvent): Record<string, unknown> {
  return (event.data as { payload: Record<string, unknown> }).payload;
}

describe('createEventProcessor on replaykit events', () => {
  it('redacts sensitive query values in the Meta href and in $navigation and $network URLs', () => {
    const process = createEventProcessor({ sensitiveQueryParams: ['customer'] });
    const meta = process({
      type: EventType.Meta,
      data: { href: 'https://shop.test/a?customer=c-secret&page=2', width: 1, height: 1 },
      timestamp: 1,
    });
    expect(JSON.stringify(meta)).not.toContain('c-secret');
    expect(JSON.stringify(meta)).toContain('page=2');
    const navigation = process(
      custom(ReservedEvent.Navigation, { url: '/b?reset_token=t-secret', kind: 'pushState' }),
    );
    expect(payloadOf(navigation).url).toBe('/b?reset_token=%5Bredacted%5D');
    const network = process(
      custom(ReservedEvent.Network, { url: '/api?apiKey=k-secret&q=shoes', method: 'GET' }),
    );
    expect(payloadOf(network).url).toBe('/api?apiKey=%5Bredacted%5D&q=shoes');
  });

  it('masks console text by the preset: all of it under strict, personal-looking parts under balanced', () => {
    const message = custom(ReservedEvent.Console, { level: 'log', args: ['user pat@example.com logged in'] });
    expect(payloadOf(createEventProcessor({ preset: 'strict' })(message)).args).toEqual([
      '**** *************** ****** **',
    ]);
    expect(payloadOf(createEventProcessor({ preset: 'balanced' })(message)).args).toEqual([
      'user *************** logged in',
    ]);
    expect(payloadOf(createEventProcessor({ preset: 'relaxed' })(message)).args).toEqual([
      'user pat@example.com logged in',
    ]);
  });

  it('leaves the host’s own custom events alone', () => {
    const event = custom('checkout_error', { url: '/x?token=mine' });
    expect(createEventProcessor({ preset: 'strict' })(event)).toBe(event);
  });
});

describe('maskSensitiveText', () => {
  it.each([
    ['card 4242 4242 4242 4242 declined', 'card **** **** **** **** declined'],
    ['ssn 123-45-6789', 'ssn ***********'],
    ['mail a.b@example.org now', 'mail *************** now'],
    ['order 42 of 3 items', 'order 42 of 3 items'],
    // The shortest phone number the patterns know: 8 digits (the fast path must not skip it).
    ['call 12 345 678', 'call ** *** ***'],
  ])('%s → %s', (input, expected) => {
    expect(maskSensitiveText(input)).toBe(expected);
  });
});
