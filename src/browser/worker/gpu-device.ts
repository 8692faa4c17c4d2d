/**
 * The one place the GPU worker's GPUDevice comes from: onnxruntime-web's own device.
 *
 * onnxruntime-web 1.30 ignores a device set from outside and creates its own when its first WebGPU
 * session is made; buffers of another device fail validation in its sessions. So a tiny probe
 * session (y = x + x) is created first, and the merge kernels run on `await ort.env.webgpu.device`:
 * merged weights then reach the evaluation session's GPU-bound inputs without leaving the GPU.
 *
 * onnxruntime asks for the adapter's limits when it creates the device; the ones the merge needs
 * are checked and reported (the studio still works with smaller ones, in more chunks).
 */
import { encodeModel, GraphBuilder, add, type Value } from '../../core/model/onnx-ops.ts';
import type { DeviceLimits } from '../shared/engine-api.ts';
import type { GpuResult } from './compute.ts';
import { loadOrt } from './ort.ts';

/** Software rasterisers: the studio still uses them (they run the same shaders), but says so. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|microsoft basic/i;

export function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.description, info.vendor, info.architecture, info.device].filter((p) => p);
  return parts.length > 0 ? [...new Set(parts)].join(', ') : 'unknown adapter';
}

/** y = x + x on a float32 vector: the smallest session that makes onnxruntime create its device. */
function probeModel(): Uint8Array {
  const g = new GraphBuilder();
  const x: Value = { name: 'x', dtype: 'float32', shape: ['n'] };
  const y = add(g, 'y', x, x);
  return encodeModel(g, 'rvs-probe', [x], [y]);
}

function limitsOf(limits: GPUSupportedLimits): DeviceLimits {
  return {
    maxBufferSize: limits.maxBufferSize,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
  };
}

let keepAlive: unknown = null;

export async function getDevice(): Promise<GpuResult> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { device: null, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { device: null, reason: 'WebGPU found no adapter' };
  const ort = await loadOrt();
  ort.env.webgpu.powerPreference = 'high-performance';
  let probe;
  try {
    probe = await ort.InferenceSession.create(probeModel(), { executionProviders: ['webgpu'], logSeverityLevel: 3 });
  } catch (e) {
    return { device: null, reason: `onnxruntime-web could not start on WebGPU (${e instanceof Error ? e.message : String(e)})` };
  }
  const device = (await ort.env.webgpu.device) as unknown as GPUDevice;
  // Kept for the worker's life: releasing onnxruntime's last session destroys its device.
  keepAlive = probe;
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo ?? adapter.info;
  const adapterName = describeAdapter(info);
  return {
    device,
    adapter: adapterName,
    software: info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(adapterName),
    limits: limitsOf(device.limits),
    adapterLimits: limitsOf(adapter.limits),
  };
}
