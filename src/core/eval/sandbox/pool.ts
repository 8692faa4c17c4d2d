/**
 * The host side of the sandbox: a pool of sandbox workers, one program at a time each. A program
 * that runs past its limit gets its worker terminated; a fresh worker starts at once in the
 * background, so an infinite loop costs one time limit and fails only its own program.
 *
 *   run(program) ─► idle slot (or a new one) ─► await worker ready ─► post ─► result | timer
 *                                                                              │
 *        timeout / abort / crash / recycle: terminate, the spare (or a fresh worker) takes over
 *
 * With `spare` (the default) one extra worker is kept loaded once the first is ready, so that a
 * replaced worker's successor is ready at once instead of after Pyodide's few seconds of loading.
 */
import { SandboxError } from './errors.ts';
import { runAll } from './run-all.ts';
import type { BatchSandbox, HostMessage, RunOptions, RunResult, WorkerMessage } from './types.ts';

/** One worker, as the platform spawns it (Node worker_threads, browser Worker). */
export interface SandboxWorker {
  post(message: HostMessage): void;
  terminate(): void;
}

export interface WorkerEvents {
  message(message: WorkerMessage): void;
  /** The worker failed or exited on its own. */
  error(reason: string): void;
}

export type SpawnWorker = (events: WorkerEvents) => SandboxWorker;

export interface WorkerSandboxOptions {
  /** Where Pyodide's files are: a folder path in Node, a URL (ending in "/") in browsers. */
  readonly indexURL: string;
  /** Longest wait for a worker to load Pyodide; default 120 s. */
  readonly startTimeoutMs?: number;
  /** Keep one extra worker loaded to replace a terminated one at once; default true. */
  readonly spare?: boolean;
}

