/**
 * The studio's GPU memory plan for the loaded checkpoints: core's `planGpuMemory` (memory-plan.ts)
 * on the target's config, the merge inputs a resident merge of these slots would keep, the device's
 * `shader-f16` and buffer limits, and the user's budget, mode and batch size. Computed before
 * anything loads (headers only); the model host is built as it says.
 */
import type { Checkpoint } from '../../core/checkpoint/checkpoint.ts';
import { evalRecipe } from '../../core/eval/run-evaluation.ts';
import { decoderWeights, planGpuMemory, type AdapterFacts, type MemoryPlan } from '../../core/gpu/memory-plan.ts';
import { residentInputLengths } from '../../core/gpu/resident-merge.ts';
import { planMerge } from '../../core/merge/plan.ts';
import { parseDecoderConfig } from '../../core/model/config.ts';

/** Tokens per row the plan counts (prompt + generated), capped by the model's positions. */
export const PLAN_CONTEXT = 2048;

export interface GpuSettings {
  readonly budgetBytes: number;
  /** `auto`: the plan chooses (resident if it fits). */
  readonly mode: 'auto' | 'resident' | 'streamed';
  /** Rows per forward pass asked for (the Evaluate panel's batch size). */
  readonly batchSize: number;
  readonly useVector: boolean;
}

export type GpuPlanView =
  | { readonly status: 'none'; readonly reason: string }
  | { readonly status: 'planned'; readonly plan: MemoryPlan; readonly shaderF16: boolean };

export function adapterFacts(device: GPUDevice): AdapterFacts {
  return {
    shaderF16: device.features.has('shader-f16'),
    maxBufferSize: device.limits.maxBufferSize,
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
  };
}

/** The plan for `roles` (the slots' checkpoints), or why there is none. */
export function gpuPlanFor(roles: ReadonlyMap<string, Checkpoint>, facts: AdapterFacts | null, s: GpuSettings): GpuPlanView {
  if (!facts) return { status: 'none', reason: 'no WebGPU: the model runs on the CPU (wasm), nothing is held on a GPU' };
  const needed = s.useVector ? ['target', 'vector'] : ['sft', 'grpo', 'target'];
  const missing = needed.filter((r) => !roles.has(r));
  if (missing.length > 0) return { status: 'none', reason: `load the ${missing.join(' and ')} checkpoint${missing.length > 1 ? 's' : ''} to see the plan` };
  const target = roles.get('target')!;
  if (target.config === null) return { status: 'none', reason: `${target.name}: has no config.json` };
  try {
    const config = parseDecoderConfig(target.config);
    const involved = new Map([...roles].filter(([r]) => needed.includes(r)));
    const full = planMerge(evalRecipe({ useVector: s.useVector, rules: [], weights: 'f32' }, 1), involved);
    const plan = planGpuMemory({
      config,
      mergeInputs: residentInputLengths(full, decoderWeights(config)),
      batchSize: Math.max(1, Math.floor(s.batchSize)),
      contextLength: Math.min(PLAN_CONTEXT, config.maxPositionEmbeddings),
      adapter: facts,
      budgetBytes: s.budgetBytes,
      ...(s.mode === 'auto' ? {} : { mode: s.mode }),
    });
    return { status: 'planned', plan, shaderF16: facts.shaderF16 };
  } catch (e) {
    return { status: 'none', reason: e instanceof Error ? e.message : String(e) };
  }
}
