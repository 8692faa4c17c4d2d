/**
 * Task resolution, shared by the CLI and the studio: the files a user gives for a task or a task
 * group are read into each task's documents and few-shot material, and the sweep's tasks are
 * checked (a task that samples few-shot examples needs its source).
 *
 *   files (a platform's folder or file source) ──addTaskFiles──► TaskData by task ──sweepTasks──► SweepTask[]
 *
 * A group (BIG-Bench Hard, `bbh` or `bbh_cot_fewshot`) takes any of its files — `<subtask>.json`
 * documents, `<subtask>.txt` cot-prompts, as in BIG-Bench Hard's `tasks/` and `cot-prompts/` —
 * matched by base name; files matching no subtask are listed as ignored. A single task takes one
 * file a role, or the Parquet shards of one split (`0.parquet`, `1.parquet`…, as the Hub's Parquet
 * conversion has them), read in the order given as one list of documents.
 */
import type { ByteSource } from '../io/bytes.ts';
import { decodeText } from './datasets.ts';
import { EvalError } from './errors.ts';
import { dataFormat, loadDocs } from './load.ts';
import type { RunSettings, SweepTask } from './sweep.ts';
import { BBH_GROUP } from './tasks/bbh.ts';
import { getTask, TASKS } from './tasks/index.ts';
import type { FewshotMaterial, Task } from './tasks/types.ts';

/** A file as a platform hands it over: its name (recorded in reports) and its bytes on demand. */
export interface DataFile {
  /** A path or a name inside a chosen folder (`tasks/navigate.json`); the base name is matched. */
  readonly name: string;
  open(): Promise<ByteSource | Uint8Array>;
}

export type DataRole = 'test' | 'fewshot';

export interface TaskData {
  readonly task: Task<unknown>;
  readonly docs: readonly unknown[] | null;
  /** Where the documents came from (recorded in each run's config). */
  readonly data: string | null;
  readonly material: FewshotMaterial<unknown> | null;
  readonly fewshotData: string | null;
}

/** Task data by task id. */
export type TaskDataSet = ReadonlyMap<string, TaskData>;

/** The task ids a task or group id stands for, in the group's order (`bbh` names BIG-Bench Hard's group). */
export function taskIdsOf(id: string): string[] {
  const members = groupMembers(id);
  return members.length > 0 ? members : [getTask(id).id];
}

function groupMembers(id: string): string[] {
  const group = id === 'bbh' ? BBH_GROUP : id;
  return TASKS.filter((t) => t.group === group).map((t) => t.id);
}

