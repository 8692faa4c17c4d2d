/** A whole merge: plan, lay out the files, stream the tensors, carry the side files, commit. */
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { SIDE_FILES } from '../checkpoint/checkpoint.ts';
import { savedConfigText } from '../checkpoint/saved-config.ts';
import { RECIPE_METADATA_KEY } from '../checkpoint/vector-origin.ts';
import { copyFile, readText, type FolderSink } from '../io/bytes.ts';
import { layoutFiles, SafetensorsWriter, type FileLayout } from '../safetensors/writer.ts';
import { executePlan, type ExecuteResult, type MergeProgress } from './execute.ts';
import type { KernelBackend } from './kernel.ts';
import { planMerge, type MergePlan } from './plan.ts';
import type { Recipe } from './recipe.ts';

export interface MergeToFolderOptions {
  readonly recipe: Recipe;
  readonly roles: ReadonlyMap<string, Checkpoint>;
  readonly backend: KernelBackend;
  /** Written atomically: aborted on any failure, committed at the end. */
  readonly out: FolderSink;
  readonly shardSize?: number;
  readonly stats?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: MergeProgress) => void;
  readonly chunkElements?: number;
}

export interface MergeToFolderResult extends ExecuteResult {
  readonly plan: MergePlan;
  readonly layout: FileLayout;
}

export async function mergeToFolder(options: MergeToFolderOptions): Promise<MergeToFolderResult> {
  const { out } = options;
  try {
    const plan = planMerge(options.recipe, options.roles);
    const layout = layoutFiles(plan.outputs, {
      ...(options.shardSize === undefined ? {} : { shardSize: options.shardSize }),
      metadata: { [RECIPE_METADATA_KEY]: JSON.stringify(options.recipe) },
    });
    const writer = new SafetensorsWriter(layout, out);
    const result = await executePlan(plan, options.backend, {
      writer,
      stats: options.stats ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.chunkElements ? { chunkElements: options.chunkElements } : {}),
    });
    await writer.finish();
    for (const file of SIDE_FILES) {
      if (!plan.primary.files.includes(file)) continue;
      if (file === 'config.json' && plan.primary.config) {
        // Its torch_dtype / dtype say what the shards hold now.
        const text = savedConfigText(await readText(plan.primary.folder, file), plan.primary.config, plan.outputs);
        const sink = await out.create(file);
        await sink.write(new TextEncoder().encode(text));
        await sink.close();
      } else {
        await copyFile(plan.primary.folder, file, out);
      }
    }
    await out.commit();
    return { ...result, plan, layout };
  } catch (e) {
    await out.abort();
    throw e;
  }
}
