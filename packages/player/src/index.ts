/**
 * `@replaykit/player`: the embeddable replay player. Import its styles once, next to the
 * component: `import '@replaykit/player/style.css'` (they include rrweb-player's).
 */

export {
  CLICK_TARGET_LABEL_MAX_LENGTH,
  CLICK_TARGET_TEXT_MAX_NODES,
  RAGE_CLICK_MATCH_MS,
} from './click-target';
export type {
  ReplayFullscreenButtonProps,
  ReplayPageInfoProps,
  ReplayPlayButtonProps,
  ReplayShortcutsHelpProps,
  ReplaySkipInactiveToggleProps,
  ReplaySpeedSelectProps,
  ReplayTimeProps,
} from './controls';
export {
  KEYBOARD_SHORTCUTS,
  ReplayFullscreenButton,
  ReplayPageInfo,
  ReplayPlayButton,
  ReplayShortcutsHelp,
  ReplaySkipInactiveToggle,
  ReplaySpeedSelect,
  ReplayTime,
  toggleFullscreen,
} from './controls';
export { formatDuration, formatTime } from './format-time';
export type { ReplayInspectorProps } from './inspector';
export { INSPECTOR_OVERSCAN_ROWS, ReplayInspector } from './inspector';
export type { InspectorTab, ReplayEventItem } from './inspector-data';
export { INSPECTOR_TABS, inspectorItems } from './inspector-data';
export type { LoadSessionOptions, SessionLoadResult, SessionMeta, StreamChunksOptions } from './load-session';
export {
  fetchSessionMeta,
  loadSession,
  ReplayLoadError,
  STREAM_RESUME_DELAYS_MS,
  STREAM_RETRY_AFTER_MAX_MS,
  streamSessionChunks,
} from './load-session';
export type { ReplayProviderProps, ReplayServerConfig } from './provider';
export { ReplayProvider } from './provider';
export type {
  ReplayEventClick,
  ReplayPlayerHandle,
  ReplayPlayerProps,
  ReplayPlayerState,
} from './replay-player';
export { ARROW_SEEK_MS, ReplayPlayer, SHIFT_ARROW_SEEK_MS } from './replay-player';
export type { PlaybackSpeed, PlaybackState, ReplayDriver, ReplaySnapshot } from './replay-store';
export { PLAYBACK_SPEEDS, ReplayStore, SKIP_LEAD_MS } from './replay-store';
export type { SnapshotPair } from './seek';
export {
  clampSeekTarget,
  findSnapshotPairs,
  hasReplayableSnapshot,
  PAGE_STEP_FRACTION,
  SEEK_PAST_EVENT_MS,
} from './seek';
export type { SessionListFilters, SessionListProps } from './session-list';
export { SESSION_LIST_PAGE_SIZE, SessionList } from './session-list';
export { formatTimeParam, parseTimeParam, readTimeParam, TIME_PARAM, writeTimeParam } from './time-param';
export type { MarkerCluster, ReplayTimelineProps } from './timeline';
export {
  clusterMarkers,
  MARKER_CLUSTER_MIN_PX,
  MARKER_CLUSTER_SPAN_PERCENT,
  ReplayTimeline,
} from './timeline';
export type { InactiveStretch, ReplayTimelineData, TimelineOptions } from './timeline-data';
export { createTimeline, findInactiveStretches } from './timeline-data';
export type { UseReplayResult } from './use-replay';
export { useReplay } from './use-replay';
export type { LoadInterruption, LoadProgress, LoadState, ReplayChunkLoader } from './use-replay-source';
export { STREAM_FLUSH_INTERVAL_MS } from './use-replay-source';
export type { ReplayViewportProps } from './viewport';
export { ReplayViewport } from './viewport';
