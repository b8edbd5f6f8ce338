/**
 * The main thread's side of the SQLite writer thread (`./sqlite-writer`): one thread per
 * process, shared by every SQLite store of the process, started at the first write and
 * ended shortly after the last store closes. Where the thread cannot start, writes run on
 * the calling thread with the same group commit.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { loadSpawner } from './ingest-pool';
import { createGroupWriter, type GroupWriter, openSqlite, type SqliteDurability } from './sqlite-store';
import type { WriterReply, WriterRequest } from './sqlite-writer';
import type { PutBatchInput, PutBatchResult } from './store';
import { createTurnQueue, type TurnQueue } from './turn-queue';

/** How long the writer thread outlives the last store that used it, in ms. */
export const SQLITE_WRITER_LINGER_MS = 1_000;

/** One store's use of the writer thread. */
export interface SqliteWriterHandle {
  /** Stores a batch; resolves after its group's commit. */
  put(input: PutBatchInput): Promise<PutBatchResult>;
  /** Waits for this store's batches, closes its connection in the writer thread. */
  release(): Promise<void>;
}

interface Pending {
  input: PutBatchInput;
  handle: number;
  resolve: (value: PutBatchResult) => void;
  reject: (error: unknown) => void;
}

interface WriterThread {
  worker: NodeWorker;
  pending: Map<number, Pending>;
  closing: Map<number, () => void>;
  /** Stores whose database the thread has opened. */
  opened: Set<number>;
  /** Requests of this event loop turn, posted together at its end (see {@link WriterRequest}). */
  outbox: TurnQueue<WriterRequest>;
  users: number;
  lingerTimer?: ReturnType<typeof setTimeout>;
}

let thread: Promise<WriterThread | undefined> | undefined;
/** Set when the writer thread cannot run here: writes then run on the calling thread. */
let threadBroken = false;
let nextId = 0;
let nextHandle = 0;
/** Where each store's database is, so that its writes can move to this thread if the writer thread fails. */
const openedHandles = new Map<number, { filename: string; durability: SqliteDurability }>();
/** Connections of this thread used when the writer thread cannot be. */
const localWriters = new Map<number, { db: Database.Database; writer: GroupWriter }>();

/** Whether the SQLite writer thread of this process is running (for tests and diagnostics). */
export function sqliteWriterThreadRunning(): boolean {
  return thread !== undefined;
}

function writeLocally(handle: number, inputs: Pending[]): void {
  let outcomes: ReturnType<GroupWriter['commit']> | undefined;
  try {
    let local = localWriters.get(handle);
    const where = openedHandles.get(handle);
    if (!local && where) {
      const db = openSqlite(where.filename, where.durability);
      local = { db, writer: createGroupWriter(db) };
      localWriters.set(handle, local);
    }
    outcomes = local?.writer.commit(inputs.map((pending) => pending.input));
  } catch (error) {
    outcomes = inputs.map(() => ({ ok: false, error }));
  }
  inputs.forEach((pending, index) => {
    const outcome = outcomes?.[index];
    if (outcome?.ok) {
      pending.resolve(outcome.result);
    } else {
      pending.reject(outcome?.error ?? new Error('The database is not open.'));
    }
  });
}

/** Batches waiting to be written on this thread, per store: those of one turn share a commit. */
const localQueues = new Map<number, TurnQueue<Pending>>();

function queueLocally(pending: Pending): void {
  let queue = localQueues.get(pending.handle);
  if (!queue) {
    queue = createTurnQueue((group) => writeLocally(pending.handle, group));
    localQueues.set(pending.handle, queue);
  }
  queue.push(pending);
}

/**
 * The writer thread failed: its batches are written here instead. A batch it may have
 * committed already is then answered as a duplicate, which is still the truth: it is stored once.
 */
function failThread(current: WriterThread): void {
  threadBroken = true;
  thread = undefined;
  const pending = [...current.pending.values()];
  current.pending.clear();
  for (const done of current.closing.values()) {
    done();
  }
  current.closing.clear();
  for (const handle of new Set(pending.map((entry) => entry.handle))) {
    writeLocally(
      handle,
      pending.filter((entry) => entry.handle === handle),
    );
  }
  void current.worker.terminate();
}

