/**
 * A checkpoint's files from the Hub into a folder (an OPFS folder in the browser, memory in tests),
 * resumable file by file:
 *
 *   listing ─► plan (hub.ts: config, tokenizer, index, weights; the index first, then its shards)
 *   each file:  complete in the target (size; content id when the record has one)?  ─► skip
 *               else  <path>.<oid>.incomplete ──GET, Range: bytes=N- ──► append ──► rename to <path>
 *
 * Files are fetched at the listing's commit, so that a branch moving mid-download cannot mix two
 * commits. A partial file survives a failed or cancelled transfer and the next download resumes
 * it; a file gets its real name only once all its bytes are in. The target folder belongs to the
 * download: once every file is in place, anything else in it (stale shards, partials) is removed.
 */
import { concatBytes, type ByteSink, type MemoryFolder } from '../io/bytes.ts';
import { INDEX_FILE } from '../safetensors/writer.ts';
import { cancelledError, HubError, hubRequest, statusError } from './http.ts';
import { indexShards, listModelFiles, modelFileUrl, selectCheckpointFiles, type ModelHubOptions, type RepoFile, type RepoListing } from './models.ts';

/** What a download knows about its target's files (kept by the cache between downloads). */
export interface DownloadRecord {
  readonly repo: string;
  readonly revision: string;
  readonly sha: string | null;
  readonly files: Readonly<Record<string, { readonly size: number; readonly oid: string | null }>>;
  /** Every planned file is in place. */
  readonly complete: boolean;
}

/** A folder files are downloaded into. Bytes given to a sink appear on `close`. */
export interface DownloadTarget {
  readonly name: string;
  list(): Promise<string[]>;
  /** Bytes of `file`, or null when it is not there. */
  size(file: string): Promise<number | null>;
  read(file: string): Promise<Uint8Array>;
  /** Writes `file` on after its first `keep` bytes (later bytes are dropped); creates it when missing. */
  append(file: string, keep: number): Promise<ByteSink>;
  /** Renames `from` to `to`, replacing `to`. */
  rename(from: string, to: string): Promise<void>;
  remove(file: string): Promise<void>;
}

export interface DownloadProgress {
  readonly repo: string;
  readonly file: string;
  /** Position of `file` in the plan (0-based) and the plan's length. */
  readonly index: number;
  readonly files: number;
  /** Bytes of `file` in place (resumed bytes included) and its size. */
  readonly fileBytes: number;
  readonly fileSize: number | null;
  /** Bytes of the whole plan in place, and its size (null when a size is unknown). */
  readonly bytes: number;
  readonly totalBytes: number | null;
  /** Bytes fetched over the network by this download. */
  readonly fetchedBytes: number;
}

export interface DownloadPlan {
  readonly listing: RepoListing;
  readonly files: readonly RepoFile[];
  /** Bytes still to fetch (partial files counted as resumed); null when a size is unknown. */
  readonly bytesToFetch: number | null;
}

export interface DownloadOptions extends ModelHubOptions {
  /** What the target held after the previous download (its content ids guard the size check). */
  readonly record?: DownloadRecord | null;
  /** Called after each file is in place and at the end; persist it for the next download. */
  readonly onRecord?: (record: DownloadRecord) => void | Promise<void>;
  /** Called once the files are known, before any weights are fetched; may throw to stop (quota). */
  readonly onPlan?: (plan: DownloadPlan) => void | Promise<void>;
  readonly onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadedFile {
  readonly path: string;
  readonly size: number;
  /** Bytes fetched for it by this download. */
  readonly fetched: number;
  readonly status: 'cached' | 'downloaded' | 'resumed';
}

export interface DownloadResult {
  readonly listing: RepoListing;
  readonly files: readonly DownloadedFile[];
  readonly fetchedBytes: number;
  readonly record: DownloadRecord;
}

/** Writes are gathered to this size (a write to OPFS has a fixed cost). */
const BATCH_BYTES = 4 << 20;

/** Where a file's bytes gather (named after its content, so that new content starts afresh). */
export function partialName(file: RepoFile): string {
  return file.oid ? `${file.path}.${file.oid.slice(0, 16)}.incomplete` : `${file.path}.incomplete`;
}

/** `bytes start-end/total` → start and total (null: absent or unreadable). */
function contentRange(header: string | null): { start: number; total: number | null } | null {
  const m = header === null ? null : /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim());
  return m ? { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) } : null;
}

