/**
 * A report's experiment for a cluster: the merge as a mergekit configuration and the evaluation as
 * lm-evaluation-harness command lines.
 *
 * mergekit, two equivalent forms of θ_target + α·(θ_GRPO − θ_SFT):
 *   - `linear` with weights [1, α, −α] on [target, GRPO, SFT] and `normalize: false`;
 *   - `task_arithmetic` with SFT as `base_model`: SFT + 1·(target − SFT) + α·(GRPO − SFT).
 * and the sparsified methods (ties, dare_linear, dare_ties, breadcrumbs) with the target as
 * `base_model` and GRPO, SFT weighted α, −α, each with `density` (and breadcrumbs' `gamma`): mergekit
 * sparsifies each model's delta to the base, (GRPO − target) and (SFT − target), which is not the
 * same as sparsifying v = GRPO − SFT (mergekit has no way to say that).
 * The report's names are untrusted text: YAML scalars are always double-quoted and escaped, shell
 * words single-quoted.
 */
import type { Report } from './schema.ts';

export const MERGEKIT_EXPORT_METHODS = ['linear', 'task_arithmetic', 'ties', 'dare_linear', 'dare_ties', 'breadcrumbs'] as const;
export type MergekitMethod = (typeof MERGEKIT_EXPORT_METHODS)[number];

/** density and gamma for the sparsified methods (mergekit's defaults: density 1, gamma 0.01). */
export interface SparseOptions {
  readonly density?: number;
  readonly gamma?: number;
}

export class ExportReportError extends Error {
  override readonly name = 'ExportReportError';
  constructor(
    readonly code: 'NO_CHECKPOINTS' | 'NO_RUNS',
    message: string,
  ) {
    super(message);
  }
}

/** A YAML double-quoted scalar (JSON strings are valid YAML double-quoted scalars). */
const yamlString = (s: string) => JSON.stringify(s);