/** Timers exist in every platform core runs on; platform.d.ts does not declare them. */
const timers = globalThis as unknown as {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

interface Pending {
  readonly id: number;
  finish(result: RunResult): void;
}

/** A worker and its state. Replaced (never reused) after a timeout, crash or recycle. */
interface Live {
  readonly worker: SandboxWorker;
  /** Settles when Pyodide has loaded, or fails to. */
  readonly ready: Promise<void>;
  /** Settles `ready` (once). */
  settle(error?: SandboxError): void;
  started: boolean;
  pending: Pending | undefined;
  dead: boolean;
}

interface Slot {
  live: Live | undefined;
  busy: boolean;
}

export function createWorkerSandbox(spawn: SpawnWorker, options: WorkerSandboxOptions): BatchSandbox {
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const slots: Slot[] = [];
  let spare: Live | undefined;
  let disposed = false;
  let nextId = 1;

  function start(): Live {
    let resolveReady!: () => void;
    let rejectReady!: (error: SandboxError) => void;
    const ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    ready.catch(() => {}); // observed by run(); a pre-warmed worker may fail unobserved
    // A worker that fails to start is terminated, not replaced: the next run() starts another.
    const timer = timers.setTimeout(() => {
      kill(live, new SandboxError('START_TIMEOUT', `Pyodide did not load within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    let settled = false;
    const live: Live = {
      worker: spawn({
        message(message) {
          if (live.dead) return;
          if (message.type === 'ready') {
            live.started = true;
            live.settle();
            if (live !== spare) ensureSpare();
          } else if (message.type === 'start-failed') {
            kill(live, new SandboxError('START_FAILED', `Pyodide did not start: ${message.message}`));
          } else if (live.pending?.id === message.id) {
            const { status, detail, ms } = message;
            live.pending.finish({ status, detail, ms });
            if (message.recycle) replace(live);
          }
        },
        error(reason) {
          if (live.dead) return;
          if (!live.started) {
            kill(live, new SandboxError('START_FAILED', `the sandbox worker failed while starting: ${reason}`));
            return;
          }
          live.pending?.finish({ status: 'error', detail: `the sandbox worker failed: ${reason}`, ms: 0 });
          replace(live);
        },
      }),
      ready,
      settle(error) {
        if (settled) return;
        settled = true;
        timers.clearTimeout(timer);
        if (error) rejectReady(error);
        else resolveReady();
      },
      started: false,
      pending: undefined,
      dead: false,
    };
    live.worker.post({ type: 'init', indexURL: options.indexURL });
    return live;
  }

  /** Terminates the worker; a start still waiting fails with `error`. */
  function kill(live: Live, error: SandboxError): void {
    live.settle(error);
    if (live.dead) return;
    live.dead = true;
    live.worker.terminate();
  }

  function ensureSpare(): void {
    if (options.spare !== false && !disposed && (!spare || spare.dead)) spare = start();
  }

  /** The spare worker if there is a live one (it may still be loading), else a new worker. */
  function successor(): Live {
    const next = spare && !spare.dead ? spare : start();
    if (next === spare) spare = undefined;
    ensureSpare();
    return next;
  }

  /** Terminates `live`; its successor takes its slot at once (loading in the background). */
  function replace(live: Live): void {
    kill(live, new SandboxError('START_FAILED', 'the sandbox worker was replaced'));
    const slot = slots.find((s) => s.live === live);
    if (slot) slot.live = disposed ? undefined : successor();
  }

  /** An idle slot, or a new one: the pool grows to the number of runs in flight. */
  function acquire(): Slot {
    let slot = slots.find((s) => !s.busy);
    if (!slot) slots.push((slot = { live: undefined, busy: false }));
    slot.busy = true;
    return slot;
  }

  function execute(live: Live, program: string, opts: RunOptions): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      const id = nextId++;
      const t0 = performance.now();
      const { signal } = opts;
      const done = () => {
        timers.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        live.pending = undefined;
      };
      const onAbort = () => {
        done();
        replace(live);
        reject(signal!.reason);
      };
      const timer = timers.setTimeout(() => {
        done();
        replace(live);
        resolve({ status: 'timeout', detail: `timed out after ${opts.timeoutMs} ms`, ms: performance.now() - t0 });
      }, opts.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      live.pending = {
        id,
        finish(result) {
          done();
          if (disposed) reject(new SandboxError('DISPOSED', 'the sandbox was disposed'));
          else resolve(result);
        },
      };
      live.worker.post({ type: 'run', id, program });
    });
  }

  async function run(program: string, opts: RunOptions): Promise<RunResult> {
    if (!(opts.timeoutMs > 0) || !Number.isFinite(opts.timeoutMs)) {
      throw new SandboxError('BAD_OPTIONS', `timeoutMs must be a positive number of milliseconds, not ${opts.timeoutMs}`);
    }
    if (disposed) throw new SandboxError('DISPOSED', 'the sandbox was disposed');
    opts.signal?.throwIfAborted();
    const slot = acquire();
    try {
      if (!slot.live || slot.live.dead) slot.live = spare ? successor() : start();
      const live = slot.live;
      await abortable(live.ready, opts.signal);
      if (disposed) throw new SandboxError('DISPOSED', 'the sandbox was disposed');
      opts.signal?.throwIfAborted();
      return await execute(live, program, opts);
    } finally {
      slot.busy = false;
    }
  }

  const sandbox: BatchSandbox = {
    run,
    runAll: (programs, opts) => runAll(sandbox, programs, opts),
    async dispose() {
      disposed = true;
      if (spare) kill(spare, new SandboxError('DISPOSED', 'the sandbox was disposed'));
      spare = undefined;
      for (const slot of slots) {
        const live = slot.live;
        slot.live = undefined;
        if (!live) continue;
        live.pending?.finish({ status: 'error', detail: '', ms: 0 });
        kill(live, new SandboxError('DISPOSED', 'the sandbox was disposed'));
      }
    },
  };
  return sandbox;
}

/** `promise`, or the signal's reason as soon as it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
