/**
 * A task's documents → the requests a model must answer, as lm-evaluation-harness's
 * `build_all_requests` / `construct_requests` makes them:
 *   - generate tasks: one `{kind: 'generate'}` request a document (prompt, stop strings, token cap);
 *   - multiple choice: one `{kind: 'loglikelihood'}` request a document, holding the context and
 *     one continuation per choice, `targetDelimiter + choice` (in chat mode the harness drops the
 *     delimiter: the choice follows the rendered generation prompt directly).
 *
 * Which documents: all, or `limit` of them, either the first ones (the harness's `--limit`) or a
 * subset drawn once with `random.Random(limitSeed).sample(range(n), limit)` and kept in document
 * order (the harness's `--samples` with those ids): the same documents for every model and α.
 * Few-shot draws follow evaluation order, so the k-th evaluated document gets the k-th draw, as
 * with `--samples`; with first-n limits, each prompt equals the full run's.
 */
import { EvalError } from './errors.ts';
import { FewshotSampler, HARNESS_FEWSHOT_SEED } from './fewshot.ts';
import { assemblePrompt, checkPromptOptions, contextFor, renderPrompt, type ApplyChatTemplate, type ChatMessage, type Prompt, type PromptOptions } from './prompt.ts';
import { PyRandom } from './pyrandom.ts';
import type { CodeTask, FewshotMaterial, GenerateTask, MultipleChoiceTask, Task } from './tasks/types.ts';

export const DEFAULT_LIMIT_SEED = 1234;

export interface RequestOptions extends PromptOptions {
  /** Evaluate this many documents (all when it is at least their number). */
  readonly limit?: number;
  /** `seeded` (default): a fixed random subset; `first`: the first `limit` (the harness's `--limit`). */
  readonly limitMode?: 'seeded' | 'first';
  /** Seed of the `seeded` subset; default 1234. */
  readonly limitSeed?: number;
  /** New tokens at most for generate tasks; default the task's `maxGenToks`. */
  readonly maxNewTokens?: number;
  /** With `chat`: render each prompt now (a generation prompt added); without, prompts stay messages. */
  readonly applyChatTemplate?: ApplyChatTemplate;
}

/** lm-evaluation-harness's `generate_until` request (not the studio's Try-it `GenerateRequest`). */
export interface GenerateUntilRequest {
  readonly kind: 'generate';
  /** The document's 0-based position in the task's evaluated split. */
  readonly docId: number;
  readonly prompt: Prompt;
  /** The messages a rendered chat prompt came from. */
  readonly messages?: readonly ChatMessage[];
  readonly until: readonly string[];
  readonly maxNewTokens: number;
}

export interface ChoiceRequest {
  readonly kind: 'loglikelihood';
  readonly docId: number;
  readonly context: Prompt;
  readonly messages?: readonly ChatMessage[];
  /** One per choice, in the task's choice order; score each as log p(continuation | context). */
  readonly continuations: readonly string[];
}

export type EvalRequest = GenerateUntilRequest | ChoiceRequest;

function positiveInt(name: string, n: number | undefined): void {
  if (n !== undefined && (!Number.isInteger(n) || n <= 0)) throw new EvalError('BAD_OPTION', `${name} must be a positive integer, got ${n}`);
}

/** The ids of the documents evaluated, in evaluation order (ascending). */
export function evaluatedDocIds(count: number, options: Pick<RequestOptions, 'limit' | 'limitMode' | 'limitSeed'> = {}): number[] {
  positiveInt('limit', options.limit);
  const all = Array.from({ length: count }, (_, i) => i);
  if (options.limit === undefined || options.limit >= count) return all;
  if (options.limitMode === 'first') return all.slice(0, options.limit);
  return new PyRandom(options.limitSeed ?? DEFAULT_LIMIT_SEED).sampleIndices(count, options.limit).sort((a, b) => a - b);
}

export function buildRequests<D>(task: GenerateTask<D> | CodeTask<D>, docs: readonly D[], options?: RequestOptions, material?: FewshotMaterial<D>): GenerateUntilRequest[];
export function buildRequests<D>(task: MultipleChoiceTask<D>, docs: readonly D[], options?: RequestOptions, material?: FewshotMaterial<D>): ChoiceRequest[];
export function buildRequests<D>(task: Task<D>, docs: readonly D[], options?: RequestOptions, material?: FewshotMaterial<D>): EvalRequest[];
export function buildRequests<D>(task: Task<D>, docs: readonly D[], options: RequestOptions = {}, material?: FewshotMaterial<D>): EvalRequest[] {
  checkPromptOptions(options);
  positiveInt('maxNewTokens', options.maxNewTokens);
  if (options.applyChatTemplate !== undefined && !options.chat) throw new EvalError('BAD_OPTION', 'applyChatTemplate is given but chat is off');
  const ids = evaluatedDocIds(docs.length, options);
  const k = options.numFewshot ?? task.numFewshot;
  let sampler: FewshotSampler<D> | undefined;
  if (task.fewshot === 'train-split' && k > 0 && material !== undefined && 'docs' in material) {
    const same = task.dataset !== undefined && task.dataset.fewshotSplit === task.dataset.evalSplit;
    sampler = new FewshotSampler(material.docs, same ? k + 1 : k, options.fewshotSeed ?? HARNESS_FEWSHOT_SEED);
  }
  return ids.map((docId, position): EvalRequest => {
    const doc = docs[docId]!;
    const context = contextFor(task, doc, position, material, { ...options, ...(sampler ? { sampler } : {}) });
    const built = assemblePrompt(task, doc, context, options);
    const rendered = options.applyChatTemplate !== undefined ? renderPrompt(built, options.applyChatTemplate) : built;
    const messages = typeof built !== 'string' && rendered !== built ? { messages: built } : {};
    if (task.kind === 'generate' || task.kind === 'code') {
      return { kind: 'generate', docId, prompt: rendered, ...messages, until: task.until, maxNewTokens: options.maxNewTokens ?? task.maxGenToks };
    }
    const delimiter = options.chat ? '' : task.targetDelimiter;
    return { kind: 'loglikelihood', docId, context: rendered, ...messages, continuations: task.docToChoices(doc).map((c) => `${delimiter}${c}`) };
  });
}
