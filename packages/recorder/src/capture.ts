import {
  type ConsoleLevel,
  type ConsolePayload,
  type ErrorPayload,
  type NavigationPayload,
  type NetworkPayload,
  REDACTED,
} from '@replaykit/core';
import { CONSOLE_MAX_ARG_CHARS, CONSOLE_MAX_ARGS, NETWORK_BODY_MAX_CHARS } from './limits';
import { matchesUrl, type NetworkCaptureOptions } from './options';

/** Where captured facts go: a reserved tag and its payload. */
export type Emit = (tag: string, payload: unknown) => void;

/** Runs replaykit's own code so that nothing it throws ever reaches the host. */
function guard(work: () => void): void {
  try {
    work();
  } catch {
    // Capture is best effort; the host's code path must not notice.
  }
}

// ---------------------------------------------------------------- errors

/** Uncaught errors and unhandled rejections as `$error` payloads. */
export function captureErrors(emit: (payload: ErrorPayload) => void): () => void {
  const onError = (event: Event) =>
    guard(() => {
      if (!(event instanceof ErrorEvent)) {
        return;
      }
      const error = event.error as { stack?: unknown } | undefined;
      emit({
        kind: 'error',
        message: event.message || String(event.error),
        ...(typeof error?.stack === 'string' ? { stack: error.stack } : {}),
        ...(event.filename ? { source: `${event.filename}:${event.lineno}:${event.colno}` } : {}),
      });
    });
  const onRejection = (event: PromiseRejectionEvent) =>
    guard(() => {
      const reason = event.reason as { message?: unknown; stack?: unknown } | undefined;
      const message = typeof reason?.message === 'string' ? reason.message : describe(event.reason, 500);
      emit({
        kind: 'unhandledrejection',
        message,
        ...(typeof reason?.stack === 'string' ? { stack: reason.stack } : {}),
      });
    });
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  return () => {
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
  };
}

// ---------------------------------------------------------------- navigation

/** SPA navigations: History API calls, back/forward and hash changes, once per URL change. */
export function captureNavigation(emit: (payload: NavigationPayload) => void): () => void {
  let lastUrl = location.href;
  const report = (kind: NavigationPayload['kind']) =>
    guard(() => {
      const url = location.href;
      if (url === lastUrl) {
        return;
      }
      lastUrl = url;
      // The privacy processor redacts the URL, as it does for every recorded event.
      emit({ kind, url });
    });
  const originals = { pushState: history.pushState, replaceState: history.replaceState };
  const wrap = (name: 'pushState' | 'replaceState') => {
    const original = originals[name];
    const wrapped = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      report(name);
      return result;
    };
    history[name] = wrapped;
    return wrapped;
  };
  const wrappedPush = wrap('pushState');
  const wrappedReplace = wrap('replaceState');
  const withoutHash = (url: string) => url.split('#')[0];
  // A fragment change fires popstate, then hashchange: let hashchange name it.
  const onPopState = () => {
    if (withoutHash(location.href) !== withoutHash(lastUrl) || location.hash === '') {
      report('popstate');
    }
  };
  const onHashChange = () => report('hashchange');
  window.addEventListener('popstate', onPopState);
  window.addEventListener('hashchange', onHashChange);
  return () => {
    // Only unwrap what is still ours: a library may have wrapped on top since.
    if (history.pushState === wrappedPush) {
      history.pushState = originals.pushState;
    }
    if (history.replaceState === wrappedReplace) {
      history.replaceState = originals.replaceState;
    }
    window.removeEventListener('popstate', onPopState);
    window.removeEventListener('hashchange', onHashChange);
  };
}

// ---------------------------------------------------------------- console

