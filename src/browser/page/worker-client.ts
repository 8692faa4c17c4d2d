/** Page side: starts the GPU worker and returns its engine. */
import type { StudioEngine } from '../shared/engine-api.ts';
import { connectEngine } from '../shared/wire.ts';

export function startGpuWorker(): { engine: StudioEngine; worker: Worker } {
  const worker = new Worker(new URL('../worker/gpu-worker.ts', import.meta.url), { type: 'module', name: 'rvs-gpu' });
  return { engine: connectEngine(worker), worker };
}
