/**
 * The part of the File System Access API the studio uses, as structural types: the browser's
 * handles conform (cast once with `asDirectory`), and Node tests pass in-memory fakes
 * (testing/memory-handles.ts). No DOM types here, so these adapters typecheck and test in Node.
 */

/** A `File` (or any `Blob` with a name). `webkitRelativePath` is set by directory inputs and drops. */
export interface FileLike extends Blob {
  readonly name: string;
  readonly webkitRelativePath?: string;
}

export interface WritableLike {
  write(data: Uint8Array<ArrayBuffer>): Promise<void>;
  close(): Promise<void>;
  /** Discards everything written (Chrome writes to a swap file until `close`). */
  abort(reason?: unknown): Promise<void>;
}

export interface FileHandleLike {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<FileLike>;
  createWritable(options?: { keepExistingData?: boolean }): Promise<WritableLike>;
  /** Chrome: renames or moves the file (not in every browser, nor for every file system). */
  move?(parent: DirectoryHandleLike, name: string): Promise<void>;
}

export interface DirectoryHandleLike {
  readonly kind: 'directory';
  readonly name: string;
  values(): AsyncIterable<FileHandleLike | DirectoryHandleLike>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandleLike>;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<DirectoryHandleLike>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
}

/** Permission calls of a handle the user granted earlier (Chrome; not in TypeScript's DOM lib). */
export interface PermissionHandle {
  queryPermission?(descriptor: { mode: 'read' | 'readwrite' }): Promise<'granted' | 'denied' | 'prompt'>;
  requestPermission?(descriptor: { mode: 'read' | 'readwrite' }): Promise<'granted' | 'denied' | 'prompt'>;
}

export type BrowserIoErrorCode =
  | 'NO_FILES' // a file list or drop without files
  | 'DUPLICATE_FILE' // two files with the same relative path
  | 'NOT_FOUND' // a file the checkpoint names is not in the folder
  | 'BAD_FILE_NAME' // an output file name with a folder part, or empty
  | 'OUTPUT_NOT_EMPTY' // the chosen output folder already holds files
  | 'OUTPUT_EXISTS' // a file of the same name appeared in the output folder meanwhile
  | 'SINK_CLOSED' // create() after commit() or abort()
  | 'COMMIT_FAILED' // moving the files into place failed (what was moved is removed again)
  | 'PERMISSION_DENIED'; // the user did not grant access to a remembered folder

export class BrowserIoError extends Error {
  override readonly name = 'BrowserIoError';
  constructor(
    readonly code: BrowserIoErrorCode,
    message: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(file ? `${file}: ${message}` : message, options);
  }
}

/** Folders remembered across visits (handle-store.ts keeps them in IndexedDB). */
export interface FolderMemory {
  remember(slot: string, handle: DirectoryHandleLike): Promise<void>;
  forget(slot: string): Promise<void>;
  recall(): Promise<Map<string, DirectoryHandleLike>>;
  /** Asks for read access again (the browser may prompt: call from a user gesture). */
  reopen(handle: DirectoryHandleLike): Promise<void>;
}
