/**
 * The Python sandbox in Node: Pyodide in worker_threads workers (see src/core/eval/sandbox).
 *
 * The worker (sandbox-node-worker.ts and the core runtime it imports) is bundled with esbuild the
 * first time a sandbox starts in a process and started from a `data:` URL, so it needs no build
 * step and no file on disk, from the sources, from vitest and from the CLI's bundle alike. It runs
 * with an empty `process.env`, no inherited execArgv, and its stdout/stderr captured (the last
 * lines are quoted if it fails to start).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createWorkerSandbox, type SandboxWorker, type WorkerEvents } from '../core/eval/sandbox/pool.ts';
import type { BatchSandbox, HostMessage, WorkerMessage } from '../core/eval/sandbox/types.ts';

export interface NodeSandboxOptions {
  /** Folder holding pyodide.mjs, pyodide.asm.wasm and python_stdlib.zip; default: the `pyodide` package. */
  readonly indexURL?: string;
  /** See WorkerSandboxOptions.startTimeoutMs. */
  readonly startTimeoutMs?: number;
}

/** Resolves against this file in src/node and against the CLI's bundle in src/.cache alike. */
const WORKER_SOURCE = fileURLToPath(new URL('../../src/node/sandbox-node-worker.ts', import.meta.url));

let workerURL: Promise<URL> | undefined;

/** The worker as an ES module in a data: URL (built once per process). */
function bundledWorker(): Promise<URL> {
  workerURL ??= (async () => {
    const { build } = await import('esbuild');
    const out = await build({
      entryPoints: [WORKER_SOURCE],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
    });
    return new URL(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0]!.contents).toString('base64')}`);
  })();
  workerURL.catch(() => (workerURL = undefined));
  return workerURL;
}

/** The folder of the installed `pyodide` package, with a trailing separator. */
export function defaultPyodideIndex(): string {
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve('pyodide/package.json'))}/`;
}

const TAIL_CHARS = 2000;

export async function createNodeSandbox(options: NodeSandboxOptions = {}): Promise<BatchSandbox> {
  const url = await bundledWorker();
  const spawn = (events: WorkerEvents): SandboxWorker => {
    const worker = new Worker(url, { env: {}, execArgv: [], stdout: true, stderr: true });
    // An idle worker does not keep the process alive (the start and run timers do while needed).
    worker.unref();
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
    };
    worker.stdout.on('data', keep);
    worker.stderr.on('data', keep);
    const withTail = (reason: string) => (tail.trim() ? `${reason}\n${tail.trim()}` : reason);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'start-failed') events.message({ ...message, message: withTail(message.message) });
      else events.message(message);
    });
    worker.on('error', (e) => events.error(withTail(e.message)));
    worker.on('exit', (code) => events.error(withTail(`the worker exited with code ${code}`)));
    return {
      post: (message: HostMessage) => worker.postMessage(message),
      terminate: () => void worker.terminate(),
    };
  };
  return createWorkerSandbox(spawn, {
    indexURL: options.indexURL ?? defaultPyodideIndex(),
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
  });
}
