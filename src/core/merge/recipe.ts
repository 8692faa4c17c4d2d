/**
 * A merge recipe: what to compute, independent of where the checkpoints live and of the backend.
 *
 *   θ = base + Σᵢ αᵢ·(plusᵢ − minusᵢ)          (task arithmetic; base null → the vector itself)
 *
 * Checkpoints are named by role ("target", "sft", "grpo", "vector", or any name a front end
 * chooses), bound to folders at planning. Any number of vectors, each from a pair (plus − minus) or
 * a stored vector (plus alone), each with its own α: negation is a negative α, an analogy
 * vₐ − v_b + v_c three vectors with α = 1, −1, 1. The deltas are summed in order, then added to the
 * base (kernel.ts). Rules adjust α per tensor by name pattern, for every vector or for the one
 * numbered `vector` (0-based); the last matching rule wins.
 */
import { z } from 'zod';
import { FLOAT_DTYPES } from '../dtype.ts';

export const RECIPE_SCHEMA = 'rvs-recipe/1';

export const ruleSchema = z
  .object({
    /** Glob on tensor names: `*` matches any run of characters (dots included), `?` one character. */
    pattern: z.string().min(1),
    /** α for matching tensors (replaces the vector's α). */
    alpha: z.number().finite().optional(),
    /** Keep matching tensors at the base's values. */
    exclude: z.boolean().optional(),
    /** Only for this vector (index into `vectors`); absent: every vector. */
    vector: z.number().int().nonnegative().optional(),
  })
  .strict()
  .refine((r) => (r.alpha === undefined) !== (r.exclude === undefined), {
    message: 'a rule sets exactly one of "alpha" and "exclude"',
  });

export const vectorSchema = z
  .object({
    /** v = plus − minus, both checkpoint roles; or a stored vector's role with `minus` absent. */
    plus: z.string().min(1),
    minus: z.string().min(1).optional(),
    alpha: z.number().finite(),
    /** Fraction of v's entries kept by ties, dare_* and breadcrumbs (mergekit's `density`; default 1). */
    density: z.number().gt(0).lte(1).optional(),
    /** breadcrumbs: fraction of the largest magnitudes dropped (mergekit's `gamma`; default 0.01). */
    gamma: z.number().gte(0).lt(1).optional(),
  })
  .strict();

/**
 * Merge methods with mergekit's definitions (sparse-kernel.ts): task_arithmetic; ties (magnitude
 * top-k, majority sign, disjoint mean); dare_linear and dare_ties (random drop, rescaled by
 * 1/density, seeded); breadcrumbs (drop the largest and smallest magnitudes per tensor).
 */
export const MERGE_METHODS = ['task_arithmetic', 'ties', 'dare_linear', 'dare_ties', 'breadcrumbs'] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];

export const recipeSchema = z
  .object({
    schema: z.literal(RECIPE_SCHEMA),
    method: z.enum(MERGE_METHODS),
    /** Divide by the (agreeing) weights' sum; default: mergekit's per method (ties: true, others false). */
    normalize: z.boolean().optional(),
    /** DARE: scale kept entries by 1/density (mergekit's default true for dare_*). */
    rescale: z.boolean().optional(),
    /** Seed of DARE's random drop. */
    seed: z.number().int().nonnegative().max(0xffffffff).optional(),
    base: z.string().min(1).nullable(),
    vectors: z.array(vectorSchema).min(1),
    rules: z.array(ruleSchema).default([]),
    /** Output dtype; "auto" keeps each tensor's dtype in the base (or F32 for a vector). */
    dtype: z.enum(['auto', ...FLOAT_DTYPES]).default('auto'),
    /**
     * Compute as mergekit does (mergekit-kernel.ts) instead of the exact float32 fold: its method
     * (linear: Σ wᵢ·θᵢ over single-input vectors; task_arithmetic: base + Σ wᵢ·(θᵢ − base)), its
     * `dtype` (every op rounds to it) and `normalize`.
     */
    mergekit: z
      .object({
        method: z.enum(['linear', 'task_arithmetic']),
        dtype: z.enum(FLOAT_DTYPES),
        normalize: z.boolean(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type Recipe = z.infer<typeof recipeSchema>;
export type RecipeVector = z.infer<typeof vectorSchema>;
export type Rule = z.infer<typeof ruleSchema>;

export class RecipeError extends Error {
  override readonly name = 'RecipeError';
  readonly code = 'INVALID_RECIPE';
}

export function parseRecipe(input: unknown): Recipe {
  const result = recipeSchema.safeParse(input);
  if (!result.success) {
    const first = result.error.issues[0]!;
    throw new RecipeError(`recipe: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  const bad = result.data.rules.findIndex((r) => r.vector !== undefined && r.vector >= result.data.vectors.length);
  if (bad >= 0) throw new RecipeError(`recipe: rules.${bad}.vector: there are ${result.data.vectors.length} vectors`);
  return result.data;
}

/** θ_target + α·(θ_GRPO − θ_SFT), the paper's merge. */
export function mergeRecipe(alpha: number, options: { rules?: Rule[]; dtype?: Recipe['dtype'] } = {}): Recipe {
  return parseRecipe({
    schema: RECIPE_SCHEMA,
    method: 'task_arithmetic',
    base: 'target',
    vectors: [{ plus: 'grpo', minus: 'sft', alpha }],
    rules: options.rules ?? [],
    dtype: options.dtype ?? 'auto',
  });
}

/** v = θ_GRPO − θ_SFT, written as a checkpoint. */
export function extractRecipe(options: { rules?: Rule[]; dtype?: Recipe['dtype'] } = {}): Recipe {
  return parseRecipe({
    schema: RECIPE_SCHEMA,
    method: 'task_arithmetic',
    base: null,
    vectors: [{ plus: 'grpo', minus: 'sft', alpha: 1 }],
    rules: options.rules ?? [],
    dtype: options.dtype ?? 'F32',
  });
}

/** θ_target + α·v for a stored vector. */
export function applyRecipe(alpha: number, options: { rules?: Rule[]; dtype?: Recipe['dtype'] } = {}): Recipe {
  return parseRecipe({
    schema: RECIPE_SCHEMA,
    method: 'task_arithmetic',
    base: 'target',
    vectors: [{ plus: 'vector', alpha }],
    rules: options.rules ?? [],
    dtype: options.dtype ?? 'auto',
  });
}

/** θ_base + Σᵢ αᵢ·vᵢ over several vectors (pairs or stored vectors), in order. */
export function composeRecipe(base: string | null, vectors: RecipeVector[], options: { rules?: Rule[]; dtype?: Recipe['dtype'] } = {}): Recipe {
  return parseRecipe({
    schema: RECIPE_SCHEMA,
    method: 'task_arithmetic',
    base,
    vectors,
    rules: options.rules ?? [],
    dtype: options.dtype ?? (base === null ? 'F32' : 'auto'),
  });
}

export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Groups the studio offers as one-click rules (Qwen2 / Llama names). */
export const TENSOR_GROUPS = {
  embeddings: ['model.embed_tokens.*', 'lm_head.*'],
  attention: ['*.self_attn.*'],
  mlp: ['*.mlp.*'],
  norms: ['*norm*'],
} as const;
