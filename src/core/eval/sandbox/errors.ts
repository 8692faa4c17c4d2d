/** Failures of the code sandbox itself (a program's own failure is a result, never an error). */
export type SandboxErrorCode =
  | 'BAD_OPTIONS' // timeoutMs / concurrency / memory limit out of range
  | 'START_FAILED' // a worker or Pyodide did not start, or the snapshot could not be made
  | 'START_TIMEOUT' // Pyodide took longer than startTimeoutMs to load
  | 'CANCELLED' // the caller's signal aborted the run
  | 'DISPOSED'; // run() after dispose(), or a run cut short by dispose()

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
  ) {
    super(message);
  }
}
