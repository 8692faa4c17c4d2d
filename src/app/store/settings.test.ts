import { describe, expect, it } from 'vitest';
import { openCheckpoint, type Checkpoint } from '../../core/checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../../core/checkpoint/synthetic.ts';
import { MemoryFolder } from '../../core/io/bytes.ts';
import { planMerge } from '../../core/merge/plan.ts';
import { analysisRecipeOf, DEFAULT_SETTINGS, mergeRecipeOf, parseNumber, rulesOf, shardBytes, type MergeSettings } from './settings.ts';

async function member(m: FamilyMember): Promise<Checkpoint> {
  const folder = new MemoryFolder(m);
  await writeFamilyMember({ shape: { ...TINY_QWEN2, tiedEmbeddings: false }, dtype: 'BF16', member: m, out: folder });
  return openCheckpoint(folder);
}

describe('merge settings → recipe', () => {
  it('gives no rules by default and the paper’s merge', () => {
    expect(rulesOf(DEFAULT_SETTINGS)).toEqual([]);
    const recipe = mergeRecipeOf(DEFAULT_SETTINGS, false);
    expect(recipe).toMatchObject({ base: 'target', vectors: [{ plus: 'grpo', minus: 'sft', alpha: 1 }], dtype: 'auto' });
    expect(mergeRecipeOf({ ...DEFAULT_SETTINGS, alpha: -0.5 }, true)).toMatchObject({ base: 'target', vectors: [{ plus: 'vector', alpha: -0.5 }] });
    expect(analysisRecipeOf(false)).toMatchObject({ base: null, vectors: [{ plus: 'grpo', minus: 'sft' }] });
  });

  it('plans every tensor with the α its name calls for', async () => {
    const settings: MergeSettings = {
      ...DEFAULT_SETTINGS,
      alpha: 0.8,
      groups: {
        embeddings: { mode: 'exclude', alpha: 1 },
        attention: { mode: 'alpha', alpha: 1.5 },
        mlp: { mode: 'inherit', alpha: 9 }, // inherit ignores its own α
        norms: { mode: 'alpha', alpha: -1 },
      },
      patterns: [
        { id: 1, pattern: 'model.layers.1.mlp.*', mode: 'alpha', alpha: 0.25 },
        { id: 2, pattern: '   ', mode: 'exclude', alpha: 0 }, // empty: ignored
        { id: 3, pattern: '*.o_proj.weight', mode: 'exclude', alpha: 0 },
      ],
    };
    const roles = new Map(await Promise.all((['target', 'sft', 'grpo'] as const).map(async (m) => [m, await member(m)] as const)));
    const plan = planMerge(mergeRecipeOf(settings, false), roles);
    // Independent expectation, written from the names.
    const expectedAlpha = (name: string): number => {
      if (name.endsWith('.o_proj.weight')) return 0;
      if (name.startsWith('model.layers.1.mlp.')) return 0.25;
      if (name.includes('norm')) return -1;
      if (name.includes('.self_attn.')) return 1.5;
      if (name.startsWith('model.embed_tokens.') || name.startsWith('lm_head.')) return 0;
      return 0.8;
    };
    expect(plan.tensors.length).toBe(roles.get('target')!.tensors.size);
    for (const t of plan.tensors) {
      expect([t.name, t.alpha]).toEqual([t.name, Math.fround(expectedAlpha(t.name))]);
      expect(t.op).toBe(expectedAlpha(t.name) === 0 ? 'copy' : 'merge');
    }
  });

  it('converts shard sizes and typed numbers', () => {
    expect(shardBytes({ ...DEFAULT_SETTINGS, shardSizeMB: 0.02 })).toBe(20000);
    expect(shardBytes({ ...DEFAULT_SETTINGS, shardSizeMB: 2000 })).toBe(2e9);
    expect(parseNumber(' 1.25 ')).toBe(1.25);
    expect(parseNumber('-2')).toBe(-2);
    for (const bad of ['', '  ', 'abc', '1e999', 'NaN']) expect(parseNumber(bad)).toBeNull();
  });
});
