import {
  type ConsoleLevel,
  type ConsolePayload,
  type ErrorPayload,
  type NavigationPayload,
  type NetworkPayload,
  REDACTED,
} from '@replaykit/core';
import { CONSOLE_MAX_ARG_CHARS, CONSOLE_MAX_ARGS, NETWORK_BODY_MAX_CHARS } from './limits';
import type { NetworkCaptureOptions, UrlPattern } from './options';

/** Runs replaykit's own code so that nothing it throws ever reaches the host. */
function guard(work: () => void): void {
  try {
    work();
  } catch {
    // Capture is best effort; the host's code path must not notice.
  }
}

/** Steps that uninstall what a capture installed. */
type Undo = Array<() => void>;

/** Runs every undo step, each guarded so one failure does not stop the others. */
const undoAll = (undo: Undo) => () => {
  for (const step of undo) {
    guard(step);
  }
};

/** Puts a wrapper in place, and back the original on uninstall unless someone wrapped on top since. */
function replace<T extends object, K extends keyof T>(undo: Undo, target: T, name: K, wrapped: T[K]): T[K] {
  const original = target[name];
  target[name] = wrapped;
  undo.push(() => {
    if (target[name] === wrapped) {
      target[name] = original;
    }
  });
  return original;
}

/** Adds event listeners, removed on uninstall. */
export function listen(
  undo: Undo,
  target: EventTarget,
  // biome-ignore lint/suspicious/noExplicitAny: each handler takes its own event type.
  handlers: Record<string, (event: any) => void>,
): void {
  for (const type in handlers) {
    target.addEventListener(type, handlers[type] as EventListener);
    undo.push(() => target.removeEventListener(type, handlers[type] as EventListener));
  }
}

// ---------------------------------------------------------------- errors

/** Uncaught errors and unhandled rejections as `$error` payloads. */
export function captureErrors(emit: (payload: ErrorPayload) => void): () => void {
  const undo: Undo = [];
  // Keys left undefined here vanish when the event is serialised.
  const stackOf = (error: { stack?: unknown } | undefined) =>
    typeof error?.stack === 'string' ? error.stack : undefined;
  listen(undo, window, {
    error: (event: Event) =>
      guard(() => {
        if (event instanceof ErrorEvent) {
          emit({
            kind: 'error',
            message: event.message || String(event.error),
            stack: stackOf(event.error),
            source: event.filename ? `${event.filename}:${event.lineno}:${event.colno}` : undefined,
          });
        }
      }),
    unhandledrejection: (event: PromiseRejectionEvent) =>
      guard(() => {
        const reason = event.reason as { message?: unknown; stack?: unknown } | undefined;
        emit({
          kind: 'unhandledrejection',
          message: typeof reason?.message === 'string' ? reason.message : describe(reason, 500),
          stack: stackOf(reason),
        });
      }),
  });
  return undoAll(undo);
}

// ---------------------------------------------------------------- navigation

/** SPA navigations: History API calls, back/forward and hash changes, once per URL change. */
export function captureNavigation(emit: (payload: NavigationPayload) => void): () => void {
  const undo: Undo = [];
  let lastUrl = location.href;
  const report = (kind: NavigationPayload['kind']) =>
    guard(() => {
      const url = location.href;
      if (url !== lastUrl) {
        lastUrl = url;
        // The privacy processor redacts the URL, as it does for every recorded event.
        emit({ kind, url });
      }
    });
  for (const name of ['pushState', 'replaceState'] as const) {
    const original = replace(undo, history, name, function (this: History, ...args) {
      const result = original.apply(this, args);
      report(name);
      return result;
    });
  }
  const withoutHash = (url: string) => url.split('#')[0];
  listen(undo, window, {
    // A fragment change fires popstate, then hashchange (also when the fragment is removed):
    // let hashchange name it.
    popstate: () => {
      if (withoutHash(location.href) !== withoutHash(lastUrl)) {
        report('popstate');
      }
    },
    hashchange: () => report('hashchange'),
  });
  return undoAll(undo);
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
    } else if (typeof Node !== 'undefined' && value instanceof Node) {
      text = `[${value.nodeName.toLowerCase()}]`;
    } else if (typeof value === 'object' && value !== null) {
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
    } else {
      text = String(value);
    }
  } catch {
    text = '[unserialisable]';
  }
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

