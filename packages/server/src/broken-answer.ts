/**
 * Cutting off an answer whose body failed after its headers went out, where the HTTP server
 * can. A Web handler can only error the body's stream, which cuts the connection too; but Node's
 * adapter (@hono/node-server) logs that error with its stack trace, as if the server had
 * failed, for ordinary events such as a session deleted while it was streamed.
 */

/**
 * What a request whose answer failed is answered instead, when its headers have not gone out
 * yet (Node's adapter reads a few chunks of a stream before it writes them): a whole answer,
 * as the request would have got had the failure come before the handler answered.
 */
export interface StandInAnswer {
  status: number;
  /** Its own headers (content type, Retry-After); those of the failed answer not about its body stay. */
  headers: Record<string, string>;
  body: string;
}

/** Cuts an answer off (or answers `instead` when its headers have not gone out) and logs `reason`. */
export type AnswerCutter = (reason: string, instead: StandInAnswer) => void;

/** The cutters of the requests served by this package's Node adapter (`node.ts`). */
const cutters = new WeakMap<Request, AnswerCutter>();

/**
 * Lets {@link cutAnswer} cut the connection of `request`'s answer: `cut` closes it, or gives the
 * stand-in answer while it can, and logs `reason` in one line.
 */
export function markCuttable(request: Request, cut: AnswerCutter): Request {
  cutters.set(request, cut);
  return request;
}

/**
 * Cuts the connection of `request`'s answer, which must not end as a whole one does, or answers
 * `instead` where the answer's headers have not gone out; false when its server cannot, and the
 * body's stream must error instead. True: the body's stream ends, and what it writes goes nowhere.
 */
export function cutAnswer(request: Request, reason: string, instead: StandInAnswer): boolean {
  const cut = cutters.get(request);
  if (!cut) {
    return false;
  }
  cut(reason, instead);
  return true;
}
