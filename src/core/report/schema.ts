/**
 * `rvs-report/1`: one evaluation report — where it ran, which checkpoints and recipe, and per
 * (α, task) run the metrics ("<metric>,<filter>" → value ± stderr) and every scored sample.
 *
 * `status` says whether the report holds everything it set out to: `complete`; `partial`, saved
 * while a sweep was still running (a crash leaves this); `cancelled`, stopped by the user with the
 * runs finished so far. Reports written before `status` existed are read as `partial` when a run
 * lacks samples for some of its documents (`config.docIds`) or its metrics, else as `complete`.
 * `harness` names the lm-evaluation-harness release whose behaviour the prompts follow (absent in
 * older reports).
 *
 * Values a report cannot hold are refused: accuracy-type metrics (`exact_match`, `acc`,
 * `acc_norm`, `pass@k`) and their per-sample scores outside [0, 1], or their stderr above 1 (a
 * mean of values in [0, 1] has a standard error of at most 0.5); a negative or non-finite number
 * anywhere (JSON's `1e999` parses as Infinity); a metric's `n` that is not the run's number of
 * samples (group runs, which hold no samples, excepted).
 */
import { z } from 'zod';
import { migrateReportRecipe, reportRecipeSchema } from './recipe.ts';

export const REPORT_SCHEMA = 'rvs-report/1';

export const REPORT_STATUSES = ['complete', 'partial', 'cancelled'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** Metrics that are a mean of 0/1 scores: their values lie in [0, 1]. */
export function isAccuracyMetric(key: string): boolean {
  return /^(?:exact_match|acc|acc_norm|pass@\d+)$/.test(key.split(',')[0]!);
}

const finite = z.number().finite();

const checkpointSchema = z.looseObject({
  name: z.string().min(1),
  fingerprint: z.string().optional(),
  params: z.number().int().nonnegative().optional(),
  dtype: z.string().optional(),
});

export const metricValueSchema = z.object({
  value: finite,
  /** Null where the harness reports "N/A" (fewer than two samples). */
  stderr: finite.nonnegative().nullable(),
  n: z.number().int().nonnegative().optional(),
});

export const sampleSchema = z.object({
  doc_id: z.number().int().nonnegative(),
  /** Null when the few-shot material was not given. */
  prompt: z.string().nullable(),
  output: z.string(),
  target: z.string(),
  filtered: z.record(z.string(), z.string()),
  scores: z.record(z.string(), finite),
  /** Multiple choice: each choice's log-likelihood. */
  loglikelihoods: z.array(finite).optional(),
  /** Code tasks: the sandbox's verdict. */
  result: z.string().optional(),
});

const metricKey = z.string().regex(/^[^,]+,[^,]+$/, 'expected "<metric>,<filter>"');

export const runSchema = z
  .object({
    /** Scale of the reasoning vector; null when the run is not tied to a merge. */
    alpha: finite.nullable(),
    task: z.string().min(1),
    config: z.record(z.string(), z.unknown()),
    metrics: z.record(metricKey, metricValueSchema),
    samples: z.array(sampleSchema),
  })
  .superRefine((run, ctx) => {
    for (const [key, m] of Object.entries(run.metrics)) {
      if (isAccuracyMetric(key) && (m.value < 0 || m.value > 1)) ctx.addIssue({ code: 'custom', path: ['metrics', key, 'value'], message: `${m.value} is not a proportion (expected a value in [0, 1])` });
      if (isAccuracyMetric(key) && m.stderr !== null && m.stderr > 1) ctx.addIssue({ code: 'custom', path: ['metrics', key, 'stderr'], message: `${m.stderr} is not a standard error of a proportion (at most 1)` });
      if (m.n !== undefined && run.samples.length > 0 && m.n !== run.samples.length) {
        ctx.addIssue({ code: 'custom', path: ['metrics', key, 'n'], message: `n is ${m.n} but the run has ${run.samples.length} samples` });
      }
    }
    for (const [i, sample] of run.samples.entries()) {
      for (const [key, score] of Object.entries(sample.scores)) {
        if (isAccuracyMetric(key) && (score < 0 || score > 1)) ctx.addIssue({ code: 'custom', path: ['samples', i, 'scores', key], message: `${score} is not a score in [0, 1]` });
      }
    }
  });

export const reportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
  /** Absent in reports written before it existed: `parseReport` infers it (see the top). */
  status: z.enum(REPORT_STATUSES).optional(),
  /** e.g. "lm-evaluation-harness 0.4.12". */
  harness: z.string().min(1).optional(),
  createdAt: z.iso.datetime({ offset: true }),
  app: z.object({ name: z.string().min(1), version: z.string().min(1) }),
  environment: z.looseObject({ backend: z.string().min(1), adapter: z.string().optional() }),
  checkpoints: z.object({
    sft: checkpointSchema.optional(),
    grpo: checkpointSchema.optional(),
    target: checkpointSchema.optional(),
  }),
  /**
   * The merge recipe (rvs-recipe/1) at α = 1, its dtype the weight arithmetic (report/recipe.ts);
   * null for a model evaluated as it is and for predictions made elsewhere.
   */
  recipe: reportRecipeSchema.nullable(),
  runs: z.array(runSchema),
  /** Seconds, by phase. */
  timings: z.record(z.string(), finite.nonnegative()),
});

/** A parsed report: `status` is always set. */
export type Report = z.infer<typeof reportSchema> & { status: ReportStatus };
export type ReportRun = z.infer<typeof runSchema>;
/** What a platform supplies to a sweep: everything but what the sweep itself records. */
export type ReportHeader = Omit<Report, 'schema' | 'status' | 'harness' | 'runs' | 'timings'>;

export class ReportError extends Error {
  override readonly name = 'ReportError';
  constructor(
    readonly code: 'BAD_JSON' | 'INVALID_REPORT',
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** `runs[0].metrics["exact_match,strict-match"].value` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === '' ? '(root)' : out;
}

/** The status of a report written before reports carried one. */
function inferStatus(report: z.infer<typeof reportSchema>): ReportStatus {
  const unfinished = report.runs.some((r) => {
    const ids = r.config['docIds'];
    return Object.keys(r.metrics).length === 0 || (Array.isArray(ids) && r.samples.length < ids.length);
  });
  return unfinished ? 'partial' : 'complete';
}

/**
 * A report from JSON text or a parsed value; fails with one line naming the first bad path, and
 * the file when `file` is given.
 */
export function parseReport(json: unknown, file?: string): Report {
  const where = file === undefined ? '' : `${file}: `;
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new ReportError('BAD_JSON', `${where}report is not JSON (${(e as Error).message})`);
    }
  }
  const result = reportSchema.safeParse(migrateReportRecipe(value));
  if (result.success) return { ...result.data, status: result.data.status ?? inferStatus(result.data) };
  const issue = result.error.issues[0]!;
  const path = formatPath(issue.path);
  throw new ReportError('INVALID_REPORT', `${where}invalid report at ${path}: ${issue.message}`, path);
}
