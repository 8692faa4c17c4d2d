/**
 * Remembered checkpoint folders: directory handles kept in IndexedDB by slot, so a returning user
 * re-opens them with one click (browsers ask again for read permission after a reload).
 */
import { BrowserIoError, type DirectoryHandleLike, type FolderMemory, type PermissionHandle } from '../shared/fs-access.ts';

const DB_NAME = 'rvs-studio';
const STORE = 'handles';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB: could not open the database'));
  });
}

async function transact<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = run(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB: transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB: transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export const indexedDbFolders: FolderMemory = {
  async remember(slot, handle) {
    await transact('readwrite', (s) => s.put(handle, slot));
  },
  async forget(slot) {
    await transact('readwrite', (s) => s.delete(slot));
  },
  async recall() {
    const out = new Map<string, DirectoryHandleLike>();
    if (typeof indexedDB === 'undefined') return out;
    const db = await openDb();
    try {
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(STORE, 'readonly');
        const cursor = tx.objectStore(STORE).openCursor();
        cursor.onsuccess = () => {
          const c = cursor.result;
          if (!c) return;
          const value = c.value as DirectoryHandleLike | undefined;
          if (typeof c.key === 'string' && value?.kind === 'directory') out.set(c.key, value);
          c.continue();
        };
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error('IndexedDB: transaction failed'));
      });
    } finally {
      db.close();
    }
    return out;
  },
  async reopen(handle) {
    const h = handle as DirectoryHandleLike & PermissionHandle;
    if ((await h.queryPermission?.({ mode: 'read' })) === 'granted') return;
    const state = await h.requestPermission?.({ mode: 'read' });
    if (state !== undefined && state !== 'granted') throw new BrowserIoError('PERMISSION_DENIED', 'read access was not granted', handle.name);
  },
};
