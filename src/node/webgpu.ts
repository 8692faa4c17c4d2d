/**
 * WebGPU in Node through Dawn (the `webgpu` package), and the WGSL sources from shaders/.
 *
 * Lifetime: Dawn processes events (mapAsync, popErrorScope, onSubmittedWorkDone…) through the
 * instance that `create()` returns. If that instance is garbage-collected while its device is in
 * use, pending promises never settle and Node, its event loop empty, exits mid-await. So each device
 * keeps its instance alive (a WeakMap keyed by the device), and nothing else holds either: once the
 * caller destroys the device (`device.destroy()`) and drops it, the process exits normally.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';

/** Debian's chromium ships SwiftShader's Vulkan ICD: a CPU implementation, used on GPU-less machines. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface NodeGpu {
  device: GPUDevice;
  adapterName: string;
}

export interface OpenNodeGpuOptions {
  /**
   * Fall back to SwiftShader when no hardware adapter is found (default true). When
   * VK_ICD_FILENAMES is already set it is left alone and decides.
   */
  allowSoftware?: boolean;
}

/** Opens the best adapter's device with its largest buffer limits; null when there is no adapter. */
export async function openNodeGpu(options: OpenNodeGpuOptions = {}): Promise<NodeGpu | null> {
  const allowSoftware = options.allowSoftware ?? true;
  installGlobals();
  let instance = create([]);
  let adapter = await instance.requestAdapter({ powerPreference: 'high-performance' });
  // The Vulkan loader reads VK_ICD_FILENAMES when an instance is created, so a hardware adapter
  // is tried first and SwiftShader only when there is none (setting it first would hide the GPU).
  if (!adapter && allowSoftware && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    instance = create([]);
    adapter = await instance.requestAdapter({ powerPreference: 'high-performance' });
  }
  if (!adapter || (!allowSoftware && adapter.info.isFallbackAdapter)) return null;

  const { limits } = adapter;
  const device = await adapter.requestDevice({
    label: 'rvs',
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    },
    // Optional, for kernel timings (bench/kernel.ts).
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
  });
  instances.set(device, instance);
  return { device, adapterName: adapterName(adapter.info) };
}

/** What a quiet probe found: the best adapter, or null. */
export interface ProbedAdapter {
  readonly name: string;
  readonly fallback: boolean;
}

/**
 * Whether this machine may have a hardware GPU: on Linux, a GPU shows as a device node (DRM render
 * nodes, NVIDIA's, WSL's /dev/dxg); elsewhere it cannot be told this way, so yes.
 */
export function mayHaveGpu(): boolean {
  if (process.platform !== 'linux') return true;
  const dev = (() => {
    try {
      return readdirSync('/dev');
    } catch {
      return null;
    }
  })();
  if (dev === null) return true;
  if (dev.some((n) => /^nvidia\d+$/.test(n) || n === 'dxg' || n === 'kfd')) return true;
  try {
    return readdirSync('/dev/dri').some((n) => n.startsWith('renderD'));
  } catch {
    return false;
  }
}

const PROBE = `
const { create } = await import(process.argv[1]);
const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const i = adapter?.info;
process.stdout.write(JSON.stringify(i ? { vendor: i.vendor, architecture: i.architecture, description: i.description, device: i.device, fallback: i.isFallbackAdapter } : null));
process.exit(0);
`;

/**
 * Looks for a hardware adapter without a sound: Dawn and the Vulkan loader write their findings
 * ("Couldn't load Vulkan", "XDG_RUNTIME_DIR is invalid", feature warnings) straight to the
 * process's stderr, so the probe runs in a child process whose stderr is kept, and shown only
 * through `onNoise` (the CLI's --debug). Software adapters (SwiftShader) are never considered:
 * VK_ICD_FILENAMES is not set for the child. Null when there is none, or the probe fails.
 */
export async function probeGpuQuietly(options: { readonly onNoise?: (text: string) => void } = {}): Promise<ProbedAdapter | null> {
  if (!mayHaveGpu()) return null;
  const url = import.meta.resolve('webgpu');
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', PROBE, url], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (stderr) options.onNoise?.(stderr);
      if (error) return resolve(null);
      try {
        const info = JSON.parse(stdout) as (Partial<GPUAdapterInfo> & { fallback?: boolean }) | null;
        resolve(info ? { name: adapterName(info as GPUAdapterInfo), fallback: info.fallback === true } : null);
      } catch {
        resolve(null);
      }
    });
  });
}

/** Each device's Dawn instance, alive as long as the device object is (see the top of this file). */
const instances = new WeakMap<GPUDevice, GPU>();

/** e.g. "nvidia ampere (NVIDIA GeForce RTX 3090)" or "google swiftshader (SwiftShader driver 5.0.0)". */
function adapterName(info: GPUAdapterInfo): string {
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const detail = info.description || info.device;
  return detail ? `${name} (${detail})` : name;
}

/** GPUBufferUsage, GPUMapMode, … as in browsers, for code that uses them; existing ones are kept. */
function installGlobals(): void {
  const target = globalThis as Record<string, unknown>;
  for (const [key, value] of Object.entries(globals)) if (!(key in target)) target[key] = value;
}

const SHADERS_DIR = fileURLToPath(new URL('../../shaders/', import.meta.url));

/** The merge kernel and its codecs, from the repository's shaders/ folder. */
export async function loadShaders(): Promise<{ merge: string; dtype?: string }> {
  const [merge, dtype] = await Promise.all([
    readFile(`${SHADERS_DIR}merge.wgsl`, 'utf8'),
    readFile(`${SHADERS_DIR}dtype.wgsl`, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    }),
  ]);
  return dtype === undefined ? { merge } : { merge, dtype };
}
