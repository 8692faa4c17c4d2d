/** Runs a batch of programs on any CodeSandbox, `concurrency` at a time, results in program order. */
import { SandboxError } from './errors.ts';
import type { CodeSandbox, RunAllOptions, RunResult } from './types.ts';

export async function runAll(sandbox: CodeSandbox, programs: readonly string[], opts: RunAllOptions): Promise<RunResult[]> {
  const concurrency = opts.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new SandboxError('BAD_OPTIONS', `concurrency must be a positive integer, not ${concurrency}`);
  }
  const cancelled = () => new SandboxError('CANCELLED', 'cancelled');
  if (opts.signal?.aborted) throw cancelled();
  // One failure (an abort, a sandbox that cannot start) stops the other lanes and their programs.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const results = new Array<RunResult>(programs.length);
  let next = 0;
  const lane = async () => {
    while (next < programs.length) {
      if (signal.aborted) throw opts.signal?.aborted ? cancelled() : signal.reason;
      const index = next++;
      const result = await sandbox.run(programs[index]!, { timeoutMs: opts.timeoutMs, signal });
      results[index] = result;
      opts.onResult?.(index, result);
    }
  };
  const lanes = Array.from({ length: Math.min(concurrency, programs.length) }, () =>
    lane().catch((e: unknown) => {
      if (!stop.signal.aborted) stop.abort(e);
      throw e;
    }),
  );
  const settled = await Promise.allSettled(lanes);
  if (opts.signal?.aborted) throw cancelled();
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return results;
}
