/**
 * α values × tasks on one checkpoint triple, as an `rvs-report/1`. The platform supplies the model
 * for each α (Node: merge, then load; the studio: the resident merge rewrites the GPU weights of
 * one session). Progress events carry what live charts need; the report so far is handed out after
 * every chunk so that it can be saved, and a saved partial report resumes the sweep: finished runs
 * are kept, unfinished ones keep their samples and do only the rest.
 *
 * Reports handed out while the sweep runs have status `partial`; the one returned, `complete`. A
 * cancelled sweep (the signal, or a `CANCELLED` failure) hands out one last report with status
 * `cancelled` (the runs finished so far, and the samples of the run it stopped in) and throws a
 * `SweepCancelledError` carrying that report.
 */
import { CancelledError, isCancelled, throwIfCancelled } from '../cancel.ts';
import type { ReportHeader, ReportRun, Report, ReportStatus } from '../report/schema.ts';
import { HARNESS_VERSION, harnessName } from './harness.ts';
import { parseReport, REPORT_SCHEMA } from '../report/schema.ts';
import { EvalError } from './errors.ts';
import { evaluatedDocIds } from './requests.ts';
import { evaluateTask, type EvalModel, type EvalProgress, type EvaluateOptions } from './evaluate.ts';
import { aggregateGroup, STDERR_METHOD, type MetricValue } from './metrics.ts';
import { aggregateSamples, type ScoredSample } from './score.ts';
import type { CodeSandbox } from './sandbox/types.ts';
import type { FewshotMaterial, Task } from './tasks/types.ts';

/** The settings of one task in a sweep (recorded in each run's config). */
export type RunSettings = Pick<EvaluateOptions, 'numFewshot' | 'fewshotSeed' | 'chat' | 'fewshotAsMultiturn' | 'systemInstruction' | 'limit' | 'limitMode' | 'limitSeed' | 'maxNewTokens' | 'harness'> & {
  readonly batchSize?: number;
};

export interface SweepTask {
  readonly task: Task<unknown>;
  readonly docs: readonly unknown[];
  readonly material?: FewshotMaterial<unknown>;
  /** Where the documents came from (a file name or a hub path), recorded. */
  readonly data: string;
  readonly settings: RunSettings;
}

export interface SweepModel {
  readonly model: EvalModel;
  release(): Promise<void>;
}

export interface SweepProgress extends EvalProgress {
  /** Position of this (α, task) run in the sweep, and the number of runs. */
  readonly run: number;
  readonly runs: number;
}

export interface SweepOptions {
  /** null: the model as it is (no merge). */
  readonly alphas: readonly (number | null)[];
  readonly tasks: readonly SweepTask[];
  readonly modelFor: (alpha: number | null) => Promise<SweepModel>;
  /** The report's header: everything but `runs` and `timings`. */
  readonly header: ReportHeader;
  readonly resume?: Report;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: SweepProgress) => void;
  /** The report so far, after every chunk (runs in progress included, with the samples done). */
  readonly onReport?: (partial: Report) => void | Promise<void>;
  readonly chunkSize?: number;
  /** Where code tasks run model-written programs. */
  readonly sandbox?: CodeSandbox;
}

export function runConfig(t: SweepTask, docIds: readonly number[]): Record<string, unknown> {
  const { task, settings } = t;
  return {
    taskVersion: task.version,
    harnessSource: task.source,
    data: t.data,
    numFewshot: settings.numFewshot ?? task.numFewshot,
    fewshotSeed: settings.fewshotSeed ?? 1234,
    chat: settings.chat ?? false,
    fewshotAsMultiturn: settings.fewshotAsMultiturn ?? false,
    harness: settings.harness ?? HARNESS_VERSION,
    prefix: settings.systemInstruction ?? '',
    limit: settings.limit ?? null,
    limitMode: settings.limitMode ?? 'seeded',
    limitSeed: settings.limitSeed ?? 1234,
    docIds: [...docIds],
    maxNewTokens: settings.maxNewTokens ?? (task.kind === 'multiple_choice' ? null : task.maxGenToks),
    batchSize: settings.batchSize ?? 1,
    stderr: STDERR_METHOD,
  };
}

/** Configs match when every recorded setting but the documents list matches. */
function sameSettings(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const strip = ({ docIds: _d, batchSize: _b, ...rest }: Record<string, unknown>) => JSON.stringify(rest, Object.keys(rest).sort());
  return strip(a) === strip(b);
}

/** A cancelled sweep, with its report so far (status `cancelled`). */
export class SweepCancelledError extends CancelledError {
  constructor(readonly report: Report) {
    const finished = report.runs.filter((r) => Object.keys(r.metrics).length > 0).length;
    super(`sweep cancelled after ${finished} finished run${finished === 1 ? '' : 's'}`);
  }
}

/** The harness release(s) a sweep's tasks follow, as reports record it. */
function harnessOf(tasks: readonly SweepTask[]): string {
  return [...new Set(tasks.map((t) => harnessName(t.settings.harness)))].join(', ');
}

