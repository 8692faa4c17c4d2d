/**
 * Byte-level I/O seen by the core: random-access sources (a browser `File`, a Node file handle,
 * an HTTP range reader) and sequential sinks. Adapters live outside `src/core`, except the `Blob`
 * source, which runs everywhere.
 */

/** A read-only file that can be read at any byte range. */
export interface ByteSource {
  /** What users know the file as (a path or a file name): every error names it. */
  readonly name: string;
  readonly size: number;
  /**
   * Reads exactly `length` bytes at `offset` into `into` (returning `into.subarray(0, length)`), or
   * into a fresh buffer whose byteOffset is 0, so that views of any element type are aligned.
   * Rejects when fewer bytes exist.
   */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  close?(): Promise<void>;
}

/** A file being written from start to end. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * A folder of files that is read (a checkpoint). `list` returns file names relative to the folder,
 * with `/` as separator.
 */
export interface FolderSource {
  readonly name: string;
  list(): Promise<string[]>;
  open(file: string): Promise<ByteSource>;
}

/**
 * A folder being written atomically: files are created in a staging place and appear at the
 * destination only on `commit`; `abort` removes everything written so far.
 */
export interface FolderSink {
  readonly name: string;
  create(file: string): Promise<ByteSink>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export async function readText(folder: FolderSource, file: string): Promise<string> {
  const source = await folder.open(file);
  try {
    const bytes = await source.read(0, source.size);
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } finally {
    await source.close?.();
  }
}

export async function copyFile(from: FolderSource, file: string, to: FolderSink, chunkSize = 16 << 20): Promise<void> {
  const source = await from.open(file);
  const sink = await to.create(file);
  try {
    for (let offset = 0; offset < source.size; offset += chunkSize) {
      await sink.write(await source.read(offset, Math.min(chunkSize, source.size - offset)));
    }
  } finally {
    await sink.close();
    await source.close?.();
  }
}

/** A `Blob` (a browser `File`, or Node's `Blob`) as a byte source. */
export function blobSource(blob: Blob, name: string): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length, into) {
      if (offset < 0 || length < 0 || offset + length > blob.size) {
        throw new RangeError(`${name}: read of ${length} bytes at ${offset} is past the end (${blob.size} bytes)`);
      }
      return fill(new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()), into);
    },
  };
}

/** An in-memory folder, for tests and for the browser demo. */
export class MemoryFolder implements FolderSource, FolderSink {
  readonly files = new Map<string, Uint8Array>();
  constructor(readonly name: string) {}

  async list(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }

  async open(file: string): Promise<ByteSource> {
    const bytes = this.files.get(file);
    if (!bytes) throw new Error(`${this.name}/${file}: no such file`);
    return {
      name: `${this.name}/${file}`,
      size: bytes.byteLength,
      async read(offset, length, into) {
        if (offset < 0 || length < 0 || offset + length > bytes.byteLength) {
          throw new RangeError(`${file}: read of ${length} bytes at ${offset} is past the end`);
        }
        return into ? fill(bytes.subarray(offset, offset + length), into) : bytes.slice(offset, offset + length);
      },
    };
  }

  async create(file: string): Promise<ByteSink> {
    const parts: Uint8Array[] = [];
    return {
      write: async (bytes) => {
        parts.push(bytes.slice());
      },
      close: async () => {
        this.files.set(file, concatBytes(parts));
      },
    };
  }

  async commit(): Promise<void> {}
  async abort(): Promise<void> {
    this.files.clear();
  }
}

/** `bytes` copied into `into` when given (which must be large enough), else `bytes` itself. */
function fill(bytes: Uint8Array, into: Uint8Array | undefined): Uint8Array {
  if (!into) return bytes;
  if (into.byteLength < bytes.byteLength) throw new RangeError(`buffer of ${into.byteLength} bytes cannot hold ${bytes.byteLength}`);
  into.set(bytes);
  return into.subarray(0, bytes.byteLength);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
