/**
 * Reads the recorder's IndexedDB queue (its `batches` store) the way a test looks at it from
 * outside, on a connection of its own that is closed afterwards.
 */
export async function readStoredQueue<T>(read: (batches: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const database = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('replaykit', 1);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = read(database.transaction('batches').objectStore('batches'));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    database.close();
  }
}
