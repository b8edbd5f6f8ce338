/**
 * Entry of an ingest worker thread (see `./ingest-pool`): decodes the batches the main
 * thread hands over and hands each body back, both without copying.
 */
import { parentPort } from 'node:worker_threads';
import { type DecodeLimits, decodeBatch } from './batch-decode';
import { WORKER_READY } from './ingest-pool';

/** One batch to decode, as posted by the pool. */
export interface IngestTask {
  id: number;
  body: Uint8Array;
  receivedAt: number;
  limits: DecodeLimits;
}

const port = parentPort;
if (port) {
  port.on('message', (task: IngestTask) => {
    decodeBatch(task.body, task.receivedAt, task.limits).then(
      (result) =>
        port.postMessage({ id: task.id, result, body: task.body }, [task.body.buffer as ArrayBuffer]),
      (error: unknown) =>
        port.postMessage(
          {
            id: task.id,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
            body: task.body,
          },
          [task.body.buffer as ArrayBuffer],
        ),
    );
  });
  port.postMessage(WORKER_READY);
}
