/**
 * What evaluation needs from a causal language model, in token ids: batched greedy generation and
 * batched log-likelihood of a continuation. Text (tokenizer, chat template, stop strings) is the
 * caller's: see `src/core/text`. Implemented by `OnnxLanguageModel` (onnxruntime-web or -node).
 */

export interface GenerateOptions {
  /** New tokens per row at most. */
  readonly maxNewTokens: number;
  /** Token ids that end a row when generated (the id itself is kept in `ids`). */
  readonly stopIds?: readonly number[];
  /** Called after each step for each live row; true ends that row (stop strings live here). */
  readonly shouldStop?: (row: number, newIds: readonly number[]) => boolean;
  /** Streaming: the ids generated in this step, one per live row. */
  readonly onStep?: (step: readonly { readonly row: number; readonly id: number }[]) => void;
  readonly signal?: AbortSignal;
}

export type FinishReason = 'stop-id' | 'stop' | 'length';

export interface GenerateResult {
  /** New ids only (the prompt excluded). */
  readonly ids: number[];
  readonly finish: FinishReason;
}

export interface LoglikelihoodRequest {
  readonly context: readonly number[];
  readonly continuation: readonly number[];
}

export interface LoglikelihoodResult {
  /** Σ log p(continuation[i] | context, continuation[<i]), natural log, float64 sum. */
  readonly logprob: number;
  readonly tokens: number;
  /** Whether every continuation token is the argmax at its position. */
  readonly greedy: boolean;
}

export interface LanguageModel {
  readonly vocabSize: number;
  /** Greedy decoding of each prompt; rows are left-padded into batches of `batchSize`. */
  generate(prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<GenerateResult[]>;
  loglikelihood(requests: readonly LoglikelihoodRequest[], options?: { readonly signal?: AbortSignal }): Promise<LoglikelihoodResult[]>;
  dispose(): Promise<void>;
}
