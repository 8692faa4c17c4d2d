/**
 * Saved runs: every sweep and every opened report, kept (IndexedDB in the browser:
 * ../../browser/page/run-store.ts) so that they survive a reload and can be compared. A run is a
 * small record the Runs table lists (name, dates, status, a summary derived from the report) and
 * the report itself, read only when the run is opened. Pure: the record's summary, names, and an
 * in-memory store for tests.
 */
import type { Recipe } from '../../core/merge/recipe.ts';
import type { Report } from '../../core/report/schema.ts';
import { seriesOf } from './report-view.ts';
import { bestAlphas, reportStatus, type Best, type RunStatus } from './scores.ts';

export interface RunSummary {
  /** The report's own creation time (ISO). */
  readonly createdAt: string;
  /** Role → fingerprint (or name when there is none), in the order target, SFT, GRPO. */
  readonly checkpoints: readonly { readonly role: string; readonly name: string; readonly fingerprint: string | null }[];
  readonly recipe: string;
  readonly benchmarks: readonly string[];
  readonly alphas: readonly number[];
  readonly best: readonly Best[];
  /** Runs plus samples: with the creation time, a cheap identity of a report's state. */
  readonly size: number;
}

export interface RunRecord {
  readonly id: string;
  readonly name: string;
  /** When the record was last written (ISO). */
  readonly savedAt: string;
  readonly origin: 'sweep' | 'file';
  /** Kept beside the report as well: a report read back by an older schema may lose its own. */
  readonly status: RunStatus;
  readonly summary: RunSummary;
}

/** Where runs are kept; every method may fail (storage full, blocked): the store says so in one line. */
export interface RunStore {
  list(): Promise<RunRecord[]>;
  /** The report as it was stored (validate it before use). */
  report(id: string): Promise<unknown>;
  /** Writes the record and, when given, its report (one transaction). */
  put(record: RunRecord, report?: Report): Promise<void>;
  remove(id: string): Promise<void>;
}

/** "θ_target + α·(GRPO − SFT), 2 rules"; a report of predictions made elsewhere has none. */
export function recipeText(recipe: Recipe | null): string {
  if (!recipe) return 'none';
  const role = (r: string) => ({ sft: 'SFT', grpo: 'GRPO', vector: 'vector' })[r] ?? r;
  const v = recipe.vectors[0];
  const vector = v === undefined ? '?' : v.minus === undefined ? role(v.plus) : `(${role(v.plus)} − ${role(v.minus)})`;
  const base = recipe.base === null ? '' : `θ_${recipe.base} + `;
  const rules = recipe.rules.length;
  return `${base}α·${vector}${rules > 0 ? `, ${rules} rule${rules === 1 ? '' : 's'}` : ''}`;
}

export function summarize(report: Report): RunSummary {
  const checkpoints = (['target', 'sft', 'grpo'] as const).flatMap((role) => {
    const c = report.checkpoints[role];
    return c ? [{ role, name: c.name, fingerprint: c.fingerprint ?? null }] : [];
  });
  const series = seriesOf(report);
  return {
    createdAt: report.createdAt,
    checkpoints,
    recipe: recipeText(report.recipe),
    benchmarks: series.map((s) => s.task),
    alphas: [...new Set(series.flatMap((s) => s.points.map((p) => p.alpha)))].sort((a, b) => a - b),
    best: bestAlphas(report),
    size: report.runs.reduce((n, r) => n + 1 + r.samples.length, 0),
  };
}

/** A sweep's default name: its benchmarks and α range ("gsm8k, sciq · α 0 … 1 (3)"). */
export function sweepName(report: Report): string {
  const s = summarize(report);
  const tasks = s.benchmarks.length > 0 ? s.benchmarks.join(', ') : 'sweep';
  const a = s.alphas;
  if (a.length === 0) return tasks;
  return `${tasks} · α ${a.length === 1 ? a[0] : `${a[0]} … ${a.at(-1)} (${a.length})`}`;
}

/**
 * Two reports that are the same experiment's same state (re-opening an exported sweep keeps one
 * run, not two): same creation time, runs and samples.
 */
export function sameReport(a: RunSummary, b: RunSummary): boolean {
  return a.createdAt === b.createdAt && a.size === b.size && a.benchmarks.join() === b.benchmarks.join() && a.alphas.join() === b.alphas.join();
}

/** The record of a report now (status from the report, as `reportStatus` reads it). */
export function recordOf(id: string, name: string, origin: RunRecord['origin'], report: Report, savedAt: Date): RunRecord {
  return { id, name, origin, savedAt: savedAt.toISOString(), status: reportStatus(report), summary: summarize(report) };
}

/** Runs in memory (tests, and a browser without IndexedDB). */
export function memoryRunStore(): RunStore & { readonly reports: Map<string, unknown>; readonly records: Map<string, RunRecord> } {
  const records = new Map<string, RunRecord>();
  const reports = new Map<string, unknown>();
  return {
    records,
    reports,
    async list() {
      return [...records.values()];
    },
    async report(id) {
      return structuredClone(reports.get(id));
    },
    async put(record, report) {
      records.set(record.id, structuredClone(record));
      if (report) reports.set(record.id, structuredClone(report));
    },
    async remove(id) {
      records.delete(id);
      reports.delete(id);
    },
  };
}
