'use client';

import type { ErrorPayload } from '@replaykit/core';
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { RecordingContext } from './context';
import type { RecordingHandle } from './recording-handle';

/** What a fallback render function receives. */
export interface ErrorFallbackProps {
  error: Error;
  /** Clears the error and renders the children again. */
  reset: () => void;
}

export interface RecordingErrorBoundaryProps {
  /** Shown instead of the children after a render error. */
  fallback: ReactNode | ((props: ErrorFallbackProps) => ReactNode);
  /** Called after the error was recorded, e.g. to report it elsewhere too. */
  onError?: (error: Error, componentStack: string | undefined) => void;
  children?: ReactNode;
}

interface State {
  error: Error | null;
}

/** Longest message, stack or component stack kept in a `$error` event, in characters. */
export const ERROR_STACK_MAX_CHARS = 8_000;

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(typeof value === 'string' ? value : String(value));
}

/** Builds the `$error` payload of a React render error. */
export function reactErrorPayload(error: unknown, componentStack?: string | null): ErrorPayload {
  const asError = toError(error);
  const message = asError.message || asError.name || 'Error';
  const payload: ErrorPayload = { message: message.slice(0, ERROR_STACK_MAX_CHARS), kind: 'react' };
  if (asError.stack) {
    payload.stack = asError.stack.slice(0, ERROR_STACK_MAX_CHARS);
  }
  if (componentStack) {
    payload.componentStack = componentStack.slice(0, ERROR_STACK_MAX_CHARS);
  }
  return payload;
}

/**
 * Records React render errors below it into the session (a `$error` event with the
 * component stack, shown on the replay's timeline), then renders `fallback`.
 * React offers error boundaries only as class components, hence the class.
 */
export class RecordingErrorBoundary extends Component<RecordingErrorBoundaryProps, State> {
  static override contextType = RecordingContext;
  declare context: RecordingHandle | null;
  override state: State = { error: null };
  /** The fall to the fallback (its state's error) last recorded, and what was recorded for it. */
  private recorded: { error: Error; message: string; componentStack: string | undefined } | undefined;

  static getDerivedStateFromError(error: unknown): State {
    return { error: toError(error) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    const payload = reactErrorPayload(error, info.componentStack);
    const fall = this.state.error;
    // StrictMode runs a new component's effects twice in development: an effect that throws
    // throws twice, and both reach this boundary in the same commit. That is one error.
    if (
      fall &&
      this.recorded?.error === fall &&
      this.recorded.message === payload.message &&
      this.recorded.componentStack === payload.componentStack
    ) {
      return;
    }
    if (fall) {
      this.recorded = { error: fall, message: payload.message, componentStack: payload.componentStack };
    }
    this.context?.captureError(payload);
    this.props.onError?.(toError(error), info.componentStack ?? undefined);
  }

  private readonly reset = () => {
    // A fall after a reset is a new one, even of the same error (a data hook that keeps its
    // failed request's error throws that one object again).
    this.recorded = undefined;
    this.setState({ error: null });
  };

  override render(): ReactNode {
    if (!this.context) {
      throw new Error(
        '<RecordingErrorBoundary> must be used within <RecordingProvider>: it records errors into the ' +
          'provider’s session. Move it inside <RecordingProvider endpoint="…" projectKey="…">.',
      );
    }
    const { error } = this.state;
    if (error) {
      const { fallback } = this.props;
      return typeof fallback === 'function' ? fallback({ error, reset: this.reset }) : fallback;
    }
    return this.props.children;
  }
}
