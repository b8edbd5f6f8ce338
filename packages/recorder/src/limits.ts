/** Buffered events are sent this long after the first of them arrived, in ms. */
export const FLUSH_DELAY_MS = 2_000;
/** Buffered events are sent as soon as their JSON reaches this many bytes. */
export const FLUSH_SIZE_BYTES = 900 * 1024;
/** A single event larger than this (JSON bytes) is dropped and replaced by a `$dropped` marker. */
export const EVENT_MAX_BYTES = 5 * 1024 * 1024;
/** Most event bytes held in memory (buffer plus unsent batches); the oldest are dropped past it. */
export const MEMORY_MAX_BYTES = 20 * 1024 * 1024;
/** A full snapshot is taken at least this often while the user is active, in ms. */
export const CHECKOUT_INTERVAL_MS = 5 * 60 * 1000;
/** First retry delay after a failed delivery, in ms; doubles per failure up to the maximum. */
export const RETRY_BASE_DELAY_MS = 1_000;
/** Longest wait between two delivery attempts, in ms (a `Retry-After` may ask for longer, up to {@link RETRY_AFTER_MAX_MS}). */
export const RETRY_MAX_DELAY_MS = 30_000;
/** Longest `Retry-After` honoured, in ms; a longer one is clamped. */
export const RETRY_AFTER_MAX_MS = 10 * 60 * 1000;
/**
 * A delivery attempt without an answer after this long is abandoned and retried, in ms: twice
 * the server's limit for receiving a body (its `DEFAULT_BODY_TIMEOUT_MS`, 30 s), so that a slow
 * upload the server takes still has time to be stored and answered.
 */
export const REQUEST_TIMEOUT_MS = 60_000;
export { PENDING_EVENTS_MAX } from './consent';
/** Largest body sent with `fetch(keepalive)` on page hide: browsers share a 64 KiB budget. */
export const KEEPALIVE_MAX_BYTES = 60 * 1024;
/**
 * Sequence numbers each sealed batch reserves (its seq is a multiple of this): when a 413 splits
 * a batch, each part is numbered by its first event's place in it, so the parts sort between the
 * batch and the next. No batch can hold this many events: its body, at least 46 characters per
 * event, would be longer than the longest string a browser makes (2^30 characters). A batch of
 * the previous release (seq below this, one per batch) has its parts numbered in block seq + 1,
 * which this release's counter has passed. The last seq of a block (block + 1) × this − 1 is no
 * batch's or part's: it numbers the `persist_full` marker of evicted batches whose last is that
 * block's.
 */
export const BATCH_SEQ_STRIDE = 2 ** 25;
/** Most unsent batches kept in IndexedDB for the next page load. */
export const PERSIST_MAX_BATCHES = 200;
/** Most bytes (JSON) of unsent batches kept in IndexedDB; the oldest go first past it, a `$dropped` marker (`persist_full`) in their place. */
export const PERSIST_MAX_BYTES = 10 * 1024 * 1024;
/** Persisted batches older than this are discarded rather than resent, in ms. */
export const PERSIST_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** A session ends after this long without user activity, in ms. */
export const SESSION_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
/** A session never lasts longer than this, in ms. */
export const SESSION_MAX_DURATION_MS = 24 * 60 * 60 * 1000;
/** The recorder goes quiet after this long without user activity, in ms (full snapshot on return). */
export const USER_IDLE_TIMEOUT_MS = 5 * 60 * 1000;
/** User activity is written to shared storage at most this often, in ms. */
export const ACTIVITY_WRITE_INTERVAL_MS = 5_000;
/** Most console entries recorded per session. */
export const CONSOLE_MAX_ENTRIES = 1_000;
/** Most arguments kept per console entry. */
export const CONSOLE_MAX_ARGS = 10;
/** Longest text kept per console argument, in characters. */
export const CONSOLE_MAX_ARG_CHARS = 2_000;
/** Clicks needed for a rage click. */
export const RAGE_CLICK_COUNT = 3;
/** Window in which the rage clicks must fall, in ms. */
export const RAGE_CLICK_WINDOW_MS = 1_000;
/** Largest distance between rage clicks, in CSS pixels. */
export const RAGE_CLICK_RADIUS_PX = 30;
/** A click on a link or button with no DOM change within this long is a dead click, in ms. */
export const DEAD_CLICK_TIMEOUT_MS = 2_500;
/** Longest request or response body recorded where bodies are allowed, in characters. */
export const NETWORK_BODY_MAX_CHARS = 150_000;
/** In buffer-until-error mode, how much recent recording is kept, in ms. */
export const ERROR_BUFFER_MS = 60_000;
/** Canvas snapshots per second per canvas, when canvas recording is on. */
export const CANVAS_FPS = 2;
/** Image quality (0–1) of canvas snapshots. */
export const CANVAS_QUALITY = 0.6;
