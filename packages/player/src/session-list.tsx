'use client';

import {
  API_PATHS,
  type SessionListQuery,
  type SessionListResponse,
  type SessionSort,
  type SessionSummary,
  sessionListSearchParams,
} from '@replaykit/core';
import {
  type ComponentPropsWithoutRef,
  type FormEvent,
  forwardRef,
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
} from 'react';
import { formatTime } from './format-time';
import { joinUrl, requestParts, serverErrorField } from './load-session';
import { useReplayServer } from './provider';

/** Sessions per page that `<SessionList>` asks for unless told otherwise. */
export const SESSION_LIST_PAGE_SIZE = 25;

/** Props of `<SessionList>`. */
export interface SessionListProps extends Omit<ComponentPropsWithoutRef<'section'>, 'children' | 'onSelect'> {
  /** Called with the session a row's "Play" button opens. */
  onSelect: (session: SessionSummary) => void;
  /** The session shown as selected. */
  selectedId?: string | null;
  /** Filters and sort to start with. */
  initialQuery?: SessionListQuery;
  /**
   * Called with the filters and sort once the viewer applies them (Apply, or another sort),
   * so a host can keep them in its URL and pass them back as `initialQuery` on the next visit.
   */
  onQueryChange?: (query: SessionListFilters) => void;
  /** Page size; default {@link SESSION_LIST_PAGE_SIZE}. */
  pageSize?: number;
  baseUrl?: string;
  readKey?: string;
  /** Replaces the global `fetch` (custom auth, tests). */
  fetch?: typeof fetch;
  /** A heading above the list; default "Recordings". */
  title?: string;
  /** Colour theme, as `<ReplayPlayer>`'s: `light`, `dark`, or `auto` (follows the system); default `light`. */
  theme?: 'light' | 'dark' | 'auto';
}

/** What `onQueryChange` reports: a list query without its paging. */
export type SessionListFilters = Omit<SessionListQuery, 'limit' | 'cursor'>;

type ListState =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | {
      kind: 'ready';
      sessions: SessionSummary[];
      nextCursor: string | null;
      loadingMore: boolean;
      /** Why the last "Load more" failed; the rows loaded so far stay. */
      moreError: string | null;
    };

interface FilterFields {
  userId: string;
  event: string;
  urlContains: string;
  from: string;
  to: string;
  minDurationSeconds: string;
  hasErrors: boolean;
  sort: SessionSort;
}

/** The two ends of the date range, as the form shows them. */
const DATE_FIELDS = [
  { name: 'from', label: 'From' },
  { name: 'to', label: 'To' },
] as const;

