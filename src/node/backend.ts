/** Kernel backend selection for Node: `cpu`, `webgpu` (Dawn), or `auto`. */
import { createWebGpuBackend } from '../core/gpu/merge-webgpu.ts';
import { createCpuBackend } from '../core/merge/cpu-kernel.ts';
import type { KernelBackend } from '../core/merge/kernel.ts';
import { createSimdBackend, simdSupported } from '../core/merge/simd-kernel.ts';
import { loadShaders, openNodeGpu, probeGpuQuietly } from './webgpu.ts';

/** `cpu` is the WebAssembly SIMD kernel; `cpu-ts` the TypeScript twin it is tested against. */
export type BackendChoice = 'auto' | 'webgpu' | 'cpu' | 'cpu-ts';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'cpu', 'cpu-ts'];

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

/** The fastest CPU kernel this engine runs. */
export async function cpuBackend(): Promise<SelectedBackend> {
  if (simdSupported()) return { backend: await createSimdBackend(), description: 'cpu (wasm simd)' };
  return { backend: createCpuBackend(), description: 'cpu (typescript)' };
}

export interface SelectOptions {
  /** What Dawn printed while `auto` probed for a GPU (shown by the CLI with --debug). */
  readonly onNoise?: (text: string) => void;
}

/**
 * `auto` probes quietly in a child process (webgpu.ts) and opens Dawn here only when that found a
 * hardware adapter; so on a machine without a GPU nothing of Dawn runs in this process, and
 * nothing of it reaches stderr. `webgpu` opens Dawn directly (SwiftShader when there is no GPU).
 */
export async function selectBackend(choice: BackendChoice, options: SelectOptions = {}): Promise<SelectedBackend> {
  if (choice === 'cpu-ts') return { backend: createCpuBackend(), description: 'cpu (typescript)' };
  if (choice === 'cpu') return cpuBackend();
  if (choice === 'auto') {
    const probed = await probeGpuQuietly(options);
    if (probed === null || probed.fallback || SOFTWARE_ADAPTER.test(probed.name)) return cpuBackend();
  }
  const gpu = await openNodeGpu({ allowSoftware: choice === 'webgpu' });
  if (gpu && (choice === 'webgpu' || !SOFTWARE_ADAPTER.test(gpu.adapterName))) {
    const backend = createWebGpuBackend(gpu.device, await loadShaders());
    return {
      backend: {
        ...backend,
        name: backend.name,
        maxChunkElements: backend.maxChunkElements,
        run: (task, inputs, output) => backend.run(task, inputs, output),
        ...(backend.allocateArea ? { allocateArea: () => backend.allocateArea!() } : {}),
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
  return cpuBackend();
}