/**
 * Applies the directives of a first string argument as the console does (`'%s failed'`, and
 * React's own `'%o\n\n%s'` for the errors it logs), so the text reads as the developer saw it
 * rather than as a template beside its values; arguments left over follow it. Numbers keep
 * their digits under `%d` and `%i`.
 */
function applyConsoleFormat(args: unknown[]): unknown[] {
  const [first, ...rest] = args;
  // As in the console, a string alone is printed as it is.
  if (typeof first !== 'string' || rest.length === 0) {
    return args;
  }
  let used = 0;
  const text = first.replace(/%[sdifoOc%]/g, (directive) => {
    if (directive === '%%' || used >= rest.length) {
      return directive === '%%' ? '%' : directive;
    }
    const value = describe(rest[used++]);
    // %c styles the devtools' text: it is not text itself.
    return directive === '%c' ? '' : value;
  });
  return [text, ...rest.slice(used)];
}

/** Console calls of the chosen levels; the host's console behaves exactly as before. */
export function captureConsole(
  levels: readonly ConsoleLevel[],
  emit: (payload: ConsolePayload) => void,
): () => void {
  const target = console as unknown as Record<ConsoleLevel, (...args: unknown[]) => void>;
  const undo: Undo = [];
  let inside = false;
  for (const level of levels) {
    const original = target[level];
    if (typeof original === 'function') {
      replace(undo, target, level, function (this: unknown, ...args: unknown[]) {
        if (!inside) {
          inside = true;
          guard(() => {
            const shown = applyConsoleFormat(args);
            let truncated = shown.length > CONSOLE_MAX_ARGS;
            const texts = shown.slice(0, CONSOLE_MAX_ARGS).map((argument) => {
              const text = describe(argument);
              truncated ||= text.length > CONSOLE_MAX_ARG_CHARS;
              return text;
            });
            // An undefined `truncated` vanishes when the event is serialised.
            emit({ level, args: texts, truncated: truncated || undefined });
          });
          inside = false;
        }
        return original.apply(this, args);
      });
    }
  }
  return undoAll(undo);
}

// ---------------------------------------------------------------- network

/** Tests a URL against a list of rules. */
export function matchesUrl(url: string, patterns: readonly UrlPattern[] | undefined): boolean {
  return !!patterns?.some((pattern) =>
    typeof pattern === 'string' ? url.includes(pattern) : pattern.test(url),
  );
}

/** Header names whose values are always redacted, whatever the host allows. */
const SECRET_HEADER = /auth|cookie|csrf|xsrf|token|key|secret|session|password/;

function redactHeaders(entries: Iterable<[string, string]>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    result[lower] = SECRET_HEADER.test(lower) ? REDACTED : value;
  }
  return result;
}

const capBody = (text: string) =>
  text.length > NETWORK_BODY_MAX_CHARS ? `${text.slice(0, NETWORK_BODY_MAX_CHARS)}…` : text;

function bodyText(body: unknown): string | undefined {
  return typeof body === 'string' || body instanceof URLSearchParams
    ? capBody(String(body))
    : body == null
      ? undefined
      : `[${Object.prototype.toString.call(body).slice(8, -1)}]`;
}

function bodySize(body: unknown): number | undefined {
  return typeof body === 'string'
    ? new Blob([body]).size
    : body instanceof Blob
      ? body.size
      : body instanceof ArrayBuffer || ArrayBuffer.isView(body)
        ? body.byteLength
        : undefined;
}

