/**
 * Compatibility of checkpoints that are combined tensor by tensor: same tensor names and shapes,
 * same architecture in config.json, and tokenizers whose ids fit the embedding. Every mismatch is
 * listed, none is skipped or trimmed: one issue per tensor (or config field) and kind of problem,
 * naming every checkpoint that differs from the primary.
 */
import { isFloatDtype } from '../dtype.ts';
import type { Checkpoint, TensorLocation } from './checkpoint.ts';

export type CompatKind = 'missing_tensor' | 'shape' | 'vocab' | 'dtype' | 'config' | 'tied' | 'tokenizer';

export interface CompatIssue {
  readonly severity: 'error' | 'warning' | 'info';
  readonly kind: CompatKind;
  readonly message: string;
  readonly tensor?: string;
  readonly field?: string;
  /** The checkpoints (roles) that disagree with the primary, or that the issue is about. */
  readonly roles?: readonly string[];
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
  const p = options.primary;

  // config.json: one issue per field, naming every checkpoint that differs from the primary.
  for (const field of [...ARCHITECTURE_FIELDS, ...BEHAVIOUR_FIELDS]) {
    const a = configValue(primary, field);
    const differing = others.filter(([, c]) => JSON.stringify(configValue(c, field)) !== JSON.stringify(a));
    if (differing.length === 0) continue;
    const architectural = (ARCHITECTURE_FIELDS as readonly string[]).includes(field);
    // Tied vs untied embeddings is resolved tensor by tensor below.
    const bothSet = a !== undefined && differing.some(([, c]) => configValue(c, field) !== undefined);
    const severity = field === 'tie_word_embeddings' ? 'info' : architectural && bothSet ? 'error' : 'warning';
    const values = groupBy(differing, ([, c]) => show(configValue(c, field)));
    issues.push({
      severity,
      kind: field === 'vocab_size' ? 'vocab' : 'config',
      field,
      roles: differing.map(([r]) => r),
      message: `config.json "${field}": ${p} has ${show(a)}, ${[...values].map(([v, rs]) => `${list(rs.map(([r]) => r))} ${rs.length === 1 ? 'has' : 'have'} ${v}`).join(', ')}`,
    });
  }

  // Tensors: one issue per tensor and kind of problem, naming every checkpoint involved.
  for (const [name, loc] of primary.tensors) {
    const copied = options.copiedOnly?.(name) ?? false;
    const found = others.map(([role, c]) => [role, resolveTensor(c, name)] as const);
    const missing = found.filter(([, l]) => !l).map(([r]) => r);
    const present = found.filter((f): f is readonly [string, TensorLocation] => f[1] !== undefined);
    if (!copied) {
      const notFloat = [[p, loc] as const, ...present].filter(([, l]) => !isFloatDtype(l.info.dtype));
      if (notFloat.length > 0) {
        const where = [...groupBy(notFloat, ([, l]) => l.info.dtype)].map(([d, rs]) => `${d} in ${list(rs.map(([r]) => r))}`).join(', ');
        const primaryToo = notFloat.some(([r]) => r === p);
        issues.push({
          severity: 'error',
          kind: 'dtype',
          tensor: name,
          roles: notFloat.map(([r]) => r),
          message: `${name}: dtype ${where} is not a float type (BF16, F16, F32)${primaryToo ? '; exclude it to copy it unchanged' : ''}`,
        });
      }
      if (missing.length > 0) issues.push({ severity: 'error', kind: 'missing_tensor', tensor: name, roles: missing, message: `${name}: in ${p} but missing from ${list(missing)}` });
    }
    const tying = present.filter(([, l]) => l.info.name !== name);
    if (tying.length > 0) {
      const via = tying[0]![1].info.name;
      issues.push({ severity: 'info', kind: 'tied', tensor: name, roles: tying.map(([r]) => r), message: `${name}: ${list(tying.map(([r]) => r))} ${tying.length === 1 ? 'ties' : 'tie'} it to ${via}, which is used in its place` });
    }
    const reshaped = present.filter(([, l]) => !sameShape(loc.info.shape, l.info.shape));
    if (reshaped.length > 0) {
      const shapes = [...groupBy(reshaped, ([, l]) => `[${l.info.shape.join(', ')}]`)].map(([s, rs]) => `${s} in ${list(rs.map(([r]) => r))}`);
      const why = shapeDifference(name, loc.info.shape, reshaped.map(([, l]) => l.info.shape));
      issues.push({
        severity: copied ? 'warning' : 'error',
        kind: why.vocab ? 'vocab' : 'shape',
        tensor: name,
        roles: reshaped.map(([r]) => r),
        message: `${name}: shape [${loc.info.shape.join(', ')}] in ${p}, ${shapes.join(', ')}${why.text ? ` — ${why.text}` : ''}`,
      });
    }
  }
  const extra = new Map<string, string[]>();
  for (const [role, ckpt] of others) {
    for (const name of ckpt.tensors.keys()) if (!resolveTensor(primary, name)) extra.set(name, [...(extra.get(name) ?? []), role]);
  }
  for (const [name, rs] of extra) {
    if (name === LM_HEAD && primary.tiedEmbeddings) {
      issues.push({ severity: 'error', kind: 'tied', tensor: name, roles: rs, message: `${name}: ${list(rs)} ${rs.length === 1 ? 'has its own lm_head' : 'have their own lm_head'} but ${p} ties it to the embedding; the result could not hold both` });
    } else {
      issues.push({ severity: 'error', kind: 'missing_tensor', tensor: name, roles: rs, message: `${name}: in ${list(rs)} but missing from ${p}` });
    }
  }