/** Whether the id names a task group (its files are matched by subtask name). */
export function isGroup(id: string): boolean {
  return groupMembers(id).length > 0;
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

async function bytesOf(file: DataFile): Promise<Uint8Array> {
  const opened = await file.open();
  return opened instanceof Uint8Array ? opened : opened.read(0, opened.size);
}

async function text(file: DataFile): Promise<string> {
  return decodeText(await bytesOf(file), file.name);
}

/** The files read as one: every file when all are Parquet (shards of one split), else the first. */
function partsOf(files: readonly DataFile[]): readonly DataFile[] {
  const parquet = files.every((f) => f.name.toLowerCase().endsWith('.parquet'));
  return parquet ? files : files.slice(0, 1);
}

async function docsOf(task: Task<unknown>, parts: readonly DataFile[]): Promise<unknown[]> {
  const docs: unknown[] = [];
  for (const file of parts) docs.push(...(await loadDocs(task, await file.open(), file.name)));
  return docs;
}

/** The data format's extension of a file name, or null (`.txt` and unknown names). */
function docsExtension(name: string): string | null {
  try {
    dataFormat(name);
  } catch {
    return null;
  }
  return /\.(jsonl\.gz|json\.gz|jsonl|json|parquet)$/i.exec(name)?.[0] ?? null;
}

/**
 * Reads `files` as the test data or the few-shot source of a task or group, on top of `current`;
 * the updated set and the files no subtask matched. A group's files carry their role in their
 * names (`.txt`: cot-prompts), so `role` matters only for a single task.
 */
export async function addTaskFiles(id: string, role: DataRole, files: readonly DataFile[], current: TaskDataSet = new Map()): Promise<{ data: Map<string, TaskData>; ignored: string[] }> {
  const ids = taskIdsOf(id);
  if (files.length === 0) throw new EvalError('EMPTY_DATA', `${id}: no files were given`);
  const data = new Map(current);
  const entry = (taskId: string): TaskData => data.get(taskId) ?? { task: getTask(taskId) as Task<unknown>, docs: null, data: null, material: null, fewshotData: null };
  const ignored: string[] = [];
  if (isGroup(id)) {
    const group = getTask(ids[0]!).group!;
    const known = new Set(ids);
    for (const file of files) {
      const name = baseName(file.name);
      const ext = docsExtension(name);
      const stem = ext ? name.slice(0, -ext.length) : name.toLowerCase().endsWith('.txt') ? name.slice(0, -4) : null;
      const taskId = stem === null ? null : `${group}_${stem}`;
      if (taskId === null || !known.has(taskId)) {
        ignored.push(file.name);
        continue;
      }
      const t = entry(taskId);
      if (ext) data.set(taskId, { ...t, docs: await loadDocs(t.task, await file.open(), file.name), data: file.name });
      else data.set(taskId, { ...t, material: { text: await text(file) }, fewshotData: file.name });
    }
    if (ignored.length === files.length) {
      throw new EvalError('EMPTY_DATA', `${id}: none of the ${files.length} files is named after a subtask (expected e.g. tasks/navigate.json, cot-prompts/navigate.txt)`);
    }
    return { data, ignored };
  }
  const parts = partsOf(files);
  ignored.push(...files.slice(parts.length).map((f) => f.name));
  const name = parts.map((f) => f.name).join(' + ');
  const t = entry(ids[0]!);
  if (role === 'test') {
    data.set(t.task.id, { ...t, docs: await docsOf(t.task, parts), data: name });
  } else {
    if (t.task.fewshot === 'fixed') throw new EvalError('BAD_OPTION', `${t.task.id} has its few-shot examples built in`);
    const material: FewshotMaterial<unknown> = t.task.fewshot === 'cot-prompt' ? { text: await text(parts[0]!) } : { docs: await docsOf(t.task, parts) };
    data.set(t.task.id, { ...t, material, fewshotData: name });
  }
  return { data, ignored };
}

/** The tasks of a task or group id that have documents, in the group's order. */
export function tasksWithDocs(id: string, data: TaskDataSet): TaskData[] {
  return taskIdsOf(id).flatMap((taskId) => {
    const t = data.get(taskId);
    return t && t.docs ? [t] : [];
  });
}

/** How a platform tells the user to give a missing few-shot source. */
export interface FewshotHint {
  /** `what` is "its train split" or "its cot-prompts .txt file". */
  give(what: string): string;
  /** How to ask for zero shots. */
  readonly zero: string;
}

/** The sweep's tasks with their settings; fails when a task samples few-shot examples from a source not given. */
export function sweepTasks(tasks: readonly TaskData[], settings: RunSettings, hint: FewshotHint): SweepTask[] {
  return tasks.map((t) => {
    const k = settings.numFewshot ?? t.task.numFewshot;
    if (t.docs === null || t.data === null) throw new EvalError('EMPTY_DATA', `${t.task.id}: choose its data first`);
    if (t.material === null && k > 0 && t.task.fewshot !== 'fixed') {
      const what = t.task.fewshot === 'cot-prompt' ? 'its cot-prompts .txt file' : 'its train split';
      throw new EvalError('NO_FEWSHOT', `${t.task.id} uses ${k} few-shot examples: give ${hint.give(what)} or ${hint.zero}`);
    }
    return { task: t.task, docs: t.docs, ...(t.material ? { material: t.material } : {}), data: t.data, settings };
  });
}
