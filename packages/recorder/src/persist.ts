import { type BatchStore, keyOf, type OutgoingBatch } from './delivery';
import { PERSIST_MAX_AGE_MS, PERSIST_MAX_BATCHES, PERSIST_MAX_BYTES } from './limits';

const DATABASE_NAME = 'replaykit';
const DATABASE_VERSION = 1;
const STORE_NAME = 'batches';
const WINDOWS_KEY = 'replaykit:windows';
/** A window that has not shown signs of life for this long is gone: its batches are adopted, in ms. */
export const WINDOW_STALE_MS = 2 * 60 * 1000;

interface StoredRecord extends OutgoingBatch {
  key: string;
  /** Which ingest URL the batch belongs to (several projects may share an origin). */
  target: string;
}

function requestToPromise<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDatabase(): Promise<IDBDatabase | undefined> {
  if (typeof indexedDB === 'undefined') {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    try {
      const request = indexedDB.open(DATABASE_NAME, DATABASE_VERSION);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE_NAME)) {
          request.result.createObjectStore(STORE_NAME, { keyPath: 'key' });
        }
      };
      request.onsuccess = () => resolve(request.result);
      // Private modes and blocked storage: the queue then lives in memory only.
      request.onerror = () => resolve(undefined);
      request.onblocked = () => resolve(undefined);
    } catch {
      resolve(undefined);
    }
  });
}

function readWindows(): Record<string, number> {
  try {
    const raw = localStorage.getItem(WINDOWS_KEY);
    const parsed = raw ? (JSON.parse(raw) as unknown) : {};
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/** Notes that a window is alive (0 = closed), so other tabs leave its batches alone. */
export function markWindow(windowId: string, at: number): void {
  try {
    const windows = readWindows();
    const now = Date.now();
    for (const [id, seen] of Object.entries(windows)) {
      if (now - seen > WINDOW_STALE_MS) {
        delete windows[id];
      }
    }
    if (at === 0) {
      delete windows[windowId];
    } else {
      windows[windowId] = at;
    }
    localStorage.setItem(WINDOWS_KEY, JSON.stringify(windows));
  } catch {
    // Without localStorage, only this window's own batches are resent.
  }
}

function isAbandoned(windowId: string, now: number): boolean {
  const seen = readWindows()[windowId];
  return seen === undefined || now - seen > WINDOW_STALE_MS;
}

/**
 * Unsent batches in IndexedDB, bounded by {@link PERSIST_MAX_BATCHES} and
 * {@link PERSIST_MAX_BYTES} (oldest dropped first) and {@link PERSIST_MAX_AGE_MS}.
 */
export class IndexedDbBatchStore implements BatchStore {
  private readonly database: Promise<IDBDatabase | undefined>;
  /** What this page knows is stored: key → bytes and age, for the bounds. */
  private readonly known = new Map<string, { bytes: number; createdAt: number }>();

  constructor(
    private readonly target: string,
    private readonly limits = { maxBatches: PERSIST_MAX_BATCHES, maxBytes: PERSIST_MAX_BYTES },
  ) {
    this.database = openDatabase();
  }

  private async transaction<T>(
    mode: IDBTransactionMode,
    work: (store: IDBObjectStore) => IDBRequest<T>,
  ): Promise<T | undefined> {
    const database = await this.database;
    if (!database) {
      return undefined;
    }
    const transaction = database.transaction(STORE_NAME, mode);
    const result = await requestToPromise(work(transaction.objectStore(STORE_NAME)));
    await new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
    return result;
  }

  async put(batch: OutgoingBatch): Promise<void> {
    const key = keyOf(batch);
    const record: StoredRecord = { ...batch, key, target: this.target };
    this.known.set(key, { bytes: batch.bytes, createdAt: batch.createdAt });
    await this.transaction('readwrite', (store) => store.put(record));
    await this.enforceBounds();
  }

  async remove(batch: OutgoingBatch): Promise<void> {
    const key = keyOf(batch);
    this.known.delete(key);
    await this.transaction('readwrite', (store) => store.delete(key));
  }

  /**
   * Takes the batches this window should resend: its own (a reload keeps the window id)
   * and those of windows that are gone, oldest first. Expired ones are deleted.
   */
  async takeOver(windowId: string, now: number = Date.now()): Promise<OutgoingBatch[]> {
    const records = ((await this.transaction('readonly', (store) => store.getAll())) ?? []) as StoredRecord[];
    const mine: OutgoingBatch[] = [];
    for (const record of records) {
      if (record.target !== this.target) {
        continue;
      }
      if (now - record.createdAt > PERSIST_MAX_AGE_MS) {
        await this.transaction('readwrite', (store) => store.delete(record.key));
        continue;
      }
      this.known.set(record.key, { bytes: record.bytes, createdAt: record.createdAt });
      if (record.windowId === windowId || isAbandoned(record.windowId, now)) {
        const { key: _key, target: _target, ...batch } = record;
        mine.push(batch);
      }
    }
    await this.enforceBounds();
    const kept = mine.filter((batch) => this.known.has(keyOf(batch)));
    return kept.sort((a, b) => a.createdAt - b.createdAt || a.seq - b.seq);
  }

  private async enforceBounds(): Promise<void> {
    let bytes = 0;
    for (const entry of this.known.values()) {
      bytes += entry.bytes;
    }
    if (this.known.size <= this.limits.maxBatches && bytes <= this.limits.maxBytes) {
      return;
    }
    const oldestFirst = [...this.known.entries()].sort((a, b) => a[1].createdAt - b[1].createdAt);
    for (const [key, entry] of oldestFirst) {
      if (this.known.size <= this.limits.maxBatches && bytes <= this.limits.maxBytes) {
        break;
      }
      this.known.delete(key);
      bytes -= entry.bytes;
      await this.transaction('readwrite', (store) => store.delete(key));
    }
  }
}
