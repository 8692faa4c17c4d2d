/**
 * A checkpoint as an ONNX model folder that transformers.js loads as a local model:
 *
 *   config.json (+ "transformers.js_config"), generation_config.json, tokenizer files
 *   onnx/model.onnx              the graph (graph.ts, plain ops), weights as external data
 *   onnx/model.onnx_data[_k]     float32 or float16 weights, each file under 2 GB
 *
 * Written into a `FolderSink`, which the caller commits (atomic) or aborts. Weights are streamed
 * tensor by tensor in chunks, so memory stays small whatever the model's size.
 */
import { throwIfCancelled } from '../cancel.ts';
import { SIDE_FILES, type Checkpoint } from '../checkpoint/checkpoint.ts';
import { encodeFromF32 } from '../dtype.ts';
import { copyFile, type ByteSink, type FolderSink } from '../io/bytes.ts';
import type { DecoderConfig } from './config.ts';
import { buildDecoderGraph, type DecoderGraph, type OpSet } from './graph.ts';
import { checkpointShapes, streamWeightF32 } from './weights.ts';

export interface ExportOnnxOptions {
  readonly dtype?: 'f32' | 'f16';
  /** `plain` (default) runs on every backend; `contrib` uses onnxruntime's fused ops. */
  readonly ops?: OpSet;
  /** Adds the `num_logits_to_keep` input (the studio's and the CLI's own sessions). */
  readonly logitsToKeep?: boolean;
  readonly maxFileBytes?: number;
  /** Also write config, generation config and tokenizer files (default true). */
  readonly sideFiles?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { readonly bytesDone: number; readonly bytesTotal: number; readonly tensor: string }) => void;
}

export const ONNX_MODEL_FILE = 'onnx/model.onnx';

/** Writes the model into `out` (not committed) and returns the graph it wrote. */
export async function exportOnnx(checkpoint: Checkpoint, config: DecoderConfig, out: FolderSink, options: ExportOnnxOptions = {}): Promise<DecoderGraph> {
  const dtype = options.dtype === 'f16' ? 'float16' : 'float32';
  const graph = buildDecoderGraph(config, {
    ops: options.ops ?? 'plain',
    weights: { kind: 'external', dtype, ...(options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes }) },
    shapes: checkpointShapes(checkpoint),
    logitsToKeep: options.logitsToKeep ?? false,
  });
  const model = await out.create(ONNX_MODEL_FILE);
  await model.write(graph.model);
  await model.close();

  const size = dtype === 'float16' ? 2 : 4;
  const bytesTotal = graph.weights.reduce((n, w) => n + w.elements * size, 0);
  let bytesDone = 0;
  const files: { name: string; sink: ByteSink; at: number }[] = [];
  for (const w of graph.weights) {
    throwIfCancelled(options.signal, 'export cancelled');
    let current = files.at(-1);
    if (current === undefined || current.name !== w.file) {
      await current?.sink.close();
      current = { name: w.file!, sink: await out.create(`onnx/${w.file!}`), at: 0 };
      files.push(current);
    }
    const pad = w.offset! - current.at; // 4-byte alignment after an odd float16 tensor
    if (pad > 0) await current.sink.write(new Uint8Array(pad));
    current.at = w.offset!;
    const into = current;
    await streamWeightF32(checkpoint, w.key, async (values) => {
      if (dtype === 'float32') {
        await into.sink.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      } else {
        const bytes = new Uint8Array(values.length * 2);
        encodeFromF32('F16', values, values.length, bytes);
        await into.sink.write(bytes);
      }
      into.at += values.length * size;
      bytesDone += values.length * size;
      options.onProgress?.({ bytesDone, bytesTotal, tensor: w.key });
    });
  }
  await files.at(-1)?.sink.close();

  if (options.sideFiles ?? true) {
    const files = new Set(checkpoint.files);
    const count = new Set(graph.weights.map((w) => w.file)).size;
    const configOut = { ...checkpoint.config, 'transformers.js_config': { use_external_data_format: count === 1 ? true : count, dtype: options.dtype === 'f16' ? 'fp16' : 'fp32' } };
    const sink = await out.create('config.json');
    await sink.write(new TextEncoder().encode(`${JSON.stringify(configOut, null, 2)}\n`));
    await sink.close();
    for (const side of SIDE_FILES) if (side !== 'config.json' && files.has(side)) await copyFile(checkpoint.folder, side, out);
  }
  return graph;
}