/** Turns any value into capped text, without ever throwing (getters, cycles, proxies). */
export function describe(value: unknown, maxChars: number = CONSOLE_MAX_ARG_CHARS): string {
  let text: string;
  try {
    if (typeof value === 'string') {
      text = value;
    } else if (value instanceof Error) {
      text = value.stack || `${value.name}: ${value.message}`;
    } else if (typeof value === 'function') {
      text = `[function ${value.name || 'anonymous'}]`;
    } else if (typeof value === 'object' && value !== null) {
      if (typeof Node !== 'undefined' && value instanceof Node) {
        text = `[${value.nodeName.toLowerCase()}]`;
      } else {
        const seen = new WeakSet<object>();
        text =
          JSON.stringify(value, (_key, inner: unknown) => {
            if (typeof inner === 'object' && inner !== null) {
              if (seen.has(inner)) {
                return '[circular]';
              }
              seen.add(inner);
            }
            return typeof inner === 'bigint' ? `${inner}n` : inner;
          }) ?? String(value);
      }
    } else {
      text = String(value);
    }
  } catch {
    text = '[unserialisable]';
  }
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

/** Console calls of the chosen levels; the host's console behaves exactly as before. */
export function captureConsole(
  levels: readonly ConsoleLevel[],
  emit: (payload: ConsolePayload) => void,
): () => void {
  const target = console as unknown as Record<ConsoleLevel, (...args: unknown[]) => void>;
  const restore: Array<() => void> = [];
  let inside = false;
  for (const level of levels) {
    const original = target[level];
    if (typeof original !== 'function') {
      continue;
    }
    const wrapped = function (this: unknown, ...args: unknown[]) {
      if (!inside) {
        inside = true;
        guard(() => {
          const kept = args.slice(0, CONSOLE_MAX_ARGS);
          let truncated = args.length > CONSOLE_MAX_ARGS;
          const texts = kept.map((argument) => {
            const text = describe(argument);
            truncated ||= text.length > CONSOLE_MAX_ARG_CHARS;
            return text;
          });
          emit(truncated ? { level, args: texts, truncated } : { level, args: texts });
        });
        inside = false;
      }
      return original.apply(this, args);
    };
    target[level] = wrapped;
    restore.push(() => {
      if (target[level] === wrapped) {
        target[level] = original;
      }
    });
  }
  return () => {
    for (const undo of restore) {
      undo();
    }
  };
}

// ---------------------------------------------------------------- network

/** Header names whose values are always redacted, whatever the host allows. */
const SECRET_HEADER_WORDS = [
  'auth',
  'cookie',
  'csrf',
  'xsrf',
  'token',
  'key',
  'secret',
  'session',
  'password',
];

function redactHeaders(entries: Iterable<[string, string]>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    result[lower] = SECRET_HEADER_WORDS.some((word) => lower.includes(word)) ? REDACTED : value;
  }
  return result;
}

function capBody(text: string): string {
  return text.length > NETWORK_BODY_MAX_CHARS ? `${text.slice(0, NETWORK_BODY_MAX_CHARS)}…` : text;
}

function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') {
    return capBody(body);
  }
  if (body instanceof URLSearchParams) {
    return capBody(body.toString());
  }
  return body === undefined || body === null
    ? undefined
    : `[${Object.prototype.toString.call(body).slice(8, -1)}]`;
}

function bodySize(body: unknown): number | undefined {
  if (typeof body === 'string') {
    return new Blob([body]).size;
  }
  if (body instanceof Blob) {
    return body.size;
  }
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    return body.byteLength;
  }
  return undefined;
}

export interface NetworkCaptureContext {
  options: NetworkCaptureOptions;
  /** Requests to these URL prefixes are replaykit's own and never recorded. */
  ownUrlPrefix: string;
  redact: (url: string) => string;
  emit: (payload: NetworkPayload) => void;
}

/**
 * fetch, XHR and other resources (PerformanceObserver) as `$network` metadata. The
 * wrappers hand the host the very promise, response and errors the browser produced:
 * they only observe, and never read a body unless the host allowed it for that URL.
 */
