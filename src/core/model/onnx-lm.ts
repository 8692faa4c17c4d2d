/**
 * `LanguageModel` over an onnxruntime session of the decoder graph (graph.ts): batched greedy
 * decoding with a KV cache and batched log-likelihood. The onnxruntime module is passed in
 * (onnxruntime-web in browsers and workers, onnxruntime-web or onnxruntime-node in Node), and so
 * are the weights when the graph takes them as inputs (GPU buffers in the studio).
 *
 * Rows are left-padded: pads get attention_mask 0 and position 0, real tokens positions 0, 1, …,
 * so a row's logits do not depend on its batch mates. With `kvOnGpu` the present tensors stay on
 * the GPU and go straight back in as the next step's past; every step's tensors are disposed.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { DecoderConfig } from './config.ts';
import type { ComputeDtype } from './graph.ts';
import type { GenerateOptions, GenerateResult, LanguageModel, LoglikelihoodRequest, LoglikelihoodResult } from './lm.ts';

/** What this module needs of an onnxruntime package (onnxruntime-web and -node both fit). */
export interface OrtApi {
  readonly Tensor: typeof Tensor;
  readonly InferenceSession: typeof InferenceSession;
}

export type ModelRunErrorCode = 'INVALID_TOKEN' | 'TOO_LONG' | 'EMPTY_REQUEST' | 'CANCELLED';

