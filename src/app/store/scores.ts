/**
 * The numbers behind the chart and the scores table, for one report and the reports overlaid on it
 * (pure): one row per (report, benchmark, α) with the value, its standard error and n, the Δ from
 * the baseline α (the target without the vector, α = 0) — and the same rows as CSV, α labels that
 * tell every measured α apart, ticks at measured α only, each benchmark's best α, a report's status.
 */
import { REPORT_STATUSES, type Report, type ReportStatus } from '../../core/report/schema.ts';
import { seriesOf, type Point, type Series } from './report-view.ts';

export type RunStatus = ReportStatus;

/**
 * A report's status (`complete`, `partial`: saved while its sweep ran, `cancelled`: stopped with
 * the runs finished so far), read defensively: a report object built without one (or with another
 * value) counts as complete. `parseReport` infers it for files written before reports had one.
 */
export function reportStatus(report: Report): RunStatus {
  const status: unknown = (report as { status?: unknown }).status;
  return REPORT_STATUSES.find((s) => s === status) ?? 'complete';
}

/** The α a Δ is taken from: the target as it is. */
export const BASELINE_ALPHA = 0;

/** A report with the name it is shown under. */
export interface NamedReport {
  readonly name: string;
  readonly report: Report;
}

export interface ScoreRow {
  readonly report: string;
  readonly task: string;
  readonly metric: string;
  readonly alpha: number;
  readonly value: number;
  readonly stderr: number | null;
  readonly n: number;
  /** From the samples of a run still in progress. */
  readonly partial: boolean;
  /** value − the value at α = 0 of the same benchmark in the same report; null without one. */
  readonly delta: number | null;
}

export function baselineOf(series: Series): Point | null {
  return series.points.find((p) => p.alpha === BASELINE_ALPHA) ?? null;
}

/** Every point of every report, in report order, then benchmark, then α. */
export function scoreRows(reports: readonly NamedReport[]): ScoreRow[] {
  return reports.flatMap(({ name, report }) =>
    seriesOf(report).flatMap((s) => {
      const base = baselineOf(s);
      return s.points.map((p) => ({ report: name, task: s.task, metric: s.metric, alpha: p.alpha, value: p.value, stderr: p.stderr, n: p.n, partial: p.partial, delta: base ? p.value - base.value : null }));
    }),
  );
}

/**
 * A CSV field (RFC 4180): quoted when it holds a comma, quote or line break. Text that a
 * spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe:
 * report names and task ids come from files.
 */
function csvText(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Numbers exactly as the report holds them (JavaScript's shortest round-trip form). */
const csvNumber = (x: number | null): string => (x === null ? '' : String(x));

export const CSV_HEADER = ['report', 'benchmark', 'metric', 'alpha', 'value', 'stderr', 'n', 'partial', 'delta_vs_alpha0'] as const;

/** The scores table as CSV: one line per (report, benchmark, α), values as fractions. */
export function scoresCsv(rows: readonly ScoreRow[]): string {
  const lines = [CSV_HEADER.join(',')];
  for (const r of rows) {
    lines.push([csvText(r.report), csvText(r.task), csvText(r.metric), csvNumber(r.alpha), csvNumber(r.value), csvNumber(r.stderr), csvNumber(r.n), r.partial ? 'true' : 'false', csvNumber(r.delta)].join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Sorted distinct α values measured in any of the reports. */
export function measuredAlphas(series: readonly Series[]): number[] {
  return [...new Set(series.flatMap((s) => s.points.map((p) => p.alpha)))].sort((a, b) => a - b);
}

/**
 * Decimals that tell every α apart: at least 2 ("+0.50"), more when two measured values would
 * print the same ("−2.00", "−2.00" for −2 and −1.9987), at most 6.
 */
export function alphaDecimals(alphas: readonly number[]): number {
  for (let d = 2; d < 6; d++) {
    const seen = new Set(alphas.map((a) => a.toFixed(d)));
    if (seen.size === new Set(alphas).size) return d;
  }
  return 6;
}

/** α with a sign: "+1.00", "−0.50" (`decimals` from `alphaDecimals`). */
export function formatAlphaAt(alpha: number, decimals: number): string {
  const text = Math.abs(alpha).toFixed(decimals);
  return `${alpha < 0 && Number(text) !== 0 ? '−' : '+'}${text}`;
}

/**
 * Axis ticks: the measured α values themselves — all when there are at most `max`; else the
 * measured values on the roundest step that gives at most `max` of them (multiples of 1, 2, 2.5
 * or 5 × 10^k: −2, −1.5, … rather than −1.636) when those are evenly spread over the range, or
 * failing that every k-th with both ends. Never a value that was not measured.
 */
export function alphaTicks(alphas: readonly number[], max = 12): number[] {
  if (alphas.length <= max) return [...alphas];
  const span = alphas.at(-1)! - alphas[0]!;
  for (let exp = Math.floor(Math.log10(span)) - 4; exp <= Math.ceil(Math.log10(span)); exp++) {
    for (const m of [1, 2, 2.5, 5]) {
      const step = m * 10 ** exp;
      const on = alphas.filter((a) => Math.abs(a / step - Math.round(a / step)) < 1e-6);
      if (on.length > max) continue;
      // Evenly spread over the range: most multiples of the step in it were measured.
      const multiples = Math.floor(alphas.at(-1)! / step + 1e-6) - Math.ceil(alphas[0]! / step - 1e-6) + 1;
      if (on.length >= 3 && on.length >= 0.8 * multiples && on.at(-1)! - on[0]! >= 0.75 * span) return on;
    }
  }
  const stride = Math.ceil((alphas.length - 1) / (max - 1));
  const ticks = alphas.filter((_, i) => i % stride === 0);
  if (ticks.at(-1) !== alphas.at(-1)) {
    // The last measured α replaces a tick too close to it.
    if (alphas.length - 1 - alphas.indexOf(ticks.at(-1)!) < stride / 2) ticks.pop();
    ticks.push(alphas.at(-1)!);
  }
  return ticks;
}

export interface Best {
  readonly task: string;
  readonly metric: string;
  /** Every α that reaches the highest value (ties are all named), ascending. */
  readonly alphas: readonly number[];
  readonly value: number;
  /** True when every measured α gives this value (nothing to choose). */
  readonly flat: boolean;
}

/** Each benchmark's best α among its finished points (runs in progress are not counted). */
export function bestAlphas(report: Report): Best[] {
  const out: Best[] = [];
  for (const s of seriesOf(report)) {
    const done = s.points.filter((p) => !p.partial);
    if (done.length === 0) continue;
    const value = Math.max(...done.map((p) => p.value));
    const alphas = done.filter((p) => p.value === value).map((p) => p.alpha);
    out.push({ task: s.task, metric: s.metric, alphas, value, flat: alphas.length === done.length && done.length > 1 });
  }
  return out;
}
