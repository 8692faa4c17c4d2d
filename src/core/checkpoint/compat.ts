/**
 * Compatibility of checkpoints that are combined tensor by tensor: same tensor names and shapes,
 * same architecture in config.json. Every mismatch is listed, none is skipped or trimmed.
 */
import { isFloatDtype } from '../dtype.ts';
import type { Checkpoint, TensorLocation } from './checkpoint.ts';

export type CompatKind = 'missing_tensor' | 'shape' | 'vocab' | 'dtype' | 'config' | 'tied';

export interface CompatIssue {
  readonly severity: 'error' | 'warning' | 'info';
  readonly kind: CompatKind;
  readonly message: string;
  readonly tensor?: string;
  readonly field?: string;
}

export interface CompatReport {
  readonly ok: boolean;
  readonly roles: readonly string[];
  readonly issues: readonly CompatIssue[];
}

/** config.json fields that must agree for weights to line up. */
export const ARCHITECTURE_FIELDS = [
  'architectures',
  'model_type',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'head_dim',
  'vocab_size',
  'tie_word_embeddings',
  'hidden_act',
] as const;

/** Fields that may differ without breaking the merge but change the model's behaviour. */
const BEHAVIOUR_FIELDS = ['rope_theta', 'rms_norm_eps', 'max_position_embeddings', 'rope_scaling'] as const;

const EMBEDDING = 'model.embed_tokens.weight';
const LM_HEAD = 'lm_head.weight';

/**
 * Finds `name` in `checkpoint`, resolving a missing `lm_head.weight` of a tied checkpoint to its
 * embedding (which is what a tied model uses as its output projection).
 */
export function resolveTensor(checkpoint: Checkpoint, name: string): TensorLocation | undefined {
  const found = checkpoint.tensors.get(name);
  if (found || name !== LM_HEAD || !checkpoint.tiedEmbeddings) return found;
  return checkpoint.tensors.get(EMBEDDING);
}

export interface CompareOptions {
  /** The role whose tensor list defines the output (the base, or the first vector input). */
  readonly primary: string;
  /** Tensors that will only be copied from the primary: they need no counterpart. */
  readonly copiedOnly?: (name: string) => boolean;
}

export function compareCheckpoints(roles: ReadonlyMap<string, Checkpoint>, options: CompareOptions): CompatReport {
  const issues: CompatIssue[] = [];
  const primary = roles.get(options.primary);
  if (!primary) throw new Error(`no checkpoint for role "${options.primary}"`);
  const others = [...roles].filter(([role]) => role !== options.primary);

  // config.json
  for (const [role, ckpt] of others) {
    for (const field of [...ARCHITECTURE_FIELDS, ...BEHAVIOUR_FIELDS]) {
      const a = primary.config?.[field];
      const b = ckpt.config?.[field];
      if (JSON.stringify(a) === JSON.stringify(b)) continue;
      const architectural = (ARCHITECTURE_FIELDS as readonly string[]).includes(field);
      // Tied vs untied embeddings is resolved tensor by tensor below.
      const severity = field === 'tie_word_embeddings' ? 'info' : architectural && a !== undefined && b !== undefined ? 'error' : 'warning';
      issues.push({
        severity,
        kind: field === 'vocab_size' ? 'vocab' : 'config',
        field,
        message: `config.json "${field}": ${options.primary} has ${show(a)}, ${role} has ${show(b)}`,
      });
    }
  }

  // tensors
  for (const [name, loc] of primary.tensors) {
    const copied = options.copiedOnly?.(name) ?? false;
    if (!copied && !isFloatDtype(loc.info.dtype)) {
      issues.push({ severity: 'error', kind: 'dtype', tensor: name, message: `${name}: dtype ${loc.info.dtype} in ${options.primary} is not a float type (BF16, F16, F32); exclude it to copy it unchanged` });
    }
    for (const [role, ckpt] of others) {
      const other = resolveTensor(ckpt, name);
      if (!other) {
        if (!copied) issues.push({ severity: 'error', kind: 'missing_tensor', tensor: name, message: `${name}: in ${options.primary} but missing from ${role}` });
        continue;
      }
      if (other.info.name !== name) {
        issues.push({ severity: 'info', kind: 'tied', tensor: name, message: `${name}: ${role} ties it to ${other.info.name}, which is used in its place` });
      }
      if (!sameShape(loc.info.shape, other.info.shape)) {
        const vocab = name === EMBEDDING || name === LM_HEAD;
        issues.push({
          severity: copied ? 'warning' : 'error',
          kind: vocab ? 'vocab' : 'shape',
          tensor: name,
          message:
            `${name}: shape [${loc.info.shape.join(', ')}] in ${options.primary}, [${other.info.shape.join(', ')}] in ${role}` +
            (vocab ? ' — vocabulary sizes differ; nothing is trimmed (exclude the embeddings to keep the base\'s)' : ''),
        });
      } else if (!copied && !isFloatDtype(other.info.dtype)) {
        issues.push({ severity: 'error', kind: 'dtype', tensor: name, message: `${name}: dtype ${other.info.dtype} in ${role} is not a float type` });
      }
    }
  }
  for (const [role, ckpt] of others) {
    for (const name of ckpt.tensors.keys()) {
      if (resolveTensor(primary, name)) continue;
      if (name === LM_HEAD && primary.tiedEmbeddings) {
        issues.push({ severity: 'error', kind: 'tied', tensor: name, message: `${name}: ${role} has its own lm_head but ${options.primary} ties it to the embedding; the result could not hold both` });
      } else {
        issues.push({ severity: 'error', kind: 'missing_tensor', tensor: name, message: `${name}: in ${role} but missing from ${options.primary}` });
      }
    }
  }
  return { ok: !issues.some((i) => i.severity === 'error'), roles: [...roles.keys()], issues };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
