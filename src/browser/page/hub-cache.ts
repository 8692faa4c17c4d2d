/**
 * Checkpoints downloaded from the Hugging Face Hub, cached in the origin-private file system (OPFS):
 *
 *   hub/<owner>/<name>@<revision>/        the checkpoint's files: opens like a local folder
 *   hub/<owner>/<name>@<revision>.json    what the download knows (commit, sizes, content ids, complete)
 *
 * (`<revision>` URI-encoded: `refs%2Fpr%2F1`; a repo id without owner sits at `hub/<name>@…`.) The
 * folder is named after the repository so that a slot opened from it says which model it holds.
 * Downloads run on the UI thread: fetch and OPFS writes are asynchronous, nothing is computed.
 */
import { downloadFiles, type DownloadProgress, type DownloadRecord, type DownloadResult, type DownloadTarget } from '../../core/hub/download.ts';
import { HubError } from '../../core/hub/http.ts';
import { checkRepoId, listModelFiles, type RepoListing } from '../../core/hub/models.ts';
import type { HubFetch } from '../../core/hub/http.ts';
import type { ByteSink } from '../../core/io/bytes.ts';
import { directoryFolderSource } from '../shared/folder-source.ts';
import type { DirectoryHandleLike, FileHandleLike, WritableLike } from '../shared/fs-access.ts';

export type HubCacheErrorCode =
  | 'QUOTA' // the files would not fit in what the browser allows this site
  | 'NO_OPFS'; // this browser has no origin-private file system

export class HubCacheError extends Error {
  override readonly name = 'HubCacheError';
  constructor(
    readonly code: HubCacheErrorCode,
    message: string,
    readonly repo?: string,
  ) {
    super(message);
  }
}

export interface CachedModel {
  readonly repo: string;
  readonly revision: string;
  /** The commit the files came from (null: unknown). */
  readonly sha: string | null;
  /** The folder's name (what a slot opened from it shows). */
  readonly folder: string;
  readonly files: number;
  readonly bytes: number;
  readonly complete: boolean;
}

export interface StorageEstimateLike {
  readonly usage?: number;
  readonly quota?: number;
}

/** `navigator.storage`, or a stand-in. */
export interface StorageLike {
  estimate(): Promise<StorageEstimateLike>;
  persist?(): Promise<boolean>;
}

export interface CacheDownloadOptions {
  readonly fetch: HubFetch;
  readonly endpoint?: string;
  readonly revision?: string;
  readonly token?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: DownloadProgress) => void;
}

export interface CacheDownload {
  /** The cached checkpoint folder. */
  readonly handle: DirectoryHandleLike;
  readonly folder: string;
  /** null when the Hub could not be reached and a complete cached copy was used. */
  readonly result: DownloadResult | null;
}

/** A writable stream of Chrome's File System Access API (`seek` and `truncate` for resuming). */
interface SeekableWritable extends WritableLike {
  seek?(position: number): Promise<void>;
  truncate?(size: number): Promise<void>;
}

const ROOT = 'hub';

/** Where `repo` at `revision` is kept: the parent folder's path below hub/ and the folder's name. */
export function cachePlace(repo: string, revision: string): { owner: string | null; folder: string } {
  checkRepoId(repo);
  const [owner, name] = repo.includes('/') ? repo.split('/') : [null, repo];
  return { owner, folder: `${name}@${encodeURIComponent(revision || 'main')}` };
}

const isNotFound = (e: unknown) => (e as { name?: string } | null)?.name === 'NotFoundError';

