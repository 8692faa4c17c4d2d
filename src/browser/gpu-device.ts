/**
 * The one place the GPU worker's GPUDevice comes from.
 *
 * Today: the best adapter's device, with its largest buffer limits (a default device allows
 * 128 MiB bindings; SwiftShader offers 1 GiB, real GPUs more).
 *
 * For evaluation (later): onnxruntime-web 1.30 ignores a device set from outside, so this becomes
 * "create a first ort session, then `await ort.env.webgpu.device`", and the merge kernels run on
 * that device: merged weights then reach the session's GPU-bound inputs without leaving the GPU.
 */
import type { GpuResult } from './engine.ts';

/** Software rasterisers: the studio still uses them (they run the same shaders), but says so. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|microsoft basic/i;

export function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.description, info.vendor, info.architecture, info.device].filter((p) => p);
  return parts.length > 0 ? [...new Set(parts)].join(', ') : 'unknown adapter';
}

export async function getDevice(): Promise<GpuResult> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { device: null, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { device: null, reason: 'WebGPU found no adapter' };
  const { limits } = adapter;
  const device = await adapter.requestDevice({
    label: 'rvs-studio',
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    },
  });
  const adapterName = describeAdapter(adapter.info);
  return { device, adapter: adapterName, software: adapter.info.isFallbackAdapter || SOFTWARE_ADAPTER.test(adapterName) };
}
