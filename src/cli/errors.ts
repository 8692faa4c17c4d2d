/**
 * How the CLI reads a failure, by its shape rather than its class (errors cross module and worker
 * boundaries, and every module has its own class):
 *   - `code` `CANCELLED` (core's one cancellation code): exit 130, with the command's own message
 *     when it threw a `CommandCancelled`;
 *   - any other Error with a string `code` in UPPER_SNAKE_CASE is one of ours, written for users:
 *     exit 2 (bad usage or bad input), except the codes in `NOT_THE_INPUT` (the machine or the
 *     tool failed: exit 1);
 *   - anything else (Node's system errors, bugs): exit 1, the message as it is.
 * Every message is untrusted text (it may quote tensor names and paths from files): main prints
 * it through `printable` (text.ts).
 */
import { CancelledError, isCancelled } from '../core/cancel.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

/** A command's own account of a cancellation: what it kept, and how to go on. */
export class CommandCancelled extends CancelledError {
  override readonly name = 'CommandCancelled';
}

/** What main prints when a command was cancelled without saying more. */
export const DEFAULT_CANCEL_MESSAGE = 'cancelled; nothing was written';

/** Codes of our errors that are not the input's fault. */
const NOT_THE_INPUT = new Set([
  'READ_FAILED', // safetensors: the file could not be read
  'WRITE_FAILED', // an output file could not be written (disk full, …)
  'SHADER_COMPILATION',
  'PIPELINE_CREATION',
  'OUT_OF_MEMORY',
  'VALIDATION',
  'MAP_FAILED',
  'DEVICE_LOST',
  'DISPOSED',
  'START_FAILED', // the sandbox did not start
  'START_TIMEOUT',
]);

function codeOf(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  // Node's system errors (ENOSPC, …) carry an errno; its internal ones are ERR_*.
  if (typeof code !== 'string' || 'errno' in e || code.startsWith('ERR_') || !/^[A-Z][A-Z0-9_]*$/.test(code)) return undefined;
  return code;
}

export type Outcome = { readonly exit: 0 | 1 | 2 | 130; readonly message: string };

/** The exit code and the one line to print for a failure. `interrupted`: a signal arrived. */
export function outcomeOf(e: unknown, interrupted: boolean): Outcome {
  if (interrupted || isCancelled(e)) {
    return { exit: 130, message: e instanceof CommandCancelled ? e.message : DEFAULT_CANCEL_MESSAGE };
  }
  const code = codeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  if (code === undefined) return { exit: 1, message };
  return { exit: NOT_THE_INPUT.has(code) ? 1 : 2, message };
}