function startThread(): Promise<WriterThread | undefined> {
  thread ??= loadSpawner().then((spawner) => {
    if (!spawner || threadBroken) {
      threadBroken = true;
      thread = undefined;
      return undefined;
    }
    const worker = spawner.spawn('sqlite-writer');
    const current: WriterThread = {
      worker,
      pending: new Map(),
      closing: new Map(),
      opened: new Set(),
      outbox: createTurnQueue((requests) => worker.postMessage(requests)),
      users: 0,
    };
    worker.unref();
    worker.on('message', (replies: WriterReply[]) => {
      for (const reply of replies) {
        if (reply.kind === 'closed') {
          current.closing.get(reply.id)?.();
          current.closing.delete(reply.id);
        } else {
          const pending = current.pending.get(reply.id);
          current.pending.delete(reply.id);
          if (reply.ok) {
            pending?.resolve({ duplicate: reply.duplicate, created: reply.created });
          } else {
            pending?.reject(new Error(reply.error));
          }
        }
      }
      if (current.pending.size === 0 && current.closing.size === 0) {
        worker.unref();
      }
    });
    worker.on('error', () => failThread(current));
    worker.on('exit', () => {
      if (current.pending.size > 0 || current.closing.size > 0) {
        failThread(current);
      }
    });
    return current;
  });
  return thread;
}

function send(current: WriterThread, request: WriterRequest): void {
  current.worker.ref();
  current.outbox.push(request);
}

/** What `putBatch` rejects with once its SQLite store is closed, with or without a writer thread. */
export function storeClosedError(): Error {
  return new Error('The SQLite store is closed; open it again to store batches.');
}

/** A store's handle on the writer thread, for the database file `filename`. */
export function acquireSqliteWriter(filename: string, durability: SqliteDurability): SqliteWriterHandle {
  const handle = nextHandle++;
  openedHandles.set(handle, { filename, durability });
  /** Set by the first release(); from then on batches are refused. */
  let releasing: Promise<void> | undefined;
  return {
    async put(input) {
      if (releasing) {
        // Writing would open the database in the writer thread again, and nothing would close it.
        throw storeClosedError();
      }
      const current = threadBroken ? undefined : await startThread();
      if (!current) {
        return new Promise<PutBatchResult>((resolve, reject) => {
          queueLocally({ input, handle, resolve, reject });
        });
      }
      if (!current.opened.has(handle)) {
        current.opened.add(handle);
        clearTimeout(current.lingerTimer);
        current.users++;
        send(current, { kind: 'open', handle, filename, durability });
      }
      const id = nextId++;
      return new Promise<PutBatchResult>((resolve, reject) => {
        current.pending.set(id, { input, handle, resolve, reject });
        send(current, { kind: 'put', handle, id, input });
      });
    },
    release() {
      // Every call gets the same promise, so a second close() also waits for the first.
      releasing ??= releaseHandle();
      return releasing;
    },
  };

  async function releaseHandle(): Promise<void> {
    // Waited for first: a put that was waiting for the thread to start has then sent its
    // batch to the thread or queued it on this one (its continuation runs before this one).
    const current = thread ? await thread : undefined;
    // Batches still queued on this thread are written before its connection closes.
    const queued = localQueues.get(handle)?.take() ?? [];
    localQueues.delete(handle);
    if (queued.length > 0) {
      writeLocally(handle, queued);
    }
    if (current?.opened.has(handle)) {
      current.opened.delete(handle);
      const id = nextId++;
      // Sent after this store's puts, so the writer thread finishes them first.
      await new Promise<void>((resolve) => {
        current.closing.set(id, resolve);
        send(current, { kind: 'close', handle, id });
      });
      current.users--;
      if (current.users === 0) {
        current.lingerTimer = setTimeout(() => {
          if (current.users === 0 && thread) {
            thread = undefined;
            void current.worker.terminate();
          }
        }, SQLITE_WRITER_LINGER_MS);
        current.lingerTimer.unref?.();
      }
    }
    // Only now: if the writer thread failed meanwhile, its batches of this store were
    // written on this thread, through a connection opened from openedHandles.
    const local = localWriters.get(handle);
    localWriters.delete(handle);
    openedHandles.delete(handle);
    local?.db.close();
  }
}
