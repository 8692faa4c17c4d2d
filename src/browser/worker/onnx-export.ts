/**
 * "Export ONNX…": the merged model as an ONNX folder that transformers.js loads (core's
 * `exportOnnx`, float32). The merge is written to scratch space first (OPFS in browsers) and read
 * back as a checkpoint; the output folder is written atomically (nothing left on cancel or error).
 * One progress bar covers both halves.
 */
import { openCheckpoint, type Checkpoint } from '../../core/checkpoint/checkpoint.ts';
import type { ByteSink, FolderSink } from '../../core/io/bytes.ts';
import type { MergeProgress } from '../../core/merge/execute.ts';
import type { KernelBackend } from '../../core/merge/kernel.ts';
import { planMerge } from '../../core/merge/plan.ts';
import type { Recipe } from '../../core/merge/recipe.ts';
import { mergeToFolder } from '../../core/merge/run.ts';
import { parseDecoderConfig } from '../../core/model/config.ts';
import { exportOnnx } from '../../core/model/export.ts';
import type { DirectoryHandleLike } from '../shared/fs-access.ts';
import { nestedFolderSink } from './nested-sink.ts';
import type { Scratch } from './scratch.ts';

/** `sink` with the files it creates listed and the bytes written counted (each write after `beforeWrite`). */
export function countingSink(sink: FolderSink, beforeWrite?: () => Promise<void>): { sink: FolderSink; files: string[]; bytes: () => number } {
  const files: string[] = [];
  let bytes = 0;
  return {
    files,
    bytes: () => bytes,
    sink: {
      name: sink.name,
      async create(file): Promise<ByteSink> {
        const inner = await sink.create(file);
        files.push(file);
        return {
          async write(chunk) {
            await beforeWrite?.();
            bytes += chunk.byteLength;
            await inner.write(chunk);
          },
          close: () => inner.close(),
        };
      },
      commit: () => sink.commit(),
      abort: () => sink.abort(),
    },
  };
}

export interface OnnxExportOptions {
  readonly recipe: Recipe;
  readonly roles: ReadonlyMap<string, Checkpoint>;
  readonly backend: KernelBackend;
  readonly dest: DirectoryHandleLike;
  readonly scratch: Scratch;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: MergeProgress) => void;
}

export async function exportMergedOnnx(o: OnnxExportOptions): Promise<{ files: string[]; bytes: number; tensors: number }> {
  // The scratch folder goes whatever happens, a refused destination included.
  try {
    const plan = planMerge(o.recipe, o.roles);
    const config = parseDecoderConfig(plan.primary.config ?? {});
    const out = countingSink(await nestedFolderSink(o.dest));
    const share = plan.outputBytes;
    try {
      await mergeToFolder({
        recipe: o.recipe, roles: o.roles, backend: o.backend, out: o.scratch.sink,
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: (p) => o.onProgress?.({ ...p, bytesDone: (p.bytesDone / Math.max(1, p.bytesTotal)) * share, bytesTotal: 2 * share, tensorsTotal: 2 * p.tensorsTotal }),
      });
      await o.scratch.sink.commit();
      const merged = await openCheckpoint(o.scratch.source);
      const tensors = merged.tensors.size;
      let done = 0;
      let last = '';
      await exportOnnx(merged, config, out.sink, {
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: (p) => {
          if (p.tensor !== last) {
            last = p.tensor;
            done++;
          }
          const fraction = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 1;
          o.onProgress?.({ bytesDone: share + fraction * share, bytesTotal: 2 * share, tensorsDone: tensors + done, tensorsTotal: 2 * tensors, tensor: p.tensor });
        },
      });
      await out.sink.commit();
    } catch (e) {
      await out.sink.abort();
      throw e;
    }
    return { files: out.files, bytes: out.bytes(), tensors: plan.tensors.length };
  } finally {
    await o.scratch.remove();
  }
}
