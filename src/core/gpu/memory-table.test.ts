// The README's GPU memory table is the one the memory plan computes (regenerate it with
// `npx tsx scripts/gpu-memory-table.ts`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gpuMemoryTable } from './memory-table.ts';

describe('README GPU memory table', () => {
  it('is the table memory-plan.ts computes', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const found = readme.match(/<!-- gpu-memory-table -->\n([\s\S]*?)\n<!-- \/gpu-memory-table -->/);
    expect(found, 'README.md has no gpu-memory-table markers').not.toBeNull();
    expect(found![1]).toBe(gpuMemoryTable());
  });
});
