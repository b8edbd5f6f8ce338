import { EventType, type IngestBatch, isClick, type NetworkPayload } from '@replaykit/core';
import { setOptedOut } from '@replaykit/recorder';
import { act, cleanup, type RenderResult, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import * as ReactExports from 'react';
import { forwardRef, type ReactNode, StrictMode, Suspense, useEffect, useState } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeIngest, installFakeIngest } from '../../recorder/src/test/fake-ingest';
import {
  Masked,
  RecordingErrorBoundary,
  RecordingProvider,
  Unmasked,
  useCapture,
  useRecording,
  useSessionId,
} from './index';
import { peekRecorder } from './recorder-registry';

const ENDPOINT = 'https://replays.test';
const KEY = 'rk_write_test';

let ingest: FakeIngest;

function count(batches: IngestBatch[], type: number) {
  return batches.flatMap((batch) => batch.events).filter((event) => event.type === type).length;
}

function tags(batches: IngestBatch[]) {
  return batches
    .flatMap((batch) => batch.events)
    .filter((event) => event.type === EventType.Custom)
    .map((event) => (event.data as { tag: string }).tag);
}

function SessionLabel() {
  const sessionId = useSessionId();
  const { status } = useRecording();
  return (
    <p>
      <span data-testid="status">{status}</span> <span data-testid="session">{sessionId ?? ''}</span>
    </p>
  );
}

/** The latest capture function a CaptureOnMount rendered with. */
const latestCapture: { current: ((name: string) => void) | undefined } = { current: undefined };

function CaptureOnMount() {
  const capture = useCapture();
  latestCapture.current = capture;
  useEffect(() => {
    // Runs before the provider's own effect: the call must be kept, not lost.
    capture('child_mounted', { at: 'mount' });
  }, [capture]);
  return null;
}

function Toggle() {
  const [generation, setGeneration] = useState(0);
  return (
    <>
      <button type="button" onClick={() => setGeneration((value) => value + 1)}>
        remount
      </button>
      <RecordingProvider key={generation} endpoint={ENDPOINT} projectKey={KEY}>
        <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
          <SessionLabel />
        </RecordingProvider>
      </RecordingProvider>
    </>
  );
}

function Broken(): never {
  throw new Error('Cart total could not be computed');
}

function Consent() {
  const { status, optOut } = useRecording();
  return (
    <button type="button" onClick={optOut}>
      {`Stop recording me (${status})`}
    </button>
  );
}

/** A consent banner's two choices, which a visitor may pick before the provider is enabled. */
function ConsentChoices() {
  const { optOut, optIn } = useRecording();
  return (
    <>
      <button type="button" onClick={optOut}>
        Don’t record me
      </button>
      <button type="button" onClick={optIn}>
        Record me
      </button>
    </>
  );
}

/** A page whose consent banner offers both choices, under a provider enabled or not. */
function consentTree(enabled: boolean) {
  return (
    <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} enabled={enabled}>
      <ConsentChoices />
      <SessionLabel />
    </RecordingProvider>
  );
}

/** Forwards its ref to its element, but not the props it was not written for (the marker among them). */
const CustomerCard = forwardRef<HTMLElement, { children?: ReactNode }>(function CustomerCard(
  { children },
  ref,
) {
  return <section ref={ref}>{children}</section>;
});

/** Captures on mount and whenever the preset it is shown changes, as a page reacting to a sign-in does. */
function CapturePreset({ privacy }: { privacy: string }) {
  const capture = useCapture();
  useEffect(() => {
    capture('preset_shown', { privacy });
  }, [capture, privacy]);
  return null;
}

/** What a FlushOnMount's or FlushOnUnmount's flush() saw sent when it resolved. */
const flushed: { tags: Promise<string[]> | undefined } = { tags: undefined };

function FlushOnMount() {
  const { capture, flush } = useRecording();
  useEffect(() => {
    // A child effect runs before the provider has attached its recorder.
    capture('order_placed');
    flushed.tags = flush().then(() => tags(ingest.batches));
  }, [capture, flush]);
  return null;
}

function FlushOnUnmount() {
  const { capture, flush } = useRecording();
  useEffect(
    () => () => {
      // React runs a removed tree's cleanups parent first: the provider has let go of its recorder.
      capture('left_checkout');
      flushed.tags = flush().then(() => tags(ingest.batches));
    },
    [capture, flush],
  );
  return null;
}

/** Sends one XMLHttpRequest (which the fake ingest leaves alone) and waits until the recorder has seen it end. */
function request(url: string) {
  return new Promise<void>((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', url);
    xhr.send();
    // After send(): the recorder's own loadend listener, added there, runs first.
    xhr.addEventListener('loadend', () => resolve());
  });
}