export function captureNetwork(context: NetworkCaptureContext): () => void {
  const { options, ownUrlPrefix, redact, emit } = context;
  const undo: Array<() => void> = [];
  const finish = (entry: NetworkPayload) =>
    guard(() => {
      const redacted = { ...entry, url: redact(entry.url) };
      const transformed = options.transform ? options.transform(redacted) : redacted;
      if (transformed) {
        // Redaction stays on whatever the hook did: the privacy processor redacts the URL of
        // every recorded event, and the headers are redacted here.
        emit({
          ...transformed,
          ...(transformed.requestHeaders
            ? { requestHeaders: redactHeaders(Object.entries(transformed.requestHeaders)) }
            : {}),
          ...(transformed.responseHeaders
            ? { responseHeaders: redactHeaders(Object.entries(transformed.responseHeaders)) }
            : {}),
        });
      }
    });
  const isOwn = (url: string) => url.startsWith(ownUrlPrefix);

  if (typeof window.fetch === 'function') {
    const originalFetch = window.fetch;
    const wrappedFetch = function fetch(this: unknown, input: RequestInfo | URL) {
      // biome-ignore lint/complexity/noArguments: the host's exact arguments go through untouched.
      const promise = originalFetch.apply(this, arguments as unknown as Parameters<typeof fetch>);
      guard(() => {
        const request = input instanceof Request ? input : undefined;
        // biome-ignore lint/complexity/noArguments: read the init the host passed, if any.
        const init = arguments[1] as RequestInit | undefined;
        const url = new URL(request ? request.url : String(input), location.href).href;
        if (isOwn(url)) {
          return;
        }
        const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
        const startedAt = Date.now();
        const start = performance.now();
        const withHeaders = matchesUrl(url, options.recordHeadersFor);
        const withBodies = matchesUrl(url, options.recordBodiesFor);
        const requestBytes = bodySize(init?.body);
        const base: NetworkPayload = {
          method,
          url,
          status: 0,
          startedAt,
          durationMs: 0,
          initiator: 'fetch',
          ...(requestBytes === undefined ? {} : { requestBytes }),
        };
        if (withHeaders) {
          base.requestHeaders = redactHeaders(new Headers(init?.headers ?? request?.headers).entries());
        }
        if (withBodies) {
          const text = bodyText(init?.body);
          if (text !== undefined) {
            base.requestBody = text;
          }
        }
        promise.then(
          (response) =>
            guard(() => {
              const entry: NetworkPayload = {
                ...base,
                status: response.status,
                durationMs: Math.round(performance.now() - start),
              };
              const length = Number(response.headers.get('content-length'));
              if (response.headers.has('content-length') && Number.isFinite(length)) {
                entry.responseBytes = length;
              }
              if (withHeaders) {
                entry.responseHeaders = redactHeaders(response.headers.entries());
              }
              if (withBodies && !response.bodyUsed) {
                // A clone tees the stream: the host's copy streams exactly as before.
                response
                  .clone()
                  .text()
                  .then(
                    (text) => finish({ ...entry, responseBody: capBody(text) }),
                    () => finish(entry),
                  );
                return;
              }
              finish(entry);
            }),
          (error: unknown) =>
            guard(() => {
              const aborted = (error as { name?: string } | undefined)?.name === 'AbortError';
              finish({
                ...base,
                durationMs: Math.round(performance.now() - start),
                error: aborted ? 'aborted' : 'network error',
              });
            }),
        );
      });
      return promise;
    };
    window.fetch = wrappedFetch as typeof fetch;
    undo.push(() => {
      if (window.fetch === (wrappedFetch as typeof fetch)) {
        window.fetch = originalFetch;
      }
    });
  }

  if (typeof XMLHttpRequest === 'function') {
    const prototype = XMLHttpRequest.prototype;
    const originalOpen = prototype.open;
    const originalSend = prototype.send;
    const originalSetHeader = prototype.setRequestHeader;
    const requests = new WeakMap<
      XMLHttpRequest,
      { method: string; url: string; headers: [string, string][] }
    >();
    const open = function (this: XMLHttpRequest, method: string, url: string | URL) {
      guard(() => {
        requests.set(this, {
          method: String(method).toUpperCase(),
          url: new URL(String(url), location.href).href,
          headers: [],
        });
      });
      // biome-ignore lint/complexity/noArguments: open's optional async/user/password must pass through as given.
      return originalOpen.apply(this, arguments as unknown as Parameters<typeof originalOpen>);
    };
    const setRequestHeader = function (this: XMLHttpRequest, name: string, value: string) {
      guard(() => {
        requests.get(this)?.headers.push([name, value]);
      });
      return originalSetHeader.call(this, name, value);
    };
    const send = function (this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null) {
      guard(() => {
        const request = requests.get(this);
        if (!request || isOwn(request.url)) {
          return;
        }
        const startedAt = Date.now();
        const start = performance.now();
        const withHeaders = matchesUrl(request.url, options.recordHeadersFor);
        const withBodies = matchesUrl(request.url, options.recordBodiesFor);
        const requestBytes = bodySize(body);
        const onEnd = () =>
          guard(() => {
            this.removeEventListener('loadend', onEnd);
            const entry: NetworkPayload = {
              method: request.method,
              url: request.url,
              status: this.status,
              startedAt,
              durationMs: Math.round(performance.now() - start),
              initiator: 'xhr',
              ...(requestBytes === undefined ? {} : { requestBytes }),
            };
            const length = Number(this.getResponseHeader('content-length'));
            if (this.getResponseHeader('content-length') !== null && Number.isFinite(length)) {
              entry.responseBytes = length;
            }
            if (this.status === 0) {
              entry.error = 'network error or aborted';
            }
            if (withHeaders) {
              entry.requestHeaders = redactHeaders(request.headers);
              entry.responseHeaders = redactHeaders(
                this.getAllResponseHeaders()
                  .trim()
                  .split(/[\r\n]+/)
                  .filter(Boolean)
                  .map((line): [string, string] => {
                    const colon = line.indexOf(':');
                    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
                  }),
              );
            }
            if (withBodies) {
              const text = bodyText(body);
              if (text !== undefined) {
                entry.requestBody = text;
              }
              if (this.responseType === '' || this.responseType === 'text') {
                entry.responseBody = capBody(this.responseText);
              }
            }
            finish(entry);
          });
        this.addEventListener('loadend', onEnd);
      });
      return originalSend.call(this, body);
    };
    prototype.open = open as typeof prototype.open;
    prototype.setRequestHeader = setRequestHeader;
    prototype.send = send;
    undo.push(() => {
      if (prototype.open === (open as typeof prototype.open)) {
        prototype.open = originalOpen;
      }
      if (prototype.setRequestHeader === setRequestHeader) {
        prototype.setRequestHeader = originalSetHeader;
      }
      if (prototype.send === send) {
        prototype.send = originalSend;
      }
    });
  }

  if (typeof PerformanceObserver === 'function') {
    guard(() => {
      const observer = new PerformanceObserver((list) =>
        guard(() => {
          for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
            // fetch and XHR come from the wrappers, with their status and method.
            if (
              entry.initiatorType === 'fetch' ||
              entry.initiatorType === 'xmlhttprequest' ||
              isOwn(entry.name)
            ) {
              continue;
            }
            finish({
              method: 'GET',
              url: entry.name,
              status: entry.responseStatus ?? 0,
              startedAt: Math.round(performance.timeOrigin + entry.startTime),
              durationMs: Math.round(entry.duration),
              initiator: entry.initiatorType === 'beacon' ? 'beacon' : 'resource',
              responseBytes: entry.encodedBodySize,
            });
          }
        }),
      );
      observer.observe({ type: 'resource', buffered: false });
      undo.push(() => observer.disconnect());
    });
  }

  return () => {
    for (const step of undo) {
      guard(step);
    }
  };
}
