import type { SessionEventsResponse, SessionResponse, SessionSummary } from '@replaykit/core';
import { describe, expect, it, vi } from 'vitest';
import { loadSession } from './load-session';
import { custom, fullSnapshot, meta, mutation } from './test/events';
import { sessionSummary } from './test/summary';

const SESSION_ID = '0192e4a0-7b1c-7def-8000-000000000001';

function summary(overrides: Partial<SessionSummary> = {}): SessionSummary {
  return sessionSummary({ id: SESSION_ID, ...overrides });
}

const replayable: SessionEventsResponse = {
  events: [meta(1_000), fullSnapshot(1_020), custom(3_000, 'checkout_error'), mutation(5_000)],
};

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function serverWith(session: SessionResponse | Response, events: SessionEventsResponse | Response) {
  return vi.fn<typeof globalThis.fetch>(async (input) => {
    const url = String(input);
    if (url.includes('/events')) {
      return events instanceof Response ? events : json(events);
    }
    return session instanceof Response ? session : json(session);
  });
}

describe('loadSession', () => {
  it('asks for the session then its events, with the read key as a bearer token', async () => {
    const fetch = serverWith({ session: summary(), markers: [] }, replayable);
    const result = await loadSession({
      sessionId: SESSION_ID,
      baseUrl: 'https://replay.test/',
      readKey: 'rk_read',
      fetch,
    });
    expect(result.status).toBe('ready');
    expect(fetch.mock.calls.map(([url]) => String(url))).toEqual([
      `https://replay.test/v1/sessions/${SESSION_ID}`,
      `https://replay.test/v1/sessions/${SESSION_ID}/events`,
    ]);
    for (const [, init] of fetch.mock.calls) {
      expect(init?.headers).toEqual({ authorization: 'Bearer rk_read' });
    }
  });

  it("keeps the server's markers and plays only the first window of several", async () => {
    const marker = { id: '2', kind: 'error' as const, label: 'Card declined', timestamp: 3_000 };
    const fetch = serverWith(
      { session: summary({ windowIds: ['window-a', 'window-b'] }), markers: [marker] },
      replayable,
    );
    const result = await loadSession({ sessionId: SESSION_ID, readKey: 'rk_read', fetch });
    expect(String(fetch.mock.calls[1]?.[0])).toBe(`/v1/sessions/${SESSION_ID}/events?windowId=window-a`);
    expect(result).toMatchObject({ status: 'ready', windowId: 'window-a' });
    if (result.status === 'ready') {
      expect(result.timeline.markers).toEqual([marker]);
      expect(result.timeline.durationMs).toBe(4_000);
    }
  });

  it.each([
    [404, 'not-found'],
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [500, 'error'],
  ] as const)('maps HTTP %i to %s', async (status, expected) => {
    const fetch = serverWith(json({ error: 'x' }, status), replayable);
    const result = await loadSession({ sessionId: SESSION_ID, readKey: 'rk_read', fetch });
    expect(result.status).toBe(expected);
    expect(result).toHaveProperty('message', expect.any(String));
  });

  it("passes on the server's own explanation", async () => {
    const body = {
      error: { code: 'session_not_found', message: 'No session in this project; check the id.' },
    };
    const fetch = serverWith(json(body, 404), replayable);
    const result = await loadSession({ sessionId: SESSION_ID, readKey: 'rk_read', fetch });
    expect(result).toMatchObject({
      status: 'not-found',
      message: expect.stringContaining('The server said: No session in this project; check the id.'),
    });
  });

  it('reports an unreachable server as an error that says what to check', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockRejectedValue(new TypeError('Failed to fetch'));
    const result = await loadSession({ sessionId: SESSION_ID, baseUrl: 'https://replay.test', fetch });
    expect(result).toMatchObject({ status: 'error', message: expect.stringContaining('Check baseUrl') });
  });

  it('rejects a body of the wrong shape', async () => {
    const fetch = serverWith({ session: summary(), markers: [] }, json({ items: [] }));
    const result = await loadSession({ sessionId: SESSION_ID, fetch });
    expect(result).toMatchObject({
      status: 'error',
      message: expect.stringContaining('SessionEventsResponse'),
    });
  });

  it('reports no-snapshot when no Meta + FullSnapshot pair arrived', async () => {
    const fetch = serverWith(
      { session: summary({ hasFullSnapshot: false }), markers: [] },
      { events: [meta(1_000), mutation(2_000)] },
    );
    const result = await loadSession({ sessionId: SESSION_ID, fetch });
    expect(result.status).toBe('no-snapshot');
  });

  it('rejects when aborted, so a stale load cannot overwrite a newer one', async () => {
    const controller = new AbortController();
    const fetch = vi.fn<typeof globalThis.fetch>(async (_input, init) => {
      controller.abort();
      throw init?.signal?.reason ?? new Error('aborted');
    });
    await expect(
      loadSession({ sessionId: SESSION_ID, fetch, signal: controller.signal }),
    ).rejects.toBeDefined();
  });
});