function networkUrls(batches: IngestBatch[]) {
  return batches
    .flatMap((batch) => batch.events)
    .filter((event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === '$network')
    .map((event) => String((event.data as { payload: { url: string } }).payload.url));
}

/**
 * A button of the page's own, outside the providers' trees (so it stays when they go), and
 * what the page does at a moment: a click, a text change, a custom event and a request.
 */
function pageOutsideTheProviders() {
  const outside = document.createElement('button');
  outside.textContent = 'Sign in again';
  document.body.append(outside);
  return {
    acts(moment: string) {
      outside.click();
      outside.append(` ${moment}-text`);
      latestCapture.current?.(`${moment}-capture`);
      return request(`${location.origin}/?replaykit-probe=${moment}`);
    },
    remove() {
      outside.remove();
    },
  };
}

/** Checks that of the page's acts, those at the `recorded` moments were sent, and none of the `unrecorded`. */
function expectRecordedActs(recorded: string[], unrecorded: string[]) {
  const events = ingest.batches.flatMap((batch) => batch.events);
  expect(events.filter((event) => isClick(event))).toHaveLength(recorded.length);
  const sent = ingest.bodies.join('');
  for (const moment of recorded) {
    expect(sent).toContain(`${moment}-text`);
  }
  for (const moment of unrecorded) {
    expect(sent).not.toContain(moment);
  }
  expect(tags(ingest.batches).filter((tag) => tag.endsWith('-capture'))).toEqual(
    recorded.map((moment) => `${moment}-capture`),
  );
  expect(networkUrls(ingest.batches).filter((url) => url.includes('replaykit-probe'))).toEqual(
    recorded.map((moment) => `${location.origin}/?replaykit-probe=${moment}`),
  );
}

/**
 * Renders `tree`, clicks each of `buttons` in turn (each remounts, hides or shows providers),
 * and checks the recording went on as one: the same recorder, one Meta, one full snapshot.
 */
async function expectClicksKeepRecording(tree: ReactNode, buttons: string[]) {
  render(tree);
  await recordingStarted();
  await settle();
  const first = peekRecorder();
  for (const name of buttons) {
    await act(async () => {
      screen.getByRole('button', { name }).click();
    });
    await settle();
    expect(peekRecorder()).toBe(first);
  }
  expect(first?.getStatus()).toBe('recording');
  await first?.flush();
  expect(count(ingest.batches, EventType.Meta)).toBe(1);
  expect(count(ingest.batches, EventType.FullSnapshot)).toBe(1);
}

/** A page as a Next.js app renders it on the server and hydrates it in the browser. */
function HydratedApp() {
  return (
    <StrictMode>
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
        {/* A nested provider (a route layout's, say) renders the same markup on both sides. */}
        <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
          <Masked>
            <p>Balance for Robin</p>
          </Masked>
          <Unmasked asChild>
            <section>Help centre</section>
          </Unmasked>
          <SessionLabel />
        </RecordingProvider>
      </RecordingProvider>
    </StrictMode>
  );
}

/** A short session idle timeout, for the rotation test. */
const IDLE_TIMEOUT_MS = 300;

/** Generous: on a loaded machine the recorder's start can take a while; waitFor returns as soon as it records. */
const START_TIMEOUT_MS = 10_000;

/** Waits until the page's recorder records (it starts asynchronously). */
async function recordingStarted() {
  await waitFor(() => expect(peekRecorder()?.getStatus()).toBe('recording'), { timeout: START_TIMEOUT_MS });
}

/** Waits until the enabled provider's recorder reports the opt-out, then checks that it sent nothing. */
async function staysOptedOut() {
  await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('disabled'), {
    timeout: START_TIMEOUT_MS,
  });
  // Once the recorder's pipeline has loaded and had its say, nothing was sent.
  await peekRecorder()?.flush();
  await settle();
  expect(peekRecorder()?.getStatus()).toBe('disabled');
  expect(ingest.requests).toEqual([]);
}

async function settle() {
  // Past the deferred stop of a released recorder and rrweb's first snapshot.
  await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
}

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  ingest = installFakeIngest();
});

afterEach(async () => {
  const recorder = peekRecorder();
  // Unmount first, so the provider releases the recorder, which stops.
  cleanup();
  await new Promise((resolve) => setTimeout(resolve, 10));
  await recorder?.flush();
  expect(peekRecorder()).toBeUndefined();
  ingest.restore();
});

