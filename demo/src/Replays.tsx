import { API_PATHS, type SessionListResponse, type SessionSummary } from '@replaykit/core';
import { ReplayPlayer } from '@replaykit/player';
import { useCallback, useEffect, useState } from 'react';
import { config } from './config';

type ListState =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; sessions: SessionSummary[] };

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

interface ReplaysProps {
  path: string;
  navigate: (path: string) => void;
}

/** The internal tool: recorded sessions, newest first, and the chosen one playing. */
export function Replays({ path, navigate }: ReplaysProps) {
  const selected = new URLSearchParams(path.split('?')[1] ?? '').get('session');
  const [list, setList] = useState<ListState>({ kind: 'loading' });

  const load = useCallback(async () => {
    setList({ kind: 'loading' });
    try {
      const response = await fetch(`${config.endpoint}${API_PATHS.sessions}`, {
        headers: { authorization: `Bearer ${config.readKey}` },
      });
      if (!response.ok) {
        throw new Error(`the server answered ${response.status}`);
      }
      const body = (await response.json()) as SessionListResponse;
      setList({ kind: 'ready', sessions: body.sessions });
    } catch (error) {
      setList({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="replays" aria-labelledby="replays-title">
      <h1 id="replays-title">Replays</h1>
      {list.kind === 'loading' && <p>Loading sessions…</p>}
      {list.kind === 'error' && (
        <p role="alert">
          Could not load sessions: {list.message}.{' '}
          <button type="button" onClick={() => void load()}>
            Retry
          </button>
        </p>
      )}
      {list.kind === 'ready' && list.sessions.length === 0 && (
        <p>No sessions yet: use the shop, then come back here.</p>
      )}
      {list.kind === 'ready' && list.sessions.length > 0 && (
        <table className="sessions">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">User</th>
              <th scope="col">First URL</th>
              <th scope="col">Events</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.sessions.map((session) => (
              <tr key={session.id} aria-selected={session.id === selected}>
                <td>{new Date(session.startedAt).toLocaleString()}</td>
                <td>{formatDuration(session.durationMs)}</td>
                <td>{session.userId ?? '—'}</td>
                <td className="url">{session.firstUrl ?? '—'}</td>
                <td>{session.customEventNames.join(', ') || '—'}</td>
                <td>
                  <button
                    type="button"
                    data-session-id={session.id}
                    onClick={() => navigate(`/replays?session=${encodeURIComponent(session.id)}`)}
                  >
                    Play
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && (
        <div className="player-panel">
          <h2>Session {selected}</h2>
          <ReplayPlayer
            key={selected}
            sessionId={selected}
            baseUrl={config.endpoint}
            readKey={config.readKey}
          />
        </div>
      )}
    </section>
  );
}
