import { describe, expect, it } from 'vitest';
import { openCheckpoint } from './checkpoint.ts';
import { fnv1a64, summarizeCheckpoint } from './fingerprint.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { TINY_QWEN2, writeFamilyMember } from './synthetic.ts';

describe('fnv1a64', () => {
  it('matches the published FNV-1a 64 test vectors', () => {
    // From the FNV reference test suite (Fowler/Noll/Vo): "" and "a" and "foobar".
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });
});

describe('summarizeCheckpoint', () => {
  it('same layout, same fingerprint; another shape or dtype, another one', async () => {
    const make = async (dtype: 'BF16' | 'F32', member: 'sft' | 'grpo', hidden = TINY_QWEN2.hiddenSize) => {
      const f = new MemoryFolder(member);
      await writeFamilyMember({ shape: { ...TINY_QWEN2, hiddenSize: hidden }, dtype, member, out: f });
      return summarizeCheckpoint(await openCheckpoint(f), member);
    };
    const a = await make('BF16', 'sft');
    const b = await make('BF16', 'grpo');
    expect(a.fingerprint).toBe(b.fingerprint); // values differ, layout does not
    expect(a).toMatchObject({ name: 'sft', dtype: 'BF16' });
    expect(a.params).toBeGreaterThan(0);
    expect((await make('F32', 'sft')).fingerprint).not.toBe(a.fingerprint);
    expect((await make('BF16', 'sft', 64)).fingerprint).not.toBe(a.fingerprint);
  });
});
