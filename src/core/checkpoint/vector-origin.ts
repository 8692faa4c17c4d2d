/**
 * Is a checkpoint a stored reasoning vector? `rvs extract` (and the studio's "save vector") write
 * the recipe into every shard's safetensors metadata as `rvs.recipe`; a vector's recipe has no base
 * (v = θ_GRPO − θ_SFT), a merged model's has one. A checkpoint without that metadata may be a
 * vector from another tool, or a full model: applying a full model "as a vector" adds α times its
 * weights to the target (θ_target + α·θ), which is never what was meant, so callers refuse it or
 * ask the user first.
 */
import { parseRecipe, type Recipe } from '../merge/recipe.ts';
import type { Checkpoint } from './checkpoint.ts';

export const RECIPE_METADATA_KEY = 'rvs.recipe';

export type VectorOrigin =
  /** Written by rvs extract: the recipe has no base. */
  | { readonly kind: 'vector'; readonly recipe: Recipe }
  /** Written by rvs merge / rvs apply (or the studio's save): a full model. */
  | { readonly kind: 'model'; readonly recipe: Recipe }
  /** No `rvs.recipe` in any shard. */
  | { readonly kind: 'unmarked' }
  /** `rvs.recipe` that is not a recipe, or shards that disagree about it. */
  | { readonly kind: 'unreadable'; readonly problem: string };

export function vectorOrigin(checkpoint: Checkpoint): VectorOrigin {
  const texts = new Set(checkpoint.shards.map((s) => s.header.metadata?.[RECIPE_METADATA_KEY]));
  if (texts.size === 1 && texts.has(undefined)) return { kind: 'unmarked' };
  if (texts.size !== 1) return { kind: 'unreadable', problem: `its shards disagree about "${RECIPE_METADATA_KEY}"` };
  const [text] = texts as Set<string>;
  let recipe: Recipe;
  try {
    recipe = parseRecipe(JSON.parse(text!));
  } catch (e) {
    return { kind: 'unreadable', problem: `its "${RECIPE_METADATA_KEY}" metadata is not a recipe (${(e as Error).message})` };
  }
  return { kind: recipe.base === null ? 'vector' : 'model', recipe };
}

/** Why `origin` is not a stored vector, as the rest of a sentence about the checkpoint; null for a vector. */
export function notAVectorReason(origin: VectorOrigin): string | null {
  switch (origin.kind) {
    case 'vector':
      return null;
    case 'model':
      return `is a model, not a vector: its "${RECIPE_METADATA_KEY}" metadata has the base "${origin.recipe.base}" (written by rvs merge or rvs apply)`;
    case 'unmarked':
      return `is not marked as a vector: it has no "${RECIPE_METADATA_KEY}" metadata, which rvs extract writes; if it is a full model, applying it would add α times its weights to the target`;
    case 'unreadable':
      return `is not a vector written by rvs extract: ${origin.problem}`;
  }
}