async function fileOrNull(dir: DirectoryHandleLike, name: string): Promise<FileHandleLike | null> {
  try {
    return await dir.getFileHandle(name);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

async function writeWhole(dir: DirectoryHandleLike, name: string, bytes: Uint8Array): Promise<void> {
  const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
  await writable.write(bytes as Uint8Array<ArrayBuffer>);
  await writable.close();
}

/** A folder handle as a download target. */
export function handleTarget(dir: DirectoryHandleLike): DownloadTarget {
  const remove = async (file: string) => {
    try {
      await dir.removeEntry(file);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  };
  return {
    name: dir.name,
    list: () => directoryFolderSource(dir).list(),
    async size(file) {
      const handle = await fileOrNull(dir, file);
      return handle ? (await handle.getFile()).size : null;
    },
    async read(file) {
      const blob = await (await dir.getFileHandle(file)).getFile();
      return new Uint8Array(await blob.arrayBuffer());
    },
    async append(file, keep): Promise<ByteSink> {
      const writable = (await (await dir.getFileHandle(file, { create: true })).createWritable({ keepExistingData: keep > 0 })) as SeekableWritable;
      if (keep > 0) {
        if (!writable.truncate || !writable.seek) throw new Error(`${dir.name}/${file}: this browser cannot resume a file (no seek on writable streams)`);
        await writable.truncate(keep);
        await writable.seek(keep);
      }
      return { write: (bytes) => writable.write(bytes as Uint8Array<ArrayBuffer>), close: () => writable.close() };
    },
    async rename(from, to) {
      const source = await dir.getFileHandle(from);
      await remove(to);
      if (source.move) return source.move(dir, to);
      await writeWhole(dir, to, new Uint8Array(await (await source.getFile()).arrayBuffer()));
      await remove(from);
    },
    remove,
  };
}

function parseRecord(text: string): DownloadRecord | null {
  try {
    const r = JSON.parse(text) as DownloadRecord;
    const ok = typeof r?.repo === 'string' && typeof r.revision === 'string' && typeof r.complete === 'boolean' && r.files !== null && typeof r.files === 'object';
    return ok ? r : null;
  } catch {
    return null;
  }
}

const formatMB = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The Hub cache below `root()` (OPFS: `opfsHubCache()`; memory handles in tests). */
export function createHubCache(root: () => Promise<DirectoryHandleLike>, storage?: StorageLike) {
  const hubDir = async () => (await root()).getDirectoryHandle(ROOT, { create: true });
  const parentOf = async (owner: string | null, create: boolean): Promise<DirectoryHandleLike | null> => {
    const hub = await hubDir();
    if (owner === null) return hub;
    try {
      return await hub.getDirectoryHandle(owner, { create });
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  };
  const readRecord = async (parent: DirectoryHandleLike, folder: string): Promise<DownloadRecord | null> => {
    const handle = await fileOrNull(parent, `${folder}.json`);
    return handle ? parseRecord(await (await handle.getFile()).text()) : null;
  };
  const folderOrNull = async (parent: DirectoryHandleLike, folder: string) => {
    try {
      return await parent.getDirectoryHandle(folder);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  };
  const describe = async (parent: DirectoryHandleLike, dir: DirectoryHandleLike, owner: string | null): Promise<CachedModel> => {
    let files = 0;
    let bytes = 0;
    for await (const entry of dir.values()) {
      if (entry.kind !== 'file') continue;
      files++;
      bytes += (await entry.getFile()).size;
    }
    const record = await readRecord(parent, dir.name);
    const at = dir.name.lastIndexOf('@');
    const name = dir.name.slice(0, at);
    return {
      repo: record?.repo ?? (owner ? `${owner}/${name}` : name),
      revision: record?.revision ?? decodeURIComponent(dir.name.slice(at + 1)),
      sha: record?.sha ?? null,
      folder: dir.name,
      files,
      bytes,
      complete: record?.complete === true,
    };
  };
  const checkRoom = async (repo: string, bytesToFetch: number | null) => {
    if (!storage || bytesToFetch === null) return;
    const { usage, quota } = await storage.estimate();
    if (usage === undefined || quota === undefined) return;
    if (bytesToFetch > quota - usage) {
      throw new HubCacheError(
        'QUOTA',
        `${repo}: needs ${formatMB(bytesToFetch)} more, but this browser lets the site store only ${formatMB(Math.max(0, quota - usage))} more; delete cached models or free disk space`,
        repo,
      );
    }
  };

  return {
    /** Every cached model (complete or not), by repository and revision. */
    async list(): Promise<CachedModel[]> {
      const hub = await hubDir();
      const out: CachedModel[] = [];
      for await (const entry of hub.values()) {
        if (entry.kind !== 'directory') continue;
        if (entry.name.includes('@')) out.push(await describe(hub, entry, null));
        else for await (const leaf of entry.values()) if (leaf.kind === 'directory' && leaf.name.includes('@')) out.push(await describe(entry, leaf, entry.name));
      }
      return out.sort((a, b) => a.repo.localeCompare(b.repo) || a.revision.localeCompare(b.revision));
    },

    /** The folder of a complete cached copy, or null. */
    async open(repo: string, revision: string): Promise<DirectoryHandleLike | null> {
      const { owner, folder } = cachePlace(repo, revision);
      const parent = await parentOf(owner, false);
      if (!parent || !(await readRecord(parent, folder))?.complete) return null;
      return folderOrNull(parent, folder);
    },

    async remove(repo: string, revision: string): Promise<void> {
      const { owner, folder } = cachePlace(repo, revision);
      const parent = await parentOf(owner, false);
      if (!parent) return;
      for (const [name, recursive] of [[`${folder}.json`, false], [folder, true]] as const) {
        await parent.removeEntry(name, { recursive }).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
      }
      if (owner !== null) {
        let empty = true;
        for await (const _ of parent.values()) empty = false;
        if (empty) await (await hubDir()).removeEntry(owner).catch(() => undefined);
      }
    },

    /** What the browser allows this site (all of its storage, not only the cache); null when unknown. */
    async estimate(): Promise<{ usage: number; quota: number } | null> {
      const e = await storage?.estimate().catch(() => null);
      return e && e.usage !== undefined && e.quota !== undefined ? { usage: e.usage, quota: e.quota } : null;
    },

    /**
     * Downloads `repo` into the cache (files already complete are kept, partial ones resumed) and
     * returns its folder. When the Hub cannot be reached and a complete copy is cached, that copy.
     */
    async download(repo: string, options: CacheDownloadOptions): Promise<CacheDownload> {
      const revision = options.revision || 'main';
      const { owner, folder } = cachePlace(repo, revision);
      const parent = (await parentOf(owner, true))!;
      const record = await readRecord(parent, folder);
      let listing: RepoListing;
      try {
        listing = await listModelFiles(repo, { ...options, revision });
      } catch (e) {
        const cached = record?.complete ? await folderOrNull(parent, folder) : null;
        if (e instanceof HubError && e.code === 'NETWORK' && cached) return { handle: cached, folder, result: null };
        throw e;
      }
      void storage?.persist?.().catch(() => false);
      const handle = await parent.getDirectoryHandle(folder, { create: true });
      const result = await downloadFiles(listing, handleTarget(handle), {
        ...options,
        revision,
        record,
        onRecord: (r) => writeWhole(parent, `${folder}.json`, new TextEncoder().encode(`${JSON.stringify(r, null, 1)}\n`)),
        onPlan: (plan) => checkRoom(repo, plan.bytesToFetch),
      });
      return { handle, folder, result };
    },
  };
}

export type HubCache = ReturnType<typeof createHubCache>;

/** The cache in this origin's OPFS. */
export function opfsHubCache(): HubCache {
  // Through globalThis: this module also compiles (for its Node test) without the DOM lib.
  const storage = (globalThis as { navigator?: { storage?: StorageLike & { getDirectory?(): Promise<unknown> } } }).navigator?.storage;
  if (!storage?.getDirectory) throw new HubCacheError('NO_OPFS', 'this browser has no origin-private file system to cache models in');
  return createHubCache(async () => (await storage.getDirectory!()) as DirectoryHandleLike, storage);
}
