/**
 * Scoring without a model: documents + generated outputs → filtered answers, per-sample scores and
 * aggregated metrics keyed "<metric>,<filter>" as lm-evaluation-harness names them.
 */
import type { Prediction } from './datasets.ts';
import { EvalError, located } from './errors.ts';
import { applyFilters, truncateAtStops } from './filters.ts';
import { aggregateGroup, aggregateMean, exactMatch, type MetricValue } from './metrics.ts';
import { buildPrompt } from './prompt.ts';
import type { FewshotMaterial, GenerateTask } from './tasks/types.ts';

export interface ScoredSample {
  readonly doc_id: number;
  readonly prompt: string | null;
  readonly output: string;
  readonly target: string;
  /** Filter name → extracted answer. */
  readonly filtered: Record<string, string>;
  /** "<metric>,<filter>" → score. */
  readonly scores: Record<string, number>;
  /** Multiple choice: each choice's log-likelihood, in choice order. */
  readonly loglikelihoods?: number[];
  /** Code tasks: the sandbox's verdict ("passed", "failed: …", "timeout"). */
  readonly result?: string;
}

export interface TaskScore {
  readonly task: string;
  readonly metrics: Record<string, MetricValue>;
  readonly samples: ScoredSample[];
}

export interface ScoreOptions<D> {
  /** Few-shot material, for the prompts recorded with the samples (null prompts without it). */
  readonly fewshot?: FewshotMaterial<D>;
  /** Score the first `limit` documents only (the harness's --limit); default all. */
  readonly limit?: number;
  /** Named in errors about predictions. */
  readonly predictionsFile?: string;
}

/** Pairs predictions with documents 0…n−1: every document needs exactly one. */
export function matchPredictions(predictions: readonly Prediction[], count: number, file?: string): string[] {
  const outputs: (string | undefined)[] = new Array<string | undefined>(count).fill(undefined);
  for (const p of predictions) {
    if (p.doc_id >= count) {
      throw new EvalError('UNKNOWN_DOC', located(file, p.line, `doc_id ${p.doc_id} is past the last document (${count - 1})`), file, p.line);
    }
    outputs[p.doc_id] = p.output;
  }
  const missing = outputs.findIndex((o) => o === undefined);
  if (missing >= 0) {
    const n = outputs.filter((o) => o === undefined).length;
    throw new EvalError('MISSING_PREDICTION', located(file, undefined, `no prediction for doc_id ${missing}${n > 1 ? ` (and ${n - 1} more)` : ''}`), file);
  }
  return outputs as string[];
}

export function scoreTask<D>(task: GenerateTask<D>, docs: readonly D[], predictions: readonly Prediction[], opts: ScoreOptions<D> = {}): TaskScore {
  const n = Math.min(opts.limit ?? docs.length, docs.length);
  const outputs = matchPredictions(predictions, n, opts.predictionsFile);
  const samples = outputs.map((output, docId) => scoreGeneration(task, docs[docId]!, docId, output, buildPrompt(task, docs[docId]!, opts.fewshot, docId)));
  return { task: task.id, metrics: aggregateSamples(samples), samples };
}

/** One generated output: cut at the stop strings, filtered, scored with the task's metric. */
export function scoreGeneration<D>(task: GenerateTask<D>, doc: D, docId: number, output: string, prompt: string | null): ScoredSample {
  const target = task.docToTarget(doc);
  const response = truncateAtStops(output, task.until);
  const filtered: Record<string, string> = {};
  const scores: Record<string, number> = {};
  for (const pipeline of task.filters) {
    const answer = applyFilters([response], pipeline);
    filtered[pipeline.name] = answer;
    scores[`${task.metric.name},${pipeline.name}`] = exactMatch(answer, target, task.metric.options);
  }
  return { doc_id: docId, prompt, output, target, filtered, scores };
}

/** Per metric key, the mean and its standard error over the samples. */
export function aggregateSamples(samples: readonly ScoredSample[]): Record<string, MetricValue> {
  const metrics: Record<string, MetricValue> = {};
  for (const key of Object.keys(samples[0]?.scores ?? {})) metrics[key] = aggregateMean(samples.map((s) => s.scores[key]!));
  return metrics;
}

/** A group's metrics: size-weighted means of its subtasks' (the harness's `weight_by_size`). */
export function scoreGroup(parts: readonly TaskScore[]): Record<string, MetricValue> {
  const keys = new Set(parts.flatMap((p) => Object.keys(p.metrics)));
  const out: Record<string, MetricValue> = {};
  for (const key of keys) out[key] = aggregateGroup(parts.flatMap((p) => (p.metrics[key] ? [p.metrics[key]] : [])));
  return out;
}
