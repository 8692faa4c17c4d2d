/**
 * The config.json of a written checkpoint (a merge, an applied or extracted vector): the primary
 * input's, with `torch_dtype` (transformers 4) and `dtype` (transformers 5) saying the dtype the
 * shards were actually written in, not the input's. With mixed output dtypes that is the one
 * holding the most elements (as `rvs inspect` and reports name a checkpoint's dtype). A key that is
 * absent stays absent; a config that needs no change is copied byte for byte.
 */
import { isFloatDtype, type SafetensorsDtype } from '../dtype.ts';
import { numElements } from '../safetensors/header.ts';

/** safetensors dtype → the name transformers writes in config.json. */
export const TORCH_DTYPE_NAMES = { BF16: 'bfloat16', F16: 'float16', F32: 'float32' } as const;

const DTYPE_KEYS = ['torch_dtype', 'dtype'] as const;

/** The float dtype holding the most elements of `tensors`, or null when none is a float. */
export function dominantFloatDtype(tensors: readonly { readonly dtype: SafetensorsDtype; readonly shape: readonly number[] }[]): keyof typeof TORCH_DTYPE_NAMES | null {
  const count = new Map<keyof typeof TORCH_DTYPE_NAMES, number>();
  for (const t of tensors) if (isFloatDtype(t.dtype)) count.set(t.dtype, (count.get(t.dtype) ?? 0) + numElements(t.shape));
  return [...count].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/**
 * The text to write as config.json for `config` (parsed from `original`) when the shards hold
 * `tensors`; `original` itself when nothing changes.
 */
export function savedConfigText(original: string, config: Readonly<Record<string, unknown>>, tensors: Parameters<typeof dominantFloatDtype>[0]): string {
  const dtype = dominantFloatDtype(tensors);
  if (dtype === null) return original;
  const name = TORCH_DTYPE_NAMES[dtype];
  const stale = DTYPE_KEYS.filter((k) => Object.hasOwn(config, k) && config[k] !== name);
  if (stale.length === 0) return original;
  const out: Record<string, unknown> = { ...config };
  for (const k of stale) out[k] = name;
  return `${JSON.stringify(out, null, 2)}\n`;
}