export interface NetworkCaptureContext {
  options: NetworkCaptureOptions;
  /** Requests to these URL prefixes are replaykit's own and never recorded. */
  ownUrlPrefix: string;
  redact: (url: string) => string;
  emit: (payload: NetworkPayload) => void;
}

/** What a request in progress needs to be reported once it ends. */
interface Tracked {
  entry: NetworkPayload;
  headers: boolean;
  bodies: boolean;
  /** Reports the request with its status and response size, plus what the caller adds. */
  end(status: number, contentLength: string | null, extra?: Partial<NetworkPayload>): void;
}

/**
 * fetch, XHR and other resources (PerformanceObserver) as `$network` metadata. The
 * wrappers hand the host the very promise, response and errors the browser produced:
 * they only observe, and never read a body unless the host allowed it for that URL.
 */
export function captureNetwork(context: NetworkCaptureContext): () => void {
  const { options, ownUrlPrefix, redact, emit } = context;
  const undo: Undo = [];
  const finish = (entry: NetworkPayload) =>
    guard(() => {
      const redacted = { ...entry, url: redact(entry.url) };
      const transformed = options.transform ? options.transform(redacted) : redacted;
      if (transformed) {
        // Redaction stays on whatever the hook did: the privacy processor redacts the URL of
        // every recorded event, and the headers are redacted here.
        const { requestHeaders, responseHeaders } = transformed;
        emit({
          ...transformed,
          requestHeaders: requestHeaders && redactHeaders(Object.entries(requestHeaders)),
          responseHeaders: responseHeaders && redactHeaders(Object.entries(responseHeaders)),
        });
      }
    });
  const isOwn = (url: string) => url.startsWith(ownUrlPrefix);

  /** Starts tracking a request of the host's; undefined for replaykit's own. */
  const track = (
    method: string,
    url: string,
    initiator: 'fetch' | 'xhr',
    body: unknown,
  ): Tracked | undefined => {
    if (isOwn(url)) {
      return undefined;
    }
    const start = performance.now();
    const entry: NetworkPayload = {
      method: method.toUpperCase(),
      url,
      status: 0,
      startedAt: Date.now(),
      durationMs: 0,
      initiator,
      requestBytes: bodySize(body),
    };
    const bodies = matchesUrl(url, options.recordBodiesFor);
    const text = bodies ? bodyText(body) : undefined;
    if (text !== undefined) {
      entry.requestBody = text;
    }
    return {
      entry,
      headers: matchesUrl(url, options.recordHeadersFor),
      bodies,
      end(status, contentLength, extra) {
        const length = Number(contentLength);
        finish({
          ...entry,
          status,
          durationMs: Math.round(performance.now() - start),
          responseBytes: contentLength !== null && Number.isFinite(length) ? length : undefined,
          ...extra,
        });
      },
    };
  };

  if (typeof fetch === 'function') {
    const originalFetch = replace(undo, window, 'fetch', function fetch(
      this: unknown,
      input: RequestInfo | URL,
    ) {
      // biome-ignore lint/complexity/noArguments: the host's exact arguments go through untouched.
      const promise = originalFetch.apply(this, arguments as unknown as Parameters<typeof fetch>);
      guard(() => {
        const request = input instanceof Request ? input : undefined;
        // biome-ignore lint/complexity/noArguments: read the init the host passed, if any.
        const init = arguments[1] as RequestInit | undefined;
        const tracked = track(
          init?.method ?? request?.method ?? 'GET',
          new URL(request ? request.url : String(input), location.href).href,
          'fetch',
          init?.body,
        );
        if (!tracked) {
          return;
        }
        if (tracked.headers) {
          tracked.entry.requestHeaders = redactHeaders(new Headers(init?.headers ?? request?.headers));
        }
        promise.then(
          (response) =>
            guard(() => {
              const { headers } = response;
              const end = (responseBody?: string) =>
                tracked.end(response.status, headers.get('content-length'), {
                  responseHeaders: tracked.headers ? redactHeaders(headers) : undefined,
                  responseBody: responseBody === undefined ? undefined : capBody(responseBody),
                });
              if (tracked.bodies && !response.bodyUsed) {
                // A clone tees the stream: the host's copy streams exactly as before.
                response
                  .clone()
                  .text()
                  .then(end, () => end());
              } else {
                end();
              }
            }),
          (error: unknown) =>
            guard(() =>
              tracked.end(0, null, {
                error:
                  (error as { name?: string } | undefined)?.name === 'AbortError'
                    ? 'aborted'
                    : 'network error',
              }),
            ),
        );
      });
      return promise;
    } as typeof fetch);
  }

  if (typeof XMLHttpRequest === 'function') {
    const prototype = XMLHttpRequest.prototype;
    const requests = new WeakMap<
      XMLHttpRequest,
      { method: string; url: string; headers: [string, string][] }
    >();
    const originalOpen = replace(undo, prototype, 'open', function (
      this: XMLHttpRequest,
      method: string,
      url: string | URL,
    ) {
      guard(() => {
        requests.set(this, {
          method: String(method),
          url: new URL(String(url), location.href).href,
          headers: [],
        });
      });
      // biome-ignore lint/complexity/noArguments: open's optional async/user/password must pass through as given.
      return originalOpen.apply(this, arguments as unknown as Parameters<typeof originalOpen>);
    } as typeof prototype.open);
    const originalSetHeader = replace(
      undo,
      prototype,
      'setRequestHeader',
      function (this: XMLHttpRequest, name, value) {
        guard(() => {
          requests.get(this)?.headers.push([name, value]);
        });
        return originalSetHeader.call(this, name, value);
      },
    );
    const originalSend = replace(undo, prototype, 'send', function (this: XMLHttpRequest, body) {
      guard(() => {
        const request = requests.get(this);
        const tracked = request && track(request.method, request.url, 'xhr', body);
        if (!tracked) {
          return;
        }
        const onEnd = () =>
          guard(() => {
            this.removeEventListener('loadend', onEnd);
            tracked.end(this.status, this.getResponseHeader('content-length'), {
              error: this.status === 0 ? 'network error or aborted' : undefined,
              requestHeaders: tracked.headers ? redactHeaders(request.headers) : undefined,
              responseHeaders: tracked.headers
                ? redactHeaders(
                    // `name: value` lines; the value is everything after the first colon.
                    this.getAllResponseHeaders()
                      .trim()
                      .split(/[\r\n]+/)
                      .filter(Boolean)
                      .map((line) => line.split(/\s*:\s*(.*)/) as [string, string]),
                  )
                : undefined,
              responseBody:
                tracked.bodies && (this.responseType === '' || this.responseType === 'text')
                  ? capBody(this.responseText)
                  : undefined,
            });
          });
        this.addEventListener('loadend', onEnd);
      });
      return originalSend.call(this, body);
    });
  }

  guard(() => {
    const observer = new PerformanceObserver((list) =>
      guard(() => {
        for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
          const { initiatorType, name } = entry;
          // fetch and XHR come from the wrappers, with their status and method.
          if (initiatorType !== 'fetch' && initiatorType !== 'xmlhttprequest' && !isOwn(name)) {
            finish({
              method: 'GET',
              url: name,
              status: entry.responseStatus ?? 0,
              startedAt: Math.round(performance.timeOrigin + entry.startTime),
              durationMs: Math.round(entry.duration),
              initiator: initiatorType === 'beacon' ? 'beacon' : 'resource',
              responseBytes: entry.encodedBodySize,
            });
          }
        }
      }),
    );
    observer.observe({ type: 'resource', buffered: false });
    undo.push(() => observer.disconnect());
  });

  return undoAll(undo);
}

