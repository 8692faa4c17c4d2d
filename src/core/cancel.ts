/**
 * Cancellation, spelled one way across the core: an error whose `code` is `CANCELLED`. Modules
 * with their own error class use that code in it (`MergeError`, `EvalError`, `ModelRunError`,
 * `GpuKernelError`); code with no other failure to report throws `CancelledError`. Callers test
 * the shape with `isCancelled`, which also holds after an error has crossed a worker boundary
 * (name and code are kept, the class is not).
 */
export const CANCELLED = 'CANCELLED';

export class CancelledError extends Error {
  override readonly name: string = 'CancelledError';
  readonly code = CANCELLED;
}

export function isCancelled(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === CANCELLED;
}

/** Throws `CancelledError(message)` when the signal has been aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined, message = 'cancelled'): void {
  if (signal?.aborted) throw new CancelledError(message);
}
