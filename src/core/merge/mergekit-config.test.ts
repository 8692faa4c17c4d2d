/**
 * mergekit configs: parsing (one-line errors naming the key or method), the recipe a config becomes
 * with exact float32 arithmetic, and `--arith mergekit` against a float64 re-computation of
 * mergekit's step-by-step rounding written from its sources (generalized_task_arithmetic.py,
 * linear.py): each torch op on bfloat16 tensors computed exactly, rounded to float32 (the op) and
 * then to bfloat16 (the tensor); sums over models accumulated in float32.
 */
import { describe, expect, it } from 'vitest';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../checkpoint/synthetic.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { roundOnce, tensorBytes, tensorValues } from '../testing/reference.ts';
import { createCpuBackend } from './cpu-kernel.ts';
import { mergekitRecipe, parseMergekitConfig, type MergekitConfigErrorCode } from './mergekit-config.ts';
import { mergeRecipe, type Recipe } from './recipe.ts';
import { mergeToFolder } from './run.ts';
import { createSimdBackend } from './simd-kernel.ts';
import type { KernelBackend } from './kernel.ts';

const AUTHORS = `merge_method: linear
models:
  - model: /models/target
    parameters:
      weight: 1.0
  - model: /models/sft
    parameters:
      weight: -1.0
  - model: /models/grpo
    parameters:
      weight: 1.0
parameters:
  normalize: false
dtype: bfloat16
`;

async function member(m: FamilyMember): Promise<Checkpoint> {
  const folder = new MemoryFolder(m);
  await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: m, out: folder });
  return openCheckpoint(folder);
}

async function run(recipe: Recipe, roles: Record<string, Checkpoint>, backend: KernelBackend = createCpuBackend(999)): Promise<Checkpoint> {
  const out = new MemoryFolder('out');
  await mergeToFolder({ recipe, roles: new Map(Object.entries(roles)), backend, out, chunkElements: 999 });
  return openCheckpoint(out);
}

/** The config's roles bound to the family by folder name. */
function bind(dirs: Record<string, string>, family: Record<string, Checkpoint>): Record<string, Checkpoint> {
  return Object.fromEntries(Object.entries(dirs).map(([role, dir]) => [role, family[dir.split('/').pop()!]!]));
}

describe('parsing', () => {
  it('reads the authors\' config', () => {
    expect(parseMergekitConfig(AUTHORS, 'merge.yml')).toEqual({
      method: 'linear',
      models: [
        { model: '/models/target', weight: 1 },
        { model: '/models/sft', weight: -1 },
        { model: '/models/grpo', weight: 1 },
      ],
      baseModel: null,
      normalize: false,
      rescale: false,
      dtype: 'BF16',
      outDtype: null,
    });
  });

  const errors: [string, string, MergekitConfigErrorCode, RegExp][] = [
    ['an unknown key', `${AUTHORS}tokenizer_source: union\n`, 'UNKNOWN_KEY', /merge\.yml: unknown or unsupported key "tokenizer_source"/],
    ['an unknown method', AUTHORS.replace('linear', 'slerp'), 'UNKNOWN_METHOD', /unsupported merge_method "slerp" \(supported: linear, task_arithmetic, ties, dare_linear, dare_ties, breadcrumbs\)/],
    ['slices', 'merge_method: linear\nslices: []\n', 'UNSUPPORTED', /"slices" are not supported/],
    ['a gradient', AUTHORS.replace('weight: -1.0', 'weight: [0, 1]'), 'UNSUPPORTED', /models\[1\]\.parameters\.weight: parameter gradients/],
    ['a filter', AUTHORS.replace('weight: -1.0', 'weight: {filter: mlp, value: 1}'), 'UNSUPPORTED', /per-tensor filters/],
    ['an unknown model parameter', AUTHORS.replace('weight: -1.0', 'weight: -1.0\n      density: 0.5'), 'UNKNOWN_KEY', /models\[1\]\.parameters: unknown parameter "density" for linear/],
    ['an unknown model key', AUTHORS.replace('  - model: /models/sft', '  - model: /models/sft\n    lora: x'), 'UNKNOWN_KEY', /models\[1\]: unknown key "lora"/],
    ['a missing weight', AUTHORS.replace('    parameters:\n      weight: -1.0\n', ''), 'INVALID', /models\[1\]: "weight" is required/],
    ['a bad dtype', AUTHORS.replace('bfloat16', 'int8'), 'INVALID', /"dtype": "int8"/],
    ['task_arithmetic without a base', AUTHORS.replace('linear', 'task_arithmetic'), 'INVALID', /needs a "base_model"/],
    ['broken YAML', 'merge_method: [linear\n', 'YAML', /not valid YAML/],
  ];
  for (const [what, text, code, message] of errors) {
    it(`refuses ${what} in one line`, () => {
      let error: unknown = null;
      try {
        parseMergekitConfig(text, 'merge.yml');
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ name: 'MergekitConfigError', code });
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    });
  }
});

