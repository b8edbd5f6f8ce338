import { checkEventName, type ErrorPayload } from '@replaykit/core';
import {
  isOptedOut,
  PENDING_EVENTS_MAX,
  type Recorder,
  type RecorderStatus,
  setOptedOut,
} from '@replaykit/recorder';

/** What the hooks read: replaced (never mutated) whenever it changes. */
export interface RecordingSnapshot {
  status: RecorderStatus;
  sessionId: string | undefined;
}

export const SERVER_SNAPSHOT: RecordingSnapshot = Object.freeze({ status: 'idle', sessionId: undefined });

/** Most calls kept while no recorder is attached yet (child effects run before the provider's): the recorder's own cap. */
const PENDING_CALLS_MAX = PENDING_EVENTS_MAX;

/**
 * A stable object that a provider hands to its hooks from the very first render. The page's
 * recorder is attached in an effect; calls made before that are kept and replayed in order,
 * unless the provider is disabled (`enabled={false}`): then nothing is kept but the visitor's
 * opt-out or opt-in, which always wins.
 */
export class RecordingHandle {
  private recorder: Recorder | undefined;
  private unsubscribe: (() => void) | undefined;
  private pending: Array<(recorder: Recorder) => void> = [];
  /** Resolves the flush() calls kept in `pending`, for when they are dropped instead. */
  private pendingFlushes: Array<() => void> = [];
  /** The recorder last attached, which calls made while its provider unmounts still reach. */
  private lastRecorder: Recorder | undefined;
  /** Detached and not attached again in the same commit: the provider has gone. */
  private released = false;
  /** The provider's recorder could not be created (bad options): nothing will come to run calls. */
  private failed = false;
  private readonly listeners = new Set<() => void>();
  private snapshot: RecordingSnapshot = SERVER_SNAPSHOT;
  /** The props of the provider that owns this handle, as text, which a nested provider compares with its own. */
  providerKey = '';
  /** The provider is disabled: calls are dropped, not kept for later. */
  private disabled: boolean;
  /**
   * The visitor's last opt-out or opt-in that no recorder could take, and whether the origin's
   * storage kept it: the next recorder attached is told, unless the stored choice changed since.
   */
  private consentChoice: { choice: 'optOut' | 'optIn'; stored: boolean } | undefined;

  constructor(disabled = false) {
    this.disabled = disabled;
  }

