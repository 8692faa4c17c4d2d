/**
 * mergekit YAML configurations in: `merge_method` (linear, task_arithmetic, ties, dare_linear,
 * dare_ties, breadcrumbs), `models` (each `model` a local folder, with `parameters` weight / density /
 * gamma), `base_model`, `parameters` (normalize and per-model defaults),
 * `dtype`, `out_dtype`. Slices, parameter gradients (lists) and filters (maps) are out of scope and
 * refused, as is any key or method not listed here: one line naming it.
 *
 * A config becomes an ordinary recipe (recipe.ts), with exact float32 arithmetic by default:
 *   linear            θ = Σ wᵢ·θᵢ (normalize, mergekit's default here: wᵢ / Σ w). The first model of
 *                     weight exactly 1 is the fold's base, so that the authors' config (target +1,
 *                     SFT −1, GRPO +1) is `rvs merge --alpha 1` bit for bit.
 *   task_arithmetic   θ = base + Σ wᵢ·(θᵢ − base) (normalize: wᵢ / Σ w; default false).
 *   ties, dare_*, breadcrumbs   the recipe's method of the same name (sparse-kernel.ts), seeded.
 * With `arith: 'mergekit'` (linear and task_arithmetic) the recipe carries mergekit's own order of operations and rounding
 * (mergekit-kernel.ts) instead.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { FloatDtype } from '../dtype.ts';
import { parseRecipe, RECIPE_SCHEMA, type Recipe, type RecipeVector } from './recipe.ts';

export type MergekitConfigErrorCode = 'YAML' | 'UNKNOWN_KEY' | 'UNKNOWN_METHOD' | 'UNSUPPORTED' | 'INVALID';

export class MergekitConfigError extends Error {
  override readonly name = 'MergekitConfigError';
  constructor(
    readonly code: MergekitConfigErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The methods rvs runs, by mergekit's names. */
export const MERGEKIT_METHODS = ['linear', 'task_arithmetic', 'ties', 'dare_linear', 'dare_ties', 'breadcrumbs'] as const;
export type MergekitMethodName = (typeof MERGEKIT_METHODS)[number];

const TOP_KEYS = ['merge_method', 'models', 'base_model', 'parameters', 'dtype', 'out_dtype'];
const MODEL_KEYS = ['model', 'parameters'];
/** Per-model parameters, and top-level parameters, by method (mergekit's names and defaults). */
const METHOD_PARAMETERS: Record<MergekitMethodName, { perModel: string[]; global: string[]; normalize: boolean }> = {
  linear: { perModel: ['weight'], global: ['normalize'], normalize: true },
  task_arithmetic: { perModel: ['weight', 'density'], global: ['normalize', 'int8_mask', 'rescale'], normalize: false },
  ties: { perModel: ['weight', 'density'], global: ['normalize', 'int8_mask', 'rescale'], normalize: true },
  dare_linear: { perModel: ['weight', 'density'], global: ['normalize', 'int8_mask', 'rescale'], normalize: false },
  dare_ties: { perModel: ['weight', 'density'], global: ['normalize', 'int8_mask', 'rescale'], normalize: false },
  breadcrumbs: { perModel: ['weight', 'density', 'gamma'], global: ['normalize', 'int8_mask', 'rescale'], normalize: false },
};
/** Methods whose sparsification rescales by default (mergekit's default_rescale). */
const RESCALES: readonly string[] = ['dare_linear', 'dare_ties'];
const DTYPES: Record<string, FloatDtype> = { bfloat16: 'BF16', bf16: 'BF16', float16: 'F16', fp16: 'F16', half: 'F16', float32: 'F32', fp32: 'F32', float: 'F32' };

export interface MergekitConfig {
  readonly method: MergekitMethodName;
  readonly models: readonly { readonly model: string; readonly weight: number; readonly density?: number; readonly gamma?: number }[];
  readonly baseModel: string | null;
  readonly normalize: boolean;
  readonly rescale: boolean;
  /** mergekit's working dtype; null when the config names none (tensors stay as loaded). */
  readonly dtype: FloatDtype | null;
  readonly outDtype: FloatDtype | null;
}

