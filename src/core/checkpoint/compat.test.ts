// The compatibility report: one issue per tensor (naming every checkpoint that disagrees, and
// how), embedding shapes told apart by rows (vocabulary) and columns (hidden size), and the
// tokenizer checked against the embedding it feeds.
import { describe, expect, it } from 'vitest';
import { MemoryFolder } from '../io/bytes.ts';
import { planMerge, MergeError } from '../merge/plan.ts';
import { mergeRecipe } from '../merge/recipe.ts';
import { loadTokenizer } from '../text/tokenizer.ts';
import { syntheticTokenizerFiles } from '../text/synthetic-tokenizer.ts';
import { openCheckpoint, type Checkpoint } from './checkpoint.ts';
import { compareCheckpoints } from './compat.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember, type Qwen2Shape } from './synthetic.ts';
import { tokenizerIdCount } from './tokenizer-ids.ts';

async function member(m: FamilyMember, shape: Qwen2Shape, options: { tokenizer?: boolean; tokenizerVocab?: number } = {}): Promise<Checkpoint> {
  const folder = new MemoryFolder(m);
  await writeFamilyMember({ shape, dtype: 'BF16', member: m, out: folder, tokenizer: options.tokenizer ?? false });
  if (options.tokenizerVocab !== undefined) {
    // Another model's tokenizer dropped into this folder.
    folder.files.set('tokenizer.json', new TextEncoder().encode(syntheticTokenizerFiles({ vocabSize: options.tokenizerVocab })['tokenizer.json']));
  }
  return openCheckpoint(folder);
}

const trio = (target: Checkpoint, sft: Checkpoint, grpo: Checkpoint) => new Map(Object.entries({ target, sft, grpo }));
const EMBED = 'model.embed_tokens.weight';

describe('compareCheckpoints groups by tensor', () => {
  it('lists each tensor once, naming both checkpoints that disagree, and calls a hidden-size change what it is', async () => {
    const wide = { ...TINY_QWEN2, hiddenSize: 48 };
    const report = compareCheckpoints(trio(await member('target', TINY_QWEN2), await member('sft', wide), await member('grpo', wide)), { primary: 'target' });
    expect(report.ok).toBe(false);
    const tensors = report.issues.flatMap((i) => (i.tensor ? [i.tensor] : []));
    expect(tensors.length).toBeGreaterThan(0);
    expect(new Set(tensors).size).toBe(tensors.length); // no tensor twice
    const embed = report.issues.find((i) => i.tensor === EMBED)!;
    expect(embed).toMatchObject({ kind: 'shape', severity: 'error', roles: ['sft', 'grpo'] });
    expect(embed.message).toBe(`${EMBED}: shape [97, 32] in target, [97, 48] in sft and grpo — hidden sizes differ`);
    expect(embed.message).not.toContain('vocabulary');
    const hidden = report.issues.filter((i) => i.field === 'hidden_size');
    expect(hidden.map((i) => i.message)).toEqual(['config.json "hidden_size": target has 32, sft and grpo have 48']);
  });

  it('says which checkpoint differs when only one does, and calls a row change a vocabulary change', async () => {
    const report = compareCheckpoints(trio(await member('target', TINY_QWEN2), await member('sft', TINY_QWEN2), await member('grpo', { ...TINY_QWEN2, vocabSize: 90 })), { primary: 'target' });
    const embed = report.issues.filter((i) => i.tensor === EMBED);
    expect(embed).toHaveLength(1);
    expect(embed[0]).toMatchObject({ kind: 'vocab', roles: ['grpo'] });
    expect(embed[0]!.message).toMatch(/^model\.embed_tokens\.weight: shape \[97, 32\] in target, \[90, 32\] in grpo — vocabulary sizes differ; nothing is trimmed/);
  });
});

