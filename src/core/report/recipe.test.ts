import { describe, expect, it } from 'vitest';
import { applyRecipe, mergeRecipe } from '../merge/recipe.ts';
import { lmEvalCommands, mergekitYaml } from './export.ts';
import { runRecipe } from './recipe.ts';
import { parseReport, ReportError, REPORT_SCHEMA } from './schema.ts';

const RULES = [{ pattern: '*.mlp.*', alpha: 0.5 }];

function report(recipe: unknown, app = 'rvs') {
  return {
    schema: REPORT_SCHEMA,
    createdAt: '2026-01-01T00:00:00.000Z',
    app: { name: app, version: '1' },
    environment: { backend: 'cpu' },
    checkpoints: { target: { name: 't', dtype: 'BF16' }, sft: { name: 's' }, grpo: { name: 'g' } },
    recipe,
    runs: [{ alpha: 0.5, task: 'gsm8k', config: {}, metrics: {}, samples: [] }],
    timings: {},
  };
}

describe("a report's recipe", () => {
  it('is the typed rvs-recipe/1 at α = 1; a run gets its own α', () => {
    const r = parseReport(report(mergeRecipe(1, { rules: RULES, dtype: 'F32' })));
    expect(r.recipe).toEqual(mergeRecipe(1, { rules: RULES, dtype: 'F32' }));
    expect(runRecipe(r, r.runs[0]!)).toEqual(mergeRecipe(0.5, { rules: RULES, dtype: 'F32' }));
    expect(runRecipe(r, { alpha: null })).toBeNull();
    expect(runRecipe({ recipe: null }, { alpha: 1 })).toBeNull();
  });

  it('refuses a recipe that is not one, or one written at another α', () => {
    const bad = (recipe: unknown) => {
      try {
        parseReport(report(recipe));
      } catch (e) {
        if (e instanceof ReportError) return [e.code, e.message];
        throw e;
      }
      throw new Error('expected a ReportError');
    };
    expect(bad({ dtype: 'F16' })).toEqual(['INVALID_REPORT', 'invalid report at recipe.schema: Invalid input: expected "rvs-recipe/1"']);
    expect(bad({ ...mergeRecipe(1), dtype: 'F64' })[1]).toMatch(/^invalid report at recipe\.dtype: /);
    expect(bad(mergeRecipe(0.5))).toEqual(['INVALID_REPORT', "invalid report at recipe.vectors: a report's recipe is written at α = 1 (each run has its own α)"]);
  });

  it("migrates the old CLI spelling (alpha \"per run\", dtype auto: merged to the target's dtype)", () => {
    const old = { ...mergeRecipe(1, { rules: RULES }), vectors: [{ plus: 'grpo', minus: 'sft', alpha: 'per run' }] };
    expect(parseReport(report(old)).recipe).toEqual(mergeRecipe(1, { rules: RULES, dtype: 'auto' }));
  });

  it('migrates the old studio spelling (α 0, dtype F32: float32 weights), with a vector too', () => {
    expect(parseReport(report(mergeRecipe(0, { rules: RULES, dtype: 'F32' }), 'Reasoning Vector Studio')).recipe).toEqual(mergeRecipe(1, { rules: RULES, dtype: 'F32' }));
    expect(parseReport(report(applyRecipe(0, { dtype: 'F32' }))).recipe).toEqual(applyRecipe(1, { dtype: 'F32' }));
  });

  it("export's dtype follows the recorded arithmetic, whichever tool wrote the report", () => {
    for (const app of ['rvs', 'Reasoning Vector Studio']) {
      const exact = parseReport(report(mergeRecipe(1, { dtype: 'F32' }), app));
      const saved = parseReport(report(mergeRecipe(1, { dtype: 'auto' }), app));
      expect(mergekitYaml(exact, 0.5)).toMatch(/^dtype: float32$/m);
      expect(lmEvalCommands(exact)).toContain('dtype=float32');
      expect(mergekitYaml(saved, 0.5)).toMatch(/^dtype: bfloat16$/m);
      expect(lmEvalCommands(saved)).toContain('dtype=bfloat16');
    }
  });
});
