/**
 * The host side of the sandbox: every program runs in a fresh interpreter, in a worker of its own
 * (a Node child process, a browser Worker), which is terminated after that one program — a used
 * interpreter is never reset or reused, so nothing a program does can reach the next one's verdict.
 *
 *   first need: snapshot maker ─► memory snapshot of a locked-down interpreter (once, seconds)
 *
 *   run(program) ─► take a warm interpreter (booted from the snapshot, ~0.3 s) ─► refill the warm set
 *                   ─► post {run, nonce} ─► result (nonce checked) | time limit | death | abort
 *                   ─► terminate it, whatever happened
 *
 * `warm` interpreters are kept booted ahead of demand, so the next program's interpreter loads
 * while the current program runs; they are let go after `idleMs` without runs.
 */
import { SandboxError } from './errors.ts';
import { runAll } from './run-all.ts';
import type { BatchSandbox, HostMessage, RunOptions, RunResult, WorkerMessage } from './types.ts';

/** One worker, as the platform spawns it (Node child process, browser Worker). */
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
  /** Longest wait for the snapshot, or for an interpreter to boot from it; default 120 s. */
  readonly startTimeoutMs?: number;
  /** Interpreters kept booted ahead of demand; default 2. */
  readonly warm?: number;
  /** Per-interpreter wasm memory limit; default 512 MiB. */
  readonly memoryLimitBytes?: number;
  /** Warm interpreters are terminated after this long without a run; default 30 s. */
  readonly idleMs?: number;
}

export const DEFAULT_MEMORY_LIMIT_BYTES = 512 * 2 ** 20;

/** Timers and randomness exist in every platform core runs on; platform.d.ts does not declare them. */
const platform = globalThis as unknown as {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  crypto: { getRandomValues(bytes: Uint8Array): Uint8Array };
};

function later(callback: () => void, ms: number): unknown {
  return platform.setTimeout(callback, ms);
}

