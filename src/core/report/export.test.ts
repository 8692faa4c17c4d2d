import { describe, expect, it } from 'vitest';
import { mergekitRecipe, parseMergekitConfig } from '../merge/mergekit-config.ts';
import { lmEvalCommands, MERGEKIT_EXPORT_METHODS, mergekitStream, mergekitYaml, reportAlphas, shellWord } from './export.ts';
import { mergeRecipe, type Recipe } from '../merge/recipe.ts';
import { parseReport, REPORT_SCHEMA, type Report } from './schema.ts';

function report(overrides: Partial<Report> = {}): Report {
  return parseReport({
    schema: REPORT_SCHEMA,
    createdAt: '2026-11-26T07:00:00.000Z',
    app: { name: 'rvs', version: '0.1.0' },
    environment: { backend: 'cpu' },
    checkpoints: {
      target: { name: 'Qwen/Qwen2.5-Math-1.5B', dtype: 'BF16' },
      sft: { name: 'michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-SFT' },
      grpo: { name: 'michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-GRPO' },
    },
    recipe: null,
    runs: [
      { alpha: 0, task: 'gsm8k', config: { numFewshot: 5, limit: 50, limitMode: 'first', batchSize: 8, maxNewTokens: 256, chat: false }, metrics: {}, samples: [] },
      { alpha: 1, task: 'gsm8k', config: { numFewshot: 5, limit: 3, limitMode: 'seeded', docIds: [4, 9, 20], chat: true, prefix: "Think step by step, don't rush" }, metrics: {}, samples: [] },
      { alpha: 1, task: 'sciq', config: {}, metrics: {}, samples: [] },
    ],
    timings: {},
    ...overrides,
  });
}

/** A minimal YAML reader for the flat mergekit documents: model names and weights, in order. */
function models(yaml: string): { model: string; weight: number }[] {
  const out: { model: string; weight: number }[] = [];
  for (const line of yaml.split('\n')) {
    const m = /^ {2}- model: (".*")$/.exec(line);
    if (m) out.push({ model: JSON.parse(m[1]!) as string, weight: Number.NaN });
    const w = /^ {6}weight: (\S+)$/.exec(line);
    if (w) out.at(-1)!.weight = Number(w[1]);
  }
  return out;
}

describe('mergekit export', () => {
  it('linear: weights 1, α, −α on target, GRPO, SFT, not normalised', () => {
    const yaml = mergekitYaml(report(), 0.75);
    expect(models(yaml)).toEqual([
      { model: 'Qwen/Qwen2.5-Math-1.5B', weight: 1 },
      { model: 'michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-GRPO', weight: 0.75 },
      { model: 'michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-SFT', weight: -0.75 },
    ]);
    expect(yaml).toMatch(/^merge_method: linear$/m);
    expect(yaml).toMatch(/^ {2}normalize: false$/m);
    expect(yaml).toMatch(/^dtype: bfloat16$/m);
  });

  it('task_arithmetic with SFT as base computes the same weights on every parameter', () => {
    const yaml = mergekitYaml(report(), -1.5, 'task_arithmetic');
    const base = JSON.parse(/^base_model: (".*")$/m.exec(yaml)![1]!) as string;
    expect(base).toBe('michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-SFT');
    // base + Σ w (m − base) as coefficients on (target, grpo, sft): must equal linear's (1, α, −α).
    const coef = new Map([[base, 1]]);
    for (const { model, weight } of models(yaml)) {
      coef.set(model, (coef.get(model) ?? 0) + weight);
      coef.set(base, coef.get(base)! - weight);
    }
    expect(Object.fromEntries(coef)).toEqual(Object.fromEntries(models(mergekitYaml(report(), -1.5)).map((m) => [m.model, m.weight])));
  });

  it("dtype: the recipe's, else (auto) the target's", () => {
    const target = { name: 't', dtype: 'F16' };
    const with_ = (recipe: Recipe | null) => report({ recipe, checkpoints: { target, sft: { name: 's' }, grpo: { name: 'g' } } });
    expect(mergekitYaml(with_(mergeRecipe(1, { dtype: 'auto' })), 1)).toMatch(/^dtype: float16$/m);
    expect(mergekitYaml(with_(mergeRecipe(1, { dtype: 'F32' })), 1)).toMatch(/^dtype: float32$/m);
    expect(mergekitYaml(with_(null), 1)).toMatch(/^dtype: float16$/m);
  });

  it('quotes untrusted names so they stay one scalar', () => {
    const evil = report({ checkpoints: { target: { name: 'a: b\n- model: x' }, sft: { name: '"s"' }, grpo: { name: 'g' } } });
    expect(models(mergekitYaml(evil, 1)).map((m) => m.model)).toEqual(['a: b\n- model: x', 'g', '"s"']);
  });

  it('one document per α, and clear errors without checkpoints or runs', () => {
    expect(reportAlphas(report())).toEqual([0, 1]);
    expect(mergekitStream(report()).split('---\n')).toHaveLength(2);
    expect(() => mergekitYaml(report({ checkpoints: {} }), 1)).toThrow(/no target, sft, grpo checkpoint/);
    expect(() => mergekitStream(report({ runs: [] }))).toThrow(expect.objectContaining({ code: 'NO_RUNS' }));
  });
});

