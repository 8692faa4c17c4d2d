/**
 * onnxruntime session options for the decoder graph: the execution provider, and on WebGPU the KV
 * cache kept on the GPU between decoding steps (`preferredOutputLocation` of every `present.*`).
 */
import type { InferenceSession } from 'onnxruntime-common';
import type { DecoderConfig } from './config.ts';
import { presentNames } from './onnx-lm.ts';

export type ExecutionProvider = 'webgpu' | 'wasm' | 'cpu';

export function decoderSessionOptions(config: DecoderConfig, provider: ExecutionProvider): InferenceSession.SessionOptions {
  const options: InferenceSession.SessionOptions = { executionProviders: [provider], graphOptimizationLevel: 'all' };
  if (provider === 'webgpu') {
    return { ...options, preferredOutputLocation: Object.fromEntries(presentNames(config).map((n) => [n, 'gpu-buffer' as const])) };
  }
  return options;
}
