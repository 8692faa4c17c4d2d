/**
 * A tiny tokenizer in the real Qwen2 format, for tiny test models: byte-level BPE (NFC normalizer,
 * Qwen2's split regex, ByteLevel pre-tokenizer and decoder), the 256 byte tokens with GPT-2's
 * byte-to-character map and ids, as many merges from a fixed list as fit, then the special tokens
 * `<|endoftext|>`, `<|im_start|>`, `<|im_end|>`. Every string round-trips (any byte is a token).
 * The chat template is our own, in the layout of Qwen2.5's: a default system turn, turns written
 * `<|im_start|>role\ncontent<|im_end|>\n`, and `<|im_start|>assistant\n` as the generation prompt.
 */
import { TextError } from './errors.ts';

export const SYNTHETIC_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;
export type SyntheticSpecialToken = (typeof SYNTHETIC_SPECIAL_TOKENS)[number];

export const SYNTHETIC_DEFAULT_SYSTEM = 'You are a helpful assistant.';

/** Qwen2's pre-tokenizer split pattern (Oniguruma syntax, as in its tokenizer.json). */
const QWEN2_SPLIT = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/**
 * Merges in rank order, in byte-level characters (Ġ = space, Ċ = newline); each joins two tokens
 * that exist by then and stays inside one pre-token, so every merged token is reachable.
 */
const MERGES: readonly (readonly [string, string])[] = (
  'Ġ t|h e|i n|Ġ a|e r|o n|Ġt he|r e|a n|Ġ s|a t|e n|Ġ w|o r|Ġ o|i s|e s|Ġ c|Ġ b|i t|Ġ f|Ġ p|a l|Ġ m|Ġ d|a r|e d|Ġ h|in g|' +
  'Ġ i|o u|Ġ n|l e|Ġ l|Ġ e|Ġ g|Ġ r|s t|Ġ T|Ġ y|Ġ u|Ġa n|Ġan d|Ġo f|Ġt o|Ġ is|Ġ in|Ċ Ċ|Ġ Ġ|ĠĠ ĠĠ|Ġ =|Ġ +|Ġ Q|Ġ A|. Ċ|Ġ (|) :|' +
  'u r|ur n|re t|Ġ ret|Ġret urn|Ġd e|Ġde f|Ġ S|Ġ I|o w|Ġh ow|Ġw h|Ġwh at|a s|Ġ x|\' s'
)
  .split('|')
  .map((m) => m.split(' ') as [string, string]);

/** Bytes 0..255 as the printable characters byte-level BPE uses (GPT-2's `bytes_to_unicode`), in id order. */
export function byteLevelAlphabet(): { byte: number; char: string }[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: { byte: number; char: string }[] = [];
  for (let b = 0; b < 256; b++) if (printable(b)) out.push({ byte: b, char: String.fromCodePoint(b) });
  let n = 0;
  for (let b = 0; b < 256; b++) if (!printable(b)) out.push({ byte: b, char: String.fromCodePoint(256 + n++) });
  return out;
}

/** How many merges a vocabulary of `vocabSize` holds, and the ids of the special tokens. */
export function syntheticTokenizerLayout(vocabSize: number): { merges: number; tokenCount: number; specialIds: Record<SyntheticSpecialToken, number> } {
  const fixed = 256 + SYNTHETIC_SPECIAL_TOKENS.length;
  if (!Number.isInteger(vocabSize) || vocabSize < fixed) {
    throw new TextError('VOCAB_TOO_SMALL', `a vocabulary of ${vocabSize} cannot hold 256 byte tokens and ${SYNTHETIC_SPECIAL_TOKENS.length} special tokens (${fixed} at least)`);
  }
  const merges = Math.min(MERGES.length, vocabSize - fixed);
  const first = 256 + merges;
  const specialIds = Object.fromEntries(SYNTHETIC_SPECIAL_TOKENS.map((t, i) => [t, first + i])) as Record<SyntheticSpecialToken, number>;
  return { merges, tokenCount: first + SYNTHETIC_SPECIAL_TOKENS.length, specialIds };
}

const CHAT_TEMPLATE = [
  "{%- if messages and messages[0]['role'] == 'system' %}",
  "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}",
  '{%- else %}',
  `{{- '<|im_start|>system\\n${SYNTHETIC_DEFAULT_SYSTEM}<|im_end|>\\n' }}`,
  '{%- endif %}',
  '{%- for message in messages %}',
  "{%- if not (loop.first and message['role'] == 'system') %}",
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}",
  '{%- endif %}',
  '{%- endfor %}',
  '{%- if add_generation_prompt %}',
  "{{- '<|im_start|>assistant\\n' }}",
  '{%- endif %}',
].join('\n');

/** tokenizer.json and tokenizer_config.json (as JSON text) of the synthetic tokenizer for `vocabSize`. */
export function syntheticTokenizerFiles(options: { readonly vocabSize: number }): { 'tokenizer.json': string; 'tokenizer_config.json': string } {
  const layout = syntheticTokenizerLayout(options.vocabSize);
  const vocab: Record<string, number> = {};
  for (const [id, { char }] of byteLevelAlphabet().entries()) vocab[char] = id;
  const merges = MERGES.slice(0, layout.merges);
  for (const [a, b] of merges) {
    if (!(a in vocab) || !(b in vocab) || a + b in vocab) throw new Error(`synthetic tokenizer: merge "${a} ${b}" is out of order or repeated`);
    vocab[a + b] = Object.keys(vocab).length;
  }
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const added = SYNTHETIC_SPECIAL_TOKENS.map((content) => ({
    id: layout.specialIds[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'Split', pattern: { Regex: QWEN2_SPLIT }, behavior: 'Isolated', invert: false }, byteLevel],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const config = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(added.map(({ id, ...token }) => [String(id), token])),
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    bos_token: null,
    chat_template: CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
  return {
    'tokenizer.json': `${JSON.stringify(tokenizer, null, 2)}\n`,
    'tokenizer_config.json': `${JSON.stringify(config, null, 2)}\n`,
  };
}
