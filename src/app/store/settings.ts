/**
 * The merge panel's settings and the recipes they stand for (pure; the store and tests use them).
 *
 * Rules are applied in this order, the last match winning (recipe.ts): groups (embeddings,
 * attention, MLP, norms — norms last, so a norm inside attention follows the norms setting), then
 * the user's patterns top to bottom.
 */
import type { FloatDtype } from '../../core/dtype.ts';
import { alphaProblem } from '../../core/merge/alphas.ts';
import { applyRecipe, extractRecipe, globToRegExp, mergeRecipe, TENSOR_GROUPS, type Recipe, type Rule } from '../../core/merge/recipe.ts';

export type GroupId = keyof typeof TENSOR_GROUPS;
export const GROUP_IDS = ['embeddings', 'attention', 'mlp', 'norms'] as const satisfies readonly GroupId[];
export const GROUP_LABELS: Record<GroupId, string> = { embeddings: 'Embeddings', attention: 'Attention', mlp: 'MLP', norms: 'Norms' };

/** `inherit`: the main α; `alpha`: its own α; `exclude`: keep the target's weights. */
export type RuleMode = 'inherit' | 'alpha' | 'exclude';

export interface GroupSetting {
  readonly mode: RuleMode;
  readonly alpha: number;
}

export interface PatternSetting {
  readonly id: number;
  /** Glob on tensor names (`*` any run of characters, `?` one). Empty patterns are ignored. */
  readonly pattern: string;
  readonly mode: Exclude<RuleMode, 'inherit'>;
  readonly alpha: number;
}

export type OutputDtype = 'auto' | FloatDtype;
export const OUTPUT_DTYPES: readonly OutputDtype[] = ['auto', 'BF16', 'F16', 'F32'];

export interface MergeSettings {
  readonly alpha: number;
  readonly groups: Readonly<Record<GroupId, GroupSetting>>;
  readonly patterns: readonly PatternSetting[];
  readonly dtype: OutputDtype;
  /** Largest safetensors shard, in MB (10⁶ bytes). */
  readonly shardSizeMB: number;
}

export const ALPHA_MIN = -2;
export const ALPHA_MAX = 2;
export const ALPHA_STEP = 0.01;

export const DEFAULT_SETTINGS: MergeSettings = {
  alpha: 1,
  groups: {
    embeddings: { mode: 'inherit', alpha: 1 },
    attention: { mode: 'inherit', alpha: 1 },
    mlp: { mode: 'inherit', alpha: 1 },
    norms: { mode: 'inherit', alpha: 1 },
  },
  patterns: [],
  dtype: 'auto',
  shardSizeMB: 2000,
};

function rule(pattern: string, mode: Exclude<RuleMode, 'inherit'>, alpha: number): Rule {
  return mode === 'exclude' ? { pattern, exclude: true } : { pattern, alpha };
}

export function rulesOf(settings: MergeSettings): Rule[] {
  const rules: Rule[] = [];
  for (const group of GROUP_IDS) {
    const g = settings.groups[group];
    if (g.mode === 'inherit') continue;
    for (const pattern of TENSOR_GROUPS[group]) rules.push(rule(pattern, g.mode, g.alpha));
  }
  for (const p of settings.patterns) {
    const pattern = p.pattern.trim();
    if (pattern) rules.push(rule(pattern, p.mode, p.alpha));
  }
  return rules;
}

/** θ_target + α·(θ_GRPO − θ_SFT), or θ_target + α·v with a saved vector. */
export function mergeRecipeOf(settings: MergeSettings, useVector: boolean): Recipe {
  const options = { rules: rulesOf(settings), dtype: settings.dtype };
  return useVector ? applyRecipe(settings.alpha, options) : mergeRecipe(settings.alpha, options);
}

/**
 * The merge recipe as its compatibility check sees it. Compatibility depends on α only through
 * which tensors are copies of the target (α = 0 or excluded: they need no counterpart), so the
 * slider's α is taken as 1 — the check holds for every α ≠ 0, and α = 0 (a copy of the target) is
 * held to the same check — and each rule's α as 0 or 1. Moving the slider leaves this recipe, and so
 * the compatibility result, unchanged: it costs no round-trip to the engine.
 */
