import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from './checkpoint.ts';
import { FINGERPRINT_PREFIX, Fnv1a64, fnv1a64, SAMPLE_BLOCK, SAMPLE_BLOCKS, sampleRanges, summarizeCheckpoint } from './fingerprint.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from './synthetic.ts';

/** FNV-1a 64 as its definition reads, in BigInt: the reference for the 32-bit-halves version. */
function fnvReference(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & ((1n << 64n) - 1n);
  return h.toString(16).padStart(16, '0');
}

describe('fnv1a64', () => {
  it('matches the published FNV-1a 64 test vectors', () => {
    // From the FNV reference test suite (Fowler/Noll/Vo): "" and "a" and "foobar".
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('equals the BigInt definition on any bytes, fed whole or in pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 300 }), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        expect(new Fnv1a64().update(bytes).digest()).toBe(fnvReference(bytes));
        expect(new Fnv1a64().update(bytes.subarray(0, at)).update(bytes.subarray(at)).digest()).toBe(fnvReference(bytes));
      }),
    );
  });
});

describe('sampleRanges', () => {
  it('takes a small tensor whole, and 16 blocks from first to last of a large one', () => {
    expect(sampleRanges(0)).toEqual([]);
    expect(sampleRanges(10)).toEqual([[0, 10]]);
    expect(sampleRanges(SAMPLE_BLOCKS * SAMPLE_BLOCK)).toEqual([[0, SAMPLE_BLOCKS * SAMPLE_BLOCK]]);
    for (const n of [SAMPLE_BLOCKS * SAMPLE_BLOCK + 1, 1_000_003, 466_747_392]) {
      const r = sampleRanges(n);
      expect(r).toHaveLength(SAMPLE_BLOCKS);
      expect(r[0]).toEqual([0, SAMPLE_BLOCK]);
      expect(r.at(-1)).toEqual([n - SAMPLE_BLOCK, SAMPLE_BLOCK]);
      for (let k = 1; k < r.length; k++) expect(r[k]![0]).toBeGreaterThan(r[k - 1]![0]);
    }
  });
});

describe('summarizeCheckpoint', () => {
  const make = async (member: FamilyMember, dtype: 'BF16' | 'F32' = 'BF16', hidden = TINY_QWEN2.hiddenSize) => {
    const f = new MemoryFolder(member);
    await writeFamilyMember({ shape: { ...TINY_QWEN2, hiddenSize: hidden }, dtype, member, out: f });
    return f;
  };
  const summary = async (f: MemoryFolder, name?: string) => summarizeCheckpoint(await openCheckpoint(f), name);

  it('tells apart checkpoints with the same layout and other values (the demo\'s SFT, GRPO and target)', async () => {
    const [sft, grpo, target] = await Promise.all([make('sft'), make('grpo'), make('target')]);
    const prints = await Promise.all([summary(sft, 'sft'), summary(grpo), summary(target)]);
    expect(new Set(prints.map((p) => p.fingerprint)).size).toBe(3);
    for (const p of prints) expect(p.fingerprint).toMatch(new RegExp(`^${FINGERPRINT_PREFIX.replace('+', '\\+')}[0-9a-f]{16}$`));
    expect(prints[0]).toMatchObject({ name: 'sft', dtype: 'BF16' });
    expect(prints[0]!.params).toBeGreaterThan(0);
    // The same files give the same fingerprint; another shape or dtype another one.
    expect((await summary(await make('sft'))).fingerprint).toBe(prints[0]!.fingerprint);
    expect((await summary(await make('sft', 'F32'))).fingerprint).not.toBe(prints[0]!.fingerprint);
    expect((await summary(await make('sft', 'BF16', 64))).fingerprint).not.toBe(prints[0]!.fingerprint);
  });

  it('changes when one byte of tensor data changes, in a small tensor and in a sampled block of a large one', async () => {
    const base = await make('sft', 'F32', 512); // embedding 97 × 512 × 4 bytes: over 64 KiB, sampled
    const before = (await summary(base)).fingerprint;
    const ckpt = await openCheckpoint(base);
    const at = (name: string, offset: number) => ckpt.shards[0]!.header.dataStart + ckpt.tensors.get(name)!.info.begin + offset;
    const embed = ckpt.tensors.get('model.embed_tokens.weight')!.info;
    expect(embed.end - embed.begin).toBeGreaterThan(SAMPLE_BLOCKS * SAMPLE_BLOCK);
    const [middle] = sampleRanges(embed.end - embed.begin)[7]!;
    for (const offset of [at('model.norm.weight', 5), at('model.embed_tokens.weight', middle + 100), at('model.embed_tokens.weight', embed.end - embed.begin - 1)]) {
      const copy = new MemoryFolder('sft');
      for (const [k, v] of base.files) copy.files.set(k, v.slice());
      copy.files.get('model.safetensors')![offset]! ^= 1;
      expect((await summary(copy)).fingerprint, `byte ${offset}`).not.toBe(before);
    }
  });
});
