/**
 * The Evaluate panel's settings and the sweep's live report (pure; the store and tests use them).
 * During a sweep the engine streams run updates (new samples, metrics once known); `applyEvent`
 * folds them into a report the charts and the table render, the same way a finished or opened
 * report renders.
 */
import { BENCHMARKS } from '../../browser/shared/benchmarks.ts';
import type { DataSummary, EvalSettings, RunUpdate, SweepEvent, SweepRequest } from '../../browser/shared/engine-api.ts';
import { DEFAULT_WEIGHTS, type WeightArithmetic } from '../../core/eval/run-evaluation.ts';
import type { Rule } from '../../core/merge/recipe.ts';
import type { Report } from '../../core/report/schema.ts';

export interface EvalPanelSettings {
  /** Benchmark id → chosen. */
  readonly benchmarks: Readonly<Record<string, boolean>>;
  /** The α list as typed ("-1, 0, 0.5, 1"). */
  readonly alphasText: string;
  readonly limit: number | null;
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
  numFewshot: null,
  chat: false,
  prefix: '',
  maxNewTokens: null,
  batchSize: 4,
  weights: DEFAULT_WEIGHTS,
};

/** What "Try the demo" sets: its four benchmarks, short generations (the demo model has 128 positions). */
export const DEMO_EVAL_SETTINGS: EvalPanelSettings = {
  ...DEFAULT_EVAL_SETTINGS,
  benchmarks: { gsm8k: true, bbh_cot_fewshot: true, sciq: true, humaneval: true },
  alphasText: '0, 0.5, 1',
  maxNewTokens: 12,
  batchSize: 4,
};

export type DatasetState =
  | { readonly status: 'loading'; readonly label: string }
  | { readonly status: 'ready'; readonly summary: DataSummary }
  | { readonly status: 'error'; readonly error: string; readonly summary: DataSummary | null };

/** α values from text: numbers separated by commas or spaces, each once, in the order given. */
export function parseAlphas(text: string): { readonly alphas: number[] } | { readonly error: string } {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  if (parts.length === 0) return { error: 'Give at least one α, e.g. 0, 0.5, 1.' };
  const alphas: number[] = [];
  for (const p of parts) {
    const x = Number(p.replace('−', '-'));
    if (!Number.isFinite(x)) return { error: `“${p}” is not a number.` };
    if (!alphas.includes(x)) alphas.push(x);
  }
  return { alphas };
}

/** The chosen benchmarks, in the panel's order. */
export function chosenBenchmarks(s: EvalPanelSettings): string[] {
  return BENCHMARKS.filter((b) => s.benchmarks[b.id] === true).map((b) => b.id);
}

export function evalSettingsOf(s: EvalPanelSettings): EvalSettings {
  return { limit: s.limit, numFewshot: s.numFewshot, chat: s.chat, systemInstruction: s.prefix, maxNewTokens: s.maxNewTokens, batchSize: s.batchSize };
}

/** The request for the engine, or why there is none. */
export function sweepRequestOf(s: EvalPanelSettings, rules: readonly Rule[], useVector: boolean): SweepRequest | { readonly error: string } {
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
