/**
 * Reading a drop. Chrome gives folder handles (`DataTransferItem.getAsFileSystemHandle`), but only
 * while the drop event is being dispatched: `readDrop` must be called synchronously in the handler,
 * before any `await`. Without handles (other browsers, synthetic drops) it falls back to the
 * entries API (`webkitGetAsEntry`, walking a dropped folder), then to the plain files.
 */
import type { SlotSource } from '../shared/engine-api.ts';
import { BrowserIoError } from '../shared/fs-access.ts';
import { asDirectory } from './pickers.ts';

interface HandleItem {
  getAsFileSystemHandle?(): Promise<FileSystemHandle | null>;
}

export function readDrop(dataTransfer: DataTransfer): Promise<SlotSource> {
  // Synchronous part: everything the DataTransfer can give, now.
  const items = [...dataTransfer.items].filter((item) => item.kind === 'file');
  const handles = items.map((item) => {
    try {
      const get = (item as DataTransferItem & HandleItem).getAsFileSystemHandle;
      return get ? get.call(item).catch(() => null) : Promise.resolve(null);
    } catch {
      return Promise.resolve(null);
    }
  });
  const entries = items.map((item) => item.webkitGetAsEntry?.() ?? null);
  const files = [...dataTransfer.files];
  return resolveDrop(handles, entries, files);
}

async function resolveDrop(handlePromises: Promise<FileSystemHandle | null>[], entries: (FileSystemEntry | null)[], files: File[]): Promise<SlotSource> {
  const handles = await Promise.all(handlePromises);
  const folders = handles.filter((h): h is FileSystemDirectoryHandle => h?.kind === 'directory');
  if (folders.length > 1 || entries.filter((e) => e?.isDirectory).length > 1) {
    throw new BrowserIoError('DUPLICATE_FILE', 'drop one checkpoint folder at a time');
  }
  if (folders.length === 1) return { kind: 'directory', handle: asDirectory(folders[0]!) };
  const folderEntry = entries.find((e): e is FileSystemDirectoryEntry => e?.isDirectory === true);
  if (folderEntry) {
    const found = await readEntryFolder(folderEntry);
    return { kind: 'files', files: found.map((f) => f.file), paths: found.map((f) => f.path), name: folderEntry.name };
  }
  if (files.length === 0) throw new BrowserIoError('NO_FILES', 'the drop held no files');
  return { kind: 'files', files, name: 'dropped files' };
}

/** Top-level files of a dropped folder (a checkpoint's files are all at the top). */
async function readEntryFolder(dir: FileSystemDirectoryEntry): Promise<{ file: File; path: string }[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries returns batches until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    all.push(...batch);
  }
  const fileEntries = all.filter((e): e is FileSystemFileEntry => e.isFile);
  return Promise.all(
    fileEntries.map(async (entry) => ({ file: await new Promise<File>((resolve, reject) => entry.file(resolve, reject)), path: entry.name })),
  );
}