  // Tokenizers: every id the tokenizer can produce needs an embedding row (and an output row).
  for (const [role, ckpt] of roles) {
    const issue = tokenizerIssue(ckpt, role, role === p);
    if (issue) issues.push(issue);
  }
  return { ok: !issues.some((i) => i.severity === 'error'), roles: [...roles.keys()], issues };
}

/**
 * The checkpoint's tokenizer against its embedding rows. An error for the primary, whose
 * tokenizer files the output carries (generation would fail on the first id past the rows); a
 * warning for the others.
 */
function tokenizerIssue(ckpt: Checkpoint, role: string, primary: boolean): CompatIssue | null {
  const t = ckpt.tokenizer;
  if (!t) return null;
  if (t.idCount === null) {
    return { severity: 'warning', kind: 'tokenizer', roles: [role], message: `${t.file}: not readable as a tokenizer (${t.problem}); ${role} cannot generate text with it` };
  }
  const rows = [ckpt.tensors.get(EMBEDDING), resolveTensor(ckpt, LM_HEAD)].flatMap((l) => (l && l.info.shape.length === 2 ? [l.info.shape[0]!] : []));
  if (rows.length === 0) return null;
  const limit = Math.min(...rows);
  if (t.idCount <= limit) return null;
  return {
    severity: primary ? 'error' : 'warning',
    kind: 'tokenizer',
    roles: [role],
    message: `${t.file}: token ids reach ${t.idCount - 1}, but ${role}'s embedding has ${limit} rows (ids 0–${limit - 1}); this tokenizer does not belong to this model`,
  };
}

/** Why an embedding-shaped tensor ([vocab, hidden]) differs: its rows (vocabulary) or its columns (hidden size). */
function shapeDifference(name: string, a: readonly number[], others: readonly (readonly number[])[]): { vocab: boolean; text: string } {
  if (name !== EMBEDDING && name !== LM_HEAD) return { vocab: false, text: '' };
  if (a.length !== 2 || others.some((s) => s.length !== 2)) return { vocab: false, text: 'different ranks' };
  const rows = others.some((s) => s[0] !== a[0]);
  const cols = others.some((s) => s[1] !== a[1]);
  const parts = [...(rows ? ['vocabulary sizes differ'] : []), ...(cols ? ['hidden sizes differ'] : [])];
  const hint = rows && !cols ? "; nothing is trimmed (exclude the embeddings to keep the base's)" : '';
  return { vocab: rows && !cols, text: `${parts.join(' and ')}${hint}` };
}

/** `rope_theta` as the model reads it: in either layout (see ../model/config.ts). */
function configValue(c: Checkpoint, field: string): unknown {
  const config = c.config;
  if (field === 'rope_theta') {
    const p = config?.['rope_parameters'];
    const inner = p !== null && typeof p === 'object' ? (p as Record<string, unknown>)['rope_theta'] : undefined;
    return inner ?? config?.['rope_theta'];
  }
  return config?.[field];
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) out.set(key(t), [...(out.get(key(t)) ?? []), t]);
  return out;
}

/** "sft", "sft and grpo", "a, b and c". */
function list(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
