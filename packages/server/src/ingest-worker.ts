/**
 * Entry of an ingest worker thread (see `./ingest-pool`): decodes the batches the main
 * thread hands over and hands each body back, both without copying.
 */
import { parentPort } from 'node:worker_threads';
import { type BatchRefusal, type DecodedBatch, type DecodeLimits, decodeBatch } from './batch-decode';
import { WORKER_READY } from './ingest-pool';

/** One batch to decode, as posted by the pool. */
export interface IngestTask {
  id: number;
  body: Uint8Array;
  receivedAt: number;
  limits: DecodeLimits;
}

/** What the worker answers for one batch: its outcome or the error it failed with, and the body back. */
export interface IngestReply {
  id: number;
  body: Uint8Array;
  result?: DecodedBatch | BatchRefusal;
  error?: string;
}

const port = parentPort;
if (port) {
  // Each answer goes back as soon as its batch is decoded, not with the rest of its message:
  // a batch waits for no other batch's decoding, so the database commits the first ones while
  // this thread still decodes the others (holding answers until the end of the turn made
  // commits and decoding take turns, and the ingest benchmark lost a fifth of its rate).
  // The batches are decoded one after another: started together, their decodings' awaits
  // interleave step by step, and every batch of a message was answered with the last one.
  // A batch whose body inflates on the thread pool (a large one) does not hold up those behind
  // it: the next starts once its decoding has left this thread for a turn.
  const reply = (answer: IngestReply) => port.postMessage([answer], [answer.body.buffer as ArrayBuffer]);
  const decodeAndReply = (task: IngestTask) =>
    decodeBatch(task.body, task.receivedAt, task.limits).then(
      (result) => reply({ id: task.id, result, body: task.body }),
      (error: unknown) =>
        reply({
          id: task.id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          body: task.body,
        }),
    );
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const queue: IngestTask[] = [];
  let decoding = false;
  const decodeQueued = async () => {
    decoding = true;
    try {
      for (let task = queue.shift(); task; task = queue.shift()) {
        await Promise.race([decodeAndReply(task), nextTurn()]);
      }
    } finally {
      decoding = false;
    }
  };
  port.on('message', (tasks: IngestTask[]) => {
    queue.push(...tasks);
    if (!decoding) {
      void decodeQueued();
    }
  });
  port.postMessage(WORKER_READY);
}
