/**
 * The Evaluate panel's settings and the sweep's live report (pure; the store and tests use them).
 * During a sweep the engine streams run updates (new samples, metrics once known); `applyEvent`
 * folds them into a report the charts and the table render, the same way a finished or opened
 * report renders.
 */
import { BENCHMARKS } from '../../browser/shared/benchmarks.ts';
import { DEMO_SWEEP } from '../../browser/shared/demo-sweep.ts';
import type { DataSummary, EvalSettings, RunUpdate, SweepEvent, SweepRequest } from '../../browser/shared/engine-api.ts';
import { DEFAULT_WEIGHTS, type WeightArithmetic } from '../../core/eval/run-evaluation.ts';
import { parseAlphaList } from '../../core/merge/alphas.ts';
import type { Rule } from '../../core/merge/recipe.ts';
import type { Report } from '../../core/report/schema.ts';

export interface EvalPanelSettings {
  /** Benchmark id → chosen. */
  readonly benchmarks: Readonly<Record<string, boolean>>;
  /** The α list as typed ("-1, 0, 0.5, 1"). */
  readonly alphasText: string;
  /** Items per task (per BBH subtask); null: all. */
  readonly limit: number | null;
  /** With a limit: a seeded sample (the same items at every α, the CLI's default) or the first N (`--first`, the harness's --limit). */
  readonly limitMode: 'seeded' | 'first';
  readonly numFewshot: number | null;
  readonly chat: boolean;
  readonly prefix: string;
  readonly maxNewTokens: number | null;
  readonly batchSize: number;
  /** The merged weights the model runs (sweeps and Try it): exact float32 or the checkpoint's dtype. */
  readonly weights: WeightArithmetic;
}

export const DEFAULT_EVAL_SETTINGS: EvalPanelSettings = {
  benchmarks: {},
  alphasText: '0, 0.5, 1',
  limit: null,
  limitMode: 'seeded',
  numFewshot: null,
  chat: false,
  prefix: '',
  maxNewTokens: null,
  batchSize: 4,
  weights: DEFAULT_WEIGHTS,
};

/**
 * What "Try the demo" sets: its four benchmarks, zero-shot, the demo family's α values and item
 * count (gsm8k; the other benchmarks have 3 items each), generations long enough for its worked answers.
 */
export const DEMO_EVAL_SETTINGS: EvalPanelSettings = {
  ...DEFAULT_EVAL_SETTINGS,
  benchmarks: { gsm8k: true, bbh_cot_fewshot: true, sciq: true, humaneval: true },
  alphasText: DEMO_SWEEP.alphas.join(', '),
  limit: DEMO_SWEEP.limit,
  numFewshot: 0,
  maxNewTokens: DEMO_SWEEP.maxNewTokens,
  batchSize: 8,
};

export type DatasetState =
  | { readonly status: 'loading'; readonly label: string }
  /** `demo`: the demo's built-in items ("Try the demo" asks before replacing anything else). */
  | { readonly status: 'ready'; readonly summary: DataSummary; readonly demo?: boolean }
  | { readonly status: 'error'; readonly error: string; readonly summary: DataSummary | null };

/** α values from text (core's syntax: numbers and start:stop:step ranges, |α| ≤ 100), or why not. */
export function parseAlphas(text: string): { readonly alphas: number[] } | { readonly error: string } {
  try {
    return { alphas: parseAlphaList(text) };
  } catch (e) {
    const message = (e as Error).message;
    return { error: `${message.charAt(0).toUpperCase()}${message.slice(1)}.` };
  }
}

type NumberField = 'limit' | 'numFewshot' | 'maxNewTokens' | 'batchSize';
const NUMBER_FIELDS: readonly { readonly key: NumberField; readonly label: string; readonly min: number; readonly max: number }[] = [
  { key: 'limit', label: 'Items per benchmark', min: 1, max: 1e9 },
  { key: 'numFewshot', label: 'Few-shot', min: 0, max: 64 },
  { key: 'maxNewTokens', label: 'Max new tokens', min: 1, max: 32768 },
  { key: 'batchSize', label: 'Batch size', min: 1, max: 256 },
];

/** Why a number field's value cannot be used, or null (blank is "the default" where the field has one). */
export function fieldProblem(s: EvalPanelSettings, key: NumberField): string | null {
  const field = NUMBER_FIELDS.find((f) => f.key === key)!;
  const x = s[key];
  if (x === null) return null;
  if (!Number.isInteger(x) || x < field.min || x > field.max) return `${field.label} must be a whole number from ${field.min} to ${field.max} (it is ${Number.isNaN(x) ? 'not a number' : String(x)}).`;
  return null;
}

/** Why "Run sweep" cannot start with these settings, or null: the settings, then the benchmarks. */
export function sweepBlocker(s: EvalPanelSettings): string | null {
  return evalSettingsProblem(s) ?? (chosenBenchmarks(s).length === 0 ? 'Choose at least one benchmark.' : null);
}

/** Why the Evaluate settings cannot start a sweep, or null. */
export function evalSettingsProblem(s: EvalPanelSettings): string | null {
  const alphas = parseAlphas(s.alphasText);
  if ('error' in alphas) return `α values: ${alphas.error}`;
  for (const f of NUMBER_FIELDS) {
    const problem = fieldProblem(s, f.key);
    if (problem) return problem;
  }
  return null;
}

/** The chosen benchmarks, in the panel's order. */
export function chosenBenchmarks(s: EvalPanelSettings): string[] {
  return BENCHMARKS.filter((b) => s.benchmarks[b.id] === true).map((b) => b.id);
}

export function evalSettingsOf(s: EvalPanelSettings): EvalSettings {
  return { limit: s.limit, limitMode: s.limitMode, numFewshot: s.numFewshot, chat: s.chat, systemInstruction: s.prefix, maxNewTokens: s.maxNewTokens, batchSize: s.batchSize };
}

/** The request for the engine, or why there is none. */
export function sweepRequestOf(s: EvalPanelSettings, rules: readonly Rule[], useVector: boolean): SweepRequest | { readonly error: string } {
  const problem = evalSettingsProblem(s);
  if (problem) return { error: problem };
  const parsed = parseAlphas(s.alphasText);
  if ('error' in parsed) return parsed;
  const benchmarks = chosenBenchmarks(s);
  if (benchmarks.length === 0) return { error: 'Choose at least one benchmark.' };
  return { benchmarks, alphas: parsed.alphas, rules, useVector, weights: s.weights, settings: evalSettingsOf(s) };
}

/** The live report after one event (a new object: the store stays immutable). */
export function applyEvent(report: Report | null, event: SweepEvent): Report | null {
  if (event.type === 'header') return event.report;
  if (event.type !== 'runs' || report === null) return report;
  const runs = [...report.runs];
  for (const u of event.updates as readonly RunUpdate[]) {
    const before = runs[u.index];
    runs[u.index] = { alpha: u.alpha, task: u.task, config: u.config, metrics: u.metrics, samples: [...(before?.samples ?? []), ...u.samples] };
  }
  return { ...report, runs };
}
