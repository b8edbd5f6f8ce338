export type { PrivacyConfig, PrivacyPreset, RrwebPrivacyOptions } from './privacy';
export {
  createEventProcessor,
  createPrivacyOptions,
  maskSensitiveText,
  maskText,
  PRIVACY_ATTRIBUTES,
} from './privacy';
export type { Recorder, RecorderOptions, RecorderStatus } from './recorder';
export {
  CHECKOUT_INTERVAL_MS,
  createRecorder,
  FLUSH_DELAY_MS,
  PENDING_EVENTS_MAX,
  RETRY_BASE_DELAY_MS,
  RETRY_MAX_DELAY_MS,
} from './recorder';
export { SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_DURATION_MS } from './session';
export type { SendResult } from './transport';
export { ingestUrl, KEEPALIVE_MAX_BYTES } from './transport';
