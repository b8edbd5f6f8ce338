import type { SessionSummary } from '@replaykit/core';
import {
  ReplayPlayer,
  type ReplayPlayerState,
  ReplayProvider,
  readTimeParam,
  SessionList,
  TIME_PARAM,
  writeTimeParam,
} from '@replaykit/player';
import { useEffect, useMemo, useRef, useState } from 'react';
import { config } from './config';
import { filtersOf, filtersQuery, pathWith, withFilters } from './list-params';
import { sessionTitle } from './session-title';

/** What the page knows of the session playing, to keep its ?t= link current. */
interface LinkState extends ReplayPlayerState {
  session: string | null;
  /** ms from the first event. */
  time: number;
}

function linkStateOf(session: string | null): LinkState {
  return { session, time: 0, load: 'loading', playback: 'paused', interrupted: null };
}

interface ReplaysProps {
  path: string;
  navigate: (path: string) => void;
}

/**
 * The internal tool: recorded sessions with filters, and the chosen one playing with its
 * inspector. `?session=` picks the session and `?t=` (seconds) the moment, so links can be shared.
 */
export function Replays({ path, navigate }: ReplaysProps) {
  const search = new URLSearchParams(path.split('?')[1] ?? '');
  const selected = search.get('session');
  // The list's filters live in the URL too, so a reload, a shared link, Back and Forward show
  // the same list. The list keeps its own fields: when the URL's filters change under it (Back,
  // Forward, the Replays link), it starts again from them; when it applied them itself, it stays.
  const urlFilters = filtersQuery(search);
  const listRef = useRef({ filters: urlFilters, generation: 0 });
  if (listRef.current.filters !== urlFilters) {
    listRef.current = { filters: urlFilters, generation: listRef.current.generation + 1 };
  }
  // Read once per session: later time updates rewrite ?t= without seeking again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the deep link applies when the session changes only.
  const initialTime = useMemo(() => readTimeParam(), [selected]);
  // The time and state of the session playing: a new session starts from nothing, so that
  // its first pause never writes the previous session's moment into its link.
  const linkRef = useRef(linkStateOf(selected));
  if (linkRef.current.session !== selected) {
    linkRef.current = linkStateOf(selected);
  }
  /**
   * Keeps ?t= current whenever the replay stands still (paused, or after a seek while paused),
   * so the address bar is a deep link to what is on screen. While it plays, the pause writes it.
   */
  const keepLinkCurrent = () => {
    const { load, playback, time } = linkRef.current;
    // At 0, only a link that names a moment is rewritten: a session just opened has none.
    if (load === 'ready' && playback !== 'playing' && (time > 0 || readTimeParam() !== undefined)) {
      writeTimeParam(time);
    }
  };
  // The player sits below the list, out of sight in most windows: a chosen session (from the
  // list, a link or history) is scrolled to, and focus goes to its heading, so a keyboard or
  // screen reader user lands there and tabs on into the player.
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const heading = headingRef.current;
    if (selected !== null && heading !== null) {
      heading.scrollIntoView({ block: 'start' });
      heading.focus({ preventScroll: true });
    }
  }, [selected]);

  // Who and when, for the heading: an id alone tells a support engineer nothing. The player
  // hands over the summary it loaded; until then (or if it never comes: the player says why)
  // the heading names the session by its id.
  const [summary, setSummary] = useState<SessionSummary | null>(null);
  const shown = summary?.id === selected ? summary : null;

  return (
    <ReplayProvider baseUrl={config.endpoint} readKey={config.readKey}>
      <section className="replays" aria-labelledby="replays-title">
        <h1 id="replays-title">Replays</h1>
        <SessionList
          title="Recorded sessions"
          theme="auto"
          selectedId={selected}
          key={listRef.current.generation}
          initialQuery={filtersOf(search)}
          onQueryChange={(filters) => {
            // Each applied filter set is a history entry, so Back returns to the list before it
            // (typing in a field applies nothing). Applying the same filters again adds none.
            const next = withFilters(new URLSearchParams(window.location.search), filters);
            if (next.toString() !== new URLSearchParams(window.location.search).toString()) {
              listRef.current.filters = filtersQuery(next);
              navigate(pathWith(next));
            }
          }}
          onSelect={(session) => {
            const next = new URLSearchParams(window.location.search);
            next.set('session', session.id);
            next.delete(TIME_PARAM);
            navigate(pathWith(next));
          }}
        />
        {selected && (
          <div className="player-panel">
            <h2 ref={headingRef} tabIndex={-1}>
              {shown === null ? `Session ${selected}` : sessionTitle(shown)}
            </h2>
            <p className="session-id">
              Session ID <code>{selected}</code>
            </p>
            <div className="player-frame">
              <ReplayPlayer
                key={selected}
                sessionId={selected}
                initialTime={initialTime}
                theme="auto"
                onSummaryLoad={setSummary}
                onTimeUpdate={(time) => {
                  linkRef.current.time = time;
                  keepLinkCurrent();
                }}
                onStateChange={({ load, playback }) => {
                  linkRef.current.load = load;
                  linkRef.current.playback = playback;
                  keepLinkCurrent();
                }}
              />
            </div>
          </div>
        )}
      </section>
    </ReplayProvider>
  );
}
