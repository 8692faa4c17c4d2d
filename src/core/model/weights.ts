/**
 * Checkpoint tensors as the float32 weights the decoder graph reads: shapes for the builder, whole
 * tensors for small models and graph inputs, and a chunked stream for writing external data of
 * models of any size with bounded memory.
 */
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { decodeToF32, dtypeSize, isFloatDtype } from '../dtype.ts';
import { numElements } from '../safetensors/header.ts';
import { OnnxGraphError } from './onnx-ops.ts';

/** The checkpoint's shape of `key` (undefined: absent), for `GraphOptions.shapes`. */
export function checkpointShapes(checkpoint: Checkpoint): (key: string) => readonly number[] | undefined {
  return (key) => checkpoint.tensors.get(key)?.info.shape;
}

/**
 * Calls `sink` with consecutive float32 pieces of tensor `key` (each at most `chunkElements`
 * long; the array is reused between calls).
 */
export async function streamWeightF32(checkpoint: Checkpoint, key: string, sink: (values: Float32Array, start: number) => Promise<void> | void, chunkElements = 1 << 22): Promise<void> {
  const loc = checkpoint.tensors.get(key);
  if (!loc) throw new OnnxGraphError('SHAPE_MISMATCH', `is missing from ${checkpoint.name}`, key);
  const dtype = loc.info.dtype;
  if (!isFloatDtype(dtype)) throw new OnnxGraphError('SHAPE_MISMATCH', `has dtype ${dtype}; the model needs BF16, F16 or F32`, key);
  const total = numElements(loc.info.shape);
  const size = dtypeSize(dtype);
  const bytes = new Uint8Array(Math.min(chunkElements, total) * size);
  const values = new Float32Array(Math.min(chunkElements, total));
  const base = loc.shard.header.dataStart + loc.info.begin;
  for (let start = 0; start < total; start += chunkElements) {
    const count = Math.min(chunkElements, total - start);
    const raw = await loc.shard.source.read(base + start * size, count * size, bytes);
    decodeToF32(dtype, raw, count, values);
    await sink(values.subarray(0, count), start);
  }
}

/** Tensor `key` as one Float32Array (small models, graph inputs). */
export async function readWeightF32(checkpoint: Checkpoint, key: string): Promise<Float32Array> {
  const shape = checkpoint.tensors.get(key)?.info.shape;
  const out = new Float32Array(shape ? numElements(shape) : 0);
  await streamWeightF32(checkpoint, key, (values, start) => out.set(values, start));
  return out;
}

/** Every tensor of a checkpoint as float32, for `WeightPlacement` kind `inline`. */
export async function readAllWeightsF32(checkpoint: Checkpoint): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const key of checkpoint.tensors.keys()) out.set(key, await readWeightF32(checkpoint, key));
  return out;
}
