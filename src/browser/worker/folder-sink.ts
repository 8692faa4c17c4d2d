/**
 * An output folder written through File System Access, atomically: files go into a hidden staging
 * folder inside the chosen one and are moved into place only on `commit`; `abort` (cancel or
 * failure) discards open files and removes the staging folder, so nothing half-written is left.
 *
 * The chosen folder must hold no visible entries (like the CLI's --out). Moving uses
 * `FileSystemFileHandle.move` where the browser has it, else a copy; if a move fails midway, the
 * files already moved are removed again.
 */
import type { ByteSink, FolderSink } from '../../core/io/bytes.ts';
import { BrowserIoError, type DirectoryHandleLike, type FileHandleLike, type WritableLike } from '../shared/fs-access.ts';

export interface DirectorySinkOptions {
  /** Name of the staging folder (default `.rvs-tmp-<random>`). */
  readonly stagingName?: string;
  /** Small writes are gathered up to this many bytes (default 4 MiB): fewer calls into the browser. */
  readonly bufferBytes?: number;
}

const STAGING_PREFIX = '.rvs-tmp-';

/** Visible (not dot-) entries of a folder. */
async function visibleEntries(dir: DirectoryHandleLike): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of dir.values()) if (!entry.name.startsWith('.')) names.push(entry.name);
  return names.sort();
}

export async function directoryFolderSink(dest: DirectoryHandleLike, options: DirectorySinkOptions = {}): Promise<FolderSink> {
  const existing = await visibleEntries(dest);
  if (existing.length > 0) {
    throw new BrowserIoError(
      'OUTPUT_NOT_EMPTY',
      `already holds ${existing.length} item${existing.length === 1 ? '' : 's'} (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}); choose or create an empty folder`,
      dest.name,
    );
  }
  const stagingName = options.stagingName ?? `${STAGING_PREFIX}${Math.random().toString(36).slice(2, 10)}`;
  const bufferBytes = options.bufferBytes ?? 4 << 20;
  const staging = await dest.getDirectoryHandle(stagingName, { create: true });
  const files: { name: string; handle: FileHandleLike }[] = [];
  const open = new Set<WritableLike>();
  let state: 'open' | 'committed' | 'aborted' = 'open';

  const removeStaging = () => dest.removeEntry(stagingName, { recursive: true }).catch(() => {});

  return {
    name: dest.name,

    async create(file): Promise<ByteSink> {
      if (state !== 'open') throw new BrowserIoError('SINK_CLOSED', `cannot create a file after the output was ${state}`, `${dest.name}/${file}`);
      if (!file || file === '.' || file === '..' || /[/\\]/.test(file)) throw new BrowserIoError('BAD_FILE_NAME', 'is not a plain file name', `${dest.name}/${file}`);
      if (files.some((f) => f.name === file)) throw new BrowserIoError('DUPLICATE_FILE', 'was written twice', `${dest.name}/${file}`);
      const handle = await staging.getFileHandle(file, { create: true });
      files.push({ name: file, handle });
      const writable = await handle.createWritable();
      open.add(writable);
      let buffer = new Uint8Array(0);
      let used = 0;
      const flush = async () => {
        if (used > 0) await writable.write(buffer.subarray(0, used));
        used = 0;
      };
      return {
        async write(bytes) {
          if (bytes.byteLength >= bufferBytes) {
            await flush();
            await writable.write(bytes as Uint8Array<ArrayBuffer>);
            return;
          }
          if (used + bytes.byteLength > bufferBytes) await flush();
          if (buffer.byteLength < bufferBytes) buffer = new Uint8Array(bufferBytes);
          buffer.set(bytes, used);
          used += bytes.byteLength;
        },
        async close() {
          await flush();
          open.delete(writable);
          await writable.close();
        },
      };
    },

    async commit() {
      if (state === 'committed') return;
      if (state === 'aborted') throw new BrowserIoError('SINK_CLOSED', 'cannot commit an aborted output', dest.name);
      if (open.size > 0) throw new BrowserIoError('COMMIT_FAILED', `${open.size} file(s) still open`, dest.name);
      const clash = (await visibleEntries(dest)).filter((n) => files.some((f) => f.name === n));
      if (clash.length > 0) throw new BrowserIoError('OUTPUT_EXISTS', `now holds ${clash.join(', ')}, written meanwhile by something else`, dest.name);
      const moved: string[] = [];
      try {
        for (const { name, handle } of files) {
          await moveInto(handle, dest, name);
          moved.push(name);
        }
      } catch (e) {
        await Promise.allSettled(moved.map((n) => dest.removeEntry(n)));
        throw new BrowserIoError('COMMIT_FAILED', `moving the files into place failed (${(e as Error).message ?? String(e)}); nothing was kept`, dest.name, { cause: e });
      }
      state = 'committed';
      await removeStaging();
    },

    async abort() {
      if (state === 'committed') return;
      state = 'aborted';
      await Promise.allSettled([...open].map((w) => w.abort()));
      open.clear();
      await removeStaging();
    },
  };
}

/** Moves `handle` into `dir` as `name`: `move` where it works, else a copy (the staged file is removed with its folder). */
async function moveInto(handle: FileHandleLike, dir: DirectoryHandleLike, name: string): Promise<void> {
  if (handle.move) {
    try {
      await handle.move(dir, name);
      return;
    } catch {
      // Some file systems refuse; copy instead.
    }
  }
  const file = await handle.getFile();
  const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
  try {
    const step = 16 << 20;
    for (let at = 0; at < file.size; at += step) {
      await writable.write(new Uint8Array(await file.slice(at, Math.min(file.size, at + step)).arrayBuffer()));
    }
    await writable.close();
  } catch (e) {
    await writable.abort().catch(() => {});
    await dir.removeEntry(name).catch(() => {});
    throw e;
  }
}
