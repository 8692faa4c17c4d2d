/** Page side: starts the GPU worker and returns its engine; `restart` replaces the worker (after a lost device). */
import type { StudioEngine } from '../shared/engine-api.ts';
import { connectEngine, ENGINE_METHODS } from '../shared/wire.ts';

export interface GpuWorker {
  /** Calls go to the current worker. */
  readonly engine: StudioEngine;
  /** Terminates the worker and starts a new one (with nothing loaded; call when no job runs). */
  restart(): void;
}

/** `onError`: the worker failed to load or crashed (its calls would stay pending). */
export function startGpuWorker(onError: (detail: string) => void): GpuWorker {
  let worker: Worker;
  let current: StudioEngine;
  const start = () => {
    worker = new Worker(new URL('../worker/gpu-worker.ts', import.meta.url), { type: 'module', name: 'rvs-gpu' });
    worker.addEventListener('error', (event) => onError(event.message || 'it could not be loaded'));
    current = connectEngine(worker);
  };
  start();
  const engine = Object.fromEntries(
    ENGINE_METHODS.map((m) => [m, (...args: unknown[]) => (current[m] as (...a: unknown[]) => unknown)(...args)]),
  ) as unknown as StudioEngine;
  return {
    engine,
    restart() {
      worker.terminate();
      start();
    },
  };
}
