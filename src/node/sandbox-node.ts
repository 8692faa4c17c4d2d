/**
 * The Python sandbox in Node: every program in a child process of its own (see src/core/eval/sandbox
 * for the pool), started under Node's permission model:
 *
 *   node --permission --allow-fs-read=<Pyodide's folder> --allow-fs-read=<the worker script>
 *        --disallow-code-generation-from-strings --max-old-space-size=256 --liftoff-only <the worker script>
 *
 * so the child can read Pyodide's files and nothing else: no file writes, no child processes (an
 * Emscripten `system()` reaching `child_process` is refused), no worker threads, no native addons,
 * an empty environment. The wasm memory is capped by the runtime, the JavaScript heap by
 * --max-old-space-size; the host keeps only the last lines of a child's stderr.
 *
 * The worker (sandbox-node-worker.ts and the core runtime it imports) is bundled with esbuild the
 * first time a sandbox starts in a process, into src/.cache/ (staged, then renamed) — the one file
 * besides Pyodide's that the child may read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorkerSandbox, type SandboxWorker, type WorkerEvents } from '../core/eval/sandbox/pool.ts';
import type { BatchSandbox, HostMessage, WorkerMessage } from '../core/eval/sandbox/types.ts';

export interface NodeSandboxOptions {
  /** Folder holding pyodide.mjs, pyodide.asm.wasm and python_stdlib.zip; default: the `pyodide` package. */
  readonly indexURL?: string;
  /** See WorkerSandboxOptions. */
  readonly startTimeoutMs?: number;
  readonly warm?: number;
  readonly memoryLimitBytes?: number;
}

/** Resolves against this file in src/node and against the CLI's bundle in src/.cache alike. */
const WORKER_SOURCE = fileURLToPath(new URL('../../src/node/sandbox-node-worker.ts', import.meta.url));
const CACHE = fileURLToPath(new URL('../../src/.cache/', import.meta.url));

/** The child's JavaScript heap limit, MiB (Pyodide's own heap is wasm memory, capped separately). */
const HEAP_LIMIT_MB = 256;

let workerFile: Promise<string> | undefined;

/** The worker bundled into one file, named by its content's hash (built once per process). */
function bundledWorker(): Promise<string> {
  workerFile ??= (async () => {
    const { build } = await import('esbuild');
    const out = await build({ entryPoints: [WORKER_SOURCE], bundle: true, write: false, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent' });
    const code = out.outputFiles[0]!.contents;
    const name = `sandbox-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
    for (const folder of [CACHE, null]) {
      try {
        const dir = folder ?? mkdtempSync(join(tmpdir(), 'rvs-sandbox-'));
        const file = join(dir, name);
        if (existsSync(file)) return file;
        mkdirSync(dir, { recursive: true });
        const staged = `${file}.${process.pid}.tmp`;
        writeFileSync(staged, code, { mode: 0o644 });
        renameSync(staged, file);
        return file;
      } catch (e) {
        if (folder === null) throw e; // not even a private temporary folder: give up
      }
    }
    throw new Error('unreachable');
  })();
  workerFile.catch(() => (workerFile = undefined));
  return workerFile;
}

/** The folder of the installed `pyodide` package, with a trailing separator. */
export function defaultPyodideIndex(): string {
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve('pyodide/package.json'))}/`;
}

/** Node 22+ spells it --permission; Node 20 --experimental-permission. */
function permissionFlag(): string {
  return process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';
}

/** The child's command line (exported for the tests that check what it permits). */
export function sandboxChildArgs(script: string, pyodideDir: string): string[] {
  const quiet = process.allowedNodeEnvironmentFlags.has('--disable-warning') ? ['--disable-warning=ExperimentalWarning'] : [];
  return [
    permissionFlag(),
    `--allow-fs-read=${resolve(pyodideDir)}`,
    `--allow-fs-read=${resolve(script)}`,
    '--disallow-code-generation-from-strings',
    `--max-old-space-size=${HEAP_LIMIT_MB}`,
    // Baseline wasm code only: a child lives for one short program, and optimising Pyodide's 9 MB
    // of wasm in the background cost 40% more CPU and memory per child without running it faster.
    '--liftoff-only',
    ...quiet,
    script,
  ];
}

const TAIL_CHARS = 2000;

function spawner(script: string, pyodideDir: string) {
  return (events: WorkerEvents): SandboxWorker => {
    const child: ChildProcess = spawn(process.execPath, sandboxChildArgs(script, pyodideDir), {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: {},
    });
    let tail = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
    });
    const withTail = (reason: string) => (tail.trim() ? `${reason}\n${tail.trim()}` : reason);
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'start-failed') events.message({ ...message, message: withTail(message.message) });
      else events.message(message);
    });
    child.on('error', (e) => events.error(withTail(e.message)));
    child.on('exit', (code, signal) => events.error(withTail(signal ? `the process was killed (${signal})` : `the process exited with code ${code}`)));
    return {
      post: (message: HostMessage) => {
        if (child.connected) child.send(message);
      },
      terminate: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  };
}

export async function createNodeSandbox(options: NodeSandboxOptions = {}): Promise<BatchSandbox> {
  const script = await bundledWorker();
  const indexURL = options.indexURL ?? defaultPyodideIndex();
  return createWorkerSandbox(spawner(script, indexURL), {
    indexURL,
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
    ...(options.warm === undefined ? {} : { warm: options.warm }),
    ...(options.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: options.memoryLimitBytes }),
  });
}