/** A POSIX shell word. */
export const shellWord = (s: string) => (/^[A-Za-z0-9_./:=,@+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

function names(report: Report): { target: string; sft: string; grpo: string } {
  const { target, sft, grpo } = report.checkpoints;
  if (!target || !sft || !grpo) {
    const missing = (['target', 'sft', 'grpo'] as const).filter((r) => !report.checkpoints[r]);
    throw new ExportReportError('NO_CHECKPOINTS', `the report names no ${missing.join(', ')} checkpoint; a mergekit recipe needs all three`);
  }
  return { target: target.name, sft: sft.name, grpo: grpo.name };
}

/** The α values of the report's runs, in first-seen order. */
export function reportAlphas(report: Report): number[] {
  const alphas: number[] = [];
  for (const run of report.runs) if (run.alpha !== null && !alphas.includes(run.alpha)) alphas.push(run.alpha);
  return alphas;
}

/**
 * The dtype of the merged weights the report evaluated, in mergekit's and transformers' words: the
 * recipe's (F32 for exact float32 weights), or with `auto` (and without a recipe) the target's.
 */
function dtypeOf(report: Report): string {
  const recipeDtype = report.recipe?.dtype;
  const dtype = recipeDtype !== undefined && recipeDtype !== 'auto' ? recipeDtype : (report.checkpoints.target?.dtype ?? 'BF16');
  return { BF16: 'bfloat16', F16: 'float16', F32: 'float32' }[dtype.toUpperCase()] ?? 'bfloat16';
}

export function mergekitYaml(report: Report, alpha: number, method: MergekitMethod = 'linear', sparse: SparseOptions = {}): string {
  const n = names(report);
  const lines = [`# θ_target + α·(θ_GRPO − θ_SFT), α = ${alpha}, from an rvs-report/1 of ${report.createdAt}`];
  if (method !== 'linear' && method !== 'task_arithmetic') {
    const params = [`density: ${sparse.density ?? 1}`, ...(method === 'breadcrumbs' ? [`gamma: ${sparse.gamma ?? 0.01}`] : [])];
    lines.push(`merge_method: ${method}`, `base_model: ${yamlString(n.target)}`, 'models:');
    for (const [model, weight] of [
      [n.grpo, String(alpha)],
      [n.sft, String(-alpha)],
    ] as const) {
      lines.push(`  - model: ${yamlString(model)}`, '    parameters:', `      weight: ${weight}`, ...params.map((p) => `      ${p}`));
    }
    lines.push(`dtype: ${dtypeOf(report)}`);
    return `${lines.join('\n')}\n`;
  }
  // Models with their weights: linear takes [1, α, −α] on [target, GRPO, SFT]; task_arithmetic
  // adds 1·(target − SFT) + α·(GRPO − SFT) to the SFT base.
  const models: [string, string][] = [[n.target, '1.0'], [n.grpo, String(alpha)], ...(method === 'linear' ? [[n.sft, String(-alpha)] as [string, string]] : [])];
  lines.push(`merge_method: ${method}`);
  if (method === 'task_arithmetic') lines.push(`base_model: ${yamlString(n.sft)}`);
  lines.push('models:');
  for (const [model, weight] of models) lines.push(`  - model: ${yamlString(model)}`, '    parameters:', `      weight: ${weight}`);
  lines.push('parameters:', '  normalize: false');
  lines.push(`dtype: ${dtypeOf(report)}`);
  return `${lines.join('\n')}\n`;
}

/** Every α of the report as one YAML stream (documents separated by `---`). */
export function mergekitStream(report: Report, method: MergekitMethod = 'linear', sparse: SparseOptions = {}): string {
  const alphas = reportAlphas(report);
  if (alphas.length === 0) throw new ExportReportError('NO_RUNS', 'the report has no run with an α');
  return alphas.map((a) => mergekitYaml(report, a, method, sparse)).join('---\n');
}

/**
 * One `lm_eval` command per (α, task) run: the merged model at `./merged-alpha-<α>` (what
 * `mergekit-yaml` writes when given that output folder), the run's few-shot count, limit, chat
 * template (`--fewshot_as_multiturn` only when the run put the shots in turns), reasoning prefix (as
 * the system instruction) and generation cap.
 */
export function lmEvalCommands(report: Report): string {
  if (report.runs.length === 0) throw new ExportReportError('NO_RUNS', 'the report has no runs');
  const lines: string[] = [];
  for (const run of report.runs) {
    const c = run.config;
    const model = run.alpha === null ? (report.checkpoints.target?.name ?? 'MODEL') : `./merged-alpha-${run.alpha}`;
    const words = ['lm_eval', '--model', 'hf', '--model_args', `pretrained=${model},dtype=${dtypeOf(report)}`, '--tasks', run.task];
    const num = (key: string) => (typeof c[key] === 'number' ? (c[key] as number) : undefined);
    if (num('numFewshot') !== undefined) words.push('--num_fewshot', String(num('numFewshot')));
    if (num('batchSize') !== undefined) words.push('--batch_size', String(num('batchSize')));
    const docIds = c['docIds'];
    if (c['limitMode'] === 'seeded' && Array.isArray(docIds)) words.push('--samples', JSON.stringify({ [run.task]: docIds }));
    else if (num('limit') !== undefined) words.push('--limit', String(num('limit')));
    if (num('maxNewTokens') !== undefined) words.push('--gen_kwargs', `max_gen_toks=${num('maxNewTokens')}`);
    if (c['chat'] === true) words.push('--apply_chat_template', ...(c['fewshotAsMultiturn'] === true ? ['--fewshot_as_multiturn'] : []));
    if (typeof c['prefix'] === 'string' && c['prefix'] !== '') words.push('--system_instruction', c['prefix']);
    words.push('--log_samples', '--output_path', `./lm-eval-alpha-${run.alpha ?? 'none'}`);
    lines.push(words.map(shellWord).join(' '));
  }
  return `${[...new Set(lines)].join('\n')}\n`;
}
