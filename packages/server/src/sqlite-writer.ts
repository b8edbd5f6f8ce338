/**
 * Entry of the SQLite writer thread (see `./sqlite-writer-client`): commits the batches of
 * one or more database files, group by group, so that commits and their disk syncs never
 * block the thread that serves HTTP. Batches that arrive while a commit runs form the next
 * group.
 */
import { parentPort } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { createGroupWriter, type GroupWriter, openSqlite, type SqliteDurability } from './sqlite-store';
import type { PutBatchInput } from './store';
import { createTurnQueue } from './turn-queue';

/**
 * What the writer thread is asked to do. Requests travel in arrays, one message per event
 * loop turn, and replies likewise one message per group: a message across threads costs
 * more than its content (it wakes the other thread), and batching them halved the server's
 * context switches per batch in the ingest benchmark.
 */
export type WriterRequest =
  | { kind: 'open'; handle: number; filename: string; durability: SqliteDurability }
  | { kind: 'put'; handle: number; id: number; input: PutBatchInput }
  | { kind: 'close'; handle: number; id: number };

/** What it answers: a put's outcome, or that a database was closed. */
export type WriterReply =
  | { kind: 'put'; id: number; ok: true; duplicate: boolean; created: boolean }
  | { kind: 'put'; id: number; ok: false; error: string }
  | { kind: 'closed'; id: number };

const port = parentPort;
const databases = new Map<number, { db: Database.Database; writer: GroupWriter } | { error: string }>();
// Everything that arrives by the end of a turn joins that turn's group.
const queue = createTurnQueue<Extract<WriterRequest, { kind: 'put' }>>(commit);

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function commit(group: Array<Extract<WriterRequest, { kind: 'put' }>>): void {
  const byHandle = new Map<number, typeof group>();
  for (const request of group) {
    const requests = byHandle.get(request.handle);
    if (requests) {
      requests.push(request);
    } else {
      byHandle.set(request.handle, [request]);
    }
  }
  const replies: WriterReply[] = [];
  for (const [handle, requests] of byHandle) {
    const database = databases.get(handle);
    if (!database || 'error' in database) {
      const error = database ? database.error : 'The database is not open in the writer thread.';
      for (const request of requests) {
        replies.push({ kind: 'put', id: request.id, ok: false, error });
      }
      continue;
    }
    const outcomes = database.writer.commit(requests.map((request) => request.input));
    requests.forEach((request, index) => {
      const outcome = outcomes[index];
      replies.push(
        outcome?.ok
          ? { kind: 'put', id: request.id, ok: true, ...outcome.result }
          : { kind: 'put', id: request.id, ok: false, error: describe(outcome?.error) },
      );
    });
  }
  if (replies.length > 0) {
    port?.postMessage(replies);
  }
}

function handle(request: WriterRequest): void {
  switch (request.kind) {
    case 'open':
      try {
        const db = openSqlite(request.filename, request.durability);
        databases.set(request.handle, { db, writer: createGroupWriter(db) });
      } catch (error) {
        databases.set(request.handle, { error: describe(error) });
      }
      break;
    case 'put':
      queue.push(request);
      break;
    case 'close': {
      commit(queue.take());
      const database = databases.get(request.handle);
      if (database && 'db' in database) {
        database.db.close();
      }
      databases.delete(request.handle);
      port?.postMessage([{ kind: 'closed', id: request.id }] satisfies WriterReply[]);
      break;
    }
    default:
      request satisfies never;
  }
}

port?.on('message', (requests: WriterRequest[]) => {
  for (const request of requests) {
    handle(request);
  }
});
