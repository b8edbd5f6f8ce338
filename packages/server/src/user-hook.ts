/**
 * Hooks an application passes to the server (`onError`, `onAnswerBroken`) are called where the
 * server is in the middle of its own work: closing a stream's store reader, cutting an answer,
 * a sweep timer's callback. A hook that throws there would skip that work, or, from a timer,
 * end the process. Its throw is logged instead, once, and the server carries on.
 */

/**
 * `hook` (named `name` in the log) made safe to call: a throw, or the rejection of the promise
 * an async hook returns, is logged to `console.error` with what the hook was given, and not
 * passed on.
 */
export function guardedHook<T>(name: string, hook: (value: T) => void): (value: T) => void {
  return (value) => {
    const log = (error: unknown) =>
      console.error(
        `replaykit: the ${name} hook threw, and the server went on without it; a hook must not throw, so catch its errors within it. It threw:`,
        error,
        `It was given:`,
        value,
      );
    try {
      // An async hook (one that ships logs, say) type-checks as one returning nothing: its
      // rejection, unhandled, would end the process as a throw from a timer would.
      const result: unknown = hook(value);
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        Promise.resolve(result).catch(log);
      }
    } catch (error) {
      log(error);
    }
  };
}