describe('<RecordingProvider> in Chromium', () => {
  it('starts exactly one recording under StrictMode, with one full snapshot', async () => {
    render(
      <StrictMode>
        <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} user={{ id: 'strict-user' }}>
          <SessionLabel />
        </RecordingProvider>
      </StrictMode>,
    );
    await recordingStarted();
    await settle();
    expect(screen.getByTestId('status')).toHaveTextContent('recording');
    expect(screen.getByTestId('session').textContent).toMatch(/^[0-9a-f-]{36}$/);
    await peekRecorder()?.flush();
    expect(count(ingest.batches, EventType.Meta)).toBe(1);
    expect(count(ingest.batches, EventType.FullSnapshot)).toBe(1);
    // StrictMode runs the identify effect twice; the session still says it once.
    expect(tags(ingest.batches).filter((tag) => tag === '$identify')).toHaveLength(1);
  });

  it('keeps a capture made by a child effect before the provider has attached its recorder', async () => {
    render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
        <CaptureOnMount />
      </RecordingProvider>,
    );
    await recordingStarted();
    await settle();
    await peekRecorder()?.flush();
    expect(tags(ingest.batches).filter((tag) => tag === 'child_mounted')).toHaveLength(1);
  });

  it('shares the recorder between nested providers and across a remount in the same commit', async () => {
    await expectClicksKeepRecording(<Toggle />, ['remount']);
    expect(screen.getByTestId('status')).toHaveTextContent('recording');
  });

  it('keeps one recording when a provider remounts under StrictMode, which unmounts and mounts it again', async () => {
    // The new provider takes over the recording, then StrictMode runs its effects twice: the
    // simulated unmount must not stop the recording the real one is about to keep.
    await expectClicksKeepRecording(
      <StrictMode>
        <Toggle />
      </StrictMode>,
      ['remount'],
    );
    expect(screen.getByTestId('status')).toHaveTextContent('recording');
  });

  it('stops recording when the last provider unmounts, and records nothing while disabled', async () => {
    const view = render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} enabled={false}>
        <SessionLabel />
      </RecordingProvider>,
    );
    await settle();
    expect(screen.getByTestId('status')).toHaveTextContent('idle');
    expect(peekRecorder()).toBeUndefined();
    view.rerender(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
        <SessionLabel />
      </RecordingProvider>,
    );
    await recordingStarted();
    const recorder = peekRecorder();
    view.unmount();
    await settle();
    expect(recorder?.getStatus()).toBe('idle');
    expect(peekRecorder()).toBeUndefined();
  });

  it('records nothing the page does after the provider unmounts, in the same task or the next', async () => {
    const page = pageOutsideTheProviders();
    const view = render(
      <StrictMode>
        <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
          <CaptureOnMount />
        </RecordingProvider>
      </StrictMode>,
    );
    await recordingStarted();
    await settle();
    const recorder = peekRecorder();
    // While it records, each of these is recorded: their absence below means something.
    await page.acts('mounted');
    await settle();
    view.unmount();
    const sameTask = page.acts('same_task');
    await new Promise((resolve) => setTimeout(resolve, 0));
    await Promise.all([sameTask, page.acts('next_task')]);
    await settle();
    await recorder?.flush();
    page.remove();
    expectRecordedActs(['mounted'], ['same_task', 'next_task']);
  });

  it('records nothing captured while disabled, even once enabled, and identifies the user once', async () => {
    const tree = (enabled: boolean) => (
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} enabled={enabled} user={{ id: 'user-3' }}>
        <CaptureOnMount />
      </RecordingProvider>
    );
    // Captured on mount, before the user consented.
    const view = render(<StrictMode>{tree(false)}</StrictMode>);
    await settle();
    view.rerender(<StrictMode>{tree(true)}</StrictMode>);
    await recordingStarted();
    await settle();
    await peekRecorder()?.flush();
    expect(tags(ingest.batches)).not.toContain('child_mounted');
    expect(tags(ingest.batches).filter((tag) => tag === '$identify')).toHaveLength(1);
    // Consent withdrawn, then given again: what the page captured in between is not recorded.
    view.rerender(<StrictMode>{tree(false)}</StrictMode>);
    await settle();
    act(() => {
      latestCapture.current?.('while_disabled');
    });
    view.rerender(<StrictMode>{tree(true)}</StrictMode>);
    await recordingStarted();
    await settle();
    await peekRecorder()?.flush();
    expect(tags(ingest.batches)).not.toContain('while_disabled');
  });

  it('masks <Masked> content and identifies the user', async () => {
    render(
      <RecordingProvider
        endpoint={ENDPOINT}
        projectKey={KEY}
        user={{ id: 'user-9', traits: { plan: 'team' } }}
      >
        <Masked>
          <p>Balance 1,234.56 for Pat</p>
        </Masked>
        <p>Public heading</p>
      </RecordingProvider>,
    );
    await recordingStarted();
    await settle();
    await peekRecorder()?.flush();
    const sent = ingest.bodies.join('');
    expect(sent).toContain('Public heading');
    expect(sent).not.toContain('Balance');
    expect(sent).not.toContain('Pat');
    expect(tags(ingest.batches)).toContain('$identify');
  });

  it('masks what a child component of <Masked asChild> renders when it forwards only its ref', async () => {
    render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} privacy="relaxed">
        <Masked asChild>
          <CustomerCard>Delivery to Robin Hood</CustomerCard>
        </Masked>
        <p>Public heading</p>
      </RecordingProvider>,
    );
    await recordingStarted();
    await settle();
    await peekRecorder()?.flush();
    const sent = ingest.bodies.join('');
    expect(sent).toContain('Public heading');
    expect(sent).not.toContain('Robin');
  });

  it('keeps the page up when its options are bad: says what to fix, and reports the error status', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    flushed.tags = undefined;
    const tree = (selector: string) => (
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} privacy={{ maskSelectors: [selector] }}>
        <h1>Shop</h1>
        <SessionLabel />
        <FlushOnMount />
      </RecordingProvider>
    );
    const view = render(tree('[[customer'));
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('error'));
    expect(screen.getByRole('heading', { name: 'Shop' })).toBeVisible();
    expect(error).toHaveBeenCalledWith(
      expect.stringContaining('<RecordingProvider> records nothing'),
      expect.objectContaining({ message: expect.stringContaining('maskSelectors') }),
    );
    // Nothing is kept for a recorder that will not come: a flush resolves.
    expect(await flushed.tags).toEqual([]);
    expect(peekRecorder()).toBeUndefined();
    // Fixed, the options are tried again.
    view.rerender(tree('.customer'));
    await recordingStarted();
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('recording'));
    error.mockRestore();
  });

  it('takes a preset name and passes recorderOptions through without restarting on re-render', async () => {
    // Each call makes a new inline options object with the same content.
    const tree = () => (
      <RecordingProvider
        endpoint={ENDPOINT}
        projectKey={KEY}
        privacy="strict"
        recorderOptions={{ flushDelayMs: 5 }}
      >
        <p>Order history for Robin</p>
        <Unmasked>
          <h2>Help centre</h2>
        </Unmasked>
      </RecordingProvider>
    );
    const view = render(tree());
    await recordingStarted();
    const first = peekRecorder();
    // A new inline options object with the same content keeps the same recorder.
    view.rerender(tree());
    await settle();
    expect(peekRecorder()).toBe(first);
    // flushDelayMs 5 came through recorderOptions: the batch leaves without an explicit flush.
    await waitFor(() => expect(ingest.batches.length).toBeGreaterThan(0));
    const sent = ingest.bodies.join('');
    expect(sent).toContain('Help centre');
    expect(sent).not.toContain('Robin');
    expect(count(ingest.batches, EventType.FullSnapshot)).toBe(1);
  });

  it('restarts the recording when a RegExp option changes, and only then', async () => {
    const tree = (pattern: RegExp) => (
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} recorderOptions={{ blockedUrls: [pattern] }}>
        <p>Catalogue</p>
      </RecordingProvider>
    );
    const view = render(tree(/\/admin\//));
    await recordingStarted();
    const first = peekRecorder();
    view.rerender(tree(/\/admin\//));
    await settle();
    expect(peekRecorder()).toBe(first);
    view.rerender(tree(/\/internal\//));
    await settle();
    await recordingStarted();
    expect(peekRecorder()).not.toBe(first);
  });

  it('keeps what a child captures in the commit that changes the options, for the recorder that follows', async () => {
    const tree = (privacy: 'balanced' | 'strict') => (
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} privacy={privacy}>
        <CapturePreset privacy={privacy} />
      </RecordingProvider>
    );
    const view = render(tree('balanced'));
    await recordingStarted();
    const first = peekRecorder();
    // React runs the commit's cleanups (the old recorder stops) before its effects: the
    // child's capture comes between the stop and the new recorder's attach.
    view.rerender(tree('strict'));
    await settle();
    await recordingStarted();
    expect(peekRecorder()).not.toBe(first);
    await peekRecorder()?.flush();
    // The stopped recorder's batch can go twice (sent by it, and by the recorder that took
    // it over, or from IndexedDB): the same window and seq, which the server stores once.
    const stored = new Map<string, IngestBatch>();
    for (const batch of ingest.batches) {
      const key = `${batch.windowId}/${batch.seq}`;
      expect(stored.get(key)?.events ?? batch.events).toEqual(batch.events);
      stored.set(key, batch);
    }
    const shown = [...stored.values()]
      .flatMap((batch) => batch.events)
      .filter(
        (event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === 'preset_shown',
      )
      .map((event) => (event.data as { payload: { privacy: string } }).payload.privacy);
    expect(shown).toEqual(['balanced', 'strict']);
  });

  it('keeps the session and the tab’s window when the options change and when the provider mounts again', async () => {
    const tree = (privacy: 'balanced' | 'strict') => (
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} privacy={privacy}>
        <SessionLabel />
      </RecordingProvider>
    );
    const view = render(tree('balanced'));
    await recordingStarted();
    const first = peekRecorder();
    const sessionId = first?.getSessionId();
    const windowId = first?.getWindowId();
    // A new preset makes a new recorder on the same page.
    view.rerender(tree('strict'));
    await settle();
    await recordingStarted();
    expect(peekRecorder()).not.toBe(first);
    // Unmounted (the recorder stops), then mounted again.
    view.unmount();
    await settle();
    render(tree('strict'));
    await recordingStarted();
    await settle();
    expect(peekRecorder()?.getSessionId()).toBe(sessionId);
    expect(peekRecorder()?.getWindowId()).toBe(windowId);
    await peekRecorder()?.flush();
    expect(new Set(ingest.batches.map((batch) => `${batch.sessionId}/${batch.windowId}`))).toEqual(
      new Set([`${sessionId}/${windowId}`]),
    );
    // One window, one counter: a seq sent twice (a stopped recorder's batch, resent from
    // IndexedDB by the next one) is the same batch, which the server stores once.
    const bySeq = new Map<number, IngestBatch>();
    for (const batch of ingest.batches) {
      expect(bySeq.get(batch.seq)?.events ?? batch.events).toEqual(batch.events);
      bySeq.set(batch.seq, batch);
    }
    expect(count([...bySeq.values()], EventType.FullSnapshot)).toBe(3);
  });

  it('identifies the provider’s user again in the session that follows an idle rotation, until signed out', async () => {
    const tree = (user?: { id: string; traits?: Record<string, unknown> }) => (
      <RecordingProvider
        endpoint={ENDPOINT}
        projectKey={KEY}
        user={user}
        recorderOptions={{ sessionIdleTimeoutMs: IDLE_TIMEOUT_MS }}
      >
        <button type="button">Pay</button>
      </RecordingProvider>
    );
    /** Quiet past the idle timeout; the next click starts a new session. */
    const rotate = async () => {
      const before = peekRecorder()?.getSessionId();
      await act(() => new Promise((resolve) => setTimeout(resolve, IDLE_TIMEOUT_MS + 1_100)));
      await userEvent.click(screen.getByRole('button', { name: 'Pay' }));
      await waitFor(() => expect(peekRecorder()?.getSessionId()).not.toBe(before));
      await settle();
      return peekRecorder()?.getSessionId();
    };
    const identified = (sessionId: string | undefined) =>
      ingest.batches
        .filter((batch) => batch.sessionId === sessionId)
        .flatMap((batch) => batch.events)
        .filter(
          (event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === '$identify',
        )
        .map((event) => (event.data as { payload: unknown }).payload);
    const user = { userId: 'user-7', traits: { plan: 'team' } };
    const view = render(tree({ id: 'user-7', traits: { plan: 'team' } }));
    await recordingStarted();
    const first = peekRecorder()?.getSessionId();
    await settle();
    const second = await rotate();
    view.rerender(tree(undefined));
    const third = await rotate();
    await peekRecorder()?.flush();
    expect(identified(first)).toEqual([user]);
    expect(identified(second)).toEqual([user]);
    expect(identified(third)).toEqual([]);
  });

  it('identifies the provider’s user in the session a re-enabled provider records, after the last one expired', async () => {
    const tree = (enabled: boolean) => (
      <RecordingProvider
        endpoint={ENDPOINT}
        projectKey={KEY}
        enabled={enabled}
        user={{ id: 'user-9' }}
        recorderOptions={{ sessionIdleTimeoutMs: IDLE_TIMEOUT_MS }}
      >
        <p>Account</p>
      </RecordingProvider>
    );
    const view = render(tree(true));
    await recordingStarted();
    const first = peekRecorder()?.getSessionId();
    await settle();
    // Consent withdrawn for longer than the session lasts idle, then given again.
    view.rerender(tree(false));
    await act(() => new Promise((resolve) => setTimeout(resolve, IDLE_TIMEOUT_MS + 200)));
    view.rerender(tree(true));
    await recordingStarted();
    const second = peekRecorder()?.getSessionId();
    expect(second).not.toBe(first);
    await settle();
    await peekRecorder()?.flush();
    const identified = (sessionId: string | undefined) =>
      tags(ingest.batches.filter((batch) => batch.sessionId === sessionId)).filter(
        (tag) => tag === '$identify',
      );
    expect(identified(first)).toHaveLength(1);
    expect(identified(second)).toHaveLength(1);
  });

  it('records a render error with its component stack through the error boundary, then shows the fallback', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
        <RecordingErrorBoundary fallback={<p role="alert">Something went wrong</p>}>
          <Broken />
        </RecordingErrorBoundary>
      </RecordingProvider>,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('Something went wrong');
    await recordingStarted();
    await peekRecorder()?.flush();
    const errors = ingest.batches
      .flatMap((batch) => batch.events)
      .filter((event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === '$error')
      .map((event) => (event.data as { payload: Record<string, unknown> }).payload);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ message: 'Cart total could not be computed', kind: 'react' });
    expect(String(errors[0]?.componentStack)).toContain('Broken');
    vi.restoreAllMocks();
  });

  it('stops recording when the user opts out through useRecording()', async () => {
    render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
        <Consent />
      </RecordingProvider>,
    );
    const button = screen.getByRole('button', { name: /Stop recording me/ });
    await waitFor(() => expect(button).toHaveTextContent('(recording)'), { timeout: START_TIMEOUT_MS });
    await act(async () => {
      button.click();
    });
    expect(button).not.toHaveTextContent('(recording)');
    expect(peekRecorder()?.getStatus()).not.toBe('recording');
  });

  it('keeps an opt-out made while disabled: once enabled, nothing reaches the server until the visitor opts in', async () => {
    const view = render(consentTree(false));
    await userEvent.click(screen.getByRole('button', { name: 'Don’t record me' }));
    // The consent banner is answered afterwards: the visitor's own choice still wins.
    view.rerender(consentTree(true));
    await staysOptedOut();
    // The same page records once the visitor opts in: the opt-out above was what stopped it.
    await userEvent.click(screen.getByRole('button', { name: 'Record me' }));
    await recordingStarted();
    await peekRecorder()?.flush();
    expect(count(ingest.batches, EventType.FullSnapshot)).toBeGreaterThan(0);
  });

  it('keeps an opt-out made while disabled across a reload', async () => {
    render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} enabled={false}>
        <ConsentChoices />
      </RecordingProvider>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Don’t record me' }));
    // A reload: the page's React tree and recorder are gone, what the origin stored is not.
    cleanup();
    await settle();
    render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
        <SessionLabel />
      </RecordingProvider>,
    );
    await staysOptedOut();
  });

  it('keeps an opt-in made while disabled: it lifts an earlier opt-out once enabled', async () => {
    // An opt-out on an earlier page, through the recorder.
    render(consentTree(true));
    await recordingStarted();
    await userEvent.click(screen.getByRole('button', { name: 'Don’t record me' }));
    cleanup();
    await settle();
    ingest.batches.length = 0;
    // This page asks for consent again, and the visitor says yes before the provider is enabled.
    const view = render(consentTree(false));
    await userEvent.click(screen.getByRole('button', { name: 'Record me' }));
    view.rerender(consentTree(true));
    await recordingStarted();
    await peekRecorder()?.flush();
    expect(count(ingest.batches, EventType.FullSnapshot)).toBeGreaterThan(0);
  });

  it('keeps the later choice of another tab over an opt-out made here while disabled', async () => {
    const view = render(consentTree(false));
    await userEvent.click(screen.getByRole('button', { name: 'Don’t record me' }));
    // Later, in another tab of the origin, the visitor opts in again (what its recorder's optIn() stores).
    setOptedOut(false);
    // Back here, the consent banner is answered: the visitor's latest choice is to be recorded.
    view.rerender(consentTree(true));
    await recordingStarted();
    expect(peekRecorder()?.isOptedOut()).toBe(false);
  });

  it('discards what was left unsent when the visitor opts out after consent was withdrawn, as optOut() does', async () => {
    const view = render(consentTree(true));
    await recordingStarted();
    peekRecorder()?.capture('before_withdrawal');
    // The server is busy: the batch waits for a retry (a second or more away).
    ingest.failNext(503);
    await peekRecorder()?.flush();
    expect(ingest.batches).toEqual([]);
    // Consent is withdrawn (the recorder stops, the batch still unsent), then the visitor says
    // "Don't record me", and the page is hidden: nothing recorded before may go out now.
    view.rerender(consentTree(false));
    await settle();
    await userEvent.click(screen.getByRole('button', { name: 'Don’t record me' }));
    window.dispatchEvent(new PageTransitionEvent('pagehide'));
    // Back on the page, the visitor opts in and consents: what is recorded from then on is sent.
    await userEvent.click(screen.getByRole('button', { name: 'Record me' }));
    view.rerender(consentTree(true));
    await recordingStarted();
    peekRecorder()?.capture('after_opt_in');
    await waitFor(() => expect(tags(ingest.batches)).toContain('after_opt_in'), {
      timeout: START_TIMEOUT_MS,
    });
    expect(tags(ingest.batches)).not.toContain('before_withdrawal');
  });

  it('flush() called before the provider has attached its recorder resolves once what was captured is sent', async () => {
    flushed.tags = undefined;
    render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
        <FlushOnMount />
      </RecordingProvider>,
    );
    expect(await flushed.tags).toContain('order_placed');
  });

  it('flush() called as the provider unmounts sends what was captured then, and resolves', async () => {
    flushed.tags = undefined;
    const view = render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
        <FlushOnUnmount />
      </RecordingProvider>,
    );
    await recordingStarted();
    await settle();
    view.unmount();
    expect(await flushed.tags).toContain('left_checkout');
  });

  it('flush() of a disabled provider resolves at once: nothing is kept to send', async () => {
    flushed.tags = undefined;
    render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} enabled={false}>
        <FlushOnMount />
      </RecordingProvider>,
    );
    expect(await flushed.tags).toEqual([]);
    await settle();
    expect(peekRecorder()).toBeUndefined();
  });
});

