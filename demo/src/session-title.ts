import type { SessionSummary } from '@replaykit/core';
import { formatDuration } from '@replaykit/player';

/**
 * A chosen session's heading: who (the identified user, else "Anonymous visitor"), when it
 * started (as the session list writes it) and how long it lasted. The id is shown beside it.
 */
export function sessionTitle(session: Pick<SessionSummary, 'userId' | 'startedAt' | 'durationMs'>): string {
  const who = session.userId ?? 'Anonymous visitor';
  return `${who} – ${new Date(session.startedAt).toLocaleString()} (${formatDuration(session.durationMs)})`;
}
