/**
 * What a checkpoint slot shows: a serialisable digest of an opened checkpoint (architecture, sizes,
 * dtypes, tokenizer files). Not core's `CheckpointSummary` (checkpoint/fingerprint.ts), which is how a
 * report names a checkpoint (name, fingerprint, parameters, dtype).
 */
import { parameterCount, type Checkpoint } from '../../core/checkpoint/checkpoint.ts';
import { notAVectorReason, vectorOrigin, type VectorOrigin } from '../../core/checkpoint/vector-origin.ts';
import { numElements } from '../../core/safetensors/header.ts';

export interface DtypeCount {
  readonly dtype: string;
  readonly tensors: number;
  readonly parameters: number;
}

export interface SlotSummary {
  readonly name: string;
  /** `architectures[0]` of config.json, else `model_type`; null without config.json. */
  readonly architecture: string | null;
  readonly hasConfig: boolean;
  readonly layers: number | null;
  readonly hiddenSize: number | null;
  readonly vocabSize: number | null;
  readonly parameters: number;
  readonly tensors: number;
  /** Largest share first. */
  readonly dtypes: readonly DtypeCount[];
  readonly shards: number;
  /** Bytes of the weight files. */
  readonly bytes: number;
  readonly tiedEmbeddings: boolean;
  /** Tokenizer files present (empty: no tokenizer). */
  readonly tokenizer: readonly string[];
  readonly files: number;
  /** Tensor names, sorted (the merge panel counts what a rule's pattern matches). */
  readonly tensorNames: readonly string[];
  /** Whether it is a stored vector (core's `vectorOrigin`): the vector slot refuses or asks otherwise. */
  readonly vector: VectorOriginSummary;
}

export interface VectorOriginSummary {
  readonly kind: VectorOrigin['kind'];
  /** Why it is not a vector, as the rest of a sentence about it (`notAVectorReason`); null for a vector. */
  readonly reason: string | null;
  /** The recorded recipe (JSON), when there is one. */
  readonly recipe: string | null;
}

export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'tokenizer.model',
  'vocab.json',
  'merges.txt',
  'special_tokens_map.json',
  'added_tokens.json',
  'chat_template.jinja',
] as const;

const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

export function summarizeSlot(checkpoint: Checkpoint): SlotSummary {
  const config = checkpoint.config;
  const architectures = config?.['architectures'];
  const firstArchitecture = Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : null;
  const modelType = typeof config?.['model_type'] === 'string' ? (config['model_type'] as string) : null;
  const byDtype = new Map<string, { tensors: number; parameters: number }>();
  for (const { info } of checkpoint.tensors.values()) {
    const d = byDtype.get(info.dtype) ?? { tensors: 0, parameters: 0 };
    d.tensors++;
    d.parameters += numElements(info.shape);
    byDtype.set(info.dtype, d);
  }
  return {
    name: checkpoint.name,
    architecture: firstArchitecture ?? modelType,
    hasConfig: config !== null,
    layers: int(config?.['num_hidden_layers']),
    hiddenSize: int(config?.['hidden_size']),
    vocabSize: int(config?.['vocab_size']),
    parameters: parameterCount(checkpoint),
    tensors: checkpoint.tensors.size,
    dtypes: [...byDtype].map(([dtype, d]) => ({ dtype, ...d })).sort((a, b) => b.parameters - a.parameters || a.dtype.localeCompare(b.dtype)),
    shards: checkpoint.shards.length,
    bytes: checkpoint.shards.reduce((n, s) => n + s.source.size, 0),
    tiedEmbeddings: checkpoint.tiedEmbeddings,
    tokenizer: TOKENIZER_FILES.filter((f) => checkpoint.files.includes(f)),
    files: checkpoint.files.length,
    tensorNames: [...checkpoint.tensors.keys()].sort(),
    vector: vectorSummary(vectorOrigin(checkpoint)),
  };
}

function vectorSummary(origin: VectorOrigin): VectorOriginSummary {
  return { kind: origin.kind, reason: notAVectorReason(origin), recipe: 'recipe' in origin ? JSON.stringify(origin.recipe) : null };
}
