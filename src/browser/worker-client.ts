/** Page side: starts the GPU worker and returns its engine. */
import type { StudioEngine } from './engine.ts';
import { connectEngine } from './wire.ts';

export function startGpuWorker(): { engine: StudioEngine; worker: Worker } {
  const worker = new Worker(new URL('./gpu-worker.ts', import.meta.url), { type: 'module', name: 'rvs-gpu' });
  return { engine: connectEngine(worker), worker };
}
