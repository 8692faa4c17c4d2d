/** Kernel backend selection for Node: `cpu`, `webgpu` (Dawn), or `auto`. */
import { createWebGpuBackend } from '../core/gpu/merge-webgpu.ts';
import { createCpuBackend } from '../core/merge/cpu-kernel.ts';
import type { KernelBackend } from '../core/merge/kernel.ts';
import { loadShaders, openNodeGpu } from './webgpu.ts';

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

export class BackendError extends Error {
  override readonly name = 'BackendError';
  readonly code = 'NO_ADAPTER';
}

/** Software rasterisers: slower than the CPU twin, so `auto` passes them over. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|microsoft basic/i;

export interface SelectedBackend {
  readonly backend: KernelBackend;
  readonly description: string;
}

export async function selectBackend(choice: BackendChoice): Promise<SelectedBackend> {
  if (choice === 'cpu') return { backend: createCpuBackend(), description: 'cpu' };
  const gpu = await openNodeGpu({ allowSoftware: choice === 'webgpu' });
  if (gpu && (choice === 'webgpu' || !SOFTWARE_ADAPTER.test(gpu.adapterName))) {
    const backend = createWebGpuBackend(gpu.device, await loadShaders());
    return {
      backend: {
        ...backend,
        name: backend.name,
        maxChunkElements: backend.maxChunkElements,
        run: (task, inputs) => backend.run(task, inputs),
        async dispose() {
          await backend.dispose();
          gpu.device.destroy();
        },
      },
      description: `webgpu (${gpu.adapterName})`,
    };
  }
  gpu?.device.destroy();
  if (choice === 'webgpu') throw new BackendError('no WebGPU adapter found (use --backend cpu)');
  return { backend: createCpuBackend(), description: 'cpu' };
}