describe('server-rendered HTML hydrated in the browser', () => {
  it('hydrates without a mismatch (the server snapshot is idle), then records', async () => {
    const errors = vi.spyOn(console, 'error');
    const container = document.createElement('div');
    container.innerHTML = renderToString(<HydratedApp />);
    document.body.append(container);
    const status = () => container.querySelector('[data-testid="status"]')?.textContent;
    expect(status()).toBe('idle');
    const root = await act(async () =>
      hydrateRoot(container, <HydratedApp />, {
        onRecoverableError: (error) => {
          throw error;
        },
      }),
    );
    try {
      await waitFor(() => expect(status()).toBe('recording'), { timeout: START_TIMEOUT_MS });
      expect(errors).not.toHaveBeenCalled();
    } finally {
      act(() => root.unmount());
      container.remove();
      errors.mockRestore();
    }
  });
});

describe('nested <RecordingProvider>s', () => {
  it('the inner one joins the outer: the outer’s privacy applies, not the inner’s', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    render(
      <StrictMode>
        <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} privacy="strict">
          <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
            <p>Order history for Robin</p>
            <CaptureOnMount />
          </RecordingProvider>
        </RecordingProvider>
      </StrictMode>,
    );
    await recordingStarted();
    await settle();
    await peekRecorder()?.flush();
    const sent = ingest.bodies.join('');
    expect(sent).not.toContain('Robin');
    // Calls made under the inner provider reach the outer's recording.
    expect(tags(ingest.batches)).toContain('child_mounted');
    expect(count(ingest.batches, EventType.FullSnapshot)).toBe(1);
    // Once, though StrictMode runs the effect twice.
    expect(warn).toHaveBeenCalledOnce();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('inside another <RecordingProvider>'));
    warn.mockRestore();
  });

  it('an inner provider records nothing while the outer one is disabled (no consent yet)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} enabled={false}>
        <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
          <SessionLabel />
        </RecordingProvider>
      </RecordingProvider>,
    );
    await settle();
    expect(peekRecorder()).toBeUndefined();
    expect(screen.getByTestId('status')).toHaveTextContent('idle');
    expect(ingest.batches).toEqual([]);
    warn.mockRestore();
  });

  it('identifies only the outer provider’s user', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    render(
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} user={{ id: 'outer-user' }}>
        <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} user={{ id: 'inner-user' }}>
          <SessionLabel />
        </RecordingProvider>
      </RecordingProvider>,
    );
    await recordingStarted();
    await settle();
    await peekRecorder()?.flush();
    const identified = ingest.batches
      .flatMap((batch) => batch.events)
      .filter(
        (event) => event.type === EventType.Custom && (event.data as { tag: string }).tag === '$identify',
      )
      .map((event) => (event.data as { payload: { userId: string } }).payload.userId);
    expect(identified).toEqual(['outer-user']);
    warn.mockRestore();
  });
});

