/**
 * The evaluation data the engine holds, by benchmark: each task's documents and few-shot material,
 * read by core's task resolution (`core/eval/task-data.ts`, the one the CLI uses too), so a user's
 * file and the demo's go through the same checks. This file is the studio's adapter: files arrive
 * as Blobs (a chosen folder, dropped files, the Hub cache) and are kept by benchmark.
 */
import { blobSource } from '../../core/io/bytes.ts';
import { EvalError } from '../../core/eval/errors.ts';
import { addTaskFiles, tasksWithDocs, type DataRole, type TaskData } from '../../core/eval/task-data.ts';
import { getBenchmark } from '../shared/benchmarks.ts';

export type { DataRole, TaskData };

export interface DataFile {
  /** The file's name or its path inside a chosen folder (`tasks/navigate.json`). */
  readonly name: string;
  readonly blob: Blob;
}

export interface TaskDataSummary {
  readonly task: string;
  readonly items: number;
  readonly data: string | null;
  readonly fewshot: string | null;
}

export interface DataSummary {
  readonly benchmark: string;
  /** Tasks with documents (a group: the subtasks found). */
  readonly tasks: readonly TaskDataSummary[];
  readonly items: number;
  /** Files of a group that match none of its subtasks. */
  readonly ignored: readonly string[];
}

export class DataRegistry {
  private readonly byBenchmark = new Map<string, Map<string, TaskData>>();
  private readonly ignored = new Map<string, string[]>();
  /** Benchmarks whose data is the demo's. */
  private readonly demo = new Set<string>();

  /**
   * Reads `files` as the benchmark's test data or few-shot source; the summary of what it now has.
   * The user's files never combine with the demo's (`demo`: these are the demo's): the first of
   * them replaces the demo's data, so that e.g. the demo's BBH cot-prompts are not used with a
   * user's folder that lacks `cot-prompts/`.
   */
  async set(benchmarkId: string, role: DataRole, files: readonly DataFile[], demo = false): Promise<DataSummary> {
    const benchmark = getBenchmark(benchmarkId);
    if (files.length === 0) throw new EvalError('EMPTY_DATA', `${benchmark.label}: no files were given`);
    const mixes = this.demo.has(benchmarkId) !== demo && this.byBenchmark.has(benchmarkId);
    const read = files.map((f) => ({ name: f.name, open: async () => blobSource(f.blob, f.name) }));
    const { data, ignored } = await addTaskFiles(benchmark.id, role, read, mixes ? undefined : this.byBenchmark.get(benchmarkId));
    this.byBenchmark.set(benchmarkId, data);
    this.ignored.set(benchmarkId, ignored);
    if (demo) this.demo.add(benchmarkId);
    else this.demo.delete(benchmarkId);
    return this.summary(benchmarkId);
  }

  clear(benchmarkId: string): void {
    this.demo.delete(benchmarkId);
    this.byBenchmark.delete(benchmarkId);
    this.ignored.delete(benchmarkId);
  }

  summary(benchmarkId: string): DataSummary {
    const tasks = this.tasks(benchmarkId).map((t) => ({ task: t.task.id, items: t.docs!.length, data: t.data, fewshot: t.fewshotData }));
    return { benchmark: benchmarkId, tasks, items: tasks.reduce((n, t) => n + t.items, 0), ignored: this.ignored.get(benchmarkId) ?? [] };
  }

  /** The benchmark's tasks that have documents, in the benchmark's order. */
  tasks(benchmarkId: string): TaskData[] {
    const held = this.byBenchmark.get(benchmarkId);
    return held ? tasksWithDocs(benchmarkId, held) : [];
  }
}
