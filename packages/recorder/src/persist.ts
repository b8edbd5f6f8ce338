import { type BatchStore, droppedMarker, keyOf, type OutgoingBatch, partsSeq, timestampOf } from './delivery';
import { BATCH_SEQ_STRIDE, PERSIST_MAX_AGE_MS, PERSIST_MAX_BATCHES, PERSIST_MAX_BYTES } from './limits';
import { readStored, writeStored } from './session';

const STORE_NAME = 'batches';
const WINDOWS_KEY = 'replaykit:windows';
/** A window that has not shown signs of life for this long is gone: its batches are adopted, in ms. */
export const WINDOW_STALE_MS = 2 * 60 * 1000;

interface KnownBatch extends Omit<OutgoingBatch, 'events'> {
  count: number;
  /** When its first event happened (ms since 1970). */
  at: number;
  /** A marker record's: the evicted batches it stands for, oldest first. */
  gap?: Evicted[];
}

interface Evicted extends KnownBatch {
  key: string;
}

interface StoredRecord extends OutgoingBatch {
  key: string;
  /** Which ingest URL the batch belongs to (several projects may share an origin). */
  target: string;
}

/** Resolves with a request's result (a transaction's: once complete); rejects with its error. */
const settled = <T>(request: IDBRequest<T> | IDBTransaction) =>
  new Promise<T | undefined>((resolve, reject) => {
    request.onerror = () => reject(request.error);
    if ('oncomplete' in request) {
      request.oncomplete = () => resolve(undefined);
      request.onabort = request.onerror;
    } else {
      request.onsuccess = () => resolve(request.result);
    }
  });

function openDatabase(): Promise<IDBDatabase | undefined> {
  return new Promise((resolve) => {
    const fail = () => resolve(undefined);
    try {
      const request = indexedDB.open('replaykit', 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE_NAME)) {
          request.result.createObjectStore(STORE_NAME, { keyPath: 'key' });
        }
      };
      request.onsuccess = () => resolve(request.result);
      // Private modes, blocked storage, no IndexedDB: the queue then lives in memory only.
      request.onerror = fail;
      request.onblocked = fail;
    } catch {
      fail();
    }
  });
}

/** When each window last showed signs of life (ms since 1970), shared by the tabs. */
function readWindows(): Record<string, number> {
  const windows = readStored<Record<string, number>>('localStorage', WINDOWS_KEY);
  return windows && typeof windows === 'object' ? windows : {};
}

/** The last mark this page wrote: refreshing it a few times per WINDOW_STALE_MS is enough. */
let lastMark = { windowId: '', at: 0 };

/**
 * Notes that a window is alive (0 = closed), so other tabs leave its batches alone. A mark of
 * the same window less than a quarter of WINDOW_STALE_MS after the last one is skipped: it
 * would cost a localStorage read and write per batch for nothing.
 */
export function markWindow(windowId: string, at: number): void {
  if (at && windowId === lastMark.windowId && at - lastMark.at < WINDOW_STALE_MS / 4) {
    return;
  }
  lastMark = { windowId: at ? windowId : '', at };
  const windows = readWindows();
  const now = Date.now();
  for (const id in windows) {
    if (now - (windows[id] as number) > WINDOW_STALE_MS || (id === windowId && at === 0)) {
      delete windows[id];
    }
  }
  if (at) {
    windows[windowId] = at;
  }
  // Without localStorage, only this window's own batches are resent.
  writeStored('localStorage', WINDOWS_KEY, windows);
}

/** Where this page's unsent batches survive a reload, with the batches of closed tabs to adopt. */
export interface IndexedDbBatchStore extends BatchStore {
  /**
   * Takes the batches this window should resend: its own (a reload keeps the window id)
   * and those of windows that are gone, oldest first. Expired ones are deleted.
   */
  takeOver(windowId: string, now?: number): Promise<OutgoingBatch[]>;
}

/**
 * Unsent batches in IndexedDB, bounded by {@link PERSIST_MAX_BATCHES} and
 * {@link PERSIST_MAX_BYTES} (oldest dropped first) and {@link PERSIST_MAX_AGE_MS}.
 */
