/**
 * Entry of an ingest worker thread (see `./ingest-pool`): decodes the batches the main
 * thread hands over and hands each body back, both without copying.
 */
import { parentPort } from 'node:worker_threads';
import { type BatchRefusal, type DecodedBatch, type DecodeLimits, decodeBatch } from './batch-decode';
import { WORKER_READY } from './ingest-pool';
import { createTurnQueue } from './turn-queue';

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
  // Answers of one event loop turn go back in one message, like the batches come.
  const replies = createTurnQueue<IngestReply>((answers) =>
    port.postMessage(
      answers,
      answers.map((answer) => answer.body.buffer as ArrayBuffer),
    ),
  );
  port.on('message', (tasks: IngestTask[]) => {
    for (const task of tasks) {
      decodeBatch(task.body, task.receivedAt, task.limits).then(
        (result) => replies.push({ id: task.id, result, body: task.body }),
        (error: unknown) =>
          replies.push({
            id: task.id,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
            body: task.body,
          }),
      );
    }
  });
  port.postMessage(WORKER_READY);
}
