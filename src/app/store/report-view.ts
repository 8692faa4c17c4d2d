/**
 * What the Report panel shows, derived from an `rvs-report/1` alone (pure): the benchmarks to plot
 * (groups, and tasks outside any group), each one's headline metric by α with its standard error,
 * and the items of one (task, α) — or of two α values side by side.
 *
 * A run still in progress has no metrics yet: its point is the mean (± stderr) of the samples so
 * far, marked partial. Metrics come as "<metric>,<filter>"; the extracted answer shown is the
 * sample's `filtered[<filter>]`.
 */
import { aggregateSamples, type ScoredSample } from '../../core/eval/score.ts';
import { TASKS } from '../../core/eval/tasks/index.ts';
import type { Report, ReportRun } from '../../core/report/schema.ts';

export interface Point {
  readonly alpha: number;
  readonly value: number;
  readonly stderr: number | null;
  readonly n: number;
  /** From the samples of a run in progress. */
  readonly partial: boolean;
}

export interface Series {
  readonly task: string;
  readonly metric: string;
  readonly points: readonly Point[];
}

/** The metric a task is judged by: its first filter's exact match, `acc`, or pass@1. */
function preferredMetric(taskId: string): string | null {
  const task = TASKS.find((t) => t.id === taskId) ?? TASKS.find((t) => t.group === taskId);
  if (!task) return null;
  if (task.kind === 'generate') return `${task.metric.name},${task.filters[0]!.name}`;
  if (task.kind === 'multiple_choice') return 'acc,none';
  return task.metricKey;
}

/** The headline metric among `keys` (a report from elsewhere may use others: the first, sorted). */
export function headlineMetric(taskId: string, keys: readonly string[]): string | null {
  const preferred = preferredMetric(taskId);
  if (preferred !== null && keys.includes(preferred)) return preferred;
  return [...keys].sort()[0] ?? null;
}

function metricsOf(run: ReportRun): ReportRun['metrics'] {
  if (Object.keys(run.metrics).length > 0 || run.samples.length === 0) return run.metrics;
  return aggregateSamples(run.samples as ScoredSample[]);
}

/** Tasks to plot, in report order: groups and tasks that are no group's member. */
export function plottedTasks(report: Report): string[] {
  const members = new Set(report.runs.flatMap((r) => (r.config['group'] === true && Array.isArray(r.config['subtasks']) ? (r.config['subtasks'] as unknown[]).map(String) : [])));
  // A group's members are known from its definition too, before its own run exists.
  for (const t of TASKS) if (t.group !== undefined && report.runs.some((r) => r.task === t.id)) members.add(t.id);
  const out: string[] = [];
  for (const r of report.runs) if (!members.has(r.task) && !out.includes(r.task)) out.push(r.task);
  const groups = new Set(TASKS.flatMap((t) => (t.group !== undefined && members.has(t.id) ? [t.group] : [])));
  for (const g of groups) if (!out.includes(g)) out.push(g);
  return out;
}

/** A group without its own run yet (mid-sweep): the size-weighted mean of its members' samples. */
function groupSamples(report: Report, group: string, alpha: number): ScoredSample[] {
  const ids = new Set(TASKS.filter((t) => t.group === group).map((t) => t.id));
  return report.runs.filter((r) => r.alpha === alpha && ids.has(r.task)).flatMap((r) => r.samples as ScoredSample[]);
}

export function seriesOf(report: Report): Series[] {
  return plottedTasks(report).map((task) => {
    const runs = report.runs.filter((r) => r.task === task && r.alpha !== null);
    const alphas = [...new Set(report.runs.filter((r) => r.alpha !== null).map((r) => r.alpha!))];
    const keys = new Set<string>();
    for (const r of runs) for (const k of Object.keys(metricsOf(r))) keys.add(k);
    if (runs.length === 0) for (const a of alphas) for (const k of Object.keys(aggregateSamples(groupSamples(report, task, a)))) keys.add(k);
    const metric = headlineMetric(task, [...keys]) ?? '';
    const points: Point[] = [];
    for (const alpha of alphas.sort((a, b) => a - b)) {
      const run = runs.find((r) => r.alpha === alpha);
      const done = run !== undefined && Object.keys(run.metrics).length > 0;
      const m = run ? metricsOf(run)[metric] : aggregateSamples(groupSamples(report, task, alpha))[metric];
      if (!m) continue;
      points.push({ alpha, value: m.value, stderr: m.stderr, n: m.n ?? run?.samples.length ?? 0, partial: !done });
    }
    return { task, metric, points };
  });
}

export interface ItemRow {
  readonly docId: number;
  readonly prompt: string | null;
  readonly target: string;
  readonly output: string;
  readonly extracted: string;
  /** The headline metric's score (1 correct, 0 not); null when the sample has no such score. */
  readonly score: number | null;
}

/** Runs with samples (groups have none): (task, α) pairs, report order. */
export function sampleRuns(report: Report): { readonly task: string; readonly alphas: readonly number[] }[] {
  const out = new Map<string, number[]>();
  for (const r of report.runs) {
    if (r.samples.length === 0 || r.alpha === null) continue;
    out.set(r.task, [...(out.get(r.task) ?? []), r.alpha]);
  }
  return [...out].map(([task, alphas]) => ({ task, alphas: [...new Set(alphas)].sort((a, b) => a - b) }));
}

export function itemRows(report: Report, task: string, alpha: number): ItemRow[] {
  const run = report.runs.find((r) => r.task === task && r.alpha === alpha);
  if (!run) return [];
  const samples = run.samples as ScoredSample[];
  const metric = headlineMetric(task, Object.keys(samples[0]?.scores ?? {})) ?? '';
  const filter = metric.slice(metric.indexOf(',') + 1);
  return samples.map((s) => ({
    docId: s.doc_id,
    prompt: s.prompt,
    target: s.target,
    output: s.output,
    extracted: s.filtered[filter] ?? Object.values(s.filtered)[0] ?? '',
    score: s.scores[metric] ?? null,
  }));
}

export interface CompareRow {
  readonly docId: number;
  readonly prompt: string | null;
  readonly target: string;
  readonly a: ItemRow | null;
  readonly b: ItemRow | null;
}

/** Items of two α values joined by document. */
export function compareRows(report: Report, task: string, alphaA: number, alphaB: number): CompareRow[] {
  const a = new Map(itemRows(report, task, alphaA).map((r) => [r.docId, r]));
  const b = new Map(itemRows(report, task, alphaB).map((r) => [r.docId, r]));
  const ids = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  return ids.map((docId) => {
    const ra = a.get(docId) ?? null;
    const rb = b.get(docId) ?? null;
    const any = (ra ?? rb)!;
    return { docId, prompt: any.prompt, target: any.target, a: ra, b: rb };
  });
}

/** Failed: a score below 1 (or none) at any α shown. */
export function isFailure(row: ItemRow | CompareRow): boolean {
  if ('a' in row) return [row.a, row.b].some((r) => r !== null && r.score !== 1);
  return row.score !== 1;
}
