/**
 * Node adapters: a checkpoint folder read through read-only file handles, and an output folder
 * written into a hidden staging folder beside the destination and renamed into place on commit.
 */
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ByteSink, ByteSource, FolderSink, FolderSource } from '../core/io/bytes.ts';
import { removeStaleStaging, StagingError, stagingName, type OnStaleRemoved } from './staging.ts';

export type FsErrorCode = 'FOLDER_NOT_FOUND' | 'NOT_A_FOLDER' | 'BROKEN_LINK' | 'OUTPUT_EXISTS' | 'OUTPUT_INSIDE_INPUT';

export class FsError extends Error {
  override readonly name = 'FsError';
  constructor(
    readonly code: FsErrorCode,
    message: string,
    readonly file: string,
  ) {
    super(`${file}: ${message}`);
  }
}

export async function openFileSource(path: string, name = path): Promise<ByteSource> {
  const handle = await open(path, fsConstants.O_RDONLY);
  const { size } = await handle.stat();
  return {
    name,
    size,
    async read(offset, length, into) {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new RangeError(`read of ${length} bytes at ${offset} is past the end (${size} bytes)`);
      }
      // Not zero-filled (every byte is overwritten below), and never a slice of Node's shared pool:
      // byteOffset 0, so views of any element type are aligned.
      if (into && into.byteLength < length) throw new RangeError(`buffer of ${into.byteLength} bytes cannot hold ${length}`);
      const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafeSlow(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) throw new RangeError(`file ended after ${offset + done} bytes`);
        done += bytesRead;
      }
      return buffer;
    },
    close: () => handle.close(),
  };
}

export async function openFolder(path: string): Promise<FolderSource> {
  const root = resolve(path);
  let info;
  try {
    info = await stat(root);
  } catch {
    throw new FsError('FOLDER_NOT_FOUND', 'no such folder', path);
  }
  if (!info.isDirectory()) throw new FsError('NOT_A_FOLDER', 'is not a folder', path);
  return {
    name: path,
    async list() {
      // Symbolic links count as the files they point to: a Hugging Face cache snapshot
      // (snapshots/<revision>/) holds only links into ../../blobs/. A broken link is listed too,
      // so that opening it says what is wrong instead of the file seeming absent.
      const entries = await readdir(root, { withFileTypes: true });
      const files = await Promise.all(
        entries.map(async (e) => {
          if (e.isFile()) return e.name;
          if (!e.isSymbolicLink()) return null;
          const target = await stat(join(root, e.name)).catch(() => null);
          return target === null || target.isFile() ? e.name : null;
        }),
      );
      return files.filter((f) => f !== null).sort();
    },
    async open(file) {
      const full = join(root, file);
      try {
        return await openFileSource(full, join(path, file));
      } catch (e) {
        const link = (e as NodeJS.ErrnoException).code === 'ENOENT' ? await lstat(full).catch(() => null) : null;
        if (link?.isSymbolicLink()) throw new FsError('BROKEN_LINK', `is a symbolic link to ${await readlink(full)}, which does not exist`, join(path, file));
        throw e;
      }
    },
  };
}

/** `path` with every symbolic link resolved, for its existing part; the rest appended as it is. */
async function realPathOf(path: string): Promise<string> {
  const rest: string[] = [];
  let head = resolve(path);
  for (;;) {
    try {
      return join(await realpath(head), ...rest.reverse());
    } catch {
      if (dirname(head) === head) return resolve(path);
      rest.push(basename(head));
      head = dirname(head);
    }
  }
}

/** I/O failures name the file as the user will see it, e.g. `merged/model.safetensors`. */
function writeFailed(file: string) {
  return (e: unknown): never => {
    throw new StagingError('WRITE_FAILED', file, e);
  };
}

export interface OutputFolderOptions {
  /** Told about each staging leftover of a dead process removed beside the output (staging.ts). */
  readonly onStaleRemoved?: OnStaleRemoved;
}

/**
 * An output folder that appears at `path` only when committed. `path` must not exist, or be an
 * empty folder, and must not lie inside an input folder (symbolic links resolved). The staging
 * folder (`stagingName`) sits beside it, on the same file system.
 */
export async function createOutputFolder(path: string, inputs: readonly string[] = [], options: OutputFolderOptions = {}): Promise<FolderSink> {
  const target = resolve(path);
  const realTarget = await realPathOf(path);
  for (const input of inputs) {
    const inputRoot = await realPathOf(input);
    if (realTarget === inputRoot || realTarget.startsWith(`${inputRoot}/`)) {
      throw new FsError('OUTPUT_INSIDE_INPUT', `is inside the input folder ${input}`, path);
    }
  }
  const existing = await stat(target).catch(() => null);
  if (existing && (!existing.isDirectory() || (await readdir(target)).length > 0)) {
    throw new FsError('OUTPUT_EXISTS', 'already exists and is not an empty folder; choose another --out or remove it', path);
  }
  await mkdir(dirname(target), { recursive: true });
  await removeStaleStaging(dirname(target), options.onStaleRemoved);
  const staging = join(dirname(target), stagingName(basename(target)));
  await mkdir(staging);
  const open_ = new Set<{ close(): Promise<void> }>();
  let done = false;
  return {
    name: path,
    async create(file) {
      const failed = writeFailed(join(path, file));
      await mkdir(dirname(join(staging, file)), { recursive: true }).catch(failed); // e.g. onnx/model.onnx
      const handle = await open(join(staging, file), 'wx').catch(failed);
      open_.add(handle);
      const sink: ByteSink = {
        async write(bytes) {
          let at = 0;
          while (at < bytes.byteLength) {
            const { bytesWritten } = await handle.write(bytes, at, bytes.byteLength - at).catch(failed);
            at += bytesWritten;
          }
        },
        async close() {
          open_.delete(handle);
          await handle.close().catch(failed);
        },
      };
      return sink;
    },
    async commit() {
      if (done) return;
      if (open_.size > 0) throw new Error('commit with files still open');
      if (existing) await rmdir(target).catch(writeFailed(path)); // the empty folder that was there
      await rename(staging, target).catch(writeFailed(path));
      done = true;
    },
    async abort() {
      if (done) return;
      done = true;
      await Promise.allSettled([...open_].map((h) => h.close()));
      await rm(staging, { recursive: true, force: true });
    },
  };
}
