// RoPE settings in the transformers 4 layout (`rope_theta`, `rope_scaling`) and in the
// transformers 5 layout that mergekit also writes (`rope_parameters`), and the RoPE variants the
// reference does not implement, refused with the file and key named.
import { describe, expect, it } from 'vitest';
import { qwen2Config, TINY_QWEN2 } from '../checkpoint/synthetic.ts';
import { ModelConfigError, parseDecoderConfig } from './config.ts';

const base = qwen2Config(TINY_QWEN2, 'F32');

function withRope(patch: Record<string, unknown>): Record<string, unknown> {
  const c: Record<string, unknown> = { ...base, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete c[k];
  return c;
}

function refusal(config: Record<string, unknown>): ModelConfigError {
  try {
    parseDecoderConfig(config);
  } catch (e) {
    if (e instanceof ModelConfigError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('RoPE settings', () => {
  it('reads rope_theta from rope_parameters (transformers 5, mergekit) when there is no top-level rope_theta', () => {
    const v5 = withRope({ rope_theta: undefined, rope_parameters: { rope_theta: 1000000.0, rope_type: 'default' } });
    expect(parseDecoderConfig(v5).ropeTheta).toBe(1000000);
    // The same model as transformers 4 writes it: the same config, so the same logits.
    expect(parseDecoderConfig(v5)).toEqual(parseDecoderConfig(withRope({ rope_theta: 1000000.0, rope_scaling: null })));
  });

  it('reads the transformers 4 layout, and both layouts when they agree', () => {
    expect(parseDecoderConfig(withRope({ rope_theta: 500000, rope_scaling: null })).ropeTheta).toBe(500000);
    expect(parseDecoderConfig(withRope({ rope_theta: 500000, rope_parameters: { rope_theta: 500000, rope_type: 'default' } })).ropeTheta).toBe(500000);
    // The older spelling "type", and an explicit default scaling.
    expect(parseDecoderConfig(withRope({ rope_theta: undefined, rope_parameters: { type: 'default', rope_theta: 20000 } })).ropeTheta).toBe(20000);
    expect(parseDecoderConfig(withRope({ rope_theta: 30000, rope_scaling: { rope_type: 'default' } })).ropeTheta).toBe(30000);
    expect(parseDecoderConfig(withRope({ rope_theta: undefined, rope_parameters: { rope_theta: 20000, partial_rotary_factor: 1 } })).ropeTheta).toBe(20000);
  });

  const refused: [string, Record<string, unknown>, string, RegExp][] = [
    ['yarn in rope_parameters', { rope_parameters: { rope_type: 'yarn', rope_theta: 1e6, factor: 4, original_max_position_embeddings: 32768 } }, 'rope_parameters', /"yarn"/],
    ['linear in rope_parameters', { rope_parameters: { rope_type: 'linear', rope_theta: 1e4, factor: 2 } }, 'rope_parameters', /"linear"/],
    ['dynamic in rope_scaling', { rope_scaling: { type: 'dynamic', factor: 2 } }, 'rope_scaling', /"dynamic"/],
    ['llama3 in rope_scaling', { rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 } }, 'rope_scaling', /"llama3"/],
    ['longrope in rope_parameters', { rope_parameters: { rope_type: 'longrope', short_factor: [1], long_factor: [1] } }, 'rope_parameters', /"longrope"/],
    ['a partial rotary factor', { rope_parameters: { rope_type: 'default', rope_theta: 1e4, partial_rotary_factor: 0.5 } }, 'rope_parameters.partial_rotary_factor', /0\.5/],
    ['a top-level partial rotary factor', { partial_rotary_factor: 0.25 }, 'partial_rotary_factor', /0\.25/],
    ['per-layer-type parameters', { rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 1e4 } } }, 'rope_parameters', /full_attention/],
    ['two different thetas', { rope_theta: 10000, rope_parameters: { rope_type: 'default', rope_theta: 1e6 } }, 'rope_parameters.rope_theta', /1000000.*10000/],
    ['rope_parameters that is not an object', { rope_parameters: 'default' }, 'rope_parameters', /object/],
    ['a negative theta inside rope_parameters', { rope_theta: undefined, rope_parameters: { rope_theta: -1 } }, 'rope_parameters.rope_theta', /positive/],
  ];
  it.each(refused)('refuses %s in one line naming config.json and the key', (_, patch, field, detail) => {
    const e = refusal(withRope(patch));
    expect(e.code).toBe('INVALID_FIELD');
    expect(e.field).toBe(field);
    expect(e.message).toMatch(new RegExp(`^config\\.json: "${field.replace(/\./g, '\\.')}" `));
    expect(e.message).toMatch(detail);
    expect(e.message).not.toContain('\n');
  });
});
