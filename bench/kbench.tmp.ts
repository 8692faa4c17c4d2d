import { runCpuKernel } from '../src/core/merge/cpu-kernel.ts';
import { createSimdBackend } from '../src/core/merge/simd-kernel.ts';
import { SHAPES } from '../src/core/merge/kernel.ts';
const n = 1 << 21;
const mk = () => { const u = new Uint16Array(n); for (let i = 0; i < n; i++) u[i] = 0x3c00 + (i * 7919 & 0x3ff); return new Uint8Array(u.buffer); };
const inputs = [mk(), mk(), mk()];
const simd = await createSimdBackend(n);
for (const stats of [false, true]) {
  const task = { ...SHAPES.merge(0.5), inputDtypes: ['BF16', 'BF16', 'BF16'] as const, outDtype: 'BF16' as const, count: n, stats, output: true };
  for (const [name, fn] of [['ts', async () => runCpuKernel(task, inputs)], ['simd', () => simd.run(task, inputs)]] as const) {
    for (let r = 0; r < 3; r++) await fn();
    const t0 = performance.now(); const R = 20;
    for (let r = 0; r < R; r++) await fn();
    const dt = (performance.now() - t0) / R;
    console.log(`${name} stats=${stats}: ${(dt * 1e6 / n).toFixed(2)} ns/elem → 0.5B: ${(dt / n * 494e6 / 1000).toFixed(2)} s`);
  }
}
