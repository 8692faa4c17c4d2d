/**
 * A scratch folder for work that must pass through a whole checkpoint on disk before it is read
 * again ("Export ONNX…" merges first, then exports the merged checkpoint): the origin-private file
 * system where the browser has one (large models stay off the heap), else memory.
 */
import { MemoryFolder, type FolderSink, type FolderSource } from '../../core/io/bytes.ts';
import { directoryFolderSink } from './folder-sink.ts';
import { directoryFolderSource } from '../shared/folder-source.ts';
import type { DirectoryHandleLike } from '../shared/fs-access.ts';

export interface Scratch {
  readonly sink: FolderSink;
  /** The committed files. */
  readonly source: FolderSource;
  remove(): Promise<void>;
}

export function memoryScratch(): Promise<Scratch> {
  const folder = new MemoryFolder('scratch');
  return Promise.resolve({ sink: folder, source: folder, remove: async () => folder.files.clear() });
}

interface StorageWithDirectory {
  getDirectory?(): Promise<DirectoryHandleLike>;
}

/** OPFS when present (browsers, workers), else memory. */
export async function opfsScratch(): Promise<Scratch> {
  const storage = (globalThis as { navigator?: { storage?: StorageWithDirectory } }).navigator?.storage;
  if (!storage?.getDirectory) return memoryScratch();
  const root = await storage.getDirectory();
  const name = `rvs-scratch-${Math.random().toString(36).slice(2, 10)}`;
  const dir = await root.getDirectoryHandle(name, { create: true });
  return {
    sink: await directoryFolderSink(dir),
    source: directoryFolderSource(dir),
    remove: () => root.removeEntry(name, { recursive: true }).catch(() => {}),
  };
}
