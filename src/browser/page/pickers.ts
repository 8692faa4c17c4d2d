/** Folder pickers (File System Access; Chrome and Edge) and the one cast from DOM handles to the adapters' structural type. */
import type { DirectoryHandleLike } from '../shared/fs-access.ts';

interface PickerWindow {
  showDirectoryPicker?(options?: { id?: string; mode?: 'read' | 'readwrite'; startIn?: string }): Promise<FileSystemDirectoryHandle>;
}

export function canPickFolders(): boolean {
  return typeof (window as Window & PickerWindow).showDirectoryPicker === 'function';
}

/** The picked folder, or null when the user closed the picker. */
export async function pickFolder(mode: 'read' | 'readwrite', id: string): Promise<FileSystemDirectoryHandle | null> {
  const picker = (window as Window & PickerWindow).showDirectoryPicker;
  if (!picker) throw new Error('this browser cannot open folders (no showDirectoryPicker); use the file input');
  try {
    return await picker.call(window, { id, mode });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') return null;
    throw e;
  }
}

/** A DOM directory handle as the adapters see it (the DOM type's iterator is not discriminated by kind). */
export function asDirectory(handle: FileSystemDirectoryHandle): DirectoryHandleLike {
  return handle as unknown as DirectoryHandleLike;
}