/** The local calendar day of a time, as a date input's `yyyy-mm-dd` value. */
function toDateInput(ms: number | undefined): string {
  if (ms === undefined) {
    return '';
  }
  const date = new Date(ms);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Local midnight starting a `yyyy-mm-dd` day, plus `days` days (so DST days stay whole). */
function localMidnight(day: string, days = 0): number | undefined {
  const [year, month, date] = day.split('-').map(Number);
  if (!year || !month || !date) {
    return undefined;
  }
  return new Date(year, month - 1, date + days).getTime();
}

function fieldsOf(query: SessionListQuery): FilterFields {
  return {
    userId: query.userId ?? '',
    event: query.event ?? '',
    urlContains: query.urlContains ?? '',
    from: toDateInput(query.from),
    to: toDateInput(query.to),
    minDurationSeconds: query.minDurationMs === undefined ? '' : String(query.minDurationMs / 1000),
    hasErrors: query.hasErrors === true,
    sort: query.sort ?? 'newest',
  };
}

/** Turns the form's fields into a list query; dates are whole local days (`to` inclusive). */
function queryOf(fields: FilterFields, limit: number): SessionListQuery {
  const from = fields.from === '' ? undefined : localMidnight(fields.from);
  const to = fields.to === '' ? undefined : localMidnight(fields.to, 1);
  const minSeconds = Number(fields.minDurationSeconds);
  return {
    userId: fields.userId.trim() || undefined,
    event: fields.event.trim() || undefined,
    urlContains: fields.urlContains.trim() || undefined,
    from: from !== undefined && Number.isFinite(from) ? from : undefined,
    to: to !== undefined && Number.isFinite(to) ? to : undefined,
    minDurationMs:
      fields.minDurationSeconds !== '' && minSeconds > 0 ? Math.round(minSeconds * 1000) : undefined,
    hasErrors: fields.hasErrors ? true : undefined,
    sort: fields.sort,
    limit,
  };
}

/** An empty list under filters: the filters are what to change. */
const NO_MATCH_MESSAGE = 'No recordings match these filters.';
/** An empty list with no filters: nothing has been recorded (or kept) yet. */
const NOTHING_RECORDED_MESSAGE = 'No recordings yet: a session shows here once a recorder has sent it.';

/** Whether a query narrows the list; its sort and paging do not. */
function isFiltered(query: SessionListQuery): boolean {
  const { sort: _sort, limit: _limit, cursor: _cursor, ...filters } = query;
  return Object.values(filters).some((value) => value !== undefined);
}

/** The count of errors, with console errors and failed requests named under it. */
function ErrorsCell({ session }: { session: SessionSummary }) {
  const errors = session.errorCount ?? 0;
  const others = otherProblemsOf(session);
  return (
    <td data-errors={errors > 0}>
      {errors}
      {others !== null && (
        <>
          {/* Read as "0 errors, 1 failed request", not "01 failed request". */}
          <span className="rk-visually-hidden">{errors === 1 ? ' error, ' : ' errors, '}</span>
          <span className="rk-error-detail">{others}</span>
        </>
      )}
    </td>
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Console errors and failed requests, named apart from the errors: "With errors" and "Most
 * errors" count `$error` events only, so the number in the Errors column must be that one.
 */
function otherProblemsOf(session: SessionSummary): string | null {
  // Summaries stored by older servers may lack the counts.
  const consoleErrors = session.consoleErrorCount ?? 0;
  const failedRequests = session.failedRequestCount ?? 0;
  const problems = [
    consoleErrors > 0 ? plural(consoleErrors, 'console error') : null,
    failedRequests > 0 ? plural(failedRequests, 'failed request') : null,
  ].filter((problem) => problem !== null);
  return problems.length === 0 ? null : problems.join(', ');
}

/**
 * Recorded sessions from a replaykit server, newest first, with filters (user, event, URL,
 * dates, minimum duration, errors only), sorting, "Load more" pagination and the columns a
 * support person needs. Each row's "Play" button calls `onSelect`.
 */
export const SessionList = forwardRef<HTMLElement, SessionListProps>(function SessionList(
  {
    onSelect,
    selectedId,
    initialQuery = {},
    onQueryChange,
    pageSize = SESSION_LIST_PAGE_SIZE,
    baseUrl,
    readKey,
    fetch,
    title = 'Recordings',
    theme = 'light',
    className,
    ...props
  },
  ref,
) {
  const server = useReplayServer({ baseUrl, readKey, fetch });
  const [fields, setFields] = useState<FilterFields>(() => fieldsOf(initialQuery));
  const [query, setQuery] = useState<SessionListQuery>(() => queryOf(fieldsOf(initialQuery), pageSize));
  const [state, setState] = useState<ListState>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  /** Why the filters were not applied: a date range that ends before it starts. */
  const [rangeError, setRangeError] = useState<string | null>(null);
  const headingId = useId();
  const rangeErrorId = useId();
  /** Aborts when the list shown is replaced (other filters, a retry, unmount): its pages are stale then. */
  const listSignalRef = useRef<AbortSignal | null>(null);

  const fetchPage = useCallback(
    async (page: SessionListQuery, signal?: AbortSignal): Promise<SessionListResponse> => {
      const { fetchFn, headers, baseUrl } = requestParts({
        baseUrl: server.baseUrl,
        readKey: server.readKey,
        fetch: server.fetch,
      });
      const url = joinUrl(baseUrl, `${API_PATHS.sessions}?${sessionListSearchParams(page)}`);
      let response: Response;
      try {
        response = await fetchFn(url, { headers, signal });
      } catch (error) {
        if (signal?.aborted) {
          throw error;
        }
        throw new Error(
          `could not reach the replaykit server (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      if (response.status === 401 || response.status === 403) {
        throw new Error(
          `the server refused the read key (HTTP ${response.status}); pass the project's secret read key`,
        );
      }
      if (!response.ok) {
        // The server's message says what is wrong with a refused filter, and what to use instead.
        const detail = await serverErrorField(response, 'message');
        throw new Error(
          detail === null
            ? `the server answered HTTP ${response.status}; retry, or check the server's logs`
            : `the server answered HTTP ${response.status}: ${detail.replace(/\.$/, '')}`,
        );
      }
      const body = (await response.json()) as SessionListResponse;
      if (!Array.isArray(body.sessions)) {
        throw new Error('the answer is not a session list; check that baseUrl points at a replaykit server');
      }
      return body;
    },
    [server.baseUrl, server.readKey, server.fetch],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: bumping `attempt` is how Retry loads again.
  useEffect(() => {
    const controller = new AbortController();
    listSignalRef.current = controller.signal;
    setState({ kind: 'loading' });
    fetchPage(query, controller.signal).then(
      (body) =>
        setState({
          kind: 'ready',
          sessions: body.sessions,
          nextCursor: body.nextCursor,
          loadingMore: false,
          moreError: null,
        }),
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setState({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
        }
      },
    );
    return () => controller.abort();
  }, [fetchPage, query, attempt]);

  const loadMore = async () => {
    if (state.kind !== 'ready' || state.nextCursor === null) {
      return;
    }
    const signal = listSignalRef.current ?? undefined;
    setState({ ...state, loadingMore: true, moreError: null });
    try {
      const body = await fetchPage({ ...query, cursor: state.nextCursor }, signal);
      if (signal?.aborted) {
        return;
      }
      setState({
        kind: 'ready',
        sessions: [...state.sessions, ...body.sessions],
        nextCursor: body.nextCursor,
        loadingMore: false,
        moreError: null,
      });
    } catch (error) {
      if (!signal?.aborted) {
        const moreError = error instanceof Error ? error.message : String(error);
        setState({ ...state, loadingMore: false, moreError });
      }
    }
  };

  /** Lists what `next` asks for, unless its days are the wrong way round (the server would refuse them). */
  const apply = (next: FilterFields) => {
    // `yyyy-mm-dd` strings sort as the days do.
    if (next.from !== '' && next.to !== '' && next.from > next.to) {
      setRangeError(
        `"From" (${next.from}) is after "To" (${next.to}); pick a From day on or before the To day, or clear one of them`,
      );
      return;
    }
    setRangeError(null);
    const nextQuery = queryOf(next, pageSize);
    setQuery(nextQuery);
    const { limit: _limit, cursor: _cursor, ...filters } = nextQuery;
    onQueryChange?.(filters);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply(fields);
  };
  // Both days are marked: either may be the one to change.
  const rangeInvalidProps =
    rangeError === null ? {} : ({ 'aria-invalid': true, 'aria-describedby': rangeErrorId } as const);
  const set = <K extends keyof FilterFields>(name: K, value: FilterFields[K]) =>
    setFields((previous) => ({ ...previous, [name]: value }));

  return (
    <section
      {...props}
      ref={ref}
      className={className ? `rk-session-list ${className}` : 'rk-session-list'}
      data-theme={theme}
      aria-labelledby={headingId}
    >
      <h2 id={headingId} className="rk-session-list-title">
        {title}
      </h2>
      <form className="rk-filters" onSubmit={submit} aria-label="Filter recordings">
        <label>
          User <input value={fields.userId} onChange={(e) => set('userId', e.currentTarget.value)} />
        </label>
        <label>
          Event <input value={fields.event} onChange={(e) => set('event', e.currentTarget.value)} />
        </label>
        <label>
          URL contains{' '}
          <input value={fields.urlContains} onChange={(e) => set('urlContains', e.currentTarget.value)} />
        </label>
        {DATE_FIELDS.map(({ name, label }) => (
          <label key={name}>
            {label}{' '}
            <input
              type="date"
              value={fields[name]}
              {...rangeInvalidProps}
              onChange={(e) => set(name, e.currentTarget.value)}
            />
          </label>
        ))}
        <label>
          Min. duration (s)
          <input
            type="number"
            min={0}
            inputMode="numeric"
            value={fields.minDurationSeconds}
            onChange={(e) => set('minDurationSeconds', e.currentTarget.value)}
          />
        </label>
        <label className="rk-checkbox">
          <input
            type="checkbox"
            checked={fields.hasErrors}
            onChange={(e) => set('hasErrors', e.currentTarget.checked)}
          />
          With errors
        </label>
        <label>
          Sort
          <select
            value={fields.sort}
            onChange={(e) => {
              const sort = e.currentTarget.value as SessionSort;
              set('sort', sort);
              apply({ ...fields, sort });
            }}
          >
            <option value="newest">Newest</option>
            <option value="longest">Longest</option>
            <option value="most_errors">Most errors</option>
          </select>
        </label>
        <button type="submit">Apply</button>
        {rangeError !== null && (
          <p id={rangeErrorId} role="alert" className="rk-message rk-filter-error">{`${rangeError}.`}</p>
        )}
      </form>
      {state.kind === 'loading' && <p role="status">Loading recordings…</p>}
      {state.kind === 'error' && (
        <div role="alert" className="rk-message">
          <p>{`Could not load recordings: ${state.message}.`}</p>
          <button type="button" className="rk-retry" onClick={() => setAttempt((n) => n + 1)}>
            Retry
          </button>
        </div>
      )}
      {state.kind === 'ready' && state.sessions.length === 0 && (
        <p>{isFiltered(query) ? NO_MATCH_MESSAGE : NOTHING_RECORDED_MESSAGE}</p>
      )}
      {state.kind === 'ready' && state.sessions.length > 0 && (
        <>
          {/* The table scrolls sideways by itself in a narrow window, not the host's whole page. */}
          <div className="rk-sessions-scroll">
            <table className="rk-sessions">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Started</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Active</th>
                  <th scope="col">First URL</th>
                  <th scope="col">Clicks</th>
                  <th scope="col">Errors</th>
                  <th scope="col">
                    <span className="rk-visually-hidden">Open</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {state.sessions.map((session) => (
                  <tr key={session.id} aria-selected={session.id === selectedId} data-session-id={session.id}>
                    <td>{session.userId ?? 'Anonymous'}</td>
                    <td>
                      <time dateTime={new Date(session.startedAt).toISOString()}>
                        {new Date(session.startedAt).toLocaleString()}
                      </time>
                    </td>
                    <td>{formatTime(session.durationMs)}</td>
                    <td>{session.activeMs === undefined ? '—' : formatTime(session.activeMs)}</td>
                    <td className="rk-url" title={session.firstUrl ?? undefined}>
                      {session.firstUrl ?? '—'}
                    </td>
                    <td>{session.clickCount}</td>
                    <ErrorsCell session={session} />
                    <td>
                      <button
                        type="button"
                        data-session-id={session.id}
                        aria-label={`Play the recording of ${session.userId ?? 'an anonymous user'} from ${new Date(session.startedAt).toLocaleString()}`}
                        onClick={() => onSelect(session)}
                      >
                        Play
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {state.moreError !== null && (
            <p role="alert" className="rk-message">{`Could not load more recordings: ${state.moreError}.`}</p>
          )}
          {state.nextCursor !== null && (
            <button
              type="button"
              className="rk-load-more"
              disabled={state.loadingMore}
              onClick={() => void loadMore()}
            >
              {state.loadingMore ? 'Loading…' : 'Load more'}
            </button>
          )}
        </>
      )}
    </section>
  );
});
