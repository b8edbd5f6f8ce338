import { type SessionSort, sessionListSearchParams } from '@replaykit/core';
import type { SessionListFilters } from '@replaykit/player';

/** The list's filters and sort in the page's query string, under the server's parameter names. */
const FILTER_PARAMS = [
  'userId',
  'event',
  'urlContains',
  'from',
  'to',
  'minDurationMs',
  'hasErrors',
  'sort',
] as const satisfies readonly (keyof SessionListFilters)[];

const SORTS: readonly SessionSort[] = ['newest', 'longest', 'most_errors'];

/** The filters a query string names; a value that is not one (a hand-edited link) is left out. */
export function filtersOf(search: URLSearchParams): SessionListFilters {
  const text = (name: string) => search.get(name) || undefined;
  const number = (name: string) => {
    const value = Number(search.get(name) ?? '');
    return search.get(name) && Number.isFinite(value) ? value : undefined;
  };
  const sort = search.get('sort');
  return {
    userId: text('userId'),
    event: text('event'),
    urlContains: text('urlContains'),
    from: number('from'),
    to: number('to'),
    minDurationMs: number('minDurationMs'),
    hasErrors: search.get('hasErrors') === 'true' || undefined,
    sort: SORTS.find((known) => known === sort),
  };
}

/** `search` with its filter parameters replaced by `filters` (the default sort left out). */
export function withFilters(search: URLSearchParams, filters: SessionListFilters): URLSearchParams {
  const next = new URLSearchParams(search);
  for (const name of FILTER_PARAMS) {
    next.delete(name);
  }
  const named = sessionListSearchParams({
    ...filters,
    sort: filters.sort === 'newest' ? undefined : filters.sort,
  });
  for (const [name, value] of named) {
    next.set(name, value);
  }
  return next;
}

/** The filter part of a query string, spelled one way: two that list the same sessions give the same text. */
export function filtersQuery(search: URLSearchParams): string {
  return withFilters(new URLSearchParams(), filtersOf(search)).toString();
}

/** This page's path with `search`, without a bare `?` when it is empty. */
export function pathWith(search: URLSearchParams): string {
  const query = search.toString();
  return query === '' ? window.location.pathname : `${window.location.pathname}?${query}`;
}
