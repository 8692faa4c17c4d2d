/**
 * Saved runs in IndexedDB (database `rvs-runs`, apart from the remembered folders' `rvs-studio`):
 * `records` holds what the Runs table lists, `reports` each run's report, read only when it is
 * opened. A record and its report are written in one transaction, so a reload never finds one
 * without the other. The store's run actions (src/app/store/run-actions.ts) are the only caller.
 */
import type { Report } from '../../core/report/schema.ts';
import type { RunRecord, RunStore } from '../../app/store/runs.ts';

const DB_NAME = 'rvs-runs';
const RECORDS = 'records';
const REPORTS = 'reports';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(RECORDS, { keyPath: 'id' });
      request.result.createObjectStore(REPORTS);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB: could not open the saved runs'));
    request.onblocked = () => reject(new Error('IndexedDB: the saved runs are open in an older tab'));
  });
}

/** Runs `work` in one transaction over both stores; resolves when it commits. */
async function transact<T>(mode: IDBTransactionMode, work: (records: IDBObjectStore, reports: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const db = await openDb();
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      const tx = db.transaction([RECORDS, REPORTS], mode);
      const request = work(tx.objectStore(RECORDS), tx.objectStore(REPORTS));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB: transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB: transaction aborted (storage full?)'));
    });
  } finally {
    db.close();
  }
}

export const indexedDbRuns: RunStore = {
  async list() {
    if (typeof indexedDB === 'undefined') return [];
    const all = await transact<unknown[]>('readonly', (records) => records.getAll());
    return (all ?? []).filter((r): r is RunRecord => typeof r === 'object' && r !== null && typeof (r as RunRecord).id === 'string');
  },
  async report(id) {
    return transact('readonly', (_, reports) => reports.get(id));
  },
  async put(record: RunRecord, report?: Report) {
    await transact('readwrite', (records, reports) => {
      records.put(record);
      if (report) reports.put(report, record.id);
    });
  },
  async remove(id) {
    await transact('readwrite', (records, reports) => {
      records.delete(id);
      reports.delete(id);
    });
  },
};
