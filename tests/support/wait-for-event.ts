import { API_PATHS, type SessionResponse } from '@replaykit/core';

/** How long to wait, by default, for the recorder's batches to reach the server. */
export const DELIVERY_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 250;

/**
 * Polls the real read API until the session lists the custom event `name`, which proves the
 * batch that carried it was acknowledged and stored. Throws with what it saw on timeout.
 */
export async function waitForCustomEvent(
  server: { url: string; readKey: string },
  sessionId: string,
  name: string,
  timeoutMs: number = DELIVERY_TIMEOUT_MS,
): Promise<SessionResponse> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    const response = await fetch(`${server.url}${API_PATHS.session(sessionId)}`, {
      headers: { authorization: `Bearer ${server.readKey}` },
    });
    if (response.ok) {
      const body = (await response.json()) as SessionResponse;
      if (body.session.customEventNames.includes(name)) {
        return body;
      }
      last = `events so far: ${body.session.customEventNames.join(', ') || 'none'}`;
    } else {
      last = `the server answered ${response.status}`;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `The custom event "${name}" of session ${sessionId} did not reach the server in time (${last}).`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