export function createBatchStore(target: string): IndexedDbBatchStore {
  const database = openDatabase();
  /**
   * What this page knows is stored, for the bounds and the markers of what they evict: each
   * batch without its events, with their count and the first one's time; a marker record also
   * with the events and bytes it stands for.
   */
  const known = new Map<string, KnownBatch>();
  /** Per window, the key of the marker record standing for the batches evicted so far. */
  const gaps = new Map<string, string>();

  const transaction = async <T>(
    mode: IDBTransactionMode,
    work: (store: IDBObjectStore) => IDBRequest<T>,
  ): Promise<T | undefined> => {
    const opened = await database;
    if (!opened) {
      return undefined;
    }
    const running = opened.transaction(STORE_NAME, mode);
    const result = await settled(work(running.objectStore(STORE_NAME)));
    await settled(running);
    return result;
  };

  /** Stores a batch (`gap`: a marker record, standing for those batches) in place of the `replaced` keys, and notes it. */
  const write = (batch: OutgoingBatch, gap?: Evicted[], replaced: string[] = []) => {
    const key = keyOf(batch);
    for (const old of replaced) {
      known.delete(old);
    }
    note(key, batch, gap);
    return transaction('readwrite', (store) => {
      for (const old of replaced) {
        store.delete(old);
      }
      return store.put({ ...batch, key, target } satisfies StoredRecord);
    });
  };

  const note = (key: string, { events, ...batch }: OutgoingBatch, gap?: Evicted[]) => {
    known.set(key, { ...batch, count: events.length, at: timestampOf(events[0]), gap });
  };

  /**
   * Writes the `$dropped` marker record of some evicted batches of one window in place of the
   * `replaced` keys: it counts them all, at the first one's time. Its seq is the last of the block
   * the last one's parts are numbered in (see `BATCH_SEQ_STRIDE`): under that batch's own seq, the
   * server took the marker for a repeat once the page had sent the batch after all, and the gap
   * it stood for vanished. Every page derives it alike, so two markers for one gap are one.
   */
  const writeGap = (gap: Evicted[], replaced: string[]) => {
    const { sessionId, windowId, seq, createdAt } = gap[gap.length - 1] as Evicted;
    let count = 0;
    let bytes = 0;
    for (const evicted of gap) {
      count += evicted.count;
      bytes += evicted.bytes;
    }
    const marker = droppedMarker({ reason: 'persist_full', count, bytes }, (gap[0] as Evicted).at);
    const record = {
      sessionId,
      windowId,
      seq: (Math.floor(partsSeq(seq) / BATCH_SEQ_STRIDE) + 1) * BATCH_SEQ_STRIDE - 1,
      createdAt,
      events: [marker],
      bytes: marker.length,
    };
    gaps.set(windowId, keyOf(record));
    return write(record, gap, replaced);
  };

  const remove = (key: string) => {
    known.delete(key);
    return transaction('readwrite', (store) => store.delete(key));
  };

  const enforceBounds = async () => {
    let bytes = 0;
    for (const entry of known.values()) {
      bytes += entry.bytes;
    }
    const oldestFirst = [...known].sort((a, b) => a[1].createdAt - b[1].createdAt);
    // Decided without waiting, so that bounds enforced for two puts at once cannot both evict
    // (and count in a marker) the same batch.
    const writes = [];
    for (const [key, entry] of oldestFirst) {
      if (known.size <= PERSIST_MAX_BATCHES && bytes <= PERSIST_MAX_BYTES) {
        break;
      }
      // Deleted, the batch left a gap no one saw if this page went before sending it: a
      // `$dropped` marker takes its place (this page still sends the batch itself if it can,
      // and the marker record goes once that lands). One marker per window stands for all its
      // batches evicted since, at the first one's time.
      if (!entry.gap) {
        const lastKey = gaps.get(entry.windowId) ?? '';
        const last = known.get(lastKey)?.gap;
        bytes -= entry.bytes;
        writes.push(writeGap([...(last ?? []), { ...entry, key }], last ? [key, lastKey] : [key]));
      }
    }
    await Promise.all(writes);
  };

  return {
    async put(batch) {
      await write(batch);
      await enforceBounds();
    },
    async remove(batch) {
      const key = keyOf(batch);
      // Sent after all (or dropped with a marker of the page's own) while the window's marker
      // record counts it: that marker no longer does (or goes, counting nothing else). It
      // counted every batch evicted since, sent or not, so the replay claimed events lost that
      // were there.
      const markerKey = gaps.get(batch.windowId) ?? '';
      const gap = known.get(markerKey)?.gap;
      const rest = gap?.filter((evicted) => evicted.key !== key);
      if (rest && rest.length < (gap as Evicted[]).length) {
        await (rest.length ? writeGap(rest, [markerKey]) : remove(markerKey));
      }
      await remove(key);
    },
    async takeOver(windowId, now = Date.now()) {
      const records = ((await transaction('readonly', (store) => store.getAll())) ?? []) as StoredRecord[];
      const windows = readWindows();
      const mine: OutgoingBatch[] = [];
      for (const { key, target: recordTarget, ...batch } of records) {
        // Expired batches go whatever their ingest URL: those of a key or endpoint no page
        // sends to any more were never taken over, so they stayed in IndexedDB for good.
        if (now - batch.createdAt > PERSIST_MAX_AGE_MS) {
          await remove(key);
          continue;
        }
        if (recordTarget !== target) {
          continue;
        }
        note(key, batch);
        const seen = windows[batch.windowId];
        if (batch.windowId === windowId || seen === undefined || now - seen > WINDOW_STALE_MS) {
          mine.push(batch);
        }
      }
      await enforceBounds();
      return mine
        .filter((batch) => known.has(keyOf(batch)))
        .sort((a, b) => a.createdAt - b.createdAt || a.seq - b.seq);
    },
  };
}
