/**
 * Running a task on a model, as lm-evaluation-harness's HFLM does it, and scoring it:
 *   - generate tasks: prompts encoded without special tokens, greedy decoding until an eos id, a
 *     stop string (the task's `until` plus the eos text) or the token cap; the text decoded without
 *     special tokens and cut at the stop strings; then the task's filters and metric;
 *   - multiple choice: one log-likelihood per choice, context and continuation encoded as the
 *     harness's `_encode_pair` does (trailing spaces of the context move to the continuation, the
 *     continuation is what the whole encodes to past the context); an empty context is the
 *     prefix token (bos, else eos);
 *   - code (HumanEval): generate, then run prompt + completion + tests in a sandbox: pass@1.
 * Work goes in chunks of `chunkSize` documents so that progress (documents, new tokens, running
 * metric) is reported as it happens and a cancel stops within one chunk. Samples already in
 * `resume` are kept, not redone.
 */
import type { LanguageModel } from '../model/lm.ts';
import { StopStrings, untilWithEos } from '../text/stop.ts';
import type { TextTokenizer } from '../text/tokenizer.ts';
import { scoreMultipleChoice } from './choice.ts';
import { runCodeItems } from './code-score.ts';
import { EvalError } from './errors.ts';
import type { MetricValue } from './metrics.ts';
import { pyRstrip } from './pyregex.ts';
import { buildRequests, type ChoiceRequest, type GenerateUntilRequest, type RequestOptions } from './requests.ts';
import { aggregateSamples, scoreGeneration, type ScoredSample } from './score.ts';
import type { CodeSandbox } from './sandbox/types.ts';
import type { CodeTask, FewshotMaterial, MultipleChoiceTask, Task } from './tasks/types.ts';

export interface EvalModel {
  readonly tokenizer: TextTokenizer;
  readonly lm: LanguageModel;
}

export interface EvalProgress {
  readonly task: string;
  readonly alpha: number | null;
  readonly done: number;
  readonly total: number;
  /** Tokens generated so far in this run, and the seconds it took. */
  readonly newTokens: number;
  readonly seconds: number;
  /** Metric key → mean over the documents done so far. */
  readonly running: Readonly<Record<string, number>>;
}

export interface EvaluateOptions extends Omit<RequestOptions, 'applyChatTemplate'> {
  /** Documents per chunk (progress and cancel granularity); default 8. */
  readonly chunkSize?: number;
  /** Recorded in progress events. */
  readonly alpha?: number | null;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: EvalProgress) => void;
  /** Called with every chunk's new samples (e.g. to save a partial report). */
  readonly onSamples?: (samples: readonly ScoredSample[]) => void | Promise<void>;
  /** Samples of an interrupted run of the same configuration: their documents are not redone. */
  readonly resume?: readonly ScoredSample[];
  /** Where code tasks (HumanEval) run model-written programs. */
  readonly sandbox?: CodeSandbox;
}

export interface TaskResult {
  readonly task: string;
  readonly metrics: Record<string, MetricValue>;
  /** In document order. */
  readonly samples: ScoredSample[];
  readonly docIds: number[];
  readonly newTokens: number;
  readonly seconds: number;
}

export async function evaluateTask<D>(model: EvalModel, task: Task<D>, docs: readonly D[], material: FewshotMaterial<D> | undefined, options: EvaluateOptions = {}): Promise<TaskResult> {
  const { tokenizer } = model;
  const requests = buildRequests(task, docs, { ...options, ...(options.chat ? { applyChatTemplate: (m, o) => tokenizer.applyChatTemplate(m, o) } : {}) }, material);
  const docIds = requests.map((r) => r.docId);
  const resumed = new Map((options.resume ?? []).map((s) => [s.doc_id, s]));
  for (const id of resumed.keys()) if (!docIds.includes(id)) throw new EvalError('BAD_OPTION', `resumed sample doc_id ${id} is not among this run's documents`);
  const samples = new Map<number, ScoredSample>(resumed);
  const chunkSize = options.chunkSize ?? 8;
  const started = performance.now();
  let newTokens = 0;
  const report = () => {
    const done = [...samples.values()];
    const running: Record<string, number> = {};
    for (const key of Object.keys(done[0]?.scores ?? {})) running[key] = done.reduce((n, s) => n + s.scores[key]!, 0) / done.length;
    options.onProgress?.({ task: task.id, alpha: options.alpha ?? null, done: done.length, total: requests.length, newTokens, seconds: (performance.now() - started) / 1000, running });
  };
  report();
  const todo = requests.filter((r) => !resumed.has(r.docId));
  for (let start = 0; start < todo.length; start += chunkSize) {
    if (options.signal?.aborted) throw new EvalError('CANCELLED', 'evaluation cancelled');
    const chunk = todo.slice(start, start + chunkSize);
    let scored: ScoredSample[];
    if (task.kind === 'generate') {
      const outputs = await generate(model, chunk as GenerateUntilRequest[], options.signal, (n) => (newTokens += n));
      scored = chunk.map((r, i) => scoreGeneration(task, docs[r.docId]!, r.docId, outputs[i]!, promptText(r)));
    } else if (task.kind === 'code') {
      if (!options.sandbox) throw new EvalError('BAD_OPTION', `${task.id} runs model-written code: it needs a sandbox`);
      const outputs = await generate(model, chunk as GenerateUntilRequest[], options.signal, (n) => (newTokens += n));
      scored = await runCode(task, docs, chunk as GenerateUntilRequest[], outputs, options.sandbox, options.signal);
    } else {
      scored = await multipleChoice(model, task, docs, chunk as ChoiceRequest[], options.signal);
    }
    for (const s of scored) samples.set(s.doc_id, s);
    await options.onSamples?.(scored);
    report();
  }
  const ordered = docIds.map((id) => samples.get(id)!);
  const metrics = aggregateSamples(ordered);
  return { task: task.id, metrics, samples: ordered, docIds, newTokens, seconds: (performance.now() - started) / 1000 };
}

