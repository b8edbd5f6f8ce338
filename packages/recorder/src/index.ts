export { PRIVACY_ATTRIBUTES } from './attributes';
export { isOptedOut, setOptedOut } from './consent';
export { createRecorder } from './lazy';
export {
  BATCH_SEQ_STRIDE,
  CHECKOUT_INTERVAL_MS,
  CONSOLE_MAX_ARG_CHARS,
  CONSOLE_MAX_ARGS,
  CONSOLE_MAX_ENTRIES,
  DEAD_CLICK_TIMEOUT_MS,
  ERROR_BUFFER_MS,
  EVENT_MAX_BYTES,
  FLUSH_DELAY_MS,
  FLUSH_SIZE_BYTES,
  KEEPALIVE_MAX_BYTES,
  MEMORY_MAX_BYTES,
  NETWORK_BODY_MAX_CHARS,
  PENDING_EVENTS_MAX,
  PERSIST_MAX_AGE_MS,
  PERSIST_MAX_BATCHES,
  PERSIST_MAX_BYTES,
  RAGE_CLICK_COUNT,
  RAGE_CLICK_RADIUS_PX,
  RAGE_CLICK_WINDOW_MS,
  REQUEST_TIMEOUT_MS,
  RETRY_AFTER_MAX_MS,
  RETRY_BASE_DELAY_MS,
  RETRY_MAX_DELAY_MS,
  SESSION_IDLE_TIMEOUT_MS,
  SESSION_MAX_DURATION_MS,
  USER_IDLE_TIMEOUT_MS,
} from './limits';
export type { CanvasCaptureOptions, NetworkCaptureOptions, RecorderOptions, UrlPattern } from './options';
export type { PrivacyConfig, PrivacyPreset, RrwebPrivacyOptions } from './privacy';
export type { Recorder, RecorderStatus } from './recorder';
export type { SendResult } from './transport';
export { ingestUrl } from './transport';
