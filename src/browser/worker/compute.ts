/**
 * The kernel backend the engine merges with: WebGPU on onnxruntime's device (gpu-device.ts, the
 * single place it comes from), else WebAssembly SIMD, else the TypeScript reference kernel.
 */
import { createWebGpuBackend, type WgslSources } from '../../core/gpu/merge-webgpu.ts';
import { createCpuBackend } from '../../core/merge/cpu-kernel.ts';
import type { KernelBackend } from '../../core/merge/kernel.ts';
import { createSimdBackend, simdSupported } from '../../core/merge/simd-kernel.ts';
import type { BackendInfo, DeviceLimits } from '../shared/engine-api.ts';

/** What `getDevice` yields: onnxruntime's device, or why there is none. */
export type GpuResult =
  | {
      readonly device: GPUDevice;
      readonly adapter: string;
      readonly software: boolean;
      /** The device's limits, and the adapter's (what onnxruntime could have asked for). */
      readonly limits?: DeviceLimits;
      readonly adapterLimits?: DeviceLimits;
    }
  | { readonly device: null; readonly reason: string };

export interface Compute {
  readonly backend: KernelBackend;
  readonly device: GPUDevice | null;
  readonly info: BackendInfo;
}

export function backendLabel(info: BackendInfo): string {
  return info.kind === 'webgpu' ? `WebGPU (${info.adapter})` : `CPU (${info.kernel})`;
}

/** The backend on the device `getDevice` yields; `onLost` runs when that device is lost. */
export async function createCompute(getDevice: () => Promise<GpuResult>, shaders: WgslSources, onLost: () => void): Promise<Compute> {
  const gpu = await getDevice().catch((e: unknown): GpuResult => ({ device: null, reason: e instanceof Error ? e.message : String(e) }));
  if (gpu.device) {
    const { device } = gpu;
    void device.lost.then(onLost);
    const limits = { ...(gpu.limits ? { limits: gpu.limits } : {}), ...(gpu.adapterLimits ? { adapterLimits: gpu.adapterLimits } : {}) };
    return { backend: createWebGpuBackend(device, shaders), device, info: { kind: 'webgpu', adapter: gpu.adapter, software: gpu.software, ...limits } };
  }
  const simd = simdSupported();
  return {
    backend: simd ? await createSimdBackend() : createCpuBackend(),
    device: null,
    info: { kind: 'cpu', kernel: simd ? 'WebAssembly SIMD' : 'TypeScript', reason: gpu.reason },
  };
}
