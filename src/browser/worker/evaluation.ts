/**
 * Evaluation in the GPU worker: α sweeps (core's `runEvaluation`, whose model factory applies each
 * α's recipe to the one resident model) and the "try it" box (generation streamed token by token, with the time from
 * α change to first token measured). Results are plain data; samples stream out as events so that
 * the page's table fills while the sweep runs.
 */
import type { Checkpoint } from '../../core/checkpoint/checkpoint.ts';
import { summarizeCheckpoint, type CheckpointSummary } from '../../core/checkpoint/fingerprint.ts';
import { SweepEstimate, sweepPlan } from '../../core/eval/sweep-estimate.ts';
import { EvalError } from '../../core/eval/errors.ts';
import { evalRecipe, runEvaluation, type WeightArithmetic } from '../../core/eval/run-evaluation.ts';
import type { RunSettings, SweepTask } from '../../core/eval/sweep.ts';
import { sweepTasks as resolveSweepTasks, type FewshotHint } from '../../core/eval/task-data.ts';
import type { ScoredSample } from '../../core/eval/score.ts';
import type { CodeSandbox } from '../../core/eval/sandbox/types.ts';
import type { Rule } from '../../core/merge/recipe.ts';
import { REPORT_RECIPE_ALPHA } from '../../core/report/recipe.ts';
import type { Report, ReportHeader, ReportRun } from '../../core/report/schema.ts';
import { TextStream } from '../../core/text/stream.ts';
import type { EngineCounters } from './counting.ts';
import type { DataRegistry } from './eval-data.ts';
import type { ModelHost } from './model-host.ts';

/** The Evaluate panel's settings (null: the task's own). */
export interface EvalSettings {
  /** Items per task (per BBH subtask); `limitMode`: a seeded sample or the first N, as the CLI's --limit / --first. */
  readonly limit: number | null;
  readonly limitMode?: 'seeded' | 'first';
  readonly numFewshot: number | null;
  readonly chat: boolean;
  /** The reasoning prefix (the harness's system instruction); empty: none. */
  readonly systemInstruction: string;
  readonly maxNewTokens: number | null;
  readonly batchSize: number;
}

export interface SweepRequest {
  readonly benchmarks: readonly string[];
  readonly alphas: readonly number[];
  readonly rules: readonly Rule[];
  readonly useVector: boolean;
  /** The merged weights the model runs: exact float32, or rounded to the target's dtype (recorded). */
  readonly weights: WeightArithmetic;
  readonly settings: EvalSettings;
  /** A stopped sweep's report (cancelled, or cut short by a lost device): its finished runs and samples are kept, the rest run. */
  readonly resume?: Report;
}

export interface SweepSnapshot {
  readonly phase: 'loading' | 'evaluating';
  /** Loading: bytes uploaded to the GPU (or read) so far. */
  readonly loadBytesDone: number;
  readonly loadBytesTotal: number;
  readonly run: number;
  readonly runs: number;
  readonly task: string | null;
  readonly alpha: number | null;
  /** Documents of the current run. */
  readonly done: number;
  readonly total: number;
  /** The whole sweep: tokens generated and seconds spent evaluating. */
  readonly newTokens: number;
  readonly evalSeconds: number;
  /** 0…1 of the sweep's documents. */
  readonly fraction: number;
  /** Seconds left: each task's measured time per item over the whole remaining plan (core's `SweepEstimate`); null until measured. */
  readonly etaSeconds?: number | null;
  /** Items of the whole plan done and planned (every α × task, after the limit). */
  readonly itemsDone?: number;
  readonly itemsTotal?: number;
}

/** A run's new samples (and its metrics once known), by its index in `report.runs`. */
export interface RunUpdate {
  readonly index: number;
  readonly alpha: number | null;
  readonly task: string;
  readonly config: Record<string, unknown>;
  readonly metrics: ReportRun['metrics'];
  readonly samples: ScoredSample[];
}

