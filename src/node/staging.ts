/**
 * Staging: outputs are written under a hidden name beside their destination and renamed into
 * place when complete, so that a failure or Ctrl-C leaves nothing half-written.
 *
 * A staging name says who owns it: `.rvs-tmp-<name>-<host>-<pid>-<start>-<random>`, where `host`
 * is a short hash of the host name and `start` the owning process's start time (clock ticks since
 * boot, field 22 of `/proc/<pid>/stat`; 0 where there is no /proc). A process killed outright
 * (SIGKILL, power loss) cannot remove its staging; the next output written into the same folder
 * removes staging entries of this host whose process is gone: no process with that pid, or one
 * that started at another time (the pid was reused). Entries of other hosts, of live processes and
 * in older formats are left alone.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

export const STAGING_PREFIX = '.rvs-tmp-';

/** Reports a stale staging entry that was removed: its path and the process that left it. */
export type OnStaleRemoved = (path: string, pid: number) => void;

function hostTag(): string {
  let h = 0x811c9dc5;
  for (const c of hostname()) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0').slice(0, 6);
}

/** Start time of a process in clock ticks since boot, or null when it cannot be read. */
function startTicks(pid: number | 'self'): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

const HOST = hostTag();
const SELF_START = startTicks('self') ?? '0';
const OWNER = new RegExp(`-${HOST}-(\\d+)-(\\d+)-[0-9a-f]+$`);

/** A fresh staging name for `name` (a file or folder name) in this process. */
export function stagingName(name: string): string {
  return `${STAGING_PREFIX}${name}-${HOST}-${process.pid}-${SELF_START}-${randomBytes(4).toString('hex')}`;
}

function alive(pid: number, start: string): boolean {
  if (pid === process.pid) return start === SELF_START;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // it exists, owned by someone else
  }
  if (start === '0') return true;
  const now = startTicks(pid);
  return now === null || now === start;
}

/** Removes the staging entries in `folder` left by dead processes of this host; returns their paths. */
export async function removeStaleStaging(folder: string, onRemoved?: OnStaleRemoved): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const owner = OWNER.exec(name);
    if (!owner || alive(Number(owner[1]), owner[2]!)) continue;
    const path = join(folder, name);
    await rm(path, { recursive: true, force: true });
    removed.push(path);
    onRemoved?.(path, Number(owner[1]));
  }
  return removed;
}

export type StagingErrorCode = 'OUTPUT_UNWRITABLE' | 'WRITE_FAILED';

/** An output that cannot be created where asked (exit 2), or whose writing failed (disk full, …). */
export class StagingError extends Error {
  override readonly name = 'StagingError';
  constructor(
    readonly code: StagingErrorCode,
    readonly file: string,
    cause: unknown,
  ) {
    super(`${file}: cannot write (${(cause as Error).message ?? String(cause)})`);
  }
}

export interface StagedFile {
  /** Writes the whole content (once). */
  write(data: string | Uint8Array): Promise<void>;
  /** Renames the staged file to its destination. */
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * A file that appears at `path` only when committed, staged beside it. Creating it checks the
 * place (the folder exists and is writable, `path` is not a folder), so call it before long work.
 */
export async function stageFile(path: string, onStale?: OnStaleRemoved): Promise<StagedFile> {
  if ((await stat(path).catch(() => null))?.isDirectory()) throw new StagingError('OUTPUT_UNWRITABLE', path, new Error('it is a folder'));
  await removeStaleStaging(dirname(path), onStale);
  const tmp = join(dirname(path), stagingName(basename(path)));
  const handle = await open(tmp, 'wx').catch((e: unknown) => {
    throw new StagingError('OUTPUT_UNWRITABLE', path, e);
  });
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  return {
    async write(data) {
      try {
        await handle.writeFile(data);
        await close();
      } catch (e) {
        throw new StagingError('WRITE_FAILED', path, e);
      }
    },
    async commit() {
      await close();
      await rename(tmp, path).catch((e: unknown) => {
        throw new StagingError('WRITE_FAILED', path, e);
      });
    },
    async abort() {
      await close().catch(() => undefined);
      await rm(tmp, { force: true });
    },
  };
}

/** Writes `data` to `path` through a staged file beside it, so readers never see half a file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, onStale?: OnStaleRemoved): Promise<void> {
  const file = await stageFile(path, onStale);
  try {
    await file.write(data);
    await file.commit();
  } catch (e) {
    await file.abort();
    throw e;
  }
}