describe('function options', () => {
  /** A network.transform that drops the test's probe requests or keeps them; a new function each call. */
  const probeTransform =
    (drop: boolean) =>
    (entry: NetworkPayload): NetworkPayload | null =>
      entry.url.includes('replaykit-probe') && drop ? null : entry;

  /**
   * Renders `tree(true)`, whose transform drops a probe request, then `tree(false)`, whose
   * transform keeps the next one: the page's recorder must stay and call the latest function.
   */
  async function expectLatestTransform(tree: (drop: boolean) => ReactNode): Promise<void> {
    const probe = `${location.origin}/?replaykit-probe`;
    const view = render(tree(true));
    await recordingStarted();
    await settle();
    const first = peekRecorder();
    await request(`${probe}=dropped`);
    view.rerender(tree(false));
    await settle();
    expect(peekRecorder()).toBe(first);
    await request(`${probe}=kept`);
    await waitFor(async () => {
      await peekRecorder()?.flush();
      expect(networkUrls(ingest.batches).some((url) => url.includes('kept'))).toBe(true);
    });
    expect(networkUrls(ingest.batches).some((url) => url.includes('dropped'))).toBe(false);
  }

  it('calls the latest network.transform and never restarts the recording for a new function', async () => {
    // Each render passes a new inline function, as a host app does.
    await expectLatestTransform((drop) => (
      <RecordingProvider
        endpoint={ENDPOINT}
        projectKey={KEY}
        recorderOptions={{ network: { transform: probeTransform(drop) } }}
      >
        <p>Catalogue</p>
      </RecordingProvider>
    ));
    expect(count(ingest.batches, EventType.FullSnapshot)).toBe(1);
  });

  it('calls the functions of a provider remounted onto the same recorder, not those of the one that left', async () => {
    // A new key remounts the provider in one commit (a layout per route, say): the page's
    // recorder, with the same options, is kept.
    await expectLatestTransform((drop) => (
      <RecordingProvider
        key={drop ? 'first' : 'second'}
        endpoint={ENDPOINT}
        projectKey={KEY}
        recorderOptions={{ network: { transform: probeTransform(drop) } }}
      >
        <p>Catalogue</p>
      </RecordingProvider>
    ));
  });

  it('restarts the recording when a function option is added, which it would otherwise never call', async () => {
    const tree = (transform?: (entry: NetworkPayload) => NetworkPayload | null) => (
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} recorderOptions={{ network: { transform } }}>
        <p>Catalogue</p>
      </RecordingProvider>
    );
    const view = render(tree());
    await recordingStarted();
    const first = peekRecorder();
    view.rerender(tree(() => null));
    await settle();
    await recordingStarted();
    expect(peekRecorder()).not.toBe(first);
  });
});