export async function runSweep(o: SweepOptions): Promise<Report> {
  if (o.alphas.length === 0 || o.tasks.length === 0) throw new EvalError('BAD_OPTION', 'a sweep needs at least one α and one task');
  if (o.resume) checkResumable(o.resume, o.header);
  const started = performance.now();
  const runs: ReportRun[] = [];
  const timings: Record<string, number> = { loadSeconds: 0, evalSeconds: 0 };
  const harness = harnessOf(o.tasks);
  const report = (status: ReportStatus = 'partial'): Report =>
    parseReport({ schema: REPORT_SCHEMA, status, harness, ...o.header, runs, timings: { ...timings, totalSeconds: (performance.now() - started) / 1000 } });
  try {
    await sweepRuns(o, runs, timings, report);
  } catch (e) {
    if (!isCancelled(e) && !o.signal?.aborted) throw e;
    // A run stopped before its first sample holds nothing; a resumed sweep stopped before it
    // reached some saved runs keeps them.
    for (let i = runs.length - 1; i >= 0; i--) if (runs[i]!.samples.length === 0 && Object.keys(runs[i]!.metrics).length === 0) runs.splice(i, 1);
    for (const r of o.resume?.runs ?? []) if (!runs.some((x) => x.alpha === r.alpha && x.task === r.task)) runs.push(r);
    const cancelled = report('cancelled');
    await o.onReport?.(cancelled);
    throw new SweepCancelledError(cancelled);
  }
  return report('complete');
}

async function sweepRuns(o: SweepOptions, runs: ReportRun[], timings: Record<string, number>, report: () => Report): Promise<void> {
  const total = o.alphas.length * o.tasks.length;
  let index = 0;
  for (const alpha of o.alphas) {
    // Which of this α's runs the resumed report has, finished or not.
    const previous = o.tasks.map((t) => o.resume?.runs.find((r) => r.alpha === alpha && r.task === t.task.id && sameSettings(r.config, runConfig(t, r.config['docIds'] as number[] ?? []))));
    const finished = previous.map((r) => r !== undefined && Array.isArray(r.config['docIds']) && r.samples.length === (r.config['docIds'] as unknown[]).length);
    // A run saved with all its samples but before its metrics were computed gets them now.
    const completed = (r: ReportRun): ReportRun => (Object.keys(r.metrics).length > 0 ? r : { ...r, metrics: aggregateSamples(r.samples as ScoredSample[]) });
    if (finished.every(Boolean)) {
      for (const r of previous) runs.push(completed(r!));
      index += o.tasks.length;
      runs.push(...groupRuns(alpha, o.tasks, runs));
      continue;
    }
    throwIfCancelled(o.signal, 'sweep cancelled');
    const loadStart = performance.now();
    const { model, release } = await o.modelFor(alpha);
    timings['loadSeconds']! += (performance.now() - loadStart) / 1000;
    try {
      for (const [k, t] of o.tasks.entries()) {
        const run = index++;
        if (finished[k]) {
          runs.push(completed(previous[k]!));
          continue;
        }
        const slot = runs.length;
        const partial: ScoredSample[] = [...((previous[k]?.samples ?? []) as ScoredSample[])];
        runs.push({ alpha, task: t.task.id, config: runConfig(t, evaluatedDocIds(t.docs.length, t.settings)), metrics: {}, samples: partial });
        const evalStart = performance.now();
        const result = await evaluateTask(model, t.task, t.docs, t.material, {
          ...t.settings,
          alpha,
          resume: partial,
          ...(o.chunkSize === undefined ? {} : { chunkSize: o.chunkSize }),
          ...(o.signal ? { signal: o.signal } : {}),
          ...(o.sandbox ? { sandbox: o.sandbox } : {}),
          onProgress: (p) => o.onProgress?.({ ...p, run, runs: total }),
          onSamples: async (samples) => {
            partial.push(...samples);
            await o.onReport?.(report());
          },
        });
        timings['evalSeconds']! += (performance.now() - evalStart) / 1000;
        runs[slot] = { alpha, task: t.task.id, config: runConfig(t, result.docIds), metrics: result.metrics, samples: result.samples };
        await o.onReport?.(report());
      }
    } finally {
      await release();
    }
    runs.push(...groupRuns(alpha, o.tasks, runs));
    await o.onReport?.(report());
  }
}

/**
 * One run per task group of this α (BBH's 27 subtasks → `bbh_cot_fewshot`): the size-weighted
 * mean of the subtasks' metrics with the pooled standard error, as the harness aggregates groups.
 */
function groupRuns(alpha: number | null, tasks: readonly SweepTask[], runs: readonly ReportRun[]): ReportRun[] {
  const groups = new Map<string, string[]>();
  for (const t of tasks) if (t.task.group !== undefined) groups.set(t.task.group, [...(groups.get(t.task.group) ?? []), t.task.id]);
  return [...groups].map(([group, ids]) => {
    const parts = ids.map((id) => runs.find((r) => r.alpha === alpha && r.task === id)!);
    const keys = new Set(parts.flatMap((p) => Object.keys(p.metrics)));
    const metrics: Record<string, MetricValue> = {};
    for (const key of keys) {
      const values = parts.flatMap((p) => (p.metrics[key] ? [{ ...p.metrics[key], n: p.metrics[key].n ?? p.samples.length }] : []));
      metrics[key] = aggregateGroup(values);
    }
    return { alpha, task: group, config: { group: true, subtasks: ids, aggregation: 'size-weighted mean, pooled sample stderr (weight_by_size)' }, metrics, samples: [] };
  });
}

/** A saved report resumes only the same experiment: the same checkpoints (by fingerprint) and recipe. */
function checkResumable(saved: Report, header: SweepOptions['header']): void {
  for (const role of ['target', 'sft', 'grpo'] as const) {
    const a = saved.checkpoints[role]?.fingerprint;
    const b = header.checkpoints[role]?.fingerprint;
    if (a !== b) {
      throw new EvalError('BAD_OPTION', `the saved report's ${role} checkpoint (${saved.checkpoints[role]?.name ?? 'none'}) is not this one (${header.checkpoints[role]?.name ?? 'none'}); write to another report instead of resuming`);
    }
  }
  if (JSON.stringify(saved.recipe) !== JSON.stringify(header.recipe)) {
    throw new EvalError('BAD_OPTION', "the saved report's merge recipe differs from this one (rules, dtype); write to another report instead of resuming");
  }
}
