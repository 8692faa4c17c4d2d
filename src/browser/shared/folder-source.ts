/**
 * Checkpoint folders in the browser, read-only, byte ranges through `Blob.slice` (core's
 * `blobSource`): a directory handle (File System Access: picker, drop, or one remembered in
 * IndexedDB) or a list of files (a directory `<input>`, a drop without handles, a plain multi-file
 * input).
 */
import { blobSource, type ByteSource, type FolderSource } from '../../core/io/bytes.ts';
import { BrowserIoError, type DirectoryHandleLike, type FileLike } from './fs-access.ts';

/** The folder's top-level files; `getFile()` is called on open, so each read sees one snapshot. */
export function directoryFolderSource(dir: DirectoryHandleLike): FolderSource {
  return {
    name: dir.name,
    async list() {
      const names: string[] = [];
      for await (const entry of dir.values()) if (entry.kind === 'file') names.push(entry.name);
      return names.sort();
    },
    async open(file): Promise<ByteSource> {
      let handle;
      try {
        handle = await dir.getFileHandle(file);
      } catch (e) {
        throw new BrowserIoError('NOT_FOUND', 'no such file', `${dir.name}/${file}`, { cause: e });
      }
      return blobSource(await handle.getFile(), `${dir.name}/${file}`);
    },
  };
}

/**
 * Files with their paths relative to the chosen folder. A directory input gives paths like
 * `Qwen2.5-0.5B/config.json`: the common first segment is the folder's name and is dropped.
 * Files without a relative path (a plain multi-file input) keep their bare names. `relativePaths`
 * stand in for `webkitRelativePath` where the browser gives none (files read from a dropped folder's
 * entries).
 */
export function fileListFolderSource(files: readonly FileLike[], fallbackName = 'selected files', relativePaths?: readonly string[]): FolderSource {
  if (files.length === 0) throw new BrowserIoError('NO_FILES', 'no files were selected or dropped');
  const paths = files.map((f, i) => (relativePaths?.[i] || f.webkitRelativePath || f.name).replace(/^\/+/, ''));
  const firstSegments = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : null)));
  const common = firstSegments.size === 1 ? [...firstSegments][0] : null;
  const name = common ?? fallbackName;
  const byPath = new Map<string, FileLike>();
  files.forEach((file, i) => {
    const path = common ? paths[i]!.slice(common.length + 1) : paths[i]!;
    if (byPath.has(path)) throw new BrowserIoError('DUPLICATE_FILE', 'was selected twice', `${name}/${path}`);
    byPath.set(path, file);
  });
  return {
    name,
    async list() {
      return [...byPath.keys()].sort();
    },
    async open(file) {
      const blob = byPath.get(file);
      if (!blob) throw new BrowserIoError('NOT_FOUND', 'no such file', `${name}/${file}`);
      return blobSource(blob, `${name}/${file}`);
    },
  };
}
