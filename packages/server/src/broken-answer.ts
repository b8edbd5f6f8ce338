/**
 * Cutting off an answer whose body failed after its headers went out, where the HTTP server
 * can. A Web handler can only error the body's stream, which cuts the connection too; but Node's
 * adapter (@hono/node-server) logs that error with its stack trace, as if the server had
 * failed, for ordinary events such as a session deleted while it was streamed.
 */

/** The cutters of the requests served by this package's Node adapter (`node.ts`). */
const cutters = new WeakMap<Request, (reason: string) => void>();

/**
 * Lets {@link cutAnswer} cut the connection of `request`'s answer: `cut` closes it and logs
 * `reason` in one line.
 */
export function markCuttable(request: Request, cut: (reason: string) => void): Request {
  cutters.set(request, cut);
  return request;
}

/**
 * Cuts the connection of `request`'s answer, which must not end as a whole one does; false
 * when its server cannot, and the body's stream must error instead.
 */
export function cutAnswer(request: Request, reason: string): boolean {
  const cut = cutters.get(request);
  if (!cut) {
    return false;
  }
  cut(reason);
  return true;
}
