/**
 * Throughput of the WebGPU merge kernel: BF16 target, SFT and GRPO in, BF16 out.
 *
 *   npm run bench:kernel [-- --elements N] [--seconds S]
 *
 * GB/s count the bytes the op moves: 3 inputs + 1 output (8 bytes per element in BF16).
 *   kernel      buffers already on the GPU, many dispatches back to back; GPU timestamps when the
 *               device has 'timestamp-query', else wall time around submit → onSubmittedWorkDone
 *   end-to-end  KernelBackend.run(): upload, dispatch, readback, 3 chunks in flight
 */
import { createMergeKernel, createWebGpuBackend, PARAMS_BYTES, type MergePipelineKey } from '../src/core/gpu/merge-webgpu.ts';
import { SHAPES, type KernelTask } from '../src/core/merge/kernel.ts';
import { loadShaders, openNodeGpu } from '../src/node/webgpu.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
// 32 Mi elements: 64 MiB per BF16 buffer, 256 MiB moved per dispatch.
const elements = arg('elements', 32 << 20);
const seconds = arg('seconds', 2);
const bytesMoved = elements * 8;

const gpu = await openNodeGpu();
if (!gpu) {
  console.error('no WebGPU adapter');
  process.exit(1);
}
const { device, adapterName } = gpu;
console.log(`adapter: ${adapterName}`);
if (/swiftshader|llvmpipe|lavapipe|software/i.test(adapterName)) {
  console.log('WARNING: this is a software rasteriser (CPU); these numbers are NOT GPU performance.');
}
console.log(`chunk: ${elements} elements, ${(bytesMoved / 2 ** 20).toFixed(0)} MiB moved per dispatch (3 BF16 inputs + 1 BF16 output)`);
const shaders = await loadShaders();
const gbps = (bytes: number, ms: number) => `${(bytes / ms / 1e6).toFixed(2)} GB/s`;

// Random normal BF16 values (no NaN/Inf), shared by every input.
const data = new Uint16Array(elements);
let seed = 12345;
for (let i = 0; i < elements; i++) {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  data[i] = ((seed >>> 16) & 0x807f) | ((112 + ((seed >>> 8) & 15)) << 7);
}
const bytes = new Uint8Array(data.buffer);

// ---- Kernel only ------------------------------------------------------------------------------

async function kernelOnly(stats: boolean): Promise<void> {
  const kernel = createMergeKernel(device, shaders, { label: 'bench' });
  const key: MergePipelineKey = { base: true, terms: [{ plus: 2, minus: 1 }], inputDtypes: ['BF16', 'BF16', 'BF16'], outDtype: 'BF16', stats, output: true };
  const pipeline = await kernel.pipeline(key);
  const buffer = (name: string, size: number, usage: number) => device.createBuffer({ label: `bench/${name}`, size, usage });
  const inputs = ['target', 'sft', 'grpo'].map((name) => buffer(name, elements * 2, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST));
  inputs.forEach((b) => device.queue.writeBuffer(b, 0, bytes));
  const output = buffer('output', elements * 2, GPUBufferUsage.STORAGE);
  const partials = buffer('partials', Math.max(16, Math.ceil(elements / 4096) * 16), GPUBufferUsage.STORAGE);
  const params = buffer('params', PARAMS_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  kernel.writeParams(params, elements, [0.5]);
  const bindGroup = kernel.bindGroup({ params, inputs, output, partials: stats ? partials : undefined }, 'bench/bind-group');
  const timestamps = device.features.has('timestamp-query');
  const querySet = timestamps ? device.createQuerySet({ label: 'bench/timestamps', type: 'timestamp', count: 2 }) : null;
  const resolve = buffer('resolve', 16, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
  const readback = buffer('readback', 16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);

  /** Runs n dispatches in one pass; returns [wall ms, GPU ms or NaN]. */
  async function batch(n: number): Promise<[number, number]> {
    const encoder = device.createCommandEncoder({ label: 'bench/encoder' });
    const pass = encoder.beginComputePass({
      label: 'bench/pass',
      ...(querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {}),
    });
    for (let i = 0; i < n; i++) kernel.dispatch(pass, pipeline, bindGroup, elements);
    pass.end();
    if (querySet) {
      encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, readback, 0, 16);
    }
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const wall = performance.now() - t0;
    if (!querySet) return [wall, NaN];
    await readback.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(readback.getMappedRange().slice(0));
    readback.unmap();
    return [wall, Number(end! - begin!) / 1e6];
  }

  const [first] = await batch(1); // warm-up (and first-use costs)
  const n = Math.max(3, Math.min(100, Math.ceil((seconds * 1000) / Math.max(first, 0.01))));
  const [wall, gpuMs] = await batch(n);
  const timed = Number.isFinite(gpuMs) && gpuMs > 0 ? `${gbps(bytesMoved * n, gpuMs)} (GPU timestamps), ` : '';
  console.log(`kernel only${stats ? ', with statistics' : ''}: ${n} dispatches, ${timed}${gbps(bytesMoved * n, wall)} (wall, ${(wall / n).toFixed(2)} ms per dispatch)`);
  for (const b of [...inputs, output, partials, params, resolve, readback]) b.destroy();
  querySet?.destroy();
  kernel.destroy();
}

// ---- End to end -------------------------------------------------------------------------------

async function endToEnd(stats: boolean): Promise<void> {
  const backend = createWebGpuBackend(device, shaders, { label: 'bench-e2e', maxChunkElements: elements });
  const task: KernelTask = { ...SHAPES.merge(0.5), inputDtypes: ['BF16', 'BF16', 'BF16'], outDtype: 'BF16', count: Math.min(elements, backend.maxChunkElements), stats, output: true };
  const inputs = [bytes, bytes, bytes];
  await backend.run(task, inputs); // warm-up: pipeline, buffers
  const t0 = performance.now();
  const first = await backend.run(task, inputs);
  const one = performance.now() - t0;
  const chunks = Math.max(3, Math.min(30, Math.ceil((seconds * 1000) / one)));
  const t1 = performance.now();
  await Promise.all(Array.from({ length: chunks }, () => backend.run(task, inputs)));
  const all = performance.now() - t1;
  const moved = task.count * 8;
  console.log(
    `end-to-end${stats ? ', with statistics' : ''}: one chunk ${one.toFixed(1)} ms (${gbps(moved, one)}); ${chunks} chunks, 3 in flight: ${gbps(moved * chunks, all)}` +
      (first.output.byteLength === task.count * 2 ? '' : ' (WRONG OUTPUT SIZE)'),
  );
  await backend.dispose();
}

try {
  await kernelOnly(false);
  await kernelOnly(true);
  await endToEnd(false);
  await endToEnd(true);
} finally {
  device.destroy();
}
