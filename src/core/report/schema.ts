/**
 * `rvs-report/1`: one evaluation report — where it ran, which checkpoints and recipe, and per
 * (α, task) run the metrics ("<metric>,<filter>" → value ± stderr) and every scored sample.
 */
import { z } from 'zod';
import { migrateReportRecipe, reportRecipeSchema } from './recipe.ts';

export const REPORT_SCHEMA = 'rvs-report/1';

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

export const runSchema = z.object({
  /** Scale of the reasoning vector; null when the run is not tied to a merge. */
  alpha: finite.nullable(),
  task: z.string().min(1),
  config: z.record(z.string(), z.unknown()),
  metrics: z.record(metricKey, metricValueSchema),
  samples: z.array(sampleSchema),
});

export const reportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
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

export type Report = z.infer<typeof reportSchema>;
export type ReportRun = z.infer<typeof runSchema>;

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

/** A report from JSON text or a parsed value; fails with one line naming the first bad path. */
export function parseReport(json: unknown): Report {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new ReportError('BAD_JSON', `report is not JSON (${(e as Error).message})`);
    }
  }
  const result = reportSchema.safeParse(migrateReportRecipe(value));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = formatPath(issue.path);
  throw new ReportError('INVALID_REPORT', `invalid report at ${path}: ${issue.message}`, path);
}
