/**
 * The model factory of `rvs eval` and `rvs sweep` (core's `runEvaluation` asks it for a model per
 * recipe): a recipe is merged on the CPU (WebAssembly SIMD) into a temporary folder in the
 * recipe's dtype (F32: exact float32 weights; auto: the target's dtype), which `openModel` loads
 * and which is removed as soon as the session holds the weights. No recipe: `modelDir` as it is.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Checkpoint } from '../core/checkpoint/checkpoint.ts';
import { EvalError } from '../core/eval/errors.ts';
import type { ModelFactory } from '../core/eval/run-evaluation.ts';
import type { SweepModel } from '../core/eval/sweep.ts';
import { mergeToFolder } from '../core/merge/run.ts';
import { cpuBackend } from './backend.ts';
import { createOutputFolder } from './fs-folder.ts';
import { openModel, type NodeModel, type Runtime } from './model.ts';

export interface NodeSweepModels {
  readonly runtime: Runtime;
  readonly batchSize: number;
  /** Merge inputs by role (target, sft, grpo); null: evaluate `modelDir` as it is. */
  readonly roles: ReadonlyMap<string, Checkpoint> | null;
  readonly modelDir?: string;
  readonly signal?: AbortSignal;
  readonly onLoadProgress?: (p: { readonly phase: 'merge' | 'load'; readonly bytesDone: number; readonly bytesTotal: number }) => void;
}

function asSweepModel(m: NodeModel): SweepModel {
  if (!m.tokenizer) throw new EvalError('BAD_OPTION', `${m.dir}: has no tokenizer.json; evaluation needs one`);
  return { model: { tokenizer: m.tokenizer, lm: m.lm }, release: () => m.close() };
}

export function nodeModels(o: NodeSweepModels): ModelFactory {
  const load = (dir: string) =>
    openModel(dir, {
      runtime: o.runtime,
      batchSize: o.batchSize,
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (p) => o.onLoadProgress?.({ phase: 'load', bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
    });
  return async (recipe) => {
    if (o.roles === null || recipe === null) {
      if (o.modelDir === undefined) throw new EvalError('BAD_OPTION', 'no model to evaluate');
      return asSweepModel(await load(o.modelDir));
    }
    const tmp = await mkdtemp(join(tmpdir(), 'rvs-sweep-'));
    try {
      const dir = join(tmp, 'merged');
      const out = await createOutputFolder(dir);
      const { backend } = await cpuBackend();
      try {
        await mergeToFolder({
          recipe,
          roles: o.roles,
          backend,
          out,
          ...(o.signal ? { signal: o.signal } : {}),
          onProgress: (p) => o.onLoadProgress?.({ phase: 'merge', bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
        });
      } finally {
        await backend.dispose();
      }
      return asSweepModel(await load(dir));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  };
}
