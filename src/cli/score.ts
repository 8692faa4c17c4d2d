/**
 * `rvs score`: model-free scoring of generated outputs against a task, with lm-evaluation-harness's
 * filters and metrics, written as an `rvs-report/1` report (atomically: temp file, then rename).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { scoreCodeTask } from '../core/eval/code-score.ts';
import { decodeText, parsePredictions } from '../core/eval/datasets.ts';
import { harnessName } from '../core/eval/harness.ts';
import { loadDocs } from '../core/eval/load.ts';
import { STDERR_METHOD } from '../core/eval/metrics.ts';
import { scoreTask, type TaskScore } from '../core/eval/score.ts';
import { getTask } from '../core/eval/tasks/index.ts';
import type { CodeTask, FewshotMaterial, GenerateTask } from '../core/eval/tasks/types.ts';
import { parseReport, REPORT_SCHEMA, type Report } from '../core/report/schema.ts';
import { createNodeSandbox } from '../node/sandbox-node.ts';
import { writeFileAtomic as stagedWrite } from '../node/staging.ts';
import { UsageError } from './errors.ts';
import { noteStaleRemoved } from './text.ts';

interface ScoreOptions {
  task: string;
  data: string;
  predictions: string;
  out: string;
  fewshot?: string;
  limit?: number;
  alpha?: number;
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

async function readText(file: string): Promise<string> {
  return decodeText(await readBytes(file), file);
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function finiteNumber(text: string): number {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError('not a finite number');
  return x;
}

async function scoreFiles<D>(task: GenerateTask<D>, opts: ScoreOptions): Promise<TaskScore> {
  const docs = task.parseDocs(await readText(opts.data), opts.data);
  const predictions = parsePredictions(await readText(opts.predictions), opts.predictions);
  let fewshot: FewshotMaterial<D> | undefined;
  if (opts.fewshot !== undefined) {
    const text = await readText(opts.fewshot);
    fewshot = task.fewshot === 'cot-prompt' ? { text } : { docs: task.parseDocs(text, opts.fewshot) };
  }
  return scoreTask(task, docs, predictions, {
    ...(fewshot ? { fewshot } : {}),
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    predictionsFile: opts.predictions,
  });
}

/**
 * A code task (HumanEval): every completion runs in the Node sandbox (a fresh interpreter per
 * program in a child process without permissions), two or more at once.
 */
async function scoreCodeFiles<D>(task: CodeTask<D>, opts: ScoreOptions, signal: AbortSignal | undefined): Promise<TaskScore> {
  const docs = await loadDocs(task, await readBytes(opts.data), opts.data);
  const predictions = parsePredictions(await readText(opts.predictions), opts.predictions);
  const sandbox = await createNodeSandbox();
  try {
    return await scoreCodeTask(task, docs, predictions, sandbox, {
      concurrency: Math.max(2, Math.min(4, availableParallelism())),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      ...(signal ? { signal } : {}),
      predictionsFile: opts.predictions,
    });
  } finally {
    await sandbox.dispose();
  }
}

/** Writes `text` to `file` through a staged file beside it, so readers never see half a file. */
export function writeFileAtomic(file: string, text: string | Uint8Array): Promise<void> {
  return stagedWrite(file, text, noteStaleRemoved);
}

export function metricTable(task: string, metrics: TaskScore['metrics']): string {
  const rows = Object.entries(metrics).map(([key, m]) =>
    [task.padEnd(Math.max(20, task.length)), key.padEnd(30), m.value.toFixed(4).padStart(8), (m.stderr === null ? 'N/A' : `± ${m.stderr.toFixed(4)}`).padStart(10), String(m.n).padStart(7)].join(' '),
  );
  const header = ['task'.padEnd(Math.max(20, task.length)), 'metric,filter'.padEnd(30), 'value'.padStart(8), 'stderr'.padStart(10), 'n'.padStart(7)].join(' ');
  return `${header}\n${rows.join('\n')}\nstderr: ${STDERR_METHOD}\n`;
}

export function registerScore(program: Command, signal?: AbortSignal): void {
  program
    .command('score')
    .description('score generated outputs with lm-evaluation-harness filters and metrics; write an rvs-report/1 report')
    .requiredOption('--task <name>', 'task id, e.g. gsm8k, gsm8k_cot, bbh_cot_fewshot_date_understanding')
    .requiredOption('--data <file>', 'the task\'s documents (GSM8K JSONL/JSON, BBH {"examples": [...]}, HumanEval.jsonl.gz)')
    .requiredOption('--predictions <file>', 'JSONL, one {"doc_id", "output"} a line; doc_id is the 0-based document position')
    .requiredOption('--out <file>', 'report to write (JSON, written atomically)')
    .option('--fewshot <file>', 'few-shot source for the recorded prompts: the train split (gsm8k) or the cot-prompts file (bbh)')
    .option('--limit <n>', 'score the first n documents only', positiveInt)
    .option('--alpha <alpha>', 'α of the merged model that produced the outputs (recorded)', finiteNumber)
    .action(async (opts: ScoreOptions) => {
      const started = performance.now();
      const found = getTask(opts.task);
      if (found.kind === 'multiple_choice') throw new UsageError(`${found.id} is a multiple-choice task: rvs score scores generated outputs (use rvs eval)`);
      const task = found as GenerateTask<unknown> | CodeTask<unknown>;
      const result = task.kind === 'code' ? await scoreCodeFiles(task, opts, signal) : await scoreFiles(task, opts);
      const seconds = (performance.now() - started) / 1000;
      const report: Report = parseReport({
        schema: REPORT_SCHEMA,
        status: 'complete',
        harness: harnessName(),
        createdAt: new Date().toISOString(),
        app: { name: 'rvs', version: program.version() ?? '0.0.0' },
        environment: { backend: 'none', node: process.version, platform: `${process.platform}-${process.arch}` },
        checkpoints: {},
        recipe: null,
        runs: [
          {
            alpha: opts.alpha ?? null,
            task: task.id,
            config: {
              taskVersion: task.version,
              harnessSource: task.source,
              data: opts.data,
              predictions: opts.predictions,
              fewshot: opts.fewshot ?? null,
              numFewshot: task.numFewshot,
              limit: opts.limit ?? null,
              until: task.until,
              ...(task.kind === 'code'
                ? { metric: task.metricKey, timeoutMs: task.timeoutMs, sandbox: 'pyodide: a fresh interpreter per program, in a child process under the Node permission model' }
                : { filters: task.filters, metric: task.metric }),
              stderr: STDERR_METHOD,
            },
            metrics: result.metrics,
            samples: result.samples,
          },
        ],
        timings: { scoreSeconds: seconds },
      });
      await writeFileAtomic(opts.out, `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(metricTable(task.id, result.metrics));
      process.stderr.write(`wrote ${opts.out}: ${result.samples.length} samples\n`);
    });
}