export class ModelRunError extends Error {
  override readonly name = 'ModelRunError';
  constructor(
    readonly code: ModelRunErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface OnnxLanguageModelOptions {
  readonly ort: OrtApi;
  readonly session: InferenceSession;
  readonly config: DecoderConfig;
  /** Rows per forward pass. */
  readonly batchSize: number;
  /** Fills the left padding (any valid id: padded positions are masked). */
  readonly padTokenId: number;
  /** Extra feeds every run gets: the weights, when the graph takes them as inputs. */
  readonly weights?: Readonly<Record<string, Tensor>>;
  /** Longest context + continuation; longer inputs lose tokens on the left (as the harness does). */
  readonly maxLength?: number;
  /** The graph's compute dtype (graph.ts), which is its KV cache's: float32 by default. */
  readonly compute?: ComputeDtype;
}

/** Output names to keep on the GPU between decoding steps (`preferredOutputLocation`). */
export function presentNames(config: DecoderConfig): string[] {
  return Array.from({ length: config.numLayers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat();
}

export class OnnxLanguageModel implements LanguageModel {
  readonly vocabSize: number;
  private readonly maxLength: number;
  private readonly keepsLogits: boolean;

  constructor(private readonly o: OnnxLanguageModelOptions) {
    this.vocabSize = o.config.vocabSize;
    this.maxLength = o.maxLength ?? o.config.maxPositionEmbeddings;
    this.keepsLogits = o.session.inputNames.includes('num_logits_to_keep');
    if (!(o.batchSize >= 1)) throw new RangeError(`batchSize must be at least 1, not ${o.batchSize}`);
  }

  async generate(prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<GenerateResult[]> {
    prompts.forEach((p, i) => this.check(p, `prompt ${i}`));
    if (options.maxNewTokens >= this.maxLength) {
      throw new ModelRunError('TOO_LONG', `${options.maxNewTokens} new tokens leave no room for a prompt in the model's ${this.maxLength} positions`);
    }
    // As the harness: prompts lose tokens on the left to leave room for the new ones.
    const room = this.maxLength - options.maxNewTokens;
    prompts = prompts.map((p) => (p.length > room ? p.slice(-room) : p));
    const results: GenerateResult[] = new Array(prompts.length);
    // Longest first, as the harness batches, so that rows of a batch have similar lengths.
    const order = prompts.map((_, i) => i).sort((a, b) => prompts[b]!.length - prompts[a]!.length || a - b);
    for (let start = 0; start < order.length; start += this.o.batchSize) {
      const rows = order.slice(start, start + this.o.batchSize);
      const out = await this.generateBatch(rows.map((r) => prompts[r]!), rows, options);
      rows.forEach((r, i) => (results[r] = out[i]!));
    }
    return results;
  }

  async loglikelihood(requests: readonly LoglikelihoodRequest[], options: { readonly signal?: AbortSignal } = {}): Promise<LoglikelihoodResult[]> {
    const inputs = requests.map((r, i) => {
      if (r.continuation.length === 0) throw new ModelRunError('EMPTY_REQUEST', `request ${i}: empty continuation`);
      if (r.context.length === 0) throw new ModelRunError('EMPTY_REQUEST', `request ${i}: empty context (pass at least one token, e.g. end-of-text)`);
      const all = [...r.context, ...r.continuation];
      this.check(all, `request ${i}`);
      // The harness: (context + continuation)[-(max_length + 1):][:-1]
      return all.slice(-(this.maxLength + 1)).slice(0, -1);
    });
    const results: LoglikelihoodResult[] = new Array(requests.length);
    const order = requests.map((_, i) => i).sort((a, b) => inputs[b]!.length - inputs[a]!.length || a - b);
    for (let start = 0; start < order.length; start += this.o.batchSize) {
      if (options.signal?.aborted) throw cancelled();
      const rows = order.slice(start, start + this.o.batchSize);
      const keep = Math.max(...rows.map((r) => requests[r]!.continuation.length));
      const { logits, dispose } = await this.forward(rows.map((r) => inputs[r]!), keep);
      try {
        rows.forEach((r, b) => {
          const cont = requests[r]!.continuation;
          let logprob = 0;
          let greedy = true;
          for (let j = 0; j < cont.length; j++) {
            const row = logits.subarray(((b * keep) + keep - cont.length + j) * this.vocabSize, ((b * keep) + keep - cont.length + j + 1) * this.vocabSize);
            logprob += row[cont[j]!]! - logSumExp(row);
            if (argmax(row) !== cont[j]) greedy = false;
          }
          results[r] = { logprob, tokens: cont.length, greedy };
        });
      } finally {
        dispose();
      }
    }
    return results;
  }

  /** Logits of every position of one sequence, [ids.length × vocab]. */
  async logits(ids: readonly number[]): Promise<Float32Array> {
    this.check(ids, 'sequence');
    if (ids.length > this.maxLength) throw new ModelRunError('TOO_LONG', `${ids.length} tokens exceed the model's ${this.maxLength} positions`);
    const { logits, dispose } = await this.forward([ids], ids.length);
    dispose();
    return logits;
  }

  async dispose(): Promise<void> {
    await this.o.session.release();
  }

  private check(ids: readonly number[], what: string): void {
    if (ids.length === 0) throw new ModelRunError('EMPTY_REQUEST', `${what}: no tokens`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new ModelRunError('INVALID_TOKEN', `${what}: token id ${id} is outside [0, ${this.vocabSize})`);
    }
  }

  private async generateBatch(prompts: readonly (readonly number[])[], rows: readonly number[], options: GenerateOptions): Promise<GenerateResult[]> {
    const { ids, mask, positions } = this.leftPad(prompts);
    const next = prompts.map((p) => p.length);
    const out: { ids: number[]; finish: GenerateResult['finish'] | null }[] = prompts.map(() => ({ ids: [], finish: null }));
    const stopIds = new Set(options.stopIds ?? []);
    let past = this.emptyPast(prompts.length);
    let feedIds = ids;
    let feedPositions = positions;
    try {
      for (let step = 0; step < options.maxNewTokens; step++) {
        if (options.signal?.aborted) throw cancelled();
        const result = await this.run(feedIds, mask, feedPositions, past, 1);
        disposeAll(past);
        past = result.present;
        const streamed: { row: number; id: number }[] = [];
        const tokens = prompts.map((_, b) => {
          const row = out[b]!;
          if (row.finish !== null) return this.o.padTokenId;
          const id = argmax(result.logits.subarray(b * this.vocabSize, (b + 1) * this.vocabSize));
          row.ids.push(id);
          streamed.push({ row: rows[b]!, id });
          if (stopIds.has(id)) row.finish = 'stop-id';
          else if (options.shouldStop?.(rows[b]!, row.ids)) row.finish = 'stop';
          else if (row.ids.length >= options.maxNewTokens) row.finish = 'length';
          return id;
        });
        options.onStep?.(streamed);
        if (out.every((r) => r.finish !== null)) break;
        feedIds = tokens.map((t) => [t]);
        feedPositions = prompts.map((_, b) => [next[b]!++]);
        mask.forEach((m, b) => m.push(out[b]!.finish === null ? 1 : 0));
      }
    } finally {
      disposeAll(past);
    }
    return out.map((r) => ({ ids: r.ids, finish: r.finish ?? 'length' }));
  }

  /** Logits of the last `keep` positions of left-padded rows, [rows, keep, vocab]. */
  private async forward(inputs: readonly (readonly number[])[], keep: number): Promise<{ logits: Float32Array; dispose: () => void }> {
    const { ids, mask, positions } = this.leftPad(inputs);
    const result = await this.run(ids, mask, positions, this.emptyPast(inputs.length), keep);
    return { logits: result.logits, dispose: () => disposeAll(result.present) };
  }

  /** Rows left-padded to the longest: pad ids, attention_mask 0 and position 0 on the left. */
  private leftPad(rows: readonly (readonly number[])[]): { ids: number[][]; mask: number[][]; positions: number[][] } {
    const width = Math.max(...rows.map((p) => p.length));
    const pad = (p: readonly number[], fill: number, f: (x: number, i: number) => number) => [...Array<number>(width - p.length).fill(fill), ...p.map(f)];
    return {
      ids: rows.map((p) => pad(p, this.o.padTokenId, (x) => x)),
      mask: rows.map((p) => pad(p, 0, () => 1)),
      positions: rows.map((p) => pad(p, 0, (_, i) => i)),
    };
  }

  private emptyPast(batch: number): Record<string, Tensor> {
    const { config } = this.o;
    const past: Record<string, Tensor> = {};
    for (let i = 0; i < config.numLayers; i++) {
      for (const kv of ['key', 'value']) {
        const dims = [batch, config.numKvHeads, 0, config.headDim];
        past[`past_key_values.${i}.${kv}`] = this.o.compute === 'float16' ? new this.o.ort.Tensor('float16', new Uint16Array(0), dims) : new this.o.ort.Tensor('float32', new Float32Array(0), dims);
      }
    }
    return past;
  }

  private async run(ids: number[][], mask: number[][], positions: number[][], past: Record<string, Tensor>, keep: number): Promise<{ logits: Float32Array; present: Record<string, Tensor> }> {
    const { ort, config } = this.o;
    const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]!.length]);
    const feeds: Record<string, Tensor> = {
      input_ids: i64(ids),
      attention_mask: i64(mask),
      position_ids: i64(positions),
      ...(this.keepsLogits ? { num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(BigInt(keep)), []) } : {}),
      ...past,
      ...this.o.weights,
    };
    const outputs = await this.o.session.run(feeds);
    const logitsTensor = outputs['logits']!;
    let logits = (logitsTensor.location === 'cpu' ? logitsTensor.data : await logitsTensor.getData()) as Float32Array;
    logitsTensor.dispose();
    const seq = ids[0]!.length;
    if (!this.keepsLogits && keep < seq) {
      // A graph without num_logits_to_keep (an export) returns every position: keep the last ones.
      const v = this.vocabSize;
      const kept = new Float32Array(ids.length * keep * v);
      for (let b = 0; b < ids.length; b++) kept.set(logits.subarray((b * seq + seq - keep) * v, (b + 1) * seq * v), b * keep * v);
      logits = kept;
    }
    const present: Record<string, Tensor> = {};
    for (let i = 0; i < config.numLayers; i++) {
      present[`past_key_values.${i}.key`] = outputs[`present.${i}.key`]!;
      present[`past_key_values.${i}.value`] = outputs[`present.${i}.value`]!;
    }
    return { logits, present };
  }
}

function cancelled(): ModelRunError {
  return new ModelRunError('CANCELLED', 'cancelled');
}

function disposeAll(tensors: Record<string, Tensor>): void {
  for (const t of Object.values(tensors)) if (t.location !== 'cpu') t.dispose();
}

/** Index of the largest value; the first one on ties (as torch.argmax). NaN never wins. */
export function argmax(row: Float32Array): number {
  let best = 0;
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) {
    if (row[i]! > max) {
      max = row[i]!;
      best = i;
    }
  }
  return best;
}

/** log Σ exp(row), in float64. */
export function logSumExp(row: Float32Array): number {
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  return max + Math.log(sum);
}
