/**
 * A checkpoint folder as a language model in Node: config, tokenizer (when the folder has one) and
 * an `OnnxLanguageModel` on onnxruntime-node (default: native CPU, fast to load) or on
 * onnxruntime-web's wasm backend. The graph and its float32 weights are written as an ONNX model
 * with external data into a temporary folder, loaded, and the folder removed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeCheckpoint, CheckpointError, openCheckpoint, type Checkpoint } from '../core/checkpoint/checkpoint.ts';
import { parseDecoderConfig, type DecoderConfig } from '../core/model/config.ts';
import { exportOnnx, ONNX_MODEL_FILE } from '../core/model/export.ts';
import { OnnxLanguageModel, type OrtApi } from '../core/model/onnx-lm.ts';
import { decoderSessionOptions } from '../core/model/session.ts';
import { loadTokenizerFromFolder } from '../core/text/tokenizer.ts';
import type { TextTokenizer } from '../core/text/tokenizer.ts';
import { createOutputFolder, openFolder } from './fs-folder.ts';

export const RUNTIMES = ['node', 'wasm'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export interface NodeModel {
  readonly dir: string;
  readonly checkpoint: Checkpoint;
  readonly config: DecoderConfig;
  /** Null when the folder has no tokenizer.json. */
  readonly tokenizer: TextTokenizer | null;
  readonly lm: OnnxLanguageModel;
  readonly runtime: Runtime;
  /** Seconds spent building, writing and loading the session. */
  readonly loadSeconds: number;
  close(): Promise<void>;
}

export interface OpenModelOptions {
  readonly runtime?: Runtime;
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { readonly bytesDone: number; readonly bytesTotal: number; readonly tensor: string }) => void;
}

async function loadOrt(runtime: Runtime): Promise<OrtApi> {
  if (runtime === 'node') return (await import('onnxruntime-node')) as unknown as OrtApi;
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  return ort as unknown as OrtApi;
}

export async function openModel(dir: string, options: OpenModelOptions = {}): Promise<NodeModel> {
  const runtime = options.runtime ?? 'node';
  const folder = await openFolder(dir);
  const checkpoint = await openCheckpoint(folder);
  const started = performance.now();
  const staging = await mkdtemp(join(tmpdir(), 'rvs-model-'));
  try {
    if (checkpoint.config === null) throw new CheckpointError('CONFIG_INVALID', 'has no config.json; the model needs one', dir);
    const config = parseDecoderConfig(checkpoint.config);
    const tokenizer = (await folder.list()).includes('tokenizer.json') ? await loadTokenizerFromFolder(folder) : null;
    const out = await createOutputFolder(join(staging, 'model'));
    try {
      await exportOnnx(checkpoint, config, out, {
        ops: 'contrib', logitsToKeep: true, sideFiles: false,
        ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      await out.commit();
    } catch (e) {
      await out.abort();
      throw e;
    }
    const ort = await loadOrt(runtime);
    const modelPath = join(staging, 'model', ONNX_MODEL_FILE);
    const sessionOptions = decoderSessionOptions(config, runtime === 'node' ? 'cpu' : 'wasm');
    let session;
    if (runtime === 'node') {
      session = await ort.InferenceSession.create(modelPath, sessionOptions);
    } else {
      // onnxruntime-web takes the external data as bytes.
      const dataFiles = (await openFolder(join(staging, 'model', 'onnx')).then((f) => f.list())).filter((f) => f !== 'model.onnx');
      const externalData = await Promise.all(dataFiles.map(async (path) => ({ path, data: new Uint8Array(await readFile(join(staging, 'model', 'onnx', path))) })));
      session = await ort.InferenceSession.create(new Uint8Array(await readFile(modelPath)), { ...sessionOptions, externalData });
    }
    const lm = new OnnxLanguageModel({ ort, session, config, batchSize: options.batchSize ?? 1, padTokenId: tokenizer?.padTokenId ?? 0 });
    const loadSeconds = (performance.now() - started) / 1000;
    return {
      dir, checkpoint, config, tokenizer, lm, runtime, loadSeconds,
      async close() {
        await lm.dispose();
        await closeCheckpoint(checkpoint);
      },
    };
  } catch (e) {
    await closeCheckpoint(checkpoint);
    throw e;
  } finally {
    // The session holds what it needs (onnxruntime reads or maps the data at creation).
    await rm(staging, { recursive: true, force: true });
  }
}
