/**
 * `rvs merge`'s composition options: θ = θ_target + Σᵢ αᵢ·vᵢ with terms in command-line order,
 *   --pair SFT,GRPO=α   vᵢ = θ_GRPO − θ_SFT (never written)
 *   --vector DIR=α      vᵢ a vector written by rvs extract
 * Negation is a negative α, an analogy vₐ − v_b + v_c three terms with α = 1, −1, 1. The classic
 * --sft/--grpo/--alpha is the one-pair case. A folder named twice is opened (and read) once.
 * `--config FILE` reads a mergekit YAML instead (core/merge/mergekit-config.ts).
 */
import { InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import type { FloatDtype } from '../core/dtype.ts';
import { mergekitRecipe, parseMergekitConfig } from '../core/merge/mergekit-config.ts';
import { parseRecipe, type Recipe, type Rule } from '../core/merge/recipe.ts';
import type { RecipeVector } from '../core/merge/recipe.ts';
import { UsageError } from './errors.ts';

export type ComposeTerm = { readonly kind: 'pair'; readonly sft: string; readonly grpo: string; readonly alpha: number } | { readonly kind: 'vector'; readonly dir: string; readonly alpha: number };

function splitAlpha(text: string, what: string): [string, number] {
  const at = text.lastIndexOf('=');
  const alpha = Number(text.slice(at + 1));
  if (at <= 0 || text.slice(at + 1).trim() === '' || !Number.isFinite(alpha)) throw new InvalidArgumentError(`expected ${what}=ALPHA with a finite ALPHA, e.g. ${what}=0.5`);
  return [text.slice(0, at), alpha];
}

/**
 * Parsers for --pair and --vector that append to one shared list, so that the terms keep their
 * command-line order across both options (the order of the float32 sum).
 */
export function termCollectors(): { pair: (text: string) => ComposeTerm[]; vector: (text: string) => ComposeTerm[]; terms: ComposeTerm[] } {
  const terms: ComposeTerm[] = [];
  return {
    terms,
    pair(text) {
      const [dirs, alpha] = splitAlpha(text, 'SFT,GRPO');
      const parts = dirs.split(',');
      if (parts.length !== 2 || !parts[0] || !parts[1]) throw new InvalidArgumentError('expected SFT,GRPO=ALPHA (two folders separated by a comma)');
      terms.push({ kind: 'pair', sft: parts[0], grpo: parts[1], alpha });
      return terms;
    },
    vector(text) {
      const [dir, alpha] = splitAlpha(text, 'DIR');
      terms.push({ kind: 'vector', dir, alpha });
      return terms;
    },
  };
}

export interface Composition {
  /** Role → folder, the target as "target". */
  readonly dirs: Record<string, string>;
  readonly vectors: RecipeVector[];
  /** Roles that are stored vectors (checked for rvs extract's marking). */
  readonly vectorRoles: string[];
}

/** Roles for the terms: one per distinct folder ("sft1", "grpo1", "vector2", …, by first use). */
export function composition(target: string, terms: readonly ComposeTerm[]): Composition {
  if (terms.length === 0) throw new UsageError('merge: give --sft, --grpo and --alpha, or at least one --pair SFT,GRPO=ALPHA or --vector DIR=ALPHA');
  const dirs: Record<string, string> = { target };
  const roleOf = new Map<string, string>([[target, 'target']]);
  const role = (dir: string, name: string) => {
    let r = roleOf.get(dir);
    if (r === undefined) {
      r = name;
      roleOf.set(dir, r);
      dirs[r] = dir;
    }
    return r;
  };
  const vectorRoles = new Set<string>();
  const vectors = terms.map((t, i): RecipeVector => {
    if (t.kind === 'pair') return { minus: role(t.sft, `sft${i + 1}`), plus: role(t.grpo, `grpo${i + 1}`), alpha: t.alpha };
    const r = role(t.dir, `vector${i + 1}`);
    vectorRoles.add(r);
    return { plus: r, alpha: t.alpha };
  });
  return { dirs, vectors, vectorRoles: [...vectorRoles] };
}

/** `--config FILE`: a mergekit YAML as a recipe; --exclude/--alpha-for rules and --dtype apply on top. */
export async function configRecipe(file: string, arith: 'float32' | 'mergekit', rules: Rule[], dtype: FloatDtype | undefined, seed = 0): Promise<{ recipe: Recipe; dirs: Record<string, string> }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const { recipe, dirs } = mergekitRecipe(parseMergekitConfig(text, file), arith, seed);
  return { recipe: parseRecipe({ ...recipe, rules: [...recipe.rules, ...rules], ...(dtype ? { dtype } : {}) }), dirs };
}