describe('config.json fields', () => {
  it('compares rope_theta as the model reads it, in either layout', async () => {
    const v5 = async (m: FamilyMember, theta: number) => {
      const c = await member(m, TINY_QWEN2);
      const { rope_theta: _, ...rest } = c.config!;
      return { ...c, config: { ...rest, rope_parameters: { rope_type: 'default', rope_theta: theta } } };
    };
    const target = await member('target', TINY_QWEN2);
    const theta = target.config!['rope_theta'] as number;
    const same = compareCheckpoints(trio(target, await v5('sft', theta), await v5('grpo', theta)), { primary: 'target' });
    expect(same.issues.filter((i) => i.field === 'rope_theta')).toEqual([]);
    const other = compareCheckpoints(trio(target, await v5('sft', theta), await v5('grpo', theta * 10)), { primary: 'target' });
    expect(other.issues.filter((i) => i.field === 'rope_theta').map((i) => [i.severity, i.roles])).toEqual([['warning', ['grpo']]]);
  });
});

describe('the tokenizer against the embedding', () => {
  it('counts ids as the loaded tokenizer does (vocabulary and added tokens), for object and list vocabularies', () => {
    for (const vocabSize of [259, 300, 512]) {
      const json = syntheticTokenizerFiles({ vocabSize })['tokenizer.json'];
      expect(tokenizerIdCount(JSON.parse(json))).toBe(loadTokenizer({ tokenizerJson: json }).vocabSize);
    }
    // Unigram: ids are positions in the list; an added token past them counts.
    expect(tokenizerIdCount({ model: { type: 'Unigram', vocab: [['<unk>', 0], ['a', -1], ['b', -2]] }, added_tokens: [{ id: 7, content: '<x>' }] })).toBe(8);
    expect(() => tokenizerIdCount({ model: { vocab: { a: -1 } } })).toThrow(/not a token id/);
    expect(() => tokenizerIdCount([])).toThrow(/not a JSON object/);
  });

  it('blocks a target whose tokenizer has ids past its embedding rows, naming the file and the numbers', async () => {
    const shape = { ...TINY_QWEN2, vocabSize: 300 };
    const target = await member('target', shape, { tokenizer: true, tokenizerVocab: 512 });
    const roles = trio(target, await member('sft', shape, { tokenizer: true }), await member('grpo', shape, { tokenizer: true }));
    const report = compareCheckpoints(roles, { primary: 'target' });
    const ids = loadTokenizer({ tokenizerJson: syntheticTokenizerFiles({ vocabSize: 512 })['tokenizer.json'] }).vocabSize;
    expect(ids).toBeGreaterThan(300);
    expect(report.ok).toBe(false);
    expect(report.issues.filter((i) => i.kind === 'tokenizer')).toEqual([
      {
        severity: 'error',
        kind: 'tokenizer',
        roles: ['target'],
        message: `target/tokenizer.json: token ids reach ${ids - 1}, but target's embedding has 300 rows (ids 0–299); this tokenizer does not belong to this model`,
      },
    ]);
    const err = (() => {
      try {
        planMerge(mergeRecipe(1), roles);
      } catch (e) {
        return e as MergeError;
      }
      throw new Error('planned');
    })();
    expect(err).toBeInstanceOf(MergeError);
    expect(err.message).toContain(`target/tokenizer.json: token ids reach ${ids - 1}`);
  });

  it('warns about a mismatched tokenizer in an input whose tokenizer is not carried over, and accepts fitting ones', async () => {
    const shape = { ...TINY_QWEN2, vocabSize: 300 };
    const fits = compareCheckpoints(trio(await member('target', shape, { tokenizer: true }), await member('sft', shape, { tokenizer: true }), await member('grpo', shape)), { primary: 'target' });
    expect(fits.issues.filter((i) => i.kind === 'tokenizer')).toEqual([]);
    const sft = await member('sft', shape, { tokenizerVocab: 400 });
    const report = compareCheckpoints(trio(await member('target', shape, { tokenizer: true }), sft, await member('grpo', shape)), { primary: 'target' });
    expect(report.ok).toBe(true);
    expect(report.issues.filter((i) => i.kind === 'tokenizer').map((i) => [i.severity, i.roles])).toEqual([['warning', ['sft']]]);
  });
});
