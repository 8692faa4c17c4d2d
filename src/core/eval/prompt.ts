/**
 * Prompt assembly as lm-evaluation-harness's `ConfigurableTask.fewshot_context` and
 * `ContextSampler.get_context` / `get_chat_context`.
 *
 * Plain text: the system prompt (see below), then each shot as
 * `docToText(shot) + targetDelimiter + docToTarget(shot) + fewshotDelimiter` (a shot whose target
 * is empty adds neither delimiter), then `docToText(doc)`.
 *
 * Chat (the harness's `--apply_chat_template`): a messages array, rendered elsewhere by the model's
 * chat template with a generation prompt. The system prompt is a "system" message; the shots are
 * one "user" message holding the plain-text shots with the question appended to it, or, with
 * `fewshotAsMultiturn`, a "user" (shot text) / "assistant" (shot target, no delimiter) pair per
 * shot and the question as the last "user" message.
 *
 * The system prompt is the harness's: `systemInstruction + fewshotDelimiter + description` when
 * both are set, else whichever is set. `systemInstruction` is where a reasoning instruction ("+Think")
 * goes: the system message in chat, and in plain text the very start of the prompt, joined to
 * what follows with nothing in between, as the harness does (end it with "\n\n" if it needs one).
 *
 * Shots: `train-split` tasks draw from the caller's documents exactly as the harness does with
 * `random.Random(1234)` (see `fewshot.ts`): the shots depend on the document's position in
 * evaluation order, not only on the document (and, for single-turn chat, on the harness release
 * followed: `harness.ts`). `fixed` and `cot-prompt` take the first n exemplars.
 */
import type { ChatMessage } from '../text/chat-template.ts';
import { EvalError } from './errors.ts';
import { FewshotSampler, firstShots, HARNESS_FEWSHOT_SEED, sampledShots, sharedSampler } from './fewshot.ts';
import { fewshotDrawIndex, type HarnessVersion } from './harness.ts';
import { parseCotPrompt } from './tasks/bbh.ts';
import type { FewshotMaterial, Task } from './tasks/types.ts';

/** A chat turn, as the tokenizer's chat template takes it (one type for core/text and core/eval). */
export type { ChatMessage };

/** Plain text, or chat messages still to be rendered by a chat template. */
export type Prompt = string | readonly ChatMessage[];

/** A tokenizer's chat template (e.g. `@huggingface/jinja` over `tokenizer_config.json`'s template). */
export type ApplyChatTemplate = (messages: readonly ChatMessage[], options: { readonly addGenerationPrompt: boolean }) => string;

export interface PromptOptions {
  /** Shots per prompt (the harness's `--num_fewshot`); default the task's `numFewshot`. */
  readonly numFewshot?: number;
  /** The few-shot generator's seed (`--fewshot_random_seed`); default 1234. */
  readonly fewshotSeed?: number;
  /** Messages for a chat template instead of plain text (`--apply_chat_template`). */
  readonly chat?: boolean;
  /** Shots as user/assistant turns (`--fewshot_as_multiturn`); needs `chat`. */
  readonly fewshotAsMultiturn?: boolean;
  /** The harness's `--system_instruction`: a reasoning instruction goes here (see the header). */
  readonly systemInstruction?: string;
  /** The lm-evaluation-harness release whose few-shot draws to follow (`harness.ts`); default the current one. */
  readonly harness?: HarnessVersion;
}

/** One labelled example: the text shown and the answer after it. */
export interface Shot {
  readonly text: string;
  readonly target: string;
}

/** The description and the shots for one document. */
export interface Context {
  readonly description: string;
  readonly shots: readonly Shot[];
}

export function checkPromptOptions(options: PromptOptions): void {
  if (options.fewshotAsMultiturn && !options.chat) {
    throw new EvalError('BAD_OPTION', 'fewshotAsMultiturn needs chat (the harness: "If fewshot_as_multiturn is set, apply_chat_template must be set too")');
  }
  const n = options.numFewshot;
  if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new EvalError('BAD_OPTION', `numFewshot must be a non-negative integer, got ${n}`);
}

/** Whether the few-shot documents are the evaluated split (the harness then draws one more and drops the document). */
function sameSplit<D>(task: Task<D>): boolean {
  return task.dataset !== undefined && task.dataset.fewshotSplit === task.dataset.evalSplit;
}

/**
 * The shots of the document at `position` in evaluation order. `sampler`: the run's generator for
 * `train-split` tasks (else one kept per `material.docs` array). `clamp`: fewer documents than
 * shots gives all of them instead of failing (for recording prompts only; the harness fails).
 */
