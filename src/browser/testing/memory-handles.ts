/**
 * In-memory File System Access handles for Node tests, with Chrome's observable behaviour: a file
 * exists (empty) once its handle is created; what a writable receives appears only on `close`
 * (Chrome writes to a swap file) and vanishes on `abort`; removing a non-empty folder needs
 * `recursive`. `move` can be turned off to exercise the copy fallback, or made to fail.
 */
import { concatBytes } from '../../core/io/bytes.ts';
import type { DirectoryHandleLike, FileHandleLike, FileLike, WritableLike } from '../shared/fs-access.ts';

export interface MemoryHandleOptions {
  /** Offer `move` on file handles (default true). */
  readonly move?: boolean;
  /** Throw from the n-th `move` call (counting from 1, over the whole tree). */
  readonly failMoveAt?: number;
}

function notFound(name: string): Error {
  const e = new Error(`${name}: not found`);
  e.name = 'NotFoundError';
  return e;
}

export class MemoryFileHandle implements FileHandleLike {
  readonly kind = 'file' as const;
  bytes: Uint8Array = new Uint8Array(0);
  openWritables = 0;
  move?: (parent: DirectoryHandleLike, name: string) => Promise<void>;

  constructor(
    public name: string,
    public parent: MemoryDirectoryHandle,
  ) {
    const tree = parent.tree;
    if (tree.options.move !== false) {
      this.move = async (to, newName) => {
        tree.moves++;
        if (tree.options.failMoveAt === tree.moves) throw new Error('simulated move failure');
        const target = to as MemoryDirectoryHandle;
        if (target.entries.has(newName)) throw new Error(`${newName}: exists`);
        this.parent.entries.delete(this.name);
        target.entries.set(newName, this);
        this.name = newName;
        this.parent = target;
      };
    }
  }

  async getFile(): Promise<FileLike> {
    return Object.assign(new Blob([this.bytes.slice()]), { name: this.name, webkitRelativePath: '' }) as FileLike;
  }

  async createWritable(): Promise<WritableLike> {
    const parts: Uint8Array[] = [];
    let done = false;
    this.openWritables++;
    return {
      write: async (data) => {
        if (done) throw new Error('writable closed');
        parts.push(data.slice());
      },
      close: async () => {
        if (done) throw new Error('writable closed');
        done = true;
        this.openWritables--;
        this.bytes = concatBytes(parts);
      },
      abort: async () => {
        if (done) return;
        done = true;
        this.openWritables--;
      },
    };
  }
}

export class MemoryDirectoryHandle implements DirectoryHandleLike {
  readonly kind = 'directory' as const;
  readonly entries = new Map<string, MemoryFileHandle | MemoryDirectoryHandle>();
  readonly tree: { options: MemoryHandleOptions; moves: number };

  constructor(
    readonly name: string,
    options: MemoryHandleOptions | MemoryDirectoryHandle = {},
  ) {
    this.tree = options instanceof MemoryDirectoryHandle ? options.tree : { options, moves: 0 };
  }

  async *values(): AsyncIterable<MemoryFileHandle | MemoryDirectoryHandle> {
    yield* [...this.entries.values()];
  }

  async getFileHandle(name: string, options: { create?: boolean } = {}): Promise<MemoryFileHandle> {
    const found = this.entries.get(name);
    if (found?.kind === 'file') return found;
    if (found) throw new TypeError(`${name}: is a folder`);
    if (!options.create) throw notFound(name);
    const handle = new MemoryFileHandle(name, this);
    this.entries.set(name, handle);
    return handle;
  }

  async getDirectoryHandle(name: string, options: { create?: boolean } = {}): Promise<MemoryDirectoryHandle> {
    const found = this.entries.get(name);
    if (found?.kind === 'directory') return found;
    if (found) throw new TypeError(`${name}: is a file`);
    if (!options.create) throw notFound(name);
    const handle = new MemoryDirectoryHandle(name, this);
    this.entries.set(name, handle);
    return handle;
  }

  async removeEntry(name: string, options: { recursive?: boolean } = {}): Promise<void> {
    const found = this.entries.get(name);
    if (!found) throw notFound(name);
    if (found.kind === 'directory' && found.entries.size > 0 && !options.recursive) throw new Error(`${name}: folder not empty`);
    this.entries.delete(name);
  }

  /** Writes a file directly (test setup). */
  put(name: string, bytes: Uint8Array): void {
    const handle = new MemoryFileHandle(name, this);
    handle.bytes = bytes;
    this.entries.set(name, handle);
  }

  /** Every file below this folder, as paths (`sub/file`), sorted. */
  paths(prefix = ''): string[] {
    const out: string[] = [];
    for (const [name, entry] of this.entries) {
      if (entry.kind === 'file') out.push(`${prefix}${name}`);
      else out.push(...entry.paths(`${prefix}${name}/`));
    }
    return out.sort();
  }
}