describe('lm-eval export', () => {
  it('one command per run with the run settings', () => {
    const lines = lmEvalCommands(report()).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      'lm_eval --model hf --model_args pretrained=./merged-alpha-0,dtype=bfloat16 --tasks gsm8k --num_fewshot 5 --batch_size 8 --limit 50 --gen_kwargs max_gen_toks=256 --log_samples --output_path ./lm-eval-alpha-0',
    );
    expect(lines[1]).toContain(`--samples '{"gsm8k":[4,9,20]}'`);
    expect(lines[1]).toContain('--apply_chat_template --system_instruction');
    expect(lines[1]).not.toContain('--fewshot_as_multiturn');
    expect(lines[1]).toContain(`--system_instruction 'Think step by step, don'\\''t rush'`);
    expect(lines[2]).toContain('--tasks sciq');
  });

  it('--fewshot_as_multiturn only for multi-turn chat runs (the single-turn layout is another prompt)', () => {
    const run = (config: Record<string, unknown>) => ({ alpha: 1, task: 'gsm8k', config, metrics: {}, samples: [] });
    const lines = lmEvalCommands(report({ runs: [run({ chat: true, fewshotAsMultiturn: false }), run({ chat: true, fewshotAsMultiturn: true, numFewshot: 3 }), run({ chat: true })] })).trim().split('\n');
    expect(lines.map((l) => l.includes('--apply_chat_template'))).toEqual([true, true]);
    expect(lines.map((l) => l.includes('--fewshot_as_multiturn'))).toEqual([false, true]);
  });

  it('shell words survive quoting', () => {
    expect(shellWord('plain-word_1.0')).toBe('plain-word_1.0');
    expect(shellWord("it's $HOME")).toBe(`'it'\\''s $HOME'`);
  });
});

describe('mergekit export of every method', () => {
  it('each method\'s YAML reads back (rvs merge --config) as the same merge: weights, base, density, gamma', () => {
    const r = report();
    const [target, sft, grpo] = ['Qwen/Qwen2.5-Math-1.5B', 'michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-SFT', 'michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-GRPO'];
    for (const method of MERGEKIT_EXPORT_METHODS) {
      const config = parseMergekitConfig(mergekitYaml(r, 0.75, method, { density: 0.4, gamma: 0.02 }), `${method}.yml`);
      expect(config.method).toBe(method);
      expect(config.dtype).toBe('BF16');
      const { recipe, dirs } = mergekitRecipe(config);
      // Every method adds 0.75·(GRPO − SFT) to the target, up to sparsification.
      const coefficient = new Map<string, number>();
      const add = (role: string | null | undefined, c: number) => role && coefficient.set(dirs[role]!, (coefficient.get(dirs[role]!) ?? 0) + c);
      add(recipe.base, 1);
      for (const v of recipe.vectors) {
        add(v.plus, v.alpha);
        add(v.minus, -v.alpha);
      }
      expect(Object.fromEntries([...coefficient].filter(([, c]) => Math.abs(c) > 1e-12)), method).toEqual({ [target]: 1, [grpo]: 0.75, [sft]: -0.75 });
      const sparse = !['linear', 'task_arithmetic'].includes(method);
      expect(recipe.method).toBe(sparse ? method : 'task_arithmetic');
      if (sparse) expect(recipe.vectors.every((v) => v.density === 0.4 && (method === 'breadcrumbs' ? v.gamma === 0.02 : v.gamma === undefined))).toBe(true);
    }
  });
});