/** Downloads `repo` at `options.revision` into `target`: list, then `downloadFiles`. */
export async function downloadCheckpoint(repo: string, target: DownloadTarget, options: DownloadOptions): Promise<DownloadResult> {
  return downloadFiles(await listModelFiles(repo, options), target, options);
}

/** Downloads the checkpoint files of a listing into `target`, skipping complete files, resuming partial ones. */
export async function downloadFiles(listing: RepoListing, target: DownloadTarget, options: DownloadOptions): Promise<DownloadResult> {
  const { repo } = listing;
  const at = listing.sha ?? listing.revision;
  const previous = options.record?.repo === repo ? options.record : null;
  const files: Record<string, { size: number; oid: string | null }> = {};
  let fetchedBytes = 0;
  const placed = new Map<string, DownloadedFile>();
  const saveRecord = async (complete: boolean) => {
    const record: DownloadRecord = { repo, revision: listing.revision, sha: listing.sha, files: { ...files }, complete };
    await options.onRecord?.(record);
    return record;
  };

  /** The size of `file` when it is complete in the target, else null. */
  const completeSize = async (file: RepoFile): Promise<number | null> => {
    const size = await target.size(file.path);
    if (size === null || (file.size !== null && size !== file.size)) return null;
    const known = previous?.files[file.path];
    return known && known.oid && file.oid && known.oid !== file.oid ? null : size;
  };

  /** Puts `file` in place; `progress` reports its bytes. */
  const place = async (file: RepoFile, progress: (fileBytes: number) => void): Promise<DownloadedFile> => {
    const done = placed.get(file.path);
    if (done) return done;
    const cached = await completeSize(file);
    let result: DownloadedFile;
    if (cached !== null) {
      progress(cached);
      result = { path: file.path, size: cached, fetched: 0, status: 'cached' };
    } else {
      if ((await target.size(file.path)) !== null) await target.remove(file.path); // other content
      const partial = partialName(file);
      let keep = (await target.size(partial)) ?? 0;
      if (file.size !== null && keep > file.size) {
        await target.remove(partial);
        keep = 0;
      }
      const { start, received } = file.size !== null && keep === file.size ? { start: keep, received: 0 } : await transfer(file, partial, keep, progress);
      await target.rename(partial, file.path);
      result = { path: file.path, size: start + received, fetched: received, status: start > 0 ? 'resumed' : 'downloaded' };
    }
    placed.set(file.path, result);
    files[file.path] = { size: result.size, oid: file.oid };
    await saveRecord(false);
    return result;
  };

  /** GETs `file` from byte `keep` on into `partial`. */
  const transfer = async (file: RepoFile, partial: string, keep: number, progress: (fileBytes: number) => void) => {
    const url = modelFileUrl(options.endpoint, repo, at, file.path);
    const get = (from: number) => hubRequest(url, repo, file.path, options, from > 0 ? { range: `bytes=${from}-` } : {});
    let response = await get(keep);
    if (keep > 0 && response.status === 416) {
      // The partial file is not a prefix of this file: start again.
      await response.arrayBuffer().catch(() => undefined);
      await target.remove(partial);
      response = await get((keep = 0));
    }
    if (!response.ok) throw statusError(response, { kind: 'model', repo, revision: at, file: file.path, url, token: !!options.token });
    const range = response.status === 206 ? contentRange(response.headers.get('content-range')) : null;
    if (range && range.start !== keep) {
      await target.remove(partial);
      throw new HubError('HTTP', `${repo}: ${file.path}: asked for bytes from ${keep}, the server sent them from ${range.start}; download again`, repo, file.path, 206);
    }
    const start = response.status === 206 ? keep : 0;
    const length = response.headers.get('content-length');
    const expected = file.size ?? range?.total ?? (length !== null && /^\d+$/.test(length) ? start + Number(length) : null);
    const sink = await target.append(partial, start);
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let received = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const bytes = concatBytes(pending);
      pending = [];
      pendingBytes = 0;
      await sink.write(bytes);
    };
    const take = async (chunk: Uint8Array) => {
      if (options.signal?.aborted) throw cancelledError(repo, file.path);
      if (expected !== null && start + received + chunk.byteLength > expected) {
        throw new HubError('SIZE_MISMATCH', `${repo}: ${file.path}: more than the ${expected} bytes the listing gives arrived; download again`, repo, file.path);
      }
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      received += chunk.byteLength;
      fetchedBytes += chunk.byteLength;
      if (pendingBytes >= BATCH_BYTES) await flush();
      progress(start + received);
    };
    progress(start);
    try {
      if (response.body === null) await take(new Uint8Array(await response.arrayBuffer()));
      else {
        const reader = response.body.getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) if (r.value && r.value.byteLength > 0) await take(r.value);
      }
      await flush();
    } catch (e) {
      // Keep what arrived (the next download resumes from it), unless it is known to be wrong.
      await flush().catch(() => undefined);
      await sink.close().catch(() => undefined);
      if (e instanceof HubError && e.code === 'SIZE_MISMATCH') await target.remove(partial);
      if (e instanceof HubError) throw e;
      if (options.signal?.aborted) throw cancelledError(repo, file.path);
      const of = expected === null ? '' : ` of ${expected}`;
      throw new HubError('NETWORK', `${repo}: the transfer of ${file.path} failed after ${start + received}${of} bytes (${(e as Error).message}); download again to resume`, repo, file.path);
    }
    await sink.close();
    if (expected !== null && start + received < expected) {
      throw new HubError('NETWORK', `${repo}: the transfer of ${file.path} ended after ${start + received} of ${expected} bytes; download again to resume`, repo, file.path);
    }
    return { start, received };
  };

  let plan = selectCheckpointFiles(repo, listing.files);
  const reporter = (plan: readonly RepoFile[], index: number, before: number) => (fileBytes: number) => {
    const file = plan[index]!;
    const totalBytes = plan.every((f) => f.size !== null) ? plan.reduce((n, f) => n + f.size!, 0) : null;
    options.onProgress?.({ repo, file: file.path, index, files: plan.length, fileBytes, fileSize: file.size, bytes: before + fileBytes, totalBytes, fetchedBytes });
  };
  // The index first: it says which shards the weights are.
  const indexAt = plan.findIndex((f) => f.path === INDEX_FILE);
  if (indexAt >= 0) {
    await place(plan[indexAt]!, reporter(plan, indexAt, 0));
    plan = selectCheckpointFiles(repo, listing.files, indexShards(repo, await target.read(INDEX_FILE)));
  }
  for (const f of plan) {
    const known = previous?.files[f.path];
    if (known && !placed.has(f.path) && (!known.oid || !f.oid || known.oid === f.oid)) files[f.path] = known;
  }

  let bytesToFetch: number | null = 0;
  for (const f of plan) {
    if (placed.has(f.path) || (await completeSize(f)) !== null) continue;
    if (f.size === null || bytesToFetch === null) bytesToFetch = null;
    else bytesToFetch += f.size - Math.min(f.size, (await target.size(partialName(f))) ?? 0);
  }
  await options.onPlan?.({ listing, files: plan, bytesToFetch });

  const results: DownloadedFile[] = [];
  let before = 0;
  for (let i = 0; i < plan.length; i++) {
    const result = await place(plan[i]!, reporter(plan, i, before));
    results.push(result);
    before += result.size;
  }
  const keepNames = new Set(plan.map((f) => f.path));
  for (const name of await target.list()) if (!keepNames.has(name)) await target.remove(name);
  return { listing, files: results, fetchedBytes, record: await saveRecord(true) };
}

/** A `MemoryFolder` as a download target (tests). */
export function memoryTarget(folder: MemoryFolder): DownloadTarget {
  const get = (file: string): Uint8Array => {
    const bytes = folder.files.get(file);
    if (!bytes) throw new Error(`${folder.name}/${file}: no such file`);
    return bytes;
  };
  return {
    name: folder.name,
    list: () => folder.list(),
    size: async (file) => folder.files.get(file)?.byteLength ?? null,
    read: async (file) => get(file),
    append: async (file, keep) => {
      const parts = [(folder.files.get(file) ?? new Uint8Array(0)).slice(0, keep)];
      return {
        write: async (bytes) => void parts.push(bytes.slice()),
        close: async () => void folder.files.set(file, concatBytes(parts)),
      };
    },
    rename: async (from, to) => {
      const bytes = get(from);
      folder.files.delete(from);
      folder.files.set(to, bytes);
    },
    remove: async (file) => void folder.files.delete(file),
  };
}