const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function parseMergekitConfig(text: string, file: string): MergekitConfig {
  const fail = (code: MergekitConfigErrorCode, message: string): never => {
    throw new MergekitConfigError(code, `${file}: ${message}`);
  };
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    const message = e instanceof YAMLParseError ? e.message.split('\n')[0]! : String(e);
    return fail('YAML', `not valid YAML: ${message}`);
  }
  if (!isMap(doc)) return fail('INVALID', 'a mergekit config is a YAML mapping');
  if ('slices' in doc) fail('UNSUPPORTED', '"slices" are not supported; list whole models under "models"');
  const unknown = Object.keys(doc).filter((k) => !TOP_KEYS.includes(k));
  if (unknown.length) fail('UNKNOWN_KEY', `unknown or unsupported key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (supported: ${TOP_KEYS.join(', ')})`);

  const method = doc['merge_method'];
  if (typeof method !== 'string') return fail('INVALID', '"merge_method" is required');
  if (!(MERGEKIT_METHODS as readonly string[]).includes(method)) fail('UNKNOWN_METHOD', `unknown or unsupported merge_method "${method}" (supported: ${MERGEKIT_METHODS.join(', ')})`);
  const spec = METHOD_PARAMETERS[method as MergekitMethodName];

  const dtypeOf = (key: string): FloatDtype | null => {
    const v = doc[key];
    if (v === undefined || v === null) return null;
    const d = typeof v === 'string' ? DTYPES[v.toLowerCase()] : undefined;
    return d ?? fail('INVALID', `"${key}": "${String(v)}" is not bfloat16, float16 or float32`);
  };

  const number = (where: string, v: unknown): number => {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (Array.isArray(v)) return fail('UNSUPPORTED', `${where}: parameter gradients (lists) are not supported; give one number`);
    if (isMap(v)) return fail('UNSUPPORTED', `${where}: per-tensor filters are not supported; give one number`);
    return fail('INVALID', `${where}: expected a number, got ${JSON.stringify(v)}`);
  };

  const globals = doc['parameters'] ?? {};
  if (!isMap(globals)) return fail('INVALID', '"parameters" is a mapping');
  const badGlobal = Object.keys(globals).filter((k) => !spec.global.includes(k) && !spec.perModel.includes(k));
  if (badGlobal.length) fail('UNKNOWN_KEY', `parameters: unknown parameter${badGlobal.length > 1 ? 's' : ''} ${badGlobal.map((k) => `"${k}"`).join(', ')} for ${method}`);
  for (const k of ['normalize', 'int8_mask', 'rescale']) {
    if (k in globals && typeof globals[k] !== 'boolean') fail('INVALID', `parameters.${k}: expected true or false`);
  }
  const normalize = (globals['normalize'] as boolean | undefined) ?? spec.normalize;

  const modelsRaw = doc['models'];
  if (!Array.isArray(modelsRaw) || modelsRaw.length === 0) return fail('INVALID', '"models" is a non-empty list');
  const models = modelsRaw.map((m, i) => {
    const where = `models[${i}]`;
    if (typeof m === 'string') m = { model: m };
    if (!isMap(m)) return fail('INVALID', `${where}: expected a mapping with "model"`);
    const bad = Object.keys(m).filter((k) => !MODEL_KEYS.includes(k));
    if (bad.length) fail('UNKNOWN_KEY', `${where}: unknown key${bad.length > 1 ? 's' : ''} ${bad.map((k) => `"${k}"`).join(', ')}`);
    if (typeof m['model'] !== 'string' || m['model'] === '') return fail('INVALID', `${where}.model: expected a folder`);
    const params = m['parameters'] ?? {};
    if (!isMap(params)) return fail('INVALID', `${where}.parameters: expected a mapping`);
    const badParam = Object.keys(params).filter((k) => !spec.perModel.includes(k));
    if (badParam.length) fail('UNKNOWN_KEY', `${where}.parameters: unknown parameter${badParam.length > 1 ? 's' : ''} ${badParam.map((k) => `"${k}"`).join(', ')} for ${method}`);
    const weightRaw = params['weight'] ?? globals['weight'];
    const isBase = m['model'] === doc['base_model'];
    if (weightRaw === undefined && !(isBase && method === 'task_arithmetic')) fail('INVALID', `${where}: "weight" is required for ${method}`);
    const weight = weightRaw === undefined ? 0 : number(`${where}.parameters.weight`, weightRaw);
    const densityRaw = params['density'] ?? globals['density'];
    const density = densityRaw === undefined ? undefined : number(`${where}.parameters.density`, densityRaw);
    if (density !== undefined && (density <= 0 || density > 1)) fail('INVALID', `${where}.parameters.density: ${density} is not in (0, 1]`);
    if (density !== undefined && density !== 1 && (method === 'task_arithmetic' || method === 'linear')) fail('UNSUPPORTED', `${where}.parameters.density: ${method} does not sparsify; density must be 1`);
    const gammaRaw = params['gamma'] ?? globals['gamma'];
    const gamma = gammaRaw === undefined ? undefined : number(`${where}.parameters.gamma`, gammaRaw);
    if (gamma !== undefined && (gamma < 0 || gamma >= 1)) fail('INVALID', `${where}.parameters.gamma: ${gamma} is not in [0, 1)`);
    return { model: m['model'], weight, ...(density === undefined ? {} : { density }), ...(gamma === undefined ? {} : { gamma }) };
  });

  const base = doc['base_model'];
  if (base !== undefined && base !== null && typeof base !== 'string') fail('INVALID', '"base_model": expected a folder');
  const baseModel = (base as string | undefined) ?? null;
  if (method !== 'linear' && baseModel === null) fail('INVALID', `${method} needs a "base_model"`);
  const rescale = (globals['rescale'] as boolean | undefined) ?? RESCALES.includes(method);
  if (rescale && (method === 'ties' || method === 'breadcrumbs')) fail('UNSUPPORTED', `parameters.rescale: rescaling ${method}'s magnitude selection is not supported`);
  if (method === 'linear' && baseModel !== null && !models.some((m) => m.model === baseModel)) fail('INVALID', `linear: base_model "${baseModel}" is not among the models (it needs a weight)`);
  return { method: method as MergekitMethodName, models, baseModel, normalize, rescale, dtype: dtypeOf('dtype'), outDtype: dtypeOf('out_dtype') };
}

