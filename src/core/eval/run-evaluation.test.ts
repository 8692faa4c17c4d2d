import { describe, expect, it } from 'vitest';
import { applyRecipe, mergeRecipe, type Recipe } from '../merge/recipe.ts';
import type { LanguageModel } from '../model/lm.ts';
import type { TextTokenizer } from '../text/tokenizer.ts';
import type { SciqDoc } from './datasets.ts';
import { evalRecipe, runEvaluation, weightArithmeticOf, type ModelFactory } from './run-evaluation.ts';
import type { SweepTask } from './sweep.ts';
import { sciq } from './tasks/sciq.ts';
import { asyncEvalError } from './testing.ts';

const RULES = [{ pattern: '*.mlp.*', alpha: 0.5 }];
const DOCS: SciqDoc[] = [{ question: 'Q?', distractor1: 'a', distractor2: 'bb', distractor3: 'ccc', correct_answer: 'dddd', support: '' }];
const TASKS: SweepTask[] = [{ task: sciq as SweepTask['task'], docs: DOCS, data: 'sciq.jsonl', settings: {} }];
const header = { createdAt: '2026-01-01T00:00:00Z', app: { name: 't', version: '1' }, environment: { backend: 'stub' }, checkpoints: {} };

/** A model that scores a continuation by its length (longer: less likely; the answer here is the longest choice, so acc 0). */
const stubModel = {
  tokenizer: { encode: (s: string) => [...s].map((c) => c.charCodeAt(0) % 50), decode: () => '', eosTokenIds: [0], bosTokenId: 1, padTokenId: 0 } as unknown as TextTokenizer,
  lm: { vocabSize: 50, generate: async () => [], loglikelihood: async (rs: { continuation: readonly number[] }[]) => rs.map((r) => ({ logprob: -r.continuation.length, tokens: r.continuation.length, greedy: false })), dispose: async () => {} } as unknown as LanguageModel,
};

function recording(): { asked: (Recipe | null)[]; models: ModelFactory } {
  const asked: (Recipe | null)[] = [];
  return { asked, models: async (recipe) => (asked.push(recipe), { model: stubModel, release: async () => {} }) };
}

describe('runEvaluation', () => {
  it("asks the platform's factory for each α's recipe, in the chosen arithmetic, and records it at α = 1", async () => {
    for (const weights of ['f32', 'checkpoint'] as const) {
      const { asked, models } = recording();
      const report = await runEvaluation({ alphas: [-1, 0.5], tasks: TASKS, merge: { useVector: false, rules: RULES, weights }, header, models });
      const dtype = weights === 'f32' ? 'F32' : 'auto';
      expect(asked).toEqual([mergeRecipe(-1, { rules: RULES, dtype }), mergeRecipe(0.5, { rules: RULES, dtype })]);
      expect(report.recipe).toEqual(mergeRecipe(1, { rules: RULES, dtype }));
      expect(weightArithmeticOf(report.recipe!)).toBe(weights);
      expect(report.runs.map((r) => [r.alpha, r.task, r.metrics['acc,none']?.value])).toEqual([[-1, 'sciq', 0], [0.5, 'sciq', 0]]);
    }
  });

  it('a saved vector gives θ_target + α·v; no merge asks for the model as it is', async () => {
    expect(evalRecipe({ useVector: true, rules: [], weights: 'f32' }, 2)).toEqual(applyRecipe(2, { dtype: 'F32' }));
    const { asked, models } = recording();
    const report = await runEvaluation({ alphas: [null], tasks: TASKS, merge: null, header, models });
    expect(asked).toEqual([null]);
    expect(report.recipe).toBeNull();
    expect((await asyncEvalError(runEvaluation({ alphas: [1], tasks: TASKS, merge: null, header, models }))).code).toBe('BAD_OPTION');
    expect((await asyncEvalError(runEvaluation({ alphas: [], tasks: TASKS, merge: null, header, models }))).code).toBe('BAD_OPTION');
  });

  it('starts the sandbox only for a code task', async () => {
    let started = 0;
    const { models } = recording();
    await runEvaluation({ alphas: [0], tasks: TASKS, merge: { useVector: false, rules: [], weights: 'f32' }, header, models, sandbox: async () => (started++, { run: async () => ({ status: 'passed', detail: '' }), dispose: async () => {} }) as never });
    expect(started).toBe(0);
  });
});