function promptText(r: GenerateUntilRequest | ChoiceRequest): string {
  const p = r.kind === 'generate' ? r.prompt : r.context;
  return typeof p === 'string' ? p : JSON.stringify(p);
}

function rendered(p: GenerateUntilRequest['prompt'], what: string): string {
  if (typeof p !== 'string') throw new EvalError('BAD_OPTION', `${what}: a chat prompt reached the model unrendered`);
  return p;
}

/** The eos text the harness adds to `until` (`tokenizer.decode(eot_token_id)`). */
function eosText(tokenizer: TextTokenizer): string | undefined {
  const id = tokenizer.eosTokenIds[0];
  return id === undefined ? undefined : tokenizer.decode([id]);
}

async function generate(model: EvalModel, requests: readonly GenerateUntilRequest[], signal: AbortSignal | undefined, onTokens: (n: number) => void): Promise<string[]> {
  const { tokenizer, lm } = model;
  const out: string[] = new Array(requests.length);
  // One generate call per (until, cap) group: requests of one task share them.
  const groups = new Map<string, number[]>();
  requests.forEach((r, i) => {
    const key = JSON.stringify([r.until, r.maxNewTokens]);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const rows of groups.values()) {
    const first = requests[rows[0]!]!;
    const stops = new StopStrings(tokenizer, untilWithEos(first.until, eosText(tokenizer)));
    const prompts = rows.map((i) => tokenizer.encode(rendered(requests[i]!.prompt, `doc ${requests[i]!.docId}`)));
    const results = await lm.generate(prompts, {
      maxNewTokens: first.maxNewTokens,
      stopIds: tokenizer.eosTokenIds,
      shouldStop: stops.shouldStop,
      onStep: (step) => onTokens(step.length),
      ...(signal ? { signal } : {}),
    });
    rows.forEach((i, k) => (out[i] = stops.finish(results[k]!.ids)));
  }
  return out;
}

/** The harness's `_encode_pair` (and the empty-context rule of `loglikelihood`). */
export function encodePair(tokenizer: TextTokenizer, context: string, continuation: string): { context: number[]; continuation: number[] } {
  if (context === '') {
    const prefix = tokenizer.bosTokenId ?? tokenizer.eosTokenIds[0];
    if (prefix === undefined) throw new EvalError('BAD_OPTION', 'an empty context needs a bos or eos token');
    return { context: [prefix], continuation: tokenizer.encode(continuation) };
  }
  const kept = pyRstrip(context);
  const spaces = context.slice(kept.length);
  const whole = tokenizer.encode(kept + spaces + continuation);
  const contextIds = tokenizer.encode(kept);
  return { context: contextIds, continuation: whole.slice(contextIds.length) };
}

async function multipleChoice<D>(model: EvalModel, task: MultipleChoiceTask<D>, docs: readonly D[], requests: readonly ChoiceRequest[], signal: AbortSignal | undefined): Promise<ScoredSample[]> {
  const pairs = requests.flatMap((r) => r.continuations.map((c) => encodePair(model.tokenizer, rendered(r.context, `doc ${r.docId}`), c)));
  const results = await model.lm.loglikelihood(pairs, signal ? { signal } : {});
  let at = 0;
  return requests.map((r) => {
    const lls = r.continuations.map(() => results[at++]!.logprob);
    const doc = docs[r.docId]!;
    const score = scoreMultipleChoice(task, doc, lls);
    const choices = task.docToChoices(doc);
    return {
      doc_id: r.docId,
      prompt: promptText(r),
      output: choices[score.pred]!,
      target: choices[score.gold]!,
      filtered: { none: choices[score.pred]!, 'none(norm)': choices[score.predNorm]! },
      scores: { 'acc,none': score.acc, 'acc_norm,none': score.acc_norm },
      loglikelihoods: lls,
    };
  });
}

/** Each completion (already cut at the task's stop strings) run as the task's program: code-score.ts. */
function runCode<D>(task: CodeTask<D>, docs: readonly D[], requests: readonly GenerateUntilRequest[], outputs: readonly string[], sandbox: CodeSandbox, signal: AbortSignal | undefined): Promise<ScoredSample[]> {
  const items = requests.map((r, i) => ({ docId: r.docId, doc: docs[r.docId]!, completion: outputs[i]!, prompt: promptText(r) }));
  return runCodeItems(task, items, sandbox, signal ? { signal } : {});
}