  /**
   * While the provider is disabled (no consent yet, or withdrawn), nothing the page captures
   * is recorded, not even once it is enabled: it would land at the wrong time, and without
   * consent.
   */
  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
    if (disabled) {
      this.dropPending();
      // Options that failed are not tried while disabled: the status is no longer theirs.
      this.failed = false;
      this.refresh();
    }
  }

  /** The recorder could not be created: the hooks read `error`, and calls are dropped. */
  fail(): void {
    this.failed = true;
    this.dropPending();
    this.refresh();
  }

  private dropPending(): void {
    const flushes = this.pendingFlushes;
    this.pending = [];
    this.pendingFlushes = [];
    for (const resolve of flushes) {
      resolve();
    }
  }

  attach(recorder: Recorder): void {
    this.detach();
    this.recorder = recorder;
    this.lastRecorder = recorder;
    this.released = false;
    this.failed = false;
    this.unsubscribe = recorder.subscribe(() => this.refresh());
    const consent = this.consentChoice;
    this.consentChoice = undefined;
    // A stored choice may have been changed since, in another tab (its optIn() or optOut()):
    // the visitor's latest stands, which told again, the earlier one overwrote for the origin.
    if (consent && (!consent.stored || isOptedOut() === (consent.choice === 'optOut'))) {
      // Before anything else reaches it: an opt-out stops what start() began and discards it.
      recorder[consent.choice]();
    }
    this.runPending(recorder);
    this.refresh();
  }

  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.recorder = undefined;
    this.refresh();
    // StrictMode, a change of options and a provider remounted in the same commit attach again
    // in this run of effects (a change of options after stopping the old recorder, before the
    // children's effects of that commit run), and calls made meanwhile are kept for it. If none
    // does, they go to the recorder this handle had if it still records (for another root, or
    // until its stop a microtask after this one); if it stopped with its provider, what the
    // page did since is after the recording, and they are dropped. Later ones are dropped too:
    // kept, they would never be sent, and a flush never resolve.
    queueMicrotask(() => {
      const recorder = this.lastRecorder;
      if (this.recorder || this.released || !recorder) {
        return;
      }
      this.released = true;
      if (recorder.getStatus() === 'idle') {
        this.dropPending();
      } else {
        this.runPending(recorder);
      }
    });
  }

  /** Runs the kept calls on `recorder`, in order (the flushes among them resolve as it sends). */
  private runPending(recorder: Recorder): void {
    const calls = this.pending;
    this.pending = [];
    this.pendingFlushes = [];
    for (const call of calls) {
      call(recorder);
    }
  }

  private refresh(): void {
    const status = this.recorder?.getStatus() ?? (this.failed ? 'error' : 'idle');
    const sessionId = this.recorder?.getSessionId();
    if (this.recorder && this.providerUser && sessionId && sessionId !== this.providerUserSession) {
      // Each session the provider's user is seen in is identified once: the first, and each
      // new one (an idle rotation, another tab's, one begun while the provider was disabled).
      this.providerUserSession = sessionId;
      this.recorder.identify(this.providerUser.userId, this.providerUser.traits);
    }
    if (status !== this.snapshot.status || sessionId !== this.snapshot.sessionId) {
      this.snapshot = { status, sessionId };
      for (const listener of this.listeners) {
        listener();
      }
    }
  }

  /** Runs `action` on the recorder, or keeps it for the recorder to come; false when dropped. */
  private call(action: (recorder: Recorder) => void): boolean {
    if (this.recorder) {
      action(this.recorder);
    } else if (!this.disabled && !this.released && !this.failed && this.pending.length < PENDING_CALLS_MAX) {
      this.pending.push(action);
    } else {
      return false;
    }
    return true;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  readonly getSnapshot = (): RecordingSnapshot => this.snapshot;

  readonly capture = (name: string, properties?: Record<string, unknown>): void => {
    // Validate now, so a bad name fails where it was written even before the recorder exists.
    const problem = checkEventName(name);
    if (problem) {
      throw new Error(`capture(): ${problem}`);
    }
    this.call((recorder) => recorder.capture(name, properties));
  };

  /** The provider's `user`, with its traits as given (JSON), by which a change is told. */
  private providerUser:
    | { userId: string; traitsJson: string; traits: Record<string, unknown> | undefined }
    | undefined;
  /** The session the provider's user was last identified in. */
  private providerUserSession: string | undefined;

  /**
   * Identifies the user given to the provider's `user` prop, once per distinct user and
   * session: React runs effects twice under StrictMode, and a session should not say
   * "identified" twice.
   */
  identifyProviderUser(userId: string | undefined, traitsJson: string): void {
    if (!userId) {
      // Signed out: later sessions are not this user's.
      this.providerUser = undefined;
      return;
    }
    if (this.providerUser?.userId === userId && this.providerUser.traitsJson === traitsJson) {
      return;
    }
    this.providerUser = { userId, traitsJson, traits: JSON.parse(traitsJson) ?? undefined };
    // A new user or new traits are identified in the current session too, once it is known.
    this.providerUserSession = undefined;
    this.refresh();
  }

  readonly identify = (userId: string, traits?: Record<string, unknown>): void => {
    if (typeof userId !== 'string' || userId === '') {
      throw new Error('identify(): userId must be a non-empty string, such as your user table id.');
    }
    this.call((recorder) => recorder.identify(userId, traits));
  };

  readonly start = (): void => {
    this.call((recorder) => recorder.start());
  };

  readonly stop = (): void => {
    this.call((recorder) => recorder.stop());
  };

  /** Records a `$error` event (used by `<RecordingErrorBoundary>`). */
  readonly captureError = (payload: ErrorPayload): void => {
    this.call((recorder) => recorder.captureError(payload));
  };

  /** Stops recording and remembers the user's choice. */
  readonly optOut = (): void => {
    this.choose('optOut');
  };

  /** Lifts an earlier opt-out and starts recording again. */
  readonly optIn = (): void => {
    this.choose('optIn');
  };

  /**
   * The visitor's choice is never dropped, unlike other calls: made while the provider is
   * disabled (a "Don't record me" before the consent banner is answered), it is persisted at
   * once as the recorder would (so a reload keeps it) and given to the next recorder attached
   * (which also covers a page without storage, and a recorder shared with another root).
   */
  private choose(choice: 'optOut' | 'optIn'): void {
    if (this.call((recorder) => recorder[choice]())) {
      return;
    }
    // The recorder this provider had (stopped when consent was withdrawn, or still recording
    // for another root) holds what it recorded before: an opt-out discards it, as it does
    // through the recorder, where its retries and its page-hide send delivered it after the
    // visitor said no.
    this.lastRecorder?.[choice]();
    setOptedOut(choice === 'optOut');
    this.consentChoice = { choice, stored: isOptedOut() === (choice === 'optOut') };
  }

  /**
   * Sends what is buffered. Before the recorder is attached (child effects run before the
   * provider's) it is kept in order with the other calls, and resolves once the recorder has
   * sent them; a host awaits it before navigating away. With nothing kept to send (the
   * provider is disabled, or stops being so before attaching) it resolves at once.
   */
  readonly flush = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const kept = this.call((recorder) => {
        recorder.flush().then(resolve, reject);
      });
      if (!kept) {
        resolve();
      } else if (!this.recorder) {
        this.pendingFlushes.push(resolve);
      }
    });
}