export type SweepEvent =
  | { readonly type: 'header'; readonly report: Report }
  | { readonly type: 'runs'; readonly updates: readonly RunUpdate[] }
  | { readonly type: 'alpha'; readonly alpha: number; readonly changed: boolean; readonly ms: number };

export interface SweepContext {
  readonly host: ModelHost;
  readonly data: DataRegistry;
  readonly header: Omit<ReportHeader, 'recipe'>;
  readonly sandbox: () => Promise<CodeSandbox>;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: SweepSnapshot) => void;
  readonly onEvent?: (e: SweepEvent) => void;
}

export interface HeaderOptions {
  readonly roles: ReadonlyMap<string, Checkpoint>;
  readonly useVector: boolean;
  readonly mode: 'webgpu' | 'wasm';
  readonly adapter: { readonly name: string; readonly software: boolean } | null;
  readonly app: { readonly name: string; readonly version: string };
}

const summaries = new WeakMap<Checkpoint, Promise<CheckpointSummary>>();

/** How a report names a checkpoint; computed once per opened checkpoint (its fingerprint reads tensor samples). */
export function checkpointSummary(c: Checkpoint): Promise<CheckpointSummary> {
  let summary = summaries.get(c);
  if (!summary) {
    summary = summarizeCheckpoint(c);
    summary.catch(() => summaries.delete(c));
    summaries.set(c, summary);
  }
  return summary;
}

/** A report's header: where it ran and the checkpoints' fingerprints (core's `runEvaluation` adds the recipe). */
export async function reportHeader(o: HeaderOptions): Promise<Omit<ReportHeader, 'recipe'>> {
  const checkpoints: Record<string, CheckpointSummary> = {};
  for (const role of ['sft', 'grpo', 'target'] as const) {
    const c = o.roles.get(role);
    if (c && (role === 'target' || !o.useVector)) checkpoints[role] = await checkpointSummary(c);
  }
  const userAgent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent;
  return {
    createdAt: new Date().toISOString(),
    app: o.app,
    environment: {
      backend: o.mode === 'webgpu' ? 'onnxruntime-web (WebGPU)' : 'onnxruntime-web (wasm, CPU fallback)',
      ...(o.adapter ? { adapter: o.adapter.name, softwareAdapter: o.adapter.software } : {}),
      ...(userAgent ? { userAgent } : {}),
    },
    checkpoints,
  };
}

const FEWSHOT_HINT: FewshotHint = { give: (what) => `${what} as few-shot data`, zero: 'set few-shot to 0' };

/** The sweep's tasks from the data the engine holds (core's task resolution); fails naming what is missing. */
export function sweepTasks(data: DataRegistry, request: SweepRequest): SweepTask[] {
  if (request.benchmarks.length === 0) throw new EvalError('BAD_OPTION', 'choose at least one benchmark');
  const s = request.settings;
  const settings: RunSettings = {
    ...(s.limit === null ? {} : { limit: s.limit, limitMode: s.limitMode ?? 'seeded' }),
    ...(s.numFewshot === null ? {} : { numFewshot: s.numFewshot }),
    ...(s.chat ? { chat: true } : {}),
    ...(s.systemInstruction === '' ? {} : { systemInstruction: s.systemInstruction }),
    ...(s.maxNewTokens === null ? {} : { maxNewTokens: s.maxNewTokens }),
    batchSize: s.batchSize,
  };
  return request.benchmarks.flatMap((id) => {
    const tasks = data.tasks(id);
    if (tasks.length === 0) throw new EvalError('EMPTY_DATA', `${id}: choose its data first`);
    return resolveSweepTasks(tasks, settings, FEWSHOT_HINT);
  });
}

