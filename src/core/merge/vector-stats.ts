/**
 * Where a reasoning vector lives: the executor's per-tensor statistics (execute.ts, TensorStats)
 * aggregated by decoder layer and by module, for the studio's heatmap and bars and the CLI.
 *
 * Norms combine exactly: ‖v‖ of a group is √(Σ ‖vₜ‖²) over its tensors, and likewise ‖θ_SFT‖, so
 * a cell's ratio ‖v‖/‖θ_SFT‖ is that of the concatenated tensors (a bias and its weight form one
 * module). Tensors outside the decoder layers (embeddings, the final norm, lm_head) are listed one
 * by one. A stored vector has no θ_SFT (normRef NaN): ratios are then NaN and ‖v‖ stands alone.
 */
import type { TensorStats } from './execute.ts';

export interface NormSummary {
  /** Tensors in the group. */
  readonly tensors: number;
  /** Elements in the group. */
  readonly elements: number;
  readonly normV: number;
  readonly normRef: number;
  /** ‖v‖ / ‖θ_SFT‖ (NaN without θ_SFT). */
  readonly relative: number;
  readonly maxAbsV: number;
  readonly zeroFraction: number;
}

export interface VectorSummary {
  /** Decoder layer indices present, ascending. */
  readonly layers: readonly number[];
  /** Module keys inside a layer ("self_attn.q_proj", "mlp.down_proj", "input_layernorm"…), first-seen order. */
  readonly modules: readonly string[];
  /** cells[i][j]: layer layers[i], module modules[j]; null where the layer lacks that module. */
  readonly cells: readonly (readonly (NormSummary | null)[])[];
  /** One per entry of `layers`. */
  readonly perLayer: readonly NormSummary[];
  /** One per entry of `modules`, over all layers. */
  readonly perModule: readonly NormSummary[];
  /** Tensors outside the decoder layers, in input order. */
  readonly other: readonly (NormSummary & { readonly name: string })[];
  readonly total: NormSummary;
  /** Whether ratios exist (the vector was extracted from θ_SFT and θ_GRPO). */
  readonly hasReference: boolean;
}

/** `model.layers.3.self_attn.q_proj.weight` → layer 3, module `self_attn.q_proj`; null outside the layers. */
export function layerModule(name: string): { layer: number; module: string } | null {
  const m = /(?:^|\.)layers\.(\d+)\.(.+)$/.exec(name);
  if (!m) return null;
  const rest = m[2]!;
  // The last segment names the parameter (weight, bias, scale…); a bare parameter is its own module.
  const dot = rest.lastIndexOf('.');
  return { layer: Number(m[1]), module: dot === -1 ? rest : rest.slice(0, dot) };
}

interface Acc {
  tensors: number;
  elements: number;
  sumSqV: number;
  sumSqRef: number;
  maxAbsV: number;
  zeros: number;
}

const newAcc = (): Acc => ({ tensors: 0, elements: 0, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zeros: 0 });

function add(acc: Acc, s: TensorStats, elements: number): void {
  acc.tensors++;
  acc.elements += elements;
  acc.sumSqV += s.normV * s.normV;
  acc.sumSqRef += s.normRef * s.normRef;
  if (s.maxAbsV > acc.maxAbsV) acc.maxAbsV = s.maxAbsV;
  acc.zeros += s.zeroFraction * elements;
}

function combine(into: Acc, from: Acc): void {
  into.tensors += from.tensors;
  into.elements += from.elements;
  into.sumSqV += from.sumSqV;
  into.sumSqRef += from.sumSqRef;
  into.zeros += from.zeros;
  if (from.maxAbsV > into.maxAbsV) into.maxAbsV = from.maxAbsV;
}

function finish(acc: Acc): NormSummary {
  const normV = Math.sqrt(acc.sumSqV);
  const normRef = Math.sqrt(acc.sumSqRef);
  return {
    tensors: acc.tensors,
    elements: acc.elements,
    normV,
    normRef,
    relative: normV / normRef,
    maxAbsV: acc.maxAbsV,
    zeroFraction: acc.elements ? acc.zeros / acc.elements : 0,
  };
}

export function summarizeVector(stats: readonly TensorStats[]): VectorSummary {
  const layerIndex = new Map<number, Map<string, Acc>>();
  const moduleOrder: string[] = [];
  const seenModules = new Set<string>();
  const other: (NormSummary & { name: string })[] = [];
  const total = newAcc();
  for (const s of stats) {
    const elements = s.shape.reduce((a, d) => a * d, 1);
    add(total, s, elements);
    const where = layerModule(s.name);
    if (!where) {
      const acc = newAcc();
      add(acc, s, elements);
      other.push({ name: s.name, ...finish(acc) });
      continue;
    }
    if (!seenModules.has(where.module)) {
      seenModules.add(where.module);
      moduleOrder.push(where.module);
    }
    const row = layerIndex.get(where.layer) ?? layerIndex.set(where.layer, new Map()).get(where.layer)!;
    const acc = row.get(where.module) ?? row.set(where.module, newAcc()).get(where.module)!;
    add(acc, s, elements);
  }

  const layers = [...layerIndex.keys()].sort((a, b) => a - b);
  const perModuleAcc = moduleOrder.map(newAcc);
  const cells = layers.map((layer) => {
    const row = layerIndex.get(layer)!;
    return moduleOrder.map((module, j) => {
      const acc = row.get(module);
      if (!acc) return null;
      combine(perModuleAcc[j]!, acc);
      return finish(acc);
    });
  });
  const perLayer = layers.map((layer) => {
    const acc = newAcc();
    for (const cell of layerIndex.get(layer)!.values()) combine(acc, cell);
    return finish(acc);
  });
  const summary = finish(total);
  return {
    layers,
    modules: moduleOrder,
    cells,
    perLayer,
    perModule: perModuleAcc.map(finish),
    other,
    total: summary,
    hasReference: stats.length > 0 && stats.every((s) => Number.isFinite(s.normRef)),
  };
}

/** The `n` tensors with the largest ‖v‖, largest first (ties keep input order). */
export function largestTensors(stats: readonly TensorStats[], n: number): TensorStats[] {
  return stats
    .map((s, i) => [s, i] as const)
    .sort(([a, i], [b, j]) => b.normV - a.normV || i - j)
    .slice(0, Math.max(0, n))
    .map(([s]) => s);
}
