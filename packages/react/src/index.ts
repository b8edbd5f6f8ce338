'use client';

export type { PrivacyConfig, PrivacyPreset, RecorderStatus } from '@replaykit/recorder';
export { PRIVACY_ATTRIBUTES } from '@replaykit/recorder';
export type { ErrorFallbackProps, RecordingErrorBoundaryProps } from './error-boundary';
export { ERROR_STACK_MAX_CHARS, RecordingErrorBoundary } from './error-boundary';
export type { PrivacyWrapperProps } from './privacy';
export { Blocked, Ignored, Masked, Unmasked } from './privacy';
export type { RecordingSnapshot } from './recording-handle';
export type {
  PrivacyProp,
  RecordingApi,
  RecordingProviderProps,
  RecordingProviderRecorderOptions,
  RecordingUser,
} from './recording-provider';
export { RecordingProvider, useCapture, useRecording, useSessionId } from './recording-provider';
