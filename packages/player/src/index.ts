/**
 * `@replaykit/player`: the embeddable replay player. Import its styles once, next to the
 * component: `import '@replaykit/player/style.css'` (they include rrweb-player's).
 */
export type { ReplayPlayButtonProps, ReplayTimeProps } from './controls';
export { ReplayPlayButton, ReplayTime } from './controls';
export { formatTime } from './format-time';
export type { LoadSessionOptions, SessionLoadResult } from './load-session';
export { loadSession } from './load-session';
export type { ReplayPlayerHandle, ReplayPlayerProps, ReplayPlayerState } from './replay-player';
export { ReplayPlayer } from './replay-player';
export type { PlaybackState, ReplayDriver, ReplaySnapshot } from './replay-store';
export { ReplayStore } from './replay-store';
export type { SnapshotPair } from './seek';
export { clampSeekTarget, findSnapshotPairs, hasReplayableSnapshot, SEEK_PAST_EVENT_MS } from './seek';
export type { ReplayTimelineProps } from './timeline';
export { ReplayTimeline } from './timeline';
export type { ReplayTimelineData } from './timeline-data';
export { createTimeline } from './timeline-data';
export type { UseReplayResult } from './use-replay';
export { useReplay } from './use-replay';
export type { LoadState } from './use-replay-source';
export type { ReplayViewportProps } from './viewport';
export { ReplayViewport } from './viewport';
