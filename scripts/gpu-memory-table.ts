/**
 * Prints the README's GPU memory table (src/core/gpu/memory-table.ts): `npx tsx scripts/gpu-memory-table.ts`.
 * Paste it between the `gpu-memory-table` markers in README.md; memory-table.test.ts checks it is there.
 */
import { gpuMemoryTable } from '../src/core/gpu/memory-table.ts';

console.log(gpuMemoryTable());
