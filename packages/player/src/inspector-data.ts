import {
  CONSOLE_LEVELS,
  type ConsolePayload,
  droppedLabel,
  isClick,
  isCustomEvent,
  type NetworkPayload,
  type RecordedEvent,
  ReservedEvent,
  requestStartedAt,
} from '@replaykit/core';
import { describeClickTargets } from './click-target';

/** The inspector's tabs, in the order shown. */
export const INSPECTOR_TABS = ['events', 'console', 'network'] as const;

/** One of {@link INSPECTOR_TABS}. */
export type InspectorTab = (typeof INSPECTOR_TABS)[number];

/**
 * Throws unless `value` is an inspector tab, naming `what` was given it (e.g. "<ReplayPlayer>
 * defaultInspectorTab"): a typo from plain JavaScript or a URL parameter otherwise shows an
 * empty inspector, or fails deep inside it.
 */
export function assertInspectorTab(value: unknown, what: string): asserts value is InspectorTab {
  if (!(INSPECTOR_TABS as readonly unknown[]).includes(value)) {
    throw new Error(
      `${what} must be one of ${INSPECTOR_TABS.map((tab) => `"${tab}"`).join(', ')}, not ${JSON.stringify(value)}: pass one of those (lower case), or leave it out for "events".`,
    );
  }
}

