/**
 * A sandbox that runs untrusted Python programs (model-written HumanEval completions) one at a
 * time per worker, with a time limit, and says whether each ran to the end.
 */

/**
 * - `passed`: the program ran to its end (for HumanEval: every assertion of `check` held);
 * - `failed`: it raised (any BaseException, SyntaxError and SystemExit included);
 * - `timeout`: it ran past the time limit and its worker was terminated;
 * - `error`: the interpreter itself died under it (e.g. `os._exit`, a wasm stack overflow).
 * Only `passed` counts as a pass.
 */
export type RunStatus = 'passed' | 'failed' | 'timeout' | 'error';

export interface RunResult {
  readonly status: RunStatus;
  /**
   * `failed`: the exception's last traceback line (cut at 500 characters), then the program line
   * that raised it, e.g. `AssertionError (line 12: assert candidate(3) == 9)`;
   * `timeout` / `error`: what happened; `passed`: empty.
   */
  readonly detail: string;
  /** Milliseconds the program ran (for `timeout`: until the worker was terminated). */
  readonly ms: number;
}

export interface RunOptions {
  /** Wall-clock limit for this program, in milliseconds (> 0). */
  readonly timeoutMs: number;
  /** Aborting terminates the program's worker and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface CodeSandbox {
  run(program: string, opts: RunOptions): Promise<RunResult>;
  /** Terminates every worker; runs in flight reject with SandboxError DISPOSED. */
  dispose(): Promise<void>;
}

export interface RunAllOptions {
  readonly timeoutMs: number;
  /** Programs run at once (one worker each); default 1. */
  readonly concurrency?: number;
  /** Called as each program finishes, in completion order. */
  readonly onResult?: (index: number, result: RunResult) => void;
  readonly signal?: AbortSignal;
}

/** A CodeSandbox that also runs batches. */
export interface BatchSandbox extends CodeSandbox {
  /** Results in program order. */
  runAll(programs: readonly string[], opts: RunAllOptions): Promise<RunResult[]>;
}

// ---- the message protocol between a host and one sandbox worker --------------------------------

export type HostMessage =
  /** First message: load Pyodide from `indexURL` (a folder path in Node, a URL in browsers). */
  | { readonly type: 'init'; readonly indexURL: string }
  | { readonly type: 'run'; readonly id: number; readonly program: string };

export type WorkerMessage =
  | { readonly type: 'ready'; readonly loadMs: number }
  | { readonly type: 'start-failed'; readonly message: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly status: RunStatus;
      readonly detail: string;
      readonly ms: number;
      /**
       * The program changed something the worker cannot put back (files, a dead interpreter,
       * a large heap): the host replaces the worker before the next program.
       */
      readonly recycle: boolean;
    };
