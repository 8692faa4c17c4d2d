/** Long jobs in the store: state, one-line errors, and the runner every slice uses. */
import type { MergeProgress } from '../../core/merge/execute.ts';
import type { JobOptions } from '../../browser/shared/engine-api.ts';
import { throttleProgress } from '../../browser/shared/progress.ts';
import { printable } from '../../core/text/printable.ts';

export type JobStatus = 'idle' | 'running' | 'done' | 'cancelled' | 'error';

export interface JobState<R, P = MergeProgress> {
  readonly status: JobStatus;
  readonly progress: P | null;
  /** ms (performance.now()) when it started, for elapsed time and ETA. */
  readonly startedAt: number | null;
  readonly result: R | null;
  readonly error: string | null;
}

export const idleJob = <R, P = MergeProgress>(): JobState<R, P> => ({ status: 'idle', progress: null, startedAt: null, result: null, error: null });

/**
 * An error as one readable line (at most ~240 characters). Messages quote names from files (tensor
 * names, file names): their control characters are shown escaped (core's `printable`), so that a
 * carriage return in a tensor name neither splits nor cuts the message.
 */
export function errorLine(e: unknown): string {
  const text = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e) ?? String(e);
  const first = printable(text.trim()) || (e instanceof Error ? e.name : 'error');
  return first.length > 240 ? `${first.slice(0, 239)}…` : first;
}

/**
 * A failure that is a cancellation: core's `CANCELLED` (merge, export, evaluation, the Hub, the
 * code sandbox), or the platform's `AbortError` (e.g. a bare `signal.throwIfAborted()`; its name
 * survives the worker boundary).
 */
export function isCancelled(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, name } = e as { code?: unknown; name?: unknown };
  return code === 'CANCELLED' || name === 'AbortError';
}

/**
 * Jobs the store can run, one at a time: the engine's (they share the GPU) and the page's Hub
 * downloads (their checkpoints open into slots the engine's jobs read). `isBusy` knows them all.
 */
export const JOB_KEYS = ['analysis', 'vectorSave', 'mergeSave', 'onnxExport', 'sweep', 'tryIt', 'hubModels', 'hubData'] as const;
export type JobKey = (typeof JOB_KEYS)[number];

/** The part of the store a job runner needs. */
export interface JobHost<S> {
  get(): S;
  set(partial: Partial<S>): void;
}

/**
 * Runs `work` as job `key`: refuses while any job runs, tracks progress (throttled, progress.ts: at
 * most every `progressIntervalMs`, the latest always shown), maps a cancellation to
 * `cancelled` and any other failure to a one-line `error`. The AbortController lives outside the
 * (serialisable) state.
 */
export function createJobRunner<S extends Record<JobKey, JobState<unknown, unknown>>>(host: JobHost<S>, now: () => number, progressIntervalMs = 50) {
  const controllers = new Map<JobKey, AbortController>();
  const running = () => controllers.size > 0;

  /** Runs the job; false when another job was running (nothing was started). */
  async function run<K extends JobKey>(key: K, work: (job: JobOptions<NonNullable<S[K]['progress']>>) => Promise<NonNullable<S[K]['result']>>): Promise<boolean> {
    if (running()) return false;
    const controller = new AbortController();
    controllers.set(key, controller);
    const update = (job: Partial<JobState<unknown, unknown>>) => host.set({ [key]: { ...host.get()[key], ...job } } as unknown as Partial<S>);
    update({ status: 'running', progress: null, startedAt: now(), result: null, error: null });
    const progress = throttleProgress((p: unknown) => {
      if (controllers.get(key) === controller) update({ progress: p });
    }, progressIntervalMs);
    try {
      const result = await work({ signal: controller.signal, onProgress: (p) => progress.push(p) });
      progress.flush();
      update({ status: 'done', result });
    } catch (e) {
      progress.flush();
      update(isCancelled(e) ? { status: 'cancelled' } : { status: 'error', error: errorLine(e) });
    } finally {
      controllers.delete(key);
    }
    return true;
  }

  return {
    run,
    running,
    cancel(key: JobKey) {
      controllers.get(key)?.abort();
    },
  };
}