/** React 19.2's `<Activity>`; undefined on React 18 (the react18 project), which has none. */
const Activity = (ReactExports as { Activity?: typeof ReactExports.Activity }).Activity;

if (Activity) {
  /**
   * Routes kept in `<Activity>` once visited, as a router with a back/forward cache keeps
   * them: each has its own provider, with the same options.
   */
  const CachedRoutes = () => {
    const [route, setRoute] = useState('catalogue');
    const [visited, setVisited] = useState(['catalogue']);
    const open = (next: string) => {
      setRoute(next);
      setVisited((names) => (names.includes(next) ? names : [...names, next]));
    };
    return (
      <>
        <button type="button" onClick={() => open('catalogue')}>
          Catalogue
        </button>
        <button type="button" onClick={() => open('checkout')}>
          Checkout
        </button>
        {visited.map((name) => (
          <Activity key={name} mode={name === route ? 'visible' : 'hidden'}>
            <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
              <h1>{name}</h1>
            </RecordingProvider>
          </Activity>
        ))}
      </>
    );
  };

  /** A provider mounted hidden (a route prerendered for later) that is never shown. */
  const hiddenProvider = (
    <Activity mode="hidden">
      <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
        <p>Saved cart</p>
      </RecordingProvider>
    </Activity>
  );

  /** Waits until React has committed the hidden provider (Activity renders hidden content later). */
  async function hiddenProviderCommitted() {
    await waitFor(() => expect(screen.getByText('Saved cart')).not.toBeVisible());
  }

  /** The provider of a banner, which holds the recording, beside `others`; or `others` alone. */
  const withBanner = (banner: boolean, others: ReactNode) => (
    <>
      {banner && (
        <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
          <CaptureOnMount />
        </RecordingProvider>
      )}
      {others}
    </>
  );

  /**
   * Renders `after` in `view`, whose providers let go of the recording: it stops at once, and
   * what the page does in the same task is not recorded.
   */
  async function expectStopsAtOnce(view: RenderResult, after: ReactNode) {
    const recorder = peekRecorder();
    const page = pageOutsideTheProviders();
    await page.acts('mounted');
    await settle();
    view.rerender(after);
    await page.acts('same_task');
    await settle();
    await recorder?.flush();
    page.remove();
    expect(recorder?.getStatus()).toBe('idle');
    expect(peekRecorder()).toBeUndefined();
    expectRecordedActs(['mounted'], ['same_task']);
  }

  /** Suspends while `pending` is given, as a component reading data with use() does. */
  const Orders = ({ pending }: { pending: Promise<void> | undefined }) => {
    if (pending) {
      ReactExports.use(pending);
    }
    return <p>Orders</p>;
  };

  describe('<Activity> (React 19.2+ only: this block exists where react exports Activity, so not on React 18)', () => {
    it('keeps one recording when a provider is hidden as a cached one is shown again in the same commit', async () => {
      // To the checkout (mounted visible), then back to the catalogue (shown again from the cache).
      await expectClicksKeepRecording(<CachedRoutes />, ['Checkout', 'Catalogue']);
    });

    it('keeps one recording when cached routes switch under StrictMode', async () => {
      await expectClicksKeepRecording(
        <StrictMode>
          <CachedRoutes />
        </StrictMode>,
        ['Checkout', 'Catalogue', 'Checkout'],
      );
    });

    it('a provider mounted hidden does not delay the stop of another that unmounts: nothing after it is recorded', async () => {
      const view = render(withBanner(true, hiddenProvider));
      await hiddenProviderCommitted();
      await recordingStarted();
      await settle();
      await expectStopsAtOnce(view, withBanner(false, hiddenProvider));
    });

    it('a provider whose content a Suspense boundary hid and shows again is not awaited by another one’s stop', async () => {
      // Its layout effects run again as the content shows, but its passive effects stayed connected.
      const orders = (pending?: Promise<void>) => (
        <Suspense fallback={<p>Loading orders</p>}>
          {/* Disabled: it holds no reference, so the banner's provider is the last to let go. */}
          <RecordingProvider endpoint={ENDPOINT} projectKey={KEY} enabled={false}>
            <Orders pending={pending} />
          </RecordingProvider>
        </Suspense>
      );
      const view = render(withBanner(true, orders()));
      await recordingStarted();
      await settle();
      view.rerender(withBanner(true, orders(new Promise<void>(() => undefined))));
      await waitFor(() => expect(screen.getByText('Orders')).not.toBeVisible());
      view.rerender(withBanner(true, orders()));
      await waitFor(() => expect(screen.getByText('Orders')).toBeVisible());
      await expectStopsAtOnce(view, withBanner(false, orders()));
    });

    it('a provider hidden with none shown stops at once, and records again in the same session once shown', async () => {
      const tree = (mode: 'visible' | 'hidden') => (
        <>
          <Activity mode={mode}>
            <RecordingProvider endpoint={ENDPOINT} projectKey={KEY}>
              <CaptureOnMount />
              <p>Account</p>
            </RecordingProvider>
          </Activity>
          {hiddenProvider}
        </>
      );
      const view = render(tree('visible'));
      await hiddenProviderCommitted();
      await recordingStarted();
      await settle();
      const first = peekRecorder();
      const sessionId = first?.getSessionId();
      await expectStopsAtOnce(view, tree('hidden'));
      // Shown again: a new recorder, in the same session, with a full snapshot of its own.
      view.rerender(tree('visible'));
      await recordingStarted();
      await settle();
      expect(peekRecorder()).not.toBe(first);
      expect(peekRecorder()?.getSessionId()).toBe(sessionId);
      await peekRecorder()?.flush();
      expect(count(ingest.batches, EventType.FullSnapshot)).toBe(2);
    });
  });
}
