'use client';

import {
  type ComponentPropsWithoutRef,
  forwardRef,
  type KeyboardEvent,
  memo,
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { useReplayStore } from './context';
import { formatDuration, formatTime } from './format-time';
import {
  assertInspectorTab,
  INSPECTOR_TABS,
  type InspectorTab,
  inspectorItems,
  matchesFilter,
  networkStatusText,
  type ReplayEventItem,
  urlTailStart,
} from './inspector-data';
import { lastIndexAtOrBefore } from './timeline-data';
import { useReplaySelector } from './use-replay';

/**
 * Rows rendered beyond each edge of what the list shows: only those are in the page (a tab
 * can hold tens of thousands), and a quick scroll still shows rows rather than a gap.
 */
export const INSPECTOR_OVERSCAN_ROWS = 10;
/** A row's height, px, until one is measured (12 px text, 4 px padding above and below). */
const ROW_HEIGHT_ESTIMATE_PX = 24;
/** The list's height, px, until it is measured (before layout, or where nothing lays out). */
const LIST_HEIGHT_ESTIMATE_PX = 600;

const TAB_LABELS: Record<InspectorTab, string> = { events: 'Events', console: 'Console', network: 'Network' };

/** Props of `<ReplayInspector>`: those of its wrapping `<div>`. */
export interface ReplayInspectorProps extends Omit<ComponentPropsWithoutRef<'div'>, 'children'> {
  /** The tab shown first; default `events`. */
  defaultTab?: InspectorTab;
  /** Called when a row is clicked (after the seek to it). */
  onEventClick?: (item: ReplayEventItem) => void;
  /** Called when the viewer picks another tab. */
  onTabChange?: (tab: InspectorTab) => void;
}

/** The tab a key moves to from `tab`, per the ARIA tabs pattern; undefined for other keys. */
function tabForKey(tab: InspectorTab, key: string): InspectorTab | undefined {
  const index = INSPECTOR_TABS.indexOf(tab);
  const target =
    key === 'ArrowRight'
      ? (index + 1) % INSPECTOR_TABS.length
      : key === 'ArrowLeft'
        ? (index - 1 + INSPECTOR_TABS.length) % INSPECTOR_TABS.length
        : key === 'Home'
          ? 0
          : key === 'End'
            ? INSPECTOR_TABS.length - 1
            : undefined;
  return target === undefined ? undefined : INSPECTOR_TABS[target];
}

interface InspectorRowProps {
  item: ReplayEventItem;
  /** The option's id, for the list's `aria-activedescendant`. */
  optionId: string;
  past: boolean;
  current: boolean;
  /** The row keyboard navigation is at: selected, in the listbox pattern's terms. */
  active: boolean;
  /** Position in the list, from 1, and the list's length: most rows are not in the page. */
  position: number;
  setSize: number;
  /** Set on the active row when it is outside the rendered rows: where it sits, px. */
  pinnedTop?: number;
  /** A network row's waterfall bar (CSS left and width); only network rows have one. */
  barLeft?: string;
  barWidth?: string;
  onSelect: (item: ReplayEventItem) => void;
}

// Memoized: with thousands of rows, re-rendering each one whenever the current row moves
// (every frame, for a busy console) froze playback.
const InspectorRow = memo(function InspectorRow({
  item,
  optionId,
  past,
  current,
  active,
  position,
  setSize,
  pinnedTop,
  barLeft,
  barWidth,
  onSelect,
}: InspectorRowProps) {
  const urlTail = item.network ? urlTailStart(item.network.url) : 0;
  return (
    // An option, not a button: the list is one tab stop whose arrow keys move between rows
    // (a screen reader switches to focus mode in a listbox, so it lets those keys through).
    // biome-ignore lint/a11y/useKeyWithClickEvents: the listbox handles Enter for its active row.
    // biome-ignore lint/a11y/useFocusableInteractive: the listbox keeps focus (aria-activedescendant).
    <div
      id={optionId}
      role="option"
      aria-selected={active}
      aria-current={current ? 'true' : undefined}
      aria-posinset={position}
      aria-setsize={setSize}
      className="rk-item"
      data-item={item.id}
      data-kind={item.kind}
      data-level={item.level}
      data-past={past}
      // The list's aria-activedescendant must name a row in the page, wherever it is.
      style={pinnedTop === undefined ? undefined : { position: 'absolute', top: pinnedTop }}
      onClick={() => onSelect(item)}
    >
      <span className="rk-item-time">{formatTime(item.offset)}</span>
      {item.network ? (
        <>
          <span className="rk-item-method">{item.network.method}</span>
          {/* Cut in the middle: the host and the last segment both stay in view. The two parts
              are flex items, which a screen reader reads with a space between them: it gets the
              URL whole instead. */}
          <span className="rk-item-label rk-item-url" title={item.network.url}>
            <span aria-hidden="true">{item.network.url.slice(0, urlTail)}</span>
            <span className="rk-item-url-tail" aria-hidden="true">
              {item.network.url.slice(urlTail)}
            </span>
            <span className="rk-visually-hidden">{item.network.url}</span>
          </span>
          <span
            className="rk-item-status"
            data-failed={item.network.status === 0 || item.network.status >= 400}
          >
            {networkStatusText(item.network)}
          </span>
          <span className="rk-item-duration">{formatDuration(item.network.durationMs)}</span>
          <span className="rk-waterfall" aria-hidden="true">
            <span style={{ left: barLeft, width: barWidth }} />
          </span>
        </>
      ) : (
        <>
          {item.level && <span className="rk-item-level">{item.level}</span>}
          <span className="rk-item-label" title={item.label}>
            {item.label}
          </span>
          {item.detail && (
            <span className="rk-item-detail" title={item.detail}>
              {item.detail}
            </span>
          )}
        </>
      )}
    </div>
  );
});

/**
 * A tab's row count; with a filter set, the rows it leaves of all, as DevTools counts requests.
 * Read out "3 of 120": a slash is read as "slash", or not at all.
 */
function TabCount({ shown, total }: { shown: number | undefined; total: number }) {
  if (shown === undefined) {
    return <span className="rk-tab-count">{total}</span>;
  }
  return (
    <span className="rk-tab-count">
      <span aria-hidden="true">{`${shown} / ${total}`}</span>
      <span className="rk-visually-hidden">{`${shown} of ${total}`}</span>
    </span>
  );
}

/** Keys that move the active row of a list of `count` rows from `index`; undefined for other keys. */
function rowForKey(index: number, key: string, count: number, pageRows: number): number | undefined {
  const target =
    key === 'ArrowDown'
      ? index + 1
      : key === 'ArrowUp'
        ? index - 1
        : key === 'PageDown'
          ? index + pageRows
          : key === 'PageUp'
            ? index - pageRows
            : key === 'Home'
              ? 0
              : key === 'End'
                ? count - 1
                : undefined;
  return target === undefined ? undefined : Math.min(count - 1, Math.max(0, target));
}

/**
 * Scrolls `list` (only: scrollIntoView would scroll the host page too) so that the part from
 * `top` to `bottom` (px from the list's top) is in view: centred, or just brought in from the
 * nearest edge, as keyboard navigation moves one row at a time.
 */
function scrollIntoList(list: HTMLElement, top: number, bottom: number, align: 'center' | 'nearest'): void {
  if (top >= list.scrollTop && bottom <= list.scrollTop + list.clientHeight) {
    return;
  }
  if (align === 'center') {
    list.scrollTop = Math.max(0, top - list.clientHeight / 2);
  } else {
    list.scrollTop = top < list.scrollTop ? top : bottom - list.clientHeight;
  }
}

/**
 * Events, console and network of the recording, each in a tab with a filter box. The row
 * of the current time is marked and kept in view while following; scrolling by hand stops
 * following until "Follow" is pressed. Clicking a row seeks there. Each list is one tab
 * stop (a listbox): the arrow keys, Page Up/Down, Home and End move between rows, Enter
 * seeks to the row.
 */
export const ReplayInspector = forwardRef<HTMLDivElement, ReplayInspectorProps>(function ReplayInspector(
  { className, defaultTab = 'events', onEventClick, onTabChange, ...props },
  ref,
) {
  const store = useReplayStore('<ReplayInspector>');
  assertInspectorTab(defaultTab, '<ReplayInspector> defaultTab');
  const timeline = useReplaySelector(store, (s) => s.timeline);
  const [tab, setTabState] = useState<InspectorTab>(defaultTab);
  const setTab = (next: InspectorTab) => {
    if (next !== tab) {
      setTabState(next);
      onTabChange?.(next);
    }
  };
  const [filters, setFilters] = useState<Record<InspectorTab, string>>({
    events: '',
    console: '',
    network: '',
  });
  const [following, setFollowing] = useState(true);
  // The row the keyboard is at, by id (so it survives a filter or rows streaming in); null
  // until the list is focused, when it starts at the current row.
  const [activeId, setActiveId] = useState<number | null>(null);
  const listRef = useRef<HTMLDivElement | null>(null);
  const id = useId();
  // Windowing: rows are one height (one line each), so which are in view follows from the
  // scroll position alone. The first row in view is kept, not the scroll position, so
  // scrolling within a row renders nothing again.
  const [rowHeight, setRowHeight] = useState(ROW_HEIGHT_ESTIMATE_PX);
  const [listHeight, setListHeight] = useState(LIST_HEIGHT_ESTIMATE_PX);
  const [firstInView, setFirstInView] = useState(0);
  // Each tab's list is scrolled apart, as if each had its own: one tab's position means
  // nothing in another's rows.
  const scrollTopsRef = useRef<Record<InspectorTab, number>>({ events: 0, console: 0, network: 0 });

  const all = useMemo(() => inspectorItems(timeline.events, timeline.startTime), [timeline]);
  const filter = filters[tab];
  // Each tab's rows its own filter leaves; null for a tab without a filter.
  const matching = useMemo(() => {
    const byTab = {} as Record<InspectorTab, ReplayEventItem[] | null>;
    for (const option of INSPECTOR_TABS) {
      const text = filters[option];
      byTab[option] = text.trim() === '' ? null : all[option].filter((item) => matchesFilter(item, text));
    }
    return byTab;
  }, [all, filters]);
  const items = matching[tab] ?? all[tab];
  // Select the current row's index, not the time: the list re-renders when the row changes,
  // not on each of the clock's 60 updates a second.
  const current = useReplaySelector(store, (s) => lastIndexAtOrBefore(items, s.previewTime ?? s.currentTime));
  const totalMs = Math.max(timeline.totalDurationMs, 1);
  const activeIndex = useMemo(() => {
    const index = activeId === null ? -1 : items.findIndex((item) => item.id === activeId);
    return index !== -1 ? index : Math.min(Math.max(current, 0), items.length - 1);
  }, [items, activeId, current]);
  const optionId = (itemId: number) => `${id}-row-${itemId}`;
  const activeItem = items[activeIndex];
  // Brings row `index` into view, rendering the rows around it in the same frame.
  const scrollToRow = (list: HTMLElement, index: number, align: 'center' | 'nearest') => {
    scrollIntoList(list, index * rowHeight, (index + 1) * rowHeight, align);
    setFirstInView(Math.floor(list.scrollTop / rowHeight));
  };

  const hasRows = items.length > 0;
  // Measured before paint, then whenever the list is resized or shows its first rows.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a tab's first rows are measured when they show.
  useLayoutEffect(() => {
    const list = listRef.current;
    if (list === null) {
      return;
    }
    const measure = () => {
      // Unrounded (a line of text is rarely whole pixels): rounding would drift by a pixel
      // every few rows down a long list. Zero where nothing is laid out (hidden, or jsdom):
      // the estimates stay.
      const height = list.querySelector('[role="option"]')?.getBoundingClientRect().height ?? 0;
      if (height > 0) {
        setRowHeight(height);
        setFirstInView(Math.floor(list.scrollTop / height));
      }
      if (list.clientHeight > 0) {
        setListHeight(list.clientHeight);
      }
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(list);
    return () => observer.disconnect();
  }, [hasRows, tab]);

  // Declared before following, which then moves on from there if the current row is out of view.
  // A tab switch restores a position, and so does the list shown again after a filter (or a
  // tab without rows) left only its message, not a list, in the page.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only those restore a position.
  useLayoutEffect(() => {
    const list = listRef.current;
    if (list !== null) {
      list.scrollTop = scrollTopsRef.current[tab];
      setFirstInView(Math.floor(list.scrollTop / rowHeight));
    }
  }, [tab, hasRows]);

  // Runs when the rows change too (filter, tab, streaming), as the current row can move
  // out of view while staying the current row. Before paint, so the rows around it are
  // rendered in the same frame.
  // biome-ignore lint/correctness/useExhaustiveDependencies: new rows can move the current one out of view.
  useLayoutEffect(() => {
    const list = listRef.current;
    if (!following || list === null || current < 0) {
      return;
    }
    scrollToRow(list, current, 'center');
  }, [following, current, items, rowHeight]);

  // Follow hides itself when pressed: focus goes to the list, at the current row, rather than
  // falling out of the player (where its keyboard shortcuts no longer work); to the filter
  // beside it when the filter left no rows, and so no list.
  const focusListRef = useRef(false);
  const filterRef = useRef<HTMLInputElement | null>(null);
  useLayoutEffect(() => {
    if (following && focusListRef.current) {
      focusListRef.current = false;
      (listRef.current ?? filterRef.current)?.focus();
    }
  }, [following]);

  const stopFollowing = () => setFollowing(false);
  const onEventClickRef = useRef(onEventClick);
  useEffect(() => {
    onEventClickRef.current = onEventClick;
  });
  // Stable, so a row re-renders only when it becomes current or past, not on every row change.
  const select = useCallback(
    (item: ReplayEventItem) => {
      setActiveId(item.id);
      store.seek(item.offset);
      onEventClickRef.current?.(item);
    },
    [store],
  );

  const moveActive = (index: number) => {
    const list = listRef.current;
    const item = items[index];
    if (list === null || item === undefined) {
      return;
    }
    // The keyboard user takes over, as with a manual scroll: playback no longer moves the list.
    setFollowing(false);
    setActiveId(item.id);
    scrollToRow(list, index, 'nearest');
  };

  const onListKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (activeItem === undefined || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    if (event.key === 'Enter') {
      event.preventDefault();
      select(activeItem);
      return;
    }
    const pageRows = Math.max(1, Math.floor(listHeight / rowHeight) - 1);
    const next = rowForKey(activeIndex, event.key, items.length, pageRows);
    if (next !== undefined) {
      event.preventDefault();
      moveActive(next);
    }
  };

  const rowsInView = Math.ceil(listHeight / rowHeight) + 1;
  const windowStart = Math.max(0, Math.min(firstInView, items.length - rowsInView) - INSPECTOR_OVERSCAN_ROWS);
  const windowEnd = Math.min(items.length, Math.max(0, firstInView) + rowsInView + INSPECTOR_OVERSCAN_ROWS);
  const renderRow = (index: number, pinnedTop?: number) => {
    const item = items[index];
    if (item === undefined) {
      return null;
    }
    return (
      <InspectorRow
        key={item.id}
        item={item}
        optionId={optionId(item.id)}
        past={index <= current}
        current={index === current}
        active={index === activeIndex}
        position={index + 1}
        setSize={items.length}
        pinnedTop={pinnedTop}
        // Only network rows depend on the recording's length, which grows while it streams.
        barLeft={
          item.network &&
          `${Math.min(100, (Math.max(0, item.network.startedAt - timeline.startTime) / totalMs) * 100)}%`
        }
        barWidth={item.network && `${Math.max(0.5, (item.network.durationMs / totalMs) * 100)}%`}
        onSelect={select}
      />
    );
  };

  return (
    <div {...props} ref={ref} className={className ? `rk-inspector ${className}` : 'rk-inspector'}>
      <div className="rk-tabs" role="tablist" aria-label="Inspector">
        {INSPECTOR_TABS.map((option) => (
          <button
            key={option}
            type="button"
            role="tab"
            id={`${id}-tab-${option}`}
            aria-selected={tab === option}
            aria-controls={`${id}-panel`}
            tabIndex={tab === option ? 0 : -1}
            className="rk-tab"
            onClick={() => setTab(option)}
            onKeyDown={(event) => {
              const next = tabForKey(tab, event.key);
              if (next !== undefined) {
                event.preventDefault();
                setTab(next);
                event.currentTarget.parentElement
                  ?.querySelector<HTMLElement>(`#${CSS.escape(`${id}-tab-${next}`)}`)
                  ?.focus();
              }
            }}
          >
            {/* The space keeps the accessible name "Console 3", not "Console3". */}
            {`${TAB_LABELS[option]} `}
            <TabCount shown={matching[option]?.length} total={all[option].length} />
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${tab}`} className="rk-tab-panel">
        <div className="rk-inspector-bar">
          <input
            ref={filterRef}
            type="search"
            className="rk-filter"
            aria-label={`Filter ${tab}`}
            placeholder="Filter"
            value={filter}
            onChange={(event) => {
              const value = event.currentTarget.value;
              setFilters((previous) => ({ ...previous, [tab]: value }));
            }}
          />
          {!following && (
            <button
              type="button"
              className="rk-follow"
              onClick={() => {
                focusListRef.current = true;
                setFollowing(true);
              }}
            >
              Follow
            </button>
          )}
        </div>
        {/* Empty, the list is no listbox (which must hold options) and no tab stop: its message
            is read as text, where an empty listbox left it unread. */}
        {!hasRows && (
          <div className="rk-items" data-tab={tab}>
            <div className="rk-empty">
              {/* A filter left on from before says so, or the tab reads as having no rows. */}
              {all[tab].length > 0 ? `Nothing matches "${filter.trim()}".` : 'Nothing here.'}
            </div>
          </div>
        )}
        {hasRows && (
          <div
            ref={listRef}
            role="listbox"
            tabIndex={0}
            className="rk-items"
            data-tab={tab}
            aria-label={`${TAB_LABELS[tab]} list`}
            aria-activedescendant={activeItem && optionId(activeItem.id)}
            onKeyDown={onListKeyDown}
            onFocus={(event) => {
              const list = event.currentTarget;
              if (event.target !== list) {
                return;
              }
              // The row the keyboard starts at is one in view: the last one it was at, else the
              // current one, else the first. Fixed from now on: a row moving under a screen
              // reader's cursor with each frame would be read out over and over.
              // With a pixel to spare: the browser rounds scrollTop, rows are fractions of pixels.
              const inView = (index: number) =>
                index >= 0 &&
                index * rowHeight >= list.scrollTop - 1 &&
                (index + 1) * rowHeight <= list.scrollTop + list.clientHeight + 1;
              const start = inView(activeIndex)
                ? activeIndex
                : inView(current)
                  ? current
                  : Math.min(items.length - 1, Math.ceil(list.scrollTop / rowHeight));
              setActiveId(items[start]?.id ?? null);
            }}
            onScroll={(event) => {
              scrollTopsRef.current[tab] = event.currentTarget.scrollTop;
              setFirstInView(Math.floor(event.currentTarget.scrollTop / rowHeight));
            }}
            onWheel={stopFollowing}
            onTouchMove={stopFollowing}
            onPointerDown={(event) => {
              // A press on the list itself, not on a row, is a press on its scrollbar.
              if (event.target === event.currentTarget) {
                stopFollowing();
              }
            }}
          >
            <div
              className="rk-items-rows"
              // The rows before and after those rendered take their room, so the scrollbar is
              // the whole list's. Padding of the list itself would size the list, not its content.
              style={{
                paddingTop: windowStart * rowHeight,
                paddingBottom: (items.length - windowEnd) * rowHeight,
              }}
            >
              {activeIndex < windowStart && renderRow(activeIndex, activeIndex * rowHeight)}
              {items.slice(windowStart, windowEnd).map((_, offset) => renderRow(windowStart + offset))}
              {activeIndex >= windowEnd && renderRow(activeIndex, activeIndex * rowHeight)}
            </div>
          </div>
        )}
      </div>
    </div>
  );
});