export async function runStudioSweep(ctx: SweepContext, request: SweepRequest): Promise<Report> {
  const tasks = sweepTasks(ctx.data, request);
  if (request.alphas.length === 0) throw new EvalError('BAD_OPTION', 'give at least one α');
  const sent: number[] = [];
  const metricsSent: string[] = [];
  const finished = new Map<number, { newTokens: number; seconds: number }>();
  let snapshot: SweepSnapshot = {
    phase: 'evaluating', loadBytesDone: 0, loadBytesTotal: 0, run: 0, runs: request.alphas.length * tasks.length,
    task: null, alpha: null, done: 0, total: 0, newTokens: 0, evalSeconds: 0, fraction: 0,
  };
  const docsPerRun = tasks.map((t) => Math.min(t.docs.length, t.settings.limit ?? Infinity));
  const totalDocs = request.alphas.length * docsPerRun.reduce((a, b) => a + b, 0);
  const estimate = new SweepEstimate(sweepPlan(request.alphas, tasks.map((t, i) => ({ task: t.task.id, items: docsPerRun[i]! }))));
  const recipe = evalRecipe({ useVector: request.useVector, rules: request.rules, weights: request.weights }, REPORT_RECIPE_ALPHA);
  ctx.onEvent?.({ type: 'header', report: { schema: 'rvs-report/1', status: 'partial', ...ctx.header, recipe, runs: [], timings: {} } });

  return runEvaluation({
    alphas: request.alphas,
    tasks,
    merge: { useVector: request.useVector, rules: request.rules, weights: request.weights },
    header: ctx.header,
    sandbox: ctx.sandbox,
    ...(request.resume ? { resume: request.resume } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    models: async (recipe) => {
      if (recipe === null) throw new EvalError('BAD_OPTION', 'the studio evaluates merges: every run needs an α');
      // Streamed α changes re-read the checkpoints: shown as the model loading again.
      const change = await ctx.host.apply(recipe, ctx.signal, (l) => ctx.onProgress?.({ ...snapshot, phase: 'loading', loadBytesDone: l.bytesDone, loadBytesTotal: l.bytesTotal }));
      ctx.onEvent?.({ type: 'alpha', alpha: recipe.vectors[0]!.alpha, ...change });
      estimate.alphaSwitched(change.ms / 1000);
      return { model: ctx.host.model(request.settings.batchSize), release: async () => {} };
    },
    onProgress: (p) => {
      finished.set(p.run, { newTokens: p.newTokens, seconds: p.seconds });
      let newTokens = 0;
      let seconds = 0;
      for (const f of finished.values()) {
        newTokens += f.newTokens;
        seconds += f.seconds;
      }
      // Documents of the runs before this one, then this one's.
      const perAlpha = docsPerRun.length;
      let before = 0;
      for (let r = 0; r < p.run; r++) before += docsPerRun[r % perAlpha]!;
      snapshot = {
        ...snapshot, run: p.run, runs: p.runs, task: p.task, alpha: p.alpha, done: p.done, total: p.total,
        newTokens, evalSeconds: seconds, fraction: totalDocs > 0 ? Math.min(1, (before + p.done) / totalDocs) : 0,
      };
      estimate.update(p.run, p.done, p.seconds);
      snapshot = { ...snapshot, etaSeconds: estimate.remainingSeconds(), itemsDone: estimate.itemsDone, itemsTotal: estimate.itemsTotal };
      ctx.onProgress?.(snapshot);
    },
    onReport: (partial) => {
      const updates: RunUpdate[] = [];
      partial.runs.forEach((run, index) => {
        const already = sent[index] ?? 0;
        const metrics = JSON.stringify(run.metrics);
        if (run.samples.length === already && metricsSent[index] === metrics) return;
        updates.push({ index, alpha: run.alpha, task: run.task, config: run.config, metrics: run.metrics, samples: run.samples.slice(already) });
        sent[index] = run.samples.length;
        metricsSent[index] = metrics;
      });
      if (updates.length > 0) ctx.onEvent?.({ type: 'runs', updates });
    },
  });
}

export interface GenerateRequest {
  readonly prompt: string;
  /** Render the prompt with the target's chat template (a user turn and the assistant's opening). */
  readonly chat: boolean;
  readonly maxNewTokens: number;
  readonly alpha: number;
  readonly rules: readonly Rule[];
  readonly useVector: boolean;
  readonly weights: WeightArithmetic;
}

export interface GenerateSnapshot {
  readonly phase: 'loading' | 'applying' | 'generating';
  readonly loadBytesDone: number;
  readonly loadBytesTotal: number;
  /** The text so far (special tokens left out). */
  readonly text: string;
  readonly tokens: number;
}

export interface GenerateOutcome {
  readonly text: string;
  readonly tokens: number;
  readonly finish: 'stop-id' | 'stop' | 'length';
  readonly alpha: number;
  /** Whether this call changed the weights (a new α or new rules). */
  readonly alphaChanged: boolean;
  /** Applying α: the merge kernel (the fallback: a CPU merge and a new session). */
  readonly applyMs: number;
  /** From the weights being ready to the first new token (tokenizing and the prompt's forward pass). */
  readonly prefillMs: number;
  /** From the α change to the first token: apply + prefill. */
  readonly firstTokenMs: number;
  readonly totalMs: number;
  readonly tokensPerSecond: number;
  readonly mode: 'webgpu' | 'wasm';
  readonly counters: EngineCounters;
}

export async function runGenerate(
  host: ModelHost,
  request: GenerateRequest,
  job: { readonly signal?: AbortSignal; readonly onProgress?: (p: GenerateSnapshot) => void },
  counters: () => EngineCounters,
): Promise<GenerateOutcome> {
  const { tokenizer } = host;
  const snapshot = (phase: GenerateSnapshot['phase'], text = '', tokens = 0): GenerateSnapshot => ({ phase, loadBytesDone: 0, loadBytesTotal: 0, text, tokens });
  job.onProgress?.(snapshot('applying'));
  const started = performance.now();
  const change = await host.apply(evalRecipe(request, request.alpha), job.signal, (l) =>
    job.onProgress?.({ ...snapshot('applying'), loadBytesDone: l.bytesDone, loadBytesTotal: l.bytesTotal }),
  );
  const applied = performance.now();
  job.onProgress?.(snapshot('generating'));
  const text = request.chat ? tokenizer.applyChatTemplate([{ role: 'user', content: request.prompt }], { addGenerationPrompt: true }) : request.prompt;
  const ids = tokenizer.encode(text);
  if (ids.length === 0) throw new EvalError('BAD_OPTION', 'the prompt is empty');
  const generated: number[] = [];
  const stream = new TextStream(tokenizer, { skipSpecialTokens: true });
  let streamed = '';
  let first: number | null = null;
  const { lm } = host.model(1);
  const [result] = await lm.generate([ids], {
    maxNewTokens: request.maxNewTokens,
    stopIds: tokenizer.eosTokenIds,
    ...(job.signal ? { signal: job.signal } : {}),
    onStep: (step) => {
      first ??= performance.now();
      for (const s of step) {
        generated.push(s.id);
        streamed += stream.push(s.id);
      }
      job.onProgress?.(snapshot('generating', streamed, generated.length));
    },
  });
  const ended = performance.now();
  const firstAt = first ?? ended;
  const out = result!;
  return {
    text: tokenizer.decode(out.ids, { skipSpecialTokens: true }),
    tokens: out.ids.length,
    finish: out.finish,
    alpha: request.alpha,
    alphaChanged: change.changed,
    applyMs: applied - started,
    prefillMs: firstAt - applied,
    firstTokenMs: firstAt - started,
    totalMs: ended - started,
    tokensPerSecond: out.ids.length > 1 ? (out.ids.length - 1) / Math.max(1e-9, (ended - firstAt) / 1000) : 0,
    mode: host.mode,
    counters: counters(),
  };
}
