import type { ErrorPayload } from '@replaykit/core';
import type { Recorder } from '@replaykit/recorder';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StrictMode, useEffect, useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { RecordingContext } from './context';
import { ERROR_STACK_MAX_CHARS, RecordingErrorBoundary, reactErrorPayload } from './error-boundary';
import { RecordingHandle } from './recording-handle';

// A recorder whose captureError is observed: the boundary's contract with the recorder.
function observedRecorder(): { recorder: Recorder; errors: ErrorPayload[] } {
  const errors: ErrorPayload[] = [];
  const recorder = {
    start: () => undefined,
    stop: () => undefined,
    flush: () => Promise.resolve(),
    capture: () => undefined,
    identify: () => undefined,
    captureError: (payload: ErrorPayload) => {
      errors.push(payload);
    },
    getSessionId: () => 'session-1',
    getWindowId: () => 'window-1',
    getStatus: () => 'recording' as const,
    getLastError: () => undefined,
    subscribe: () => () => undefined,
  } as unknown as Recorder;
  return { recorder, errors };
}

let shouldThrow = true;

function Cart() {
  if (shouldThrow) {
    throw new Error('Cart total could not be computed');
  }
  return <p>Cart total: 42</p>;
}

function FailsOnMount() {
  useEffect(() => {
    throw new Error('Shipping options could not load');
  }, []);
  return null;
}

/** What a data hook that keeps its failed request's error throws on every render: one Error object. */
const ORDERS_FAILURE = new Error('Orders could not load');
function Orders(): never {
  throw ORDERS_FAILURE;
}

function Page() {
  const [, setRetries] = useState(0);
  return (
    <RecordingErrorBoundary
      fallback={({ error, reset }) => (
        <div role="alert">
          <p>{error.message}</p>
          <button
            type="button"
            onClick={() => {
              setRetries((value) => value + 1);
              reset();
            }}
          >
            Try again
          </button>
        </div>
      )}
    >
      <Cart />
    </RecordingErrorBoundary>
  );
}

describe('<RecordingErrorBoundary>', () => {
  it('records a react $error payload with the component stack, renders the fallback and resets', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { recorder, errors } = observedRecorder();
    const handle = new RecordingHandle();
    handle.attach(recorder);
    shouldThrow = true;
    render(
      <RecordingContext.Provider value={handle}>
        <Page />
      </RecordingContext.Provider>,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('Cart total could not be computed');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'react', message: 'Cart total could not be computed' });
    expect(errors[0]?.componentStack).toContain('Cart');
    expect(errors[0]?.stack).toContain('Cart total could not be computed');
    shouldThrow = false;
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByText('Cart total: 42')).toBeInTheDocument();
    vi.restoreAllMocks();
  });

  it('caps the message, the stack and the component stack of a $error at ERROR_STACK_MAX_CHARS each', () => {
    const error = new Error('m'.repeat(ERROR_STACK_MAX_CHARS + 1));
    error.stack = 's'.repeat(ERROR_STACK_MAX_CHARS + 1);
    const payload = reactErrorPayload(error, 'c'.repeat(ERROR_STACK_MAX_CHARS + 1));
    expect(payload.message).toHaveLength(ERROR_STACK_MAX_CHARS);
    expect(payload.stack).toHaveLength(ERROR_STACK_MAX_CHARS);
    expect(payload.componentStack).toHaveLength(ERROR_STACK_MAX_CHARS);
  });

  it('records an effect error once under StrictMode, which runs the throwing effect twice', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { recorder, errors } = observedRecorder();
    const handle = new RecordingHandle();
    handle.attach(recorder);
    const onError = vi.fn();
    render(
      <StrictMode>
        <RecordingContext.Provider value={handle}>
          <RecordingErrorBoundary fallback={<p role="alert">Something went wrong</p>} onError={onError}>
            <FailsOnMount />
          </RecordingErrorBoundary>
        </RecordingContext.Provider>
      </StrictMode>,
    );
    expect(screen.getByRole('alert')).toBeInTheDocument();
    expect(errors.map((error) => error.message)).toEqual(['Shipping options could not load']);
    expect(onError).toHaveBeenCalledTimes(1);
    vi.restoreAllMocks();
  });

  it('records the same error again when it is thrown again after Try again', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { recorder, errors } = observedRecorder();
    const handle = new RecordingHandle();
    handle.attach(recorder);
    render(
      <RecordingContext.Provider value={handle}>
        <RecordingErrorBoundary
          fallback={({ reset }) => (
            <button type="button" onClick={reset}>
              Try again
            </button>
          )}
        >
          <Orders />
        </RecordingErrorBoundary>
      </RecordingContext.Provider>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
    expect(errors.map((error) => error.message)).toEqual(['Orders could not load', 'Orders could not load']);
    vi.restoreAllMocks();
  });

  it('throws a how-to-fix error outside <RecordingProvider>', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(() => render(<RecordingErrorBoundary fallback={null}>child</RecordingErrorBoundary>)).toThrow(
      '<RecordingErrorBoundary> must be used within <RecordingProvider>',
    );
    vi.restoreAllMocks();
  });
});