function nonce(): string {
  const bytes = platform.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A worker with one message handler at a time; `kill` is idempotent. */
interface Process {
  readonly worker: SandboxWorker;
  handler: WorkerEvents;
  dead: boolean;
}

/** A booting or booted interpreter; terminated after its one program. */
interface Interpreter {
  /** Settles when it is ready to run, or has failed to boot. */
  readonly ready: Promise<Process>;
  kill(): void;
}

export function createWorkerSandbox(spawn: SpawnWorker, options: WorkerSandboxOptions): BatchSandbox {
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const warm = options.warm ?? 2;
  const idleMs = options.idleMs ?? 30_000;
  const memoryLimitBytes = options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
  if (!Number.isInteger(warm) || warm < 0) throw new SandboxError('BAD_OPTIONS', `warm must be a non-negative integer, not ${warm}`);
  if (!(memoryLimitBytes >= 64 * 2 ** 20)) throw new SandboxError('BAD_OPTIONS', `memoryLimitBytes must be at least 64 MiB, not ${memoryLimitBytes}`);
  const config = { indexURL: options.indexURL, memoryLimitBytes };
  const live = new Set<Process>();
  const pool: Interpreter[] = [];
  let snapshot: Promise<Uint8Array> | undefined;
  let disposed = false;
  let running = 0;
  let idleTimer: unknown;

  const cancelled = () => new SandboxError('CANCELLED', 'cancelled');
  const disposedError = () => new SandboxError('DISPOSED', 'the sandbox was disposed');

  function open(): Process {
    const proc: Process = {
      worker: undefined as unknown as SandboxWorker,
      handler: { message() {}, error() {} } as WorkerEvents,
      dead: false,
    };
    (proc as { worker: SandboxWorker }).worker = spawn({
      message: (m) => void (proc.dead || proc.handler.message(m)),
      error: (reason) => void (proc.dead || proc.handler.error(reason)),
    });
    live.add(proc);
    return proc;
  }

  const ignore: WorkerEvents = { message() {}, error() {} };

  /** Terminates the worker; whoever waited on it hears `error` (once). */
  function close(proc: Process): void {
    if (proc.dead) return;
    proc.dead = true;
    live.delete(proc);
    proc.worker.terminate();
    const waiting = proc.handler;
    proc.handler = ignore;
    waiting.error('the worker was terminated');
  }

  /** Posts `message` and waits for the answer `accept` picks, within startTimeoutMs. */
  function boot<T>(proc: Process, message: HostMessage, accept: (m: WorkerMessage) => T | undefined, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (error: SandboxError) => {
        platform.clearTimeout(timer);
        proc.handler = ignore;
        close(proc);
        reject(error);
      };
      const timer = later(() => fail(new SandboxError('START_TIMEOUT', `${what} did not load within ${startTimeoutMs} ms`)), startTimeoutMs);
      proc.handler = {
        message(m) {
          if (m.type === 'start-failed') return fail(new SandboxError('START_FAILED', `${what} did not start: ${m.message}`));
          const value = accept(m);
          if (value === undefined) return;
          platform.clearTimeout(timer);
          proc.handler = ignore;
          resolve(value);
        },
        error: (reason) => fail(new SandboxError('START_FAILED', `${what} failed while starting: ${reason}`)),
      };
      proc.worker.post(message);
    });
  }

  /** The locked-down interpreter's memory snapshot, made once by a worker that runs no program. */
  function getSnapshot(): Promise<Uint8Array> {
    snapshot ??= (async () => {
      const maker = open();
      try {
        return await boot(maker, { type: 'snapshot', ...config }, (m) => (m.type === 'snapshot' ? m.bytes : undefined), 'the sandbox snapshot');
      } finally {
        close(maker);
      }
    })();
    return snapshot;
  }

  function start(): Interpreter {
    let proc: Process | undefined;
    const state = { dead: false };
    const ready = (async () => {
      const bytes = await getSnapshot().catch((e: unknown) => {
        throw disposed ? disposedError() : e;
      });
      if (state.dead || disposed) throw disposedError();
      proc = open();
      try {
        await boot(proc, { type: 'init', snapshot: bytes, ...config }, (m) => (m.type === 'ready' ? true : undefined), 'a Python interpreter');
      } catch (e) {
        throw disposed ? disposedError() : e;
      }
      if (state.dead) close(proc);
      return proc;
    })();
    const interpreter: Interpreter = {
      ready,
      kill() {
        state.dead = true;
        if (proc) close(proc);
      },
    };
    ready.catch(() => {
      // observed by run(); a warm interpreter that failed is dropped from the pool
      const at = pool.indexOf(interpreter);
      if (at >= 0) pool.splice(at, 1);
    });
    return interpreter;
  }

  function refill(): void {
    while (!disposed && pool.length < warm) pool.push(start());
  }

  /** A warm interpreter (it may still be booting), the pool refilled behind it. */
  function take(): Interpreter {
    platform.clearTimeout(idleTimer);
    const interpreter = pool.shift() ?? start();
    refill();
    return interpreter;
  }

  function idle(): void {
    platform.clearTimeout(idleTimer);
    idleTimer = later(() => {
      if (running > 0) return;
      for (const interpreter of pool.splice(0)) interpreter.kill();
    }, idleMs);
    (idleTimer as { unref?: () => void }).unref?.(); // Node: an idle pool keeps no process alive
  }

  function execute(proc: Process, program: string, opts: RunOptions): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      const expected = nonce();
      const t0 = performance.now();
      const { signal } = opts;
      const finish = (outcome: () => void) => {
        platform.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        proc.handler = ignore;
        close(proc);
        if (disposed) reject(disposedError());
        else outcome();
      };
      const onAbort = () => finish(() => reject(cancelled()));
      const timer = later(() => {
        finish(() => resolve({ status: 'timeout', detail: `timed out after ${opts.timeoutMs} ms`, ms: performance.now() - t0 }));
      }, opts.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      proc.handler = {
        message(m) {
          if (m.type !== 'result') return;
          if (m.nonce !== expected) {
            finish(() => resolve({ status: 'error', detail: 'the interpreter answered without the run\'s nonce', ms: performance.now() - t0 }));
            return;
          }
          const { status, detail, ms } = m;
          finish(() => resolve({ status, detail, ms }));
        },
        error(reason) {
          finish(() => resolve({ status: 'error', detail: `the interpreter died: ${reason}`, ms: performance.now() - t0 }));
        },
      };
      proc.worker.post({ type: 'run', nonce: expected, program });
    });
  }

  async function run(program: string, opts: RunOptions): Promise<RunResult> {
    if (!(opts.timeoutMs > 0) || !Number.isFinite(opts.timeoutMs)) {
      throw new SandboxError('BAD_OPTIONS', `timeoutMs must be a positive number of milliseconds, not ${opts.timeoutMs}`);
    }
    if (disposed) throw disposedError();
    if (opts.signal?.aborted) throw cancelled();
    running++;
    const interpreter = take();
    try {
      const proc = await abortable(interpreter.ready, opts.signal, cancelled);
      if (disposed) throw disposedError();
      return await execute(proc, program, opts);
    } finally {
      interpreter.kill();
      running--;
      if (running === 0 && !disposed) idle();
    }
  }

  const sandbox: BatchSandbox = {
    run,
    runAll: (programs, opts) => runAll(sandbox, programs, opts),
    async dispose() {
      disposed = true;
      platform.clearTimeout(idleTimer);
      for (const interpreter of pool.splice(0)) interpreter.kill();
      for (const proc of [...live]) close(proc);
    },
  };
  return sandbox;
}

/** `promise`, or `reason()` as soon as the signal aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, reason: () => Error): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
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