export interface MergekitRecipe {
  readonly recipe: Recipe;
  /** Role → folder (roles "model1", "model2", … in the config's order; "base" for base_model). */
  readonly dirs: Record<string, string>;
}

/** The recipe of a config; `arith` picks exact float32 (default) or mergekit's rounding. */
export function mergekitRecipe(config: MergekitConfig, arith: 'float32' | 'mergekit' = 'float32', seed = 0): MergekitRecipe {
  const dirs: Record<string, string> = {};
  const roleOf = new Map<string, string>();
  const role = (folder: string, name: string) => {
    let r = roleOf.get(folder);
    if (r === undefined) {
      roleOf.set(folder, (r = name));
      dirs[r] = folder;
    }
    return r;
  };
  const base = config.method !== 'linear' ? role(config.baseModel!, 'base') : null;
  // Task-vector methods skip the base among the models, as mergekit does.
  const models = config.models.filter((m) => config.method === 'linear' || m.model !== config.baseModel);
  if (models.length === 0) throw new MergekitConfigError('INVALID', `${config.method}: no model besides the base`);
  const roles = models.map((m, i) => role(m.model, `model${i + 1}`));
  const weights = models.map((m) => m.weight);
  const outDtype = config.outDtype ?? config.dtype;
  if (config.method !== 'linear' && config.method !== 'task_arithmetic') {
    if (arith === 'mergekit') throw new MergekitConfigError('UNSUPPORTED', `--arith mergekit covers linear and task_arithmetic, not ${config.method} (its random draws and sorts are torch's own)`);
    const vectors = models.map((m, i) => ({ plus: roles[i]!, minus: base!, alpha: m.weight, ...(m.density === undefined ? {} : { density: m.density }), ...(m.gamma === undefined ? {} : { gamma: m.gamma }) }));
    const recipe = parseRecipe({ schema: RECIPE_SCHEMA, method: config.method, normalize: config.normalize, rescale: config.rescale, seed, base, vectors, rules: [], dtype: outDtype ?? 'auto' });
    return { recipe, dirs };
  }
  if (arith === 'mergekit') {
    if (config.dtype === null) throw new MergekitConfigError('INVALID', '--arith mergekit needs the config\'s "dtype" (the dtype mergekit computes in)');
    const vectors: RecipeVector[] = roles.map((r, i) => (base === null ? { plus: r, alpha: weights[i]! } : { plus: r, minus: base, alpha: weights[i]! }));
    const recipe = parseRecipe({ schema: RECIPE_SCHEMA, method: 'task_arithmetic', base, vectors, rules: [], dtype: outDtype ?? 'auto', mergekit: { method: config.method, dtype: config.dtype, normalize: config.normalize } });
    return { recipe, dirs };
  }
  let alphas = weights;
  if (config.normalize) {
    const sum = weights.reduce((a, b) => a + b, 0);
    if (config.method === 'linear' && sum === 0) throw new MergekitConfigError('INVALID', 'linear: the weights sum to 0, which normalize divides by (set normalize: false)');
    if (Math.abs(sum) >= 1e-8) alphas = weights.map((w) => w / sum);
  }
  if (base !== null) {
    const vectors = roles.map((r, i) => ({ plus: r, minus: base, alpha: alphas[i]! }));
    return { recipe: parseRecipe({ schema: RECIPE_SCHEMA, method: 'task_arithmetic', base, vectors, rules: [], dtype: outDtype ?? 'auto' }), dirs };
  }
  // linear: a model of weight exactly 1 is the base of the fold (θ = θ_b + Σ others), else no base.
  const at = alphas.findIndex((a) => a === 1);
  const linearBase = at >= 0 ? roles[at]! : null;
  const vectors = roles.flatMap((r, i) => (i === at ? [] : [{ plus: r, alpha: alphas[i]! }]));
  if (vectors.length === 0) throw new MergekitConfigError('INVALID', 'linear: one model of weight 1 is a copy; nothing to merge');
  return { recipe: parseRecipe({ schema: RECIPE_SCHEMA, method: 'task_arithmetic', base: linearBase, vectors, rules: [], dtype: outDtype ?? (linearBase ? 'auto' : 'F32') }), dirs };
}
