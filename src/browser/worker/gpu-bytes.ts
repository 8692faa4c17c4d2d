/**
 * Bytes held on the GPU device, as the worker knows them: every buffer created on the device
 * (the merge kernels', the model's weights, and onnxruntime's own — it allocates on the same
 * GPUDevice object) is counted when created and uncounted when destroyed. `createBuffer` of the
 * device instance is wrapped once; buffers garbage-collected without `destroy()` stay counted (the
 * studio destroys what it creates; onnxruntime keeps a buffer cache, which is held memory too).
 */
const tracked = new WeakMap<GPUDevice, GpuBytes>();

export interface GpuBytes {
  /** Bytes of the live buffers created since tracking began. */
  held(): number;
  /** The most held at once. */
  peak(): number;
}

export function trackGpuBytes(device: GPUDevice): GpuBytes {
  const existing = tracked.get(device);
  if (existing) return existing;
  let held = 0;
  let peak = 0;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    const buffer = create(descriptor);
    const size = buffer.size;
    held += size;
    peak = Math.max(peak, held);
    const destroy = buffer.destroy.bind(buffer);
    let live = true;
    buffer.destroy = () => {
      if (live) {
        live = false;
        held -= size;
      }
      destroy();
    };
    return buffer;
  };
  const counter: GpuBytes = { held: () => held, peak: () => peak };
  tracked.set(device, counter);
  return counter;
}
