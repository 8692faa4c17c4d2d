/**
 * Benchmark data fetched from the Hugging Face Hub, cached in the origin-private file system (OPFS):
 * core's `ByteCache` (../../core/hub/cache.ts) over a folder.
 *
 *   hub-datasets/<owner>/<name>/<config>/<split>/parquet-files.json   the split's shard listing
 *   hub-datasets/<owner>/<name>/<config>/<split>/<n>.parquet          its shards
 *
 * Core's keys are the Hub's URL paths, `api/datasets/<repo>/parquet/<config>/<split>` (the listing)
 * and `…/<split>/<n>.parquet` (a shard; a full URL when the shard lives on another host); segments
 * stay URI-encoded, so every one is a valid file name. Keys of any other shape are not cached (`get`
 * misses, `put` keeps nothing). A file appears only complete: Chrome writes to a swap file until
 * `close`; an empty file (its handle created, the write never closed) counts as absent.
 */
import type { ByteCache } from '../../core/hub/cache.ts';
import type { DirectoryHandleLike, FileHandleLike } from '../shared/fs-access.ts';

const ROOT = 'hub-datasets';
const LISTING = 'parquet-files.json';
const PARQUET_KEY = /^api\/datasets\/([^/]+(?:\/[^/]+)?)\/parquet\/([^/]+)\/([^/]+)(?:\/([^/]+\.parquet))?$/;

/** The cache path of a key below hub-datasets/ (folders, then the file), or null: not cached. */
export function datasetCachePath(key: string): string[] | null {
  const path = key.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+\//i, '');
  const m = PARQUET_KEY.exec(path);
  if (!m) return null;
  const [, repo, config, split, shard] = m;
  const parts = [...repo!.split('/'), config!, split!, shard ?? LISTING];
  return parts.every((p) => p !== '.' && p !== '..') ? parts : null;
}

const isMissing = (e: unknown) => ['NotFoundError', 'TypeMismatchError'].includes((e as { name?: string } | null)?.name ?? '');

/** The dataset cache below `root()` (OPFS: `opfsDatasetCache()`; memory handles in tests). */
export function createDatasetCache(root: () => Promise<DirectoryHandleLike>): ByteCache {
  const fileAt = async (parts: readonly string[], create: boolean): Promise<FileHandleLike> => {
    let dir = await (await root()).getDirectoryHandle(ROOT, { create });
    for (const folder of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(folder, { create });
    return dir.getFileHandle(parts.at(-1)!, { create });
  };
  return {
    async get(key) {
      const parts = datasetCachePath(key);
      if (parts === null) return undefined;
      try {
        const file = await (await fileAt(parts, false)).getFile();
        return file.size === 0 ? undefined : new Uint8Array(await file.arrayBuffer());
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
    },
    async put(key, bytes) {
      const parts = datasetCachePath(key);
      if (parts === null) return;
      const writable = await (await fileAt(parts, true)).createWritable();
      try {
        await writable.write(bytes as Uint8Array<ArrayBuffer>);
      } catch (e) {
        await writable.abort().catch(() => undefined);
        throw e;
      }
      await writable.close();
    },
  };
}

/** The cache in this origin's OPFS; null where the browser has none (data is then fetched each time). */
export function opfsDatasetCache(): ByteCache | null {
  // Through globalThis: this module also compiles (for its Node test) without the DOM lib.
  const storage = (globalThis as { navigator?: { storage?: { getDirectory?(): Promise<unknown> } } }).navigator?.storage;
  if (!storage?.getDirectory) return null;
  return createDatasetCache(async () => (await storage.getDirectory!()) as DirectoryHandleLike);
}
