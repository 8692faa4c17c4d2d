/**
 * The model the studio evaluates: θ_target + α·v as one onnxruntime-web session, kept between α
 * changes.
 *
 * WebGPU: the session's weights are graph inputs bound to GPU buffers on onnxruntime's device; a
 * resident merge holds the inputs (target, SFT, GRPO — or target and a saved vector) on the GPU,
 * uploaded once. A new α is one merge-kernel pass into those buffers: no checkpoint is read again
 * and the session stays.
 *
 *   checkpoints ──upload once──► resident inputs ──merge kernel (α)──► weight buffers ──► session
 *
 * Without WebGPU (the fallback, said plainly in the UI): onnxruntime-web's wasm backend with the
 * weights inline; each α is merged on the CPU and gets a new session.
 *
 * Either way the weights are those of the recipe core's `runEvaluation` asks for: float32, or
 * rounded to the target's dtype then decoded (the weight arithmetic, recorded in the report).
 */
import { openCheckpoint, type Checkpoint } from '../../core/checkpoint/checkpoint.ts';
import type { EvalModel } from '../../core/eval/evaluate.ts';
import { createResidentMerge, type ResidentMerge } from '../../core/gpu/resident-merge.ts';
import type { WgslSources } from '../../core/gpu/merge-webgpu.ts';
import { MemoryFolder } from '../../core/io/bytes.ts';
import type { KernelBackend } from '../../core/merge/kernel.ts';
import { planMerge } from '../../core/merge/plan.ts';
import { evalRecipe } from '../../core/eval/run-evaluation.ts';
import type { Recipe } from '../../core/merge/recipe.ts';
import { mergeToFolder } from '../../core/merge/run.ts';
import { parseDecoderConfig, type DecoderConfig } from '../../core/model/config.ts';
import { buildDecoderGraph } from '../../core/model/graph.ts';
import { OnnxLanguageModel } from '../../core/model/onnx-lm.ts';
import { decoderSessionOptions } from '../../core/model/session.ts';
import { checkpointShapes, readAllWeightsF32 } from '../../core/model/weights.ts';
import { loadTokenizerFromFolder, type TextTokenizer } from '../../core/text/tokenizer.ts';
import type { Counters } from './counting.ts';
import type { OrtModule } from './ort-types.ts';

type Session = Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;
type OrtTensor = InstanceType<OrtModule['Tensor']>;

export interface HostOptions {
  readonly ort: OrtModule;
  /** onnxruntime's device; null: the wasm fallback. */
  readonly device: GPUDevice | null;
  readonly shaders: WgslSources;
  /** The CPU merge of the fallback. */
  readonly backend: KernelBackend;
  readonly roles: ReadonlyMap<string, Checkpoint>;
  readonly useVector: boolean;
  readonly counters: Counters;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { readonly bytesDone: number; readonly bytesTotal: number }) => void;
}

export interface AlphaChange {
  /** Whether the weights changed (false: this α and these rules were already applied). */
  readonly changed: boolean;
  /** Milliseconds to apply them (merge kernel; on the fallback also the new session). */
  readonly ms: number;
}

export class ModelHost {
  private applied: string | null = null;
  private weights: Readonly<Record<string, OrtTensor>> | undefined;

  private constructor(
    private readonly o: HostOptions,
    readonly config: DecoderConfig,
    readonly tokenizer: TextTokenizer,
    private session: Session | null,
    private readonly resident: ResidentMerge | null,
  ) {
    if (resident) {
      this.weights = Object.fromEntries(resident.weights.map((w) => [w.key, o.ort.Tensor.fromGpuBuffer(w.buffer as never, { dataType: 'float32', dims: w.dims })]));
    }
  }

  static async create(o: HostOptions): Promise<ModelHost> {
    const target = o.roles.get('target');
    if (!target) throw new Error('evaluation needs a target checkpoint');
    if (target.config === null) throw new Error(`${target.name}: has no config.json; evaluation needs one`);
    const config = parseDecoderConfig(target.config);
    const tokenizer = await loadTokenizerFromFolder(target.folder);
    if (!o.device) return new ModelHost(o, config, tokenizer, null, null);

    const graph = buildDecoderGraph(config, { ops: 'contrib', weights: { kind: 'inputs' }, shapes: checkpointShapes(target), logitsToKeep: true });
    const session = await o.ort.InferenceSession.create(graph.model, { ...decoderSessionOptions(config, 'webgpu'), logSeverityLevel: 3 });
    o.counters.sessionsCreated++;
    try {
      // α = 1 without rules makes every tensor a merge job: all inputs become resident, so any
      // later α or rule set (copies of the target included) runs on them.
      const full = planMerge(evalRecipe({ useVector: o.useVector, rules: [], weights: 'f32' }, 1), o.roles);
      const resident = await createResidentMerge(o.device, o.shaders, full, graph.weights, {
        label: 'rvs-eval',
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      });
      return new ModelHost(o, config, tokenizer, session, resident);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  get mode(): 'webgpu' | 'wasm' {
    return this.resident ? 'webgpu' : 'wasm';
  }

  /** Bytes the resident merge holds on the GPU (0 on the fallback). */
  get residentBytes(): number {
    return this.resident?.residentBytes ?? 0;
  }

  /**
   * Makes the session compute `recipe`'s weights (core's `evalRecipe`: θ_target + α·v with its
   * rules, in float32 or rounded to the target's dtype).
   */
  async apply(recipe: Recipe, signal?: AbortSignal): Promise<AlphaChange> {
    const key = JSON.stringify(recipe);
    if (key === this.applied && this.session) return { changed: false, ms: 0 };
    const started = performance.now();
    this.applied = null;
    if (this.resident) {
      await this.resident.apply(planMerge(recipe, this.o.roles));
    } else {
      await this.rebuildOnCpu(recipe, signal);
    }
    this.applied = key;
    return { changed: true, ms: performance.now() - started };
  }

  /** The model at the applied α; `batchSize` rows per forward pass. */
  model(batchSize: number): EvalModel {
    if (!this.session || this.applied === null) throw new Error('no α applied yet');
    const lm = new OnnxLanguageModel({
      ort: this.o.ort,
      session: this.session,
      config: this.config,
      batchSize,
      padTokenId: this.tokenizer.padTokenId,
      ...(this.weights ? { weights: this.weights } : {}),
    });
    return { tokenizer: this.tokenizer, lm };
  }

  async dispose(): Promise<void> {
    const session = this.session;
    this.session = null;
    this.applied = null;
    await session?.release().catch(() => {});
    this.resident?.destroy();
  }

  /** The fallback: merge on the CPU in memory, then a session with the weights inline. */
  private async rebuildOnCpu(recipe: Recipe, signal: AbortSignal | undefined): Promise<void> {
    const out = new MemoryFolder('merged');
    await mergeToFolder({ recipe, roles: this.o.roles, backend: this.o.backend, out, ...(signal ? { signal } : {}) });
    const merged = await openCheckpoint(out);
    const values = await readAllWeightsF32(merged);
    const graph = buildDecoderGraph(this.config, {
      ops: 'contrib',
      weights: { kind: 'inline', values: (key) => values.get(key)! },
      shapes: checkpointShapes(merged),
      logitsToKeep: true,
    });
    const next = await this.o.ort.InferenceSession.create(graph.model, { ...decoderSessionOptions(this.config, 'wasm'), logSeverityLevel: 3 });
    this.o.counters.sessionsCreated++;
    const previous = this.session;
    this.session = next;
    await previous?.release();
  }
}