export function compatRecipeOf(settings: MergeSettings, useVector: boolean): Recipe {
  const zeroOrOne = (alpha: number) => (alpha === 0 ? 0 : 1);
  const groups = Object.fromEntries(GROUP_IDS.map((g) => [g, { ...settings.groups[g], alpha: zeroOrOne(settings.groups[g].alpha) }])) as MergeSettings['groups'];
  const patterns = settings.patterns.map((p) => ({ ...p, alpha: zeroOrOne(p.alpha) }));
  return mergeRecipeOf({ ...settings, alpha: 1, groups, patterns, shardSizeMB: 1 }, useVector);
}

/**
 * The vector panel's pass: the whole vector, no rules. Extracted from SFT and GRPO; a saved vector
 * is read against the target (an `apply` pass computes its statistics, without θ_SFT ratios).
 */
export function analysisRecipeOf(useVector: boolean): Recipe {
  return useVector ? applyRecipe(1, { dtype: 'F32' }) : extractRecipe();
}

/** "Save vector…": v = θ_GRPO − θ_SFT in float32, as `rvs extract` writes it. */
export function vectorRecipe(): Recipe {
  return extractRecipe();
}

export function shardBytes(settings: MergeSettings): number {
  return Math.max(1, Math.round(settings.shardSizeMB * 1e6));
}

/** A number typed into a field: finite, or null (the field then keeps its text and shows a hint). */
export function parseNumber(text: string): number | null {
  if (text.trim() === '') return null;
  const x = Number(text);
  return Number.isFinite(x) ? x : null;
}

/**
 * Why the settings cannot be used, or null: an α (the main one, a group's own or a pattern's own)
 * beyond core's bound (|α| ≤ 100, `alphaProblem`). Blocks every action that merges.
 */
export function settingsProblem(settings: MergeSettings): string | null {
  const main = alphaProblem(settings.alpha);
  if (main) return `The merge’s ${main}.`;
  for (const group of GROUP_IDS) {
    const g = settings.groups[group];
    const problem = g.mode === 'alpha' ? alphaProblem(g.alpha) : null;
    if (problem) return `${GROUP_LABELS[group]}: ${problem}.`;
  }
  for (const [i, p] of settings.patterns.entries()) {
    const problem = p.mode === 'alpha' && p.pattern.trim() !== '' ? alphaProblem(p.alpha) : null;
    if (problem) return `Pattern ${i + 1}: ${problem}.`;
  }
  return null;
}

/** How many of `names` the globs match (any of them; blank ones ignored), and the first few to show. */
export function patternMatches(patterns: string | readonly string[], names: readonly string[], preview = 8): { readonly count: number; readonly preview: readonly string[] } {
  const globs = (typeof patterns === 'string' ? [patterns] : patterns).map((p) => p.trim()).filter((p) => p !== '');
  if (globs.length === 0) return { count: 0, preview: [] };
  const res = globs.map(globToRegExp);
  const matched = names.filter((n) => res.some((re) => re.test(n)));
  return { count: matched.length, preview: matched.slice(0, preview) };
}

/** One line of the merge formula: the main term, or what a rule does to the tensors it matches. */
export interface FormulaLine {
  readonly patterns: readonly string[];
  /** null: the tensors keep the target's values. */
  readonly alpha: number | null;
}

/**
 * The merge as the rules make it: the main α for every tensor, then each rule in order (the last
 * match wins), as `rulesOf` gives them to the recipe — a group's patterns on one line.
 */
export function formulaOf(settings: MergeSettings): { readonly alpha: number; readonly rules: readonly FormulaLine[] } {
  const rules: FormulaLine[] = [];
  for (const group of GROUP_IDS) {
    const g = settings.groups[group];
    if (g.mode !== 'inherit') rules.push({ patterns: TENSOR_GROUPS[group], alpha: g.mode === 'exclude' ? null : g.alpha });
  }
  for (const p of settings.patterns) {
    if (p.pattern.trim() !== '') rules.push({ patterns: [p.pattern.trim()], alpha: p.mode === 'exclude' ? null : p.alpha });
  }
  return { alpha: settings.alpha, rules };
}