export function contextFor<D>(
  task: Task<D>,
  doc: D,
  position: number,
  material: FewshotMaterial<D> | undefined,
  options: PromptOptions & { readonly sampler?: FewshotSampler<D>; readonly clamp?: boolean } = {},
): Context {
  const k = options.numFewshot ?? task.numFewshot;
  const label = (d: D): Shot => ({ text: task.docToText(d), target: task.docToTarget(d) });
  const first = <T>(exemplars: readonly T[], what: string): T[] => firstShots(exemplars, options.clamp ? Math.min(k, exemplars.length) : k, what);
  if (task.fewshot === 'cot-prompt') {
    if (material === undefined || !('text' in material)) throw new EvalError('NO_FEWSHOT', `${task.id} needs its cot-prompts text`);
    const { description, shots } = parseCotPrompt(material.text);
    return { description: description === '' ? '' : `${description}\n\n`, shots: first(shots, `the ${task.id} cot-prompts text`) };
  }
  if (task.fewshot === 'fixed') {
    return { description: task.description, shots: first(task.fixedShots ?? [], `${task.id}'s fixed exemplars`).map(label) };
  }
  if (k === 0) return { description: task.description, shots: [] };
  if (material === undefined || !('docs' in material)) {
    throw new EvalError('NO_FEWSHOT', `${task.id} needs few-shot documents (the ${task.dataset?.fewshotSplit ?? 'training'} split) for ${k} shots`);
  }
  const same = sameSplit(task);
  const available = same ? material.docs.length - 1 : material.docs.length;
  const shots = options.clamp ? Math.min(k, Math.max(0, available)) : k;
  if (shots === 0) return { description: task.description, shots: [] };
  const size = same ? shots + 1 : shots;
  const sampler = options.sampler ?? sharedSampler(material.docs, size, options.fewshotSeed ?? HARNESS_FEWSHOT_SEED);
  // One draw per document; 0.4.9.2 drew twice for single-turn chat prompts (see harness.ts).
  const draw = fewshotDrawIndex(position, options, options.harness);
  return { description: task.description, shots: sampledShots(sampler, draw, doc, shots, same).map(label) };
}

function systemPrompt(task: Task<unknown>, description: string, options: PromptOptions): string {
  const instruction = options.systemInstruction;
  if (instruction !== undefined && description !== '') return `${instruction}${task.fewshotDelimiter}${description}`;
  return instruction ?? description;
}

/** `get_context`: the shots as one text, each followed by the few-shot delimiter. */
export function labeledExamples(task: Task<unknown>, shots: readonly Shot[]): string {
  let out = '';
  for (const s of shots) {
    out += s.text;
    if (s.target !== '') out += `${task.targetDelimiter}${s.target}${task.fewshotDelimiter}`;
  }
  return out;
}

/** The prompt of one document from its context, as plain text or chat messages. */
export function assemblePrompt<D>(task: Task<D>, doc: D, context: Context, options: PromptOptions = {}): Prompt {
  checkPromptOptions(options);
  const system = systemPrompt(task as Task<unknown>, context.description, options);
  const question = task.docToText(doc);
  if (!options.chat) return `${system}${labeledExamples(task as Task<unknown>, context.shots)}${question}`;
  const messages: ChatMessage[] = [];
  if (system !== '') messages.push({ role: 'system', content: system });
  if (context.shots.length > 0) {
    if (options.fewshotAsMultiturn) {
      for (const s of context.shots) messages.push({ role: 'user', content: s.text }, { role: 'assistant', content: s.target });
    } else {
      messages.push({ role: 'user', content: labeledExamples(task as Task<unknown>, context.shots) });
    }
  }
  const last = messages.at(-1);
  if (!options.fewshotAsMultiturn && last !== undefined && last.role === 'user') messages[messages.length - 1] = { role: 'user', content: last.content + question };
  else messages.push({ role: 'user', content: question });
  return messages;
}

/** A chat prompt rendered with the template and a generation prompt; plain text unchanged. */
export function renderPrompt(prompt: Prompt, applyChatTemplate: ApplyChatTemplate): string {
  return typeof prompt === 'string' ? prompt : applyChatTemplate(prompt, { addGenerationPrompt: true });
}

/**
 * The plain-text prompt of the document at `position` (0-based, evaluation order), or null when
 * the few-shot material it needs is not given. Fewer few-shot documents than shots: all of them
 * (this is for recording prompts beside scores; `buildRequests` fails instead).
 */
export function buildPrompt<D>(task: Task<D>, doc: D, material: FewshotMaterial<D> | undefined, position: number, options: PromptOptions = {}): string | null {
  let context: Context;
  try {
    context = contextFor(task, doc, position, material, { ...options, clamp: true });
  } catch (e) {
    if (e instanceof EvalError && e.code === 'NO_FEWSHOT') return null;
    throw e;
  }
  return assemblePrompt(task, doc, context, { ...options, chat: false, fewshotAsMultiturn: false }) as string;
}
