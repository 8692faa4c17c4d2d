/**
 * The evaluation data the engine holds, by benchmark: each task's documents (read with core's
 * `loadDocs`, so a user's file and the demo's go through the same checks) and its few-shot
 * material. A group (BIG-Bench Hard) takes any of its files — `<subtask>.json` documents,
 * `<subtask>.txt` cot-prompts — matched by name; others are listed as ignored. Other benchmarks take
 * one file a role, or the Parquet shards of one split (`0.parquet`, `1.parquet`…, as the Hub's
 * Parquet conversion has them): their documents are read in the order given, as one list.
 */
import { blobSource, type ByteSource } from '../../core/io/bytes.ts';
import { decodeText } from '../../core/eval/datasets.ts';
import { EvalError } from '../../core/eval/errors.ts';
import { dataFormat, loadDocs } from '../../core/eval/load.ts';
import { getTask } from '../../core/eval/tasks/index.ts';
import type { FewshotMaterial, Task } from '../../core/eval/tasks/types.ts';
import { getBenchmark } from '../shared/benchmarks.ts';

export interface DataFile {
  /** The file's name or its path inside a chosen folder (`tasks/navigate.json`). */
  readonly name: string;
  readonly blob: Blob;
}

export type DataRole = 'test' | 'fewshot';

export interface TaskData {
  readonly task: Task<unknown>;
  readonly docs: readonly unknown[] | null;
  readonly data: string | null;
  readonly material: FewshotMaterial<unknown> | null;
  readonly fewshotData: string | null;
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

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

async function source(file: DataFile): Promise<ByteSource> {
  return blobSource(file.blob, file.name);
}

async function text(file: DataFile): Promise<string> {
  return decodeText(new Uint8Array(await file.blob.arrayBuffer()), file.name);
}

/** The files read as one: every file when all are Parquet (shards of one split), else the first. */
function partsOf(files: readonly DataFile[]): readonly DataFile[] {
  const parquet = files.every((f) => f.name.toLowerCase().endsWith('.parquet'));
  return parquet ? files : files.slice(0, 1);
}

async function docsOf(task: Task<unknown>, parts: readonly DataFile[]): Promise<unknown[]> {
  const docs: unknown[] = [];
  for (const file of parts) docs.push(...(await loadDocs(task, await source(file), file.name)));
  return docs;
}

/** The data format's extension of a file name, or null (`.txt` and unknown names). */
function docsExtension(name: string): string | null {
  try {
    dataFormat(name);
  } catch {
    return null;
  }
  return (/\.(jsonl\.gz|json\.gz|jsonl|json|parquet)$/i.exec(name)?.[0] ?? null);
}

export class DataRegistry {
  private readonly byBenchmark = new Map<string, Map<string, TaskData>>();
  private readonly ignored = new Map<string, string[]>();

  /** Reads `files` as the benchmark's test data or few-shot source; the summary of what it now has. */
  async set(benchmarkId: string, role: DataRole, files: readonly DataFile[]): Promise<DataSummary> {
    const benchmark = getBenchmark(benchmarkId);
    if (files.length === 0) throw new EvalError('EMPTY_DATA', `${benchmark.label}: no files were given`);
    const current = new Map(this.byBenchmark.get(benchmarkId));
    const entry = (id: string): TaskData => current.get(id) ?? { task: getTask(id) as Task<unknown>, docs: null, data: null, material: null, fewshotData: null };
    const ignored: string[] = [];
    if (benchmark.group) {
      const known = new Set(benchmark.tasks);
      const prefix = `${benchmark.id}_`;
      for (const file of files) {
        const name = baseName(file.name);
        const ext = docsExtension(name);
        const stem = ext ? name.slice(0, -ext.length) : name.toLowerCase().endsWith('.txt') ? name.slice(0, -4) : null;
        const id = stem === null ? null : `${prefix}${stem}`;
        if (id === null || !known.has(id)) {
          ignored.push(file.name);
          continue;
        }
        const t = entry(id);
        if (ext) current.set(id, { ...t, docs: await loadDocs(t.task, await source(file), file.name), data: file.name });
        else current.set(id, { ...t, material: { text: await text(file) }, fewshotData: file.name });
      }
      if (ignored.length === files.length) {
        throw new EvalError('EMPTY_DATA', `${benchmark.label}: none of the ${files.length} files is named after a subtask (expected e.g. tasks/navigate.json, cot-prompts/navigate.txt)`);
      }
    } else {
      const parts = partsOf(files);
      ignored.push(...files.slice(parts.length).map((f) => f.name));
      const name = parts.map((f) => f.name).join(' + ');
      const t = entry(benchmark.tasks[0]!);
      if (role === 'test') {
        current.set(t.task.id, { ...t, docs: await docsOf(t.task, parts), data: name });
      } else {
        if (t.task.fewshot === 'fixed') throw new EvalError('BAD_OPTION', `${t.task.id} has its few-shot examples built in`);
        const material: FewshotMaterial<unknown> = t.task.fewshot === 'cot-prompt' ? { text: await text(parts[0]!) } : { docs: await docsOf(t.task, parts) };
        current.set(t.task.id, { ...t, material, fewshotData: name });
      }
    }
    this.byBenchmark.set(benchmarkId, current);
    this.ignored.set(benchmarkId, ignored);
    return this.summary(benchmarkId);
  }

  clear(benchmarkId: string): void {
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
    if (!held) return [];
    return getBenchmark(benchmarkId).tasks.flatMap((id) => {
      const t = held.get(id);
      return t && t.docs ? [t] : [];
    });
  }
}
