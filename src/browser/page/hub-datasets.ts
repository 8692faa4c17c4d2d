/**
 * A benchmark's data from the Hugging Face Hub, as the files the data registry reads (eval-data.ts):
 * the task's `dataset` (repo, config, splits) → core's `fetchParquetSplit` (the Hub's Parquet
 * conversion: the split's shard listing, then each shard, through the cache) → one `DataFile` per
 * shard, named `<repo>/<config>/<split>/<n>.parquet` (what the panel and the report show).
 */
import { configOf, fetchParquetSplit, type HubOptions } from '../../core/hub/datasets.ts';
import type { Task, TaskDataset } from '../../core/eval/tasks/types.ts';
import type { DataFile, DataRole } from '../shared/engine-api.ts';

export interface HubSplit {
  readonly role: DataRole;
  readonly split: string;
}

/**
 * The splits a run of `task` needs: the evaluated split, and the few-shot split when the task
 * samples its examples from one and the run uses any (`numFewshot`: the run's override, else the
 * task's own count).
 */
export function hubSplits(task: Task<unknown>, numFewshot: number | null): HubSplit[] {
  const dataset = task.dataset;
  if (!dataset) return [];
  const shots = numFewshot ?? task.numFewshot;
  const splits: HubSplit[] = [{ role: 'test', split: dataset.evalSplit }];
  if (task.fewshot === 'train-split' && shots > 0 && dataset.fewshotSplit !== null) splits.push({ role: 'fewshot', split: dataset.fewshotSplit });
  return splits;
}

/** Every Parquet shard of one split, in listing order, as data files. */
export async function fetchHubSplit(dataset: TaskDataset, split: string, options: HubOptions): Promise<DataFile[]> {
  const config = configOf(dataset);
  const shards = await fetchParquetSplit(dataset.repo, config, split, options);
  return shards.map((s) => ({ name: `${dataset.repo}/${config}/${split}/${s.name}`, blob: new Blob([s.bytes as Uint8Array<ArrayBuffer>]) }));
}