describe('running a config', () => {
  it("the authors' config gives the bytes of rvs merge --alpha 1 --dtype bf16", async () => {
    const family = { target: await member('target'), sft: await member('sft'), grpo: await member('grpo') };
    const { recipe, dirs } = mergekitRecipe(parseMergekitConfig(AUTHORS, 'merge.yml'));
    const fromConfig = await run(recipe, bind(dirs, family));
    const merged = await run(mergeRecipe(1, { dtype: 'BF16' }), family);
    // The same order too: grpo listed before sft.
    const swapped = 'merge_method: linear\nmodels:\n  - model: /models/target\n    parameters: {weight: 1}\n  - model: /models/grpo\n    parameters: {weight: 1}\n  - model: /models/sft\n    parameters: {weight: -1}\nparameters: {normalize: false}\ndtype: bfloat16\n';
    expect(parseMergekitConfig(swapped, 's.yml').models.map((m) => [m.model, m.weight])).toEqual([['/models/target', 1], ['/models/grpo', 1], ['/models/sft', -1]]);
    const other = mergekitRecipe(parseMergekitConfig(swapped, 'swapped.yml'));
    const fromSwapped = await run(other.recipe, bind(other.dirs, family));
    for (const name of family.target.tensors.keys()) {
      expect(await tensorBytes(fromConfig, name), name).toEqual(await tensorBytes(merged, name));
      expect(await tensorBytes(fromSwapped, name), name).toEqual(await tensorBytes(merged, name));
    }
  });

  it('--arith mergekit (task_arithmetic, α = 0.3, bfloat16) equals the float64 re-computation of mergekit\'s rounding, and differs from exact float32', async () => {
    const family = { target: await member('target'), sft: await member('sft'), grpo: await member('grpo') };
    const yaml = `merge_method: task_arithmetic
base_model: /m/sft
models:
  - model: /m/target
    parameters: {weight: 1.0}
  - model: /m/grpo
    parameters: {weight: 0.3}
dtype: bfloat16
`;
    const config = parseMergekitConfig(yaml, 'ta.yml');
    const mk = mergekitRecipe(config, 'mergekit');
    const exact = mergekitRecipe(config, 'float32');
    for (const backend of [createCpuBackend(999), await createSimdBackend(999, 2)]) {
      const out = await run(mk.recipe, bind(mk.dirs, family), backend);
      const f32 = await run(exact.recipe, bind(exact.dirs, family));
      const bf = (x: number) => roundOnce(roundOnce(x, 'F32'), 'BF16'); // a torch op on bfloat16: float32, then bfloat16
      const w = [bf(1), bf(0.3)];
      let differ = 0;
      let compared = 0;
      for (const name of family.target.tensors.keys()) {
        const [got, other, t, s, g] = await Promise.all([out, f32, family.target, family.sft, family.grpo].map((c) => tensorValues(c, name)));
        for (let i = 0; i < got!.length; i++) {
          const p1 = bf(bf(t![i]! - s![i]!) * w[0]!);
          const p2 = bf(bf(g![i]! - s![i]!) * w[1]!);
          const mixed = bf(roundOnce(roundOnce(0 + p1, 'F32') + p2, 'F32'));
          const want = bf(s![i]! + mixed);
          if (!Object.is(got![i], want)) throw new Error(`${name}[${i}]: ${got![i]} ≠ mergekit ${want}`);
          if (got![i] !== other![i]) differ++;
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(10_000);
      // 0.3 is not a bfloat16 and δ is rounded before scaling: the two arithmetics part somewhere.
      expect(differ).toBeGreaterThan(0);
    }
  });

  it('--arith mergekit linear with normalize divides the bfloat16 sum by the bfloat16 sum of the weights', async () => {
    const family = { target: await member('target'), sft: await member('sft'), grpo: await member('grpo') };
    const yaml = 'merge_method: linear\nmodels:\n  - model: /m/target\n    parameters: {weight: 0.7}\n  - model: /m/grpo\n    parameters: {weight: 0.45}\ndtype: bfloat16\nout_dtype: float32\n';
    const { recipe, dirs } = mergekitRecipe(parseMergekitConfig(yaml, 'lin.yml'), 'mergekit');
    const out = await run(recipe, bind(dirs, family));
    const bf = (x: number) => roundOnce(roundOnce(x, 'F32'), 'BF16');
    const [w1, w2] = [bf(0.7), bf(0.45)];
    const divisor = bf(roundOnce(roundOnce(0 + w1, 'F32') + w2, 'F32'));
    for (const name of ['model.layers.0.mlp.up_proj.weight', 'model.norm.weight']) {
      const [got, t, g] = await Promise.all([out, family.target, family.grpo].map((c) => tensorValues(c, name)));
      expect(out.tensors.get(name)!.info.dtype).toBe('F32');
      for (let i = 0; i < got!.length; i++) {
        const sum = bf(roundOnce(roundOnce(0 + bf(w1 * t![i]!), 'F32') + bf(w2 * g![i]!), 'F32'));
        const want = bf(sum / divisor);
        if (!Object.is(got![i], want)) throw new Error(`${name}[${i}]: ${got![i]} ≠ ${want}`);
      }
    }
  });

  it('ties, dare_ties and breadcrumbs configs become the recipes of those methods (mergekit\'s defaults, the seed)', async () => {
    const yaml = (method: string, extra = '') => `merge_method: ${method}\nbase_model: /m/sft\nmodels:\n  - model: /m/grpo\n    parameters: {weight: 0.7, density: 0.5${extra}}\n  - model: /m/target\n    parameters: {weight: -0.4, density: 0.3${extra}}\ndtype: bfloat16\n`;
    const ties = mergekitRecipe(parseMergekitConfig(yaml('ties'), 'ties.yml')).recipe;
    expect(ties).toMatchObject({ method: 'ties', normalize: true, rescale: false, base: 'base', vectors: [{ plus: 'model1', minus: 'base', alpha: 0.7, density: 0.5 }, { plus: 'model2', minus: 'base', alpha: -0.4, density: 0.3 }], dtype: 'BF16' });
    expect(mergekitRecipe(parseMergekitConfig(yaml('dare_ties'), 'd.yml'), 'float32', 9).recipe).toMatchObject({ method: 'dare_ties', normalize: false, rescale: true, seed: 9 });
    expect(mergekitRecipe(parseMergekitConfig(yaml('breadcrumbs', ', gamma: 0.02'), 'b.yml')).recipe.vectors[0]).toMatchObject({ gamma: 0.02 });
    expect(() => mergekitRecipe(parseMergekitConfig(yaml('ties'), 'ties.yml'), 'mergekit')).toThrow(/--arith mergekit covers linear and task_arithmetic, not ties/);
    expect(() => parseMergekitConfig(yaml('ties', ', gamma: 0.1'), 'x.yml')).toThrow(/unknown parameter "gamma" for ties/);
    // And it runs: the family through the config equals the recipe run directly.
    const family = { sft: await member('sft'), grpo: await member('grpo'), target: await member('target') };
    const { recipe, dirs } = mergekitRecipe(parseMergekitConfig(yaml('ties'), 'ties.yml'));
    const out = await run(recipe, bind(dirs, family));
    expect([...out.tensors.keys()]).toEqual([...family.sft.tensors.keys()]);
  });
});