/** One row of the inspector, derived from one recorded event. */
export interface ReplayEventItem {
  /** Index of the event in the timeline: unique and stable. */
  id: number;
  tab: InspectorTab;
  /** e.g. `custom`, `navigation`, `click`, `error`, `rage_click`, `dropped`, `console`, `network`. */
  kind: string;
  label: string;
  /** Secondary text: a stack's first line, a selector, "truncated" on a console message cut by the recorder. */
  detail?: string;
  /** Offset from the first event, ms: for a network row, of the request's start. */
  offset: number;
  /** The moment the row stands for, ms since 1970 (`offset` after the first event). */
  timestamp: number;
  payload?: unknown;
  /** Console level, for console rows. */
  level?: ConsolePayload['level'];
  /** Request metadata, for network rows. */
  network?: Pick<NetworkPayload, 'method' | 'url' | 'status' | 'durationMs' | 'startedAt' | 'error'>;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * A rage or dead click row: named as a click row is when the click it was made for is found,
 * else by the selector the recorder gave it.
 */
function markedClick(
  label: string,
  target: string | undefined,
  payload: Record<string, unknown>,
): Pick<ReplayEventItem, 'label' | 'detail'> {
  return target === undefined
    ? { label, detail: text(payload.selector, '') || undefined }
    : { label: `${label} on ${target}` };
}

const CONSOLE_LEVEL_SET = new Set<string>(CONSOLE_LEVELS);

function itemOf(
  event: RecordedEvent,
  id: number,
  startTime: number,
  clickTarget: (event: RecordedEvent) => string | undefined,
): ReplayEventItem | null {
  const base = { id, offset: event.timestamp - startTime, timestamp: event.timestamp };
  if (isClick(event)) {
    // rrweb records only the clicked node's id: its row names that node, as the page stood then.
    const target = clickTarget(event);
    return {
      ...base,
      tab: 'events',
      kind: 'click',
      label: target === undefined ? 'Click' : `Click on ${target}`,
    };
  }
  if (!isCustomEvent(event)) {
    return null;
  }
  const { tag } = event.data;
  const payload = record(event.data.payload);
  const withPayload = { ...base, payload: event.data.payload };
  switch (tag) {
    case ReservedEvent.Navigation:
      return {
        ...withPayload,
        tab: 'events',
        kind: 'navigation',
        label: text(payload.url, 'Navigation'),
        detail: text(payload.kind, '') || undefined,
      };
    case ReservedEvent.Error:
      return {
        ...withPayload,
        tab: 'events',
        kind: 'error',
        label: text(payload.message, 'Error'),
        detail: typeof payload.stack === 'string' ? payload.stack.split('\n')[0] : undefined,
      };
    case ReservedEvent.RageClick:
      return {
        ...withPayload,
        tab: 'events',
        kind: 'rage_click',
        ...markedClick('Rage click', clickTarget(event), payload),
      };
    case ReservedEvent.DeadClick:
      return {
        ...withPayload,
        tab: 'events',
        kind: 'dead_click',
        ...markedClick('Dead click', clickTarget(event), payload),
      };
    case ReservedEvent.Dropped:
      // What the recorder had to lose: the replay around it is incomplete.
      return { ...withPayload, tab: 'events', kind: 'dropped', label: droppedLabel(payload) };
    case ReservedEvent.Identify:
      return {
        ...withPayload,
        tab: 'events',
        kind: 'identify',
        label: `Identified as ${text(payload.userId, '?')}`,
      };
    case ReservedEvent.Console: {
      const level = CONSOLE_LEVEL_SET.has(payload.level as string)
        ? (payload.level as ConsolePayload['level'])
        : 'log';
      const args = Array.isArray(payload.args) ? payload.args.filter((arg) => typeof arg === 'string') : [];
      return {
        ...withPayload,
        tab: 'console',
        kind: 'console',
        level,
        label: args.join(' ') || '(empty)',
        // The recorder cut the arguments or their text to its limits: what shows is not all.
        detail: payload.truncated === true ? 'truncated' : undefined,
      };
    }
    case ReservedEvent.Network: {
      // The recorder stamps a request's event when the request ends: its row, its seek and its
      // waterfall bar stand for the moment it was sent (as its timeline marker does), not
      // before the recording, where nothing can show.
      const startedAt = requestStartedAt(payload, event.timestamp);
      const network = {
        method: text(payload.method, 'GET'),
        url: text(payload.url, ''),
        status: num(payload.status, 0),
        durationMs: Math.max(0, num(payload.durationMs, 0)),
        startedAt,
        error: typeof payload.error === 'string' ? payload.error : undefined,
      };
      return {
        ...withPayload,
        offset: Math.max(0, startedAt - startTime),
        timestamp: Math.max(startedAt, startTime),
        tab: 'network',
        kind: 'network',
        label: `${network.method} ${network.url}`,
        network,
      };
    }
    default:
      return tag.startsWith('$') ? null : { ...withPayload, tab: 'events', kind: 'custom', label: tag };
  }
}

/** Each event's row as last derived, with what it was derived from. */
const rowCache = new WeakMap<
  RecordedEvent,
  { index: number; startTime: number; target: string | undefined; item: ReplayEventItem | null }
>();

/** Builds the inspector's rows from a timeline's events (in time order), per tab, each in time order. */
export function inspectorItems(
  events: readonly RecordedEvent[],
  startTime: number,
): Record<InspectorTab, ReplayEventItem[]> {
  const items: Record<InspectorTab, ReplayEventItem[]> = { events: [], console: [], network: [] };
  const clickTarget = describeClickTargets(events);
  events.forEach((event, index) => {
    // A streaming recording's timeline is rebuilt on each flush with the same event objects:
    // their rows are the same objects too, so the inspector's memoized rows skip them.
    // A rage click's target can change once the click after it streams in.
    const target = clickTarget(event);
    let row = rowCache.get(event);
    if (row?.index !== index || row.startTime !== startTime || row.target !== target) {
      row = { index, startTime, target, item: itemOf(event, index, startTime, clickTarget) };
      rowCache.set(event, row);
    }
    const { item } = row;
    if (item !== null) {
      items[item.tab].push(item);
    }
  });
  // Requests are recorded as they end but listed as they start: a slow one sent first comes
  // first. The sort is stable (requests sent together stay in the order they ended) and quick
  // on rows already nearly in order.
  items.network.sort((a, b) => a.offset - b.offset);
  return items;
}

/**
 * Where a URL's last path segment starts, with the query and fragment after it: what tells
 * one request from another, kept in view when a row cuts a long URL. A trailing slash stays
 * with its segment (`/users/`); a URL without a slash is all tail.
 */
export function urlTailStart(url: string): number {
  const query = url.search(/[?#]/);
  const pathEnd = query === -1 ? url.length : query;
  return url.lastIndexOf('/', pathEnd - 2) + 1;
}

/** What a network row shows as its status: the HTTP status, or why the request failed. */
export function networkStatusText(network: NonNullable<ReplayEventItem['network']>): string {
  return network.status === 0 ? (network.error ?? 'failed') : String(network.status);
}

/** True when an item matches a filter text (case-insensitive, on its label, detail, status). */
export function matchesFilter(item: ReplayEventItem, filter: string): boolean {
  const needle = filter.trim().toLowerCase();
  if (needle === '') {
    return true;
  }
  // The status as shown, so a failed request is found by its reason ("aborted").
  const status = item.network === undefined ? undefined : networkStatusText(item.network);
  const haystack = [item.label, item.detail, item.kind, item.level, status]
    .filter((part) => part !== undefined)
    .join(' ')
    .toLowerCase();
  return haystack.includes(needle);
}
