/**
 * The sweep's models in Node: for each α the triple is merged on the CPU (WebAssembly SIMD) into a
 * temporary folder, which `openModel` loads and which is removed as soon as the session holds the
 * weights. With no α the target is loaded as it is.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Checkpoint } from '../core/checkpoint/checkpoint.ts';
import type { SweepModel } from '../core/eval/sweep.ts';
import { mergeRecipe, type Rule } from '../core/merge/recipe.ts';
import { mergeToFolder } from '../core/merge/run.ts';
import { EvalError } from '../core/eval/errors.ts';
import { cpuBackend } from './backend.ts';
import { createOutputFolder } from './fs-folder.ts';
import { openModel, type NodeModel, type Runtime } from './model.ts';

export interface NodeSweepModels {
  readonly runtime: Runtime;
  readonly batchSize: number;
  /** Merge inputs by role (target, sft, grpo); null: evaluate `modelDir` as it is. */
  readonly roles: ReadonlyMap<string, Checkpoint> | null;
  readonly modelDir?: string;
  readonly rules?: readonly Rule[];
  readonly signal?: AbortSignal;
  readonly onLoadProgress?: (p: { readonly phase: 'merge' | 'load'; readonly bytesDone: number; readonly bytesTotal: number }) => void;
}

function asSweepModel(m: NodeModel): SweepModel {
  if (!m.tokenizer) throw new EvalError('BAD_OPTION', `${m.dir}: has no tokenizer.json; evaluation needs one`);
  return { model: { tokenizer: m.tokenizer, lm: m.lm }, release: () => m.close() };
}

export function nodeModelFor(o: NodeSweepModels): (alpha: number | null) => Promise<SweepModel> {
  const load = (dir: string) =>
    openModel(dir, {
      runtime: o.runtime,
      batchSize: o.batchSize,
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (p) => o.onLoadProgress?.({ phase: 'load', bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
    });
  return async (alpha) => {
    if (o.roles === null || alpha === null) {
      if (o.modelDir === undefined) throw new EvalError('BAD_OPTION', 'no model to evaluate');
      return asSweepModel(await load(o.modelDir));
    }
    const tmp = await mkdtemp(join(tmpdir(), 'rvs-sweep-'));
    try {
      const dir = join(tmp, `alpha-${alpha}`);
      const out = await createOutputFolder(dir);
      const { backend } = await cpuBackend();
      try {
        await mergeToFolder({
          recipe: mergeRecipe(alpha, { rules: [...(o.rules ?? [])] }),
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