// ---------------------------------------------------------------- canvas

/** What `captureCanvas` needs from the recorder. */
export interface CanvasCaptureContext {
  /** Snapshots per second per canvas. */
  fps: number;
  /** Image quality between 0 and 1. */
  quality: number;
  /** rrweb's node id of a recorded element; below 1 for one it has not serialized. */
  idOf: (node: Node) => number;
  /** Elements matching this selector (privacy's block rules) or inside one are not recorded. */
  blockSelector: string;
  /** Receives rrweb's CanvasMutation data for each changed image, and when its pixels were read. */
  emit: (data: object, timestamp: number) => void;
}

/**
 * Records the page's canvases as images, at most `fps` times a second each, while the page
 * is visible, and only when the image changed. The browser encodes asynchronously
 * (`toBlob`, `FileReader`), so the main thread pays only for reading the pixels. Tainted
 * canvases (cross-origin images) and canvases handed to a worker cannot be read and are
 * skipped. WebGL contexts created while it runs keep their drawing buffer, so they can be
 * read. Events use rrweb's CanvasMutation format (clear, then draw the image), so players
 * that understand rrweb's image snapshots show them.
 */
export function captureCanvas(context: CanvasCaptureContext): () => void {
  const { idOf, blockSelector, emit } = context;
  /** Each canvas's last image (a data URL), and canvases being encoded (`''`). */
  const last = new WeakMap<HTMLCanvasElement, string>();
  const unreadable = new WeakSet<HTMLCanvasElement>();
  const snapshot = (canvas: HTMLCanvasElement) => {
    const id = idOf(canvas);
    const { width, height } = canvas;
    const previous = last.get(canvas);
    if (
      id < 1 ||
      previous === '' ||
      !width ||
      !height ||
      unreadable.has(canvas) ||
      canvas.closest(blockSelector)
    ) {
      return;
    }
    last.set(canvas, '');
    // The image is of this moment: encoding finishes later (much later on a busy page), and
    // the replay must show it where it was drawn, not after the page has moved on.
    const readAt = Date.now();
    try {
      canvas.toBlob(
        (blob) => {
          if (!blob) {
            last.set(canvas, previous ?? 'none');
            return;
          }
          const reader = new FileReader();
          reader.onloadend = () => {
            const url = String(reader.result ?? '');
            // A failed read is tried again at the next tick, like a failed encode.
            last.set(canvas, url || (previous ?? 'none'));
            if (url && url !== previous) {
              guard(() =>
                emit(
                  {
                    source: 9,
                    id,
                    type: 0,
                    commands: [
                      { property: 'clearRect', args: [0, 0, width, height] },
                      {
                        property: 'drawImage',
                        args: [
                          {
                            rr_type: 'ImageBitmap',
                            args: [
                              {
                                rr_type: 'Blob',
                                type: blob.type,
                                data: [{ rr_type: 'ArrayBuffer', base64: url.slice(url.indexOf(',') + 1) }],
                              },
                            ],
                          },
                          0,
                          0,
                        ],
                      },
                    ],
                  },
                  readAt,
                ),
              );
            }
          };
          reader.readAsDataURL(blob);
        },
        'image/webp',
        context.quality,
      );
    } catch {
      // SecurityError (tainted) or InvalidStateError (transferred to a worker): never readable.
      unreadable.add(canvas);
      last.delete(canvas);
    }
  };
  const undo: Undo = [];
  // A WebGL canvas reads as blank once its frame is shown unless it keeps its drawing buffer:
  // contexts made while recording keep it (a cost in GPU memory the host opted into).
  const getContext = HTMLCanvasElement.prototype.getContext;
  replace(undo, HTMLCanvasElement.prototype, 'getContext', function (
    this: HTMLCanvasElement,
    type: string,
    attributes?: Record<string, unknown>,
  ) {
    const webgl = /^(experimental-)?webgl2?$/.test(type);
    return getContext.call(this, type, webgl ? { ...attributes, preserveDrawingBuffer: true } : attributes);
  } as typeof getContext);
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') {
      for (const canvas of document.querySelectorAll('canvas')) {
        guard(() => snapshot(canvas));
      }
    }
  }, 1000 / context.fps);
  undo.push(() => clearInterval(timer));
  return undoAll(undo);
}
