/**
 * A checkpoint's tokenizer: `tokenizer.json` (the fast-tokenizer format) run by
 * @huggingface/tokenizers, plus what tokenizer_config.json and generation_config.json say about
 * special tokens, and the checkpoint's chat template.
 *
 * End-of-sequence ids (`eosTokenIds`), in this order, without repeats:
 *   1. tokenizer_config.json `eos_token`;
 *   2. generation_config.json `eos_token_id` (a number or a list), when given — what
 *      transformers' `generate` stops on (Qwen2.5-Instruct lists `<|im_end|>` and `<|endoftext|>`);
 *   3. `<|im_end|>` and `<|endoftext|>` when the vocabulary has them, so that a chat model whose
 *      files name only one of them still stops at the end of its turn and at the end of text.
 * Pad id: tokenizer_config `pad_token`, else generation_config `pad_token_id`, else `unk_token`,
 * else the first eos id, else 0 (padded positions are masked, so any id serves).
 */
import { Tokenizer } from '@huggingface/tokenizers';
import type { FolderSource } from '../io/bytes.ts';
import { readText } from '../io/bytes.ts';
import { ChatTemplate, selectChatTemplate, SPECIAL_TOKEN_KEYS, type ChatMessage, type ChatTemplateOptions } from './chat-template.ts';
import { TextError, type TextErrorCode } from './errors.ts';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const GENERATION_CONFIG_FILE = 'generation_config.json';
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

/** Tokens added to the eos ids when the vocabulary has them (see the module comment). */
export const CHAT_END_TOKENS = ['<|im_end|>', '<|endoftext|>'] as const;

export interface TokenizerFiles {
  /** tokenizer.json: its text, or the parsed JSON. */
  readonly tokenizerJson: unknown;
  /** tokenizer_config.json: its text, or the parsed JSON. */
  readonly tokenizerConfig?: unknown;
  /** generation_config.json: its text, or the parsed JSON. */
  readonly generationConfig?: unknown;
  /** chat_template.jinja, which replaces tokenizer_config's `chat_template` (as in transformers). */
  readonly chatTemplate?: string;
  /** What errors call each file (default: the bare file names). */
  readonly names?: Partial<Record<'tokenizerJson' | 'tokenizerConfig' | 'generationConfig' | 'chatTemplate', string>>;
}

export interface EncodeOptions {
  /**
   * Let the tokenizer's post-processor add its special tokens (a BOS for Llama-style tokenizers;
   * nothing for Qwen2). Default false, as lm-evaluation-harness encodes for causal models (chat
   * templates already write their special tokens as text).
   */
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave out tokens marked `special` in tokenizer.json's added_tokens. Default false. */
  readonly skipSpecialTokens?: boolean;
}

export interface TextTokenizer {
  /** 1 + the largest id the tokenizer knows (its vocabulary and added tokens); a model's embedding may have more rows. */
  readonly vocabSize: number;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number;
  /** tokenizer_config.json `bos_token`, when it names one. */
  readonly bosTokenId?: number;
  /** The Jinja text of the checkpoint's chat template, when it has one. */
  readonly chatTemplate?: string;
  encode(text: string, options?: EncodeOptions): number[];
  /** Ids the tokenizer does not know are left out (as the Rust tokenizers do). */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** The checkpoint's chat template rendered for `messages` (a string to `encode`). */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions): string;
}

type Json = Record<string, unknown>;

export function loadTokenizer(files: TokenizerFiles): TextTokenizer {
  const names = {
    tokenizerJson: files.names?.tokenizerJson ?? TOKENIZER_FILE,
    tokenizerConfig: files.names?.tokenizerConfig ?? TOKENIZER_CONFIG_FILE,
    generationConfig: files.names?.generationConfig ?? GENERATION_CONFIG_FILE,
    chatTemplate: files.names?.chatTemplate ?? CHAT_TEMPLATE_FILE,
  };
  const json = jsonObject(files.tokenizerJson, names.tokenizerJson, 'BAD_TOKENIZER');
  const config = files.tokenizerConfig === undefined ? {} : jsonObject(files.tokenizerConfig, names.tokenizerConfig, 'BAD_CONFIG');
  const generation = files.generationConfig === undefined ? {} : jsonObject(files.generationConfig, names.generationConfig, 'BAD_CONFIG');

  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (e) {
    throw new TextError('BAD_TOKENIZER', `not a tokenizer the tokenizers library can load (${(e as Error).message})`, names.tokenizerJson);
  }
  let maxId = -1;
  for (const id of tokenizer.get_vocab(true).values()) maxId = Math.max(maxId, id);
  if (maxId < 0) throw new TextError('BAD_TOKENIZER', 'the vocabulary is empty', names.tokenizerJson);

  const configToken = (key: string): number | undefined => {
    const text = tokenText(config[key], key, names.tokenizerConfig);
    if (text === undefined) return undefined;
    const id = tokenizer.token_to_id(text);
    if (id === undefined) throw new TextError('BAD_CONFIG', `${key} ${JSON.stringify(text)} is not in the vocabulary of ${names.tokenizerJson}`, names.tokenizerConfig);
    return id;
  };
  const generationIds = (key: string): number[] => {
    const value = generation[key];
    if (value === undefined || value === null) return [];
    const list = Array.isArray(value) ? value : [value];
    for (const id of list) {
      if (!Number.isInteger(id) || (id as number) < 0) throw new TextError('BAD_CONFIG', `${key} must be a token id or a list of them, not ${JSON.stringify(value)}`, names.generationConfig);
    }
    return list as number[];
  };

  const eos = new Set<number>();
  const configEos = configToken('eos_token');
  if (configEos !== undefined) eos.add(configEos);
  for (const id of generationIds('eos_token_id')) eos.add(id);
  for (const token of CHAT_END_TOKENS) {
    const id = tokenizer.token_to_id(token);
    if (id !== undefined) eos.add(id);
  }
  const eosTokenIds = [...eos];
  const padTokenId = configToken('pad_token') ?? generationIds('pad_token_id')[0] ?? configToken('unk_token') ?? eosTokenIds[0] ?? 0;
  const bosTokenId = configToken('bos_token');

  const templateSource = files.chatTemplate ?? selectChatTemplate(config['chat_template'], names.tokenizerConfig);
  const templateFile = files.chatTemplate === undefined ? names.tokenizerConfig : names.chatTemplate;
  const template = templateSource === undefined ? undefined : new ChatTemplate(templateSource, templateFile, templateVariables(config, names.tokenizerConfig));

  return {
    vocabSize: maxId + 1,
    eosTokenIds,
    padTokenId,
    ...(bosTokenId === undefined ? {} : { bosTokenId }),
    ...(templateSource === undefined ? {} : { chatTemplate: templateSource }),
    encode: (text, options) => tokenizer.encode(text, { add_special_tokens: options?.addSpecialTokens ?? false }).ids,
    decode: (ids, options) => (ids.length === 0 ? '' : tokenizer.decode([...ids], { skip_special_tokens: options?.skipSpecialTokens ?? false })),
    tokenToId: (token) => tokenizer.token_to_id(token),
    idToToken: (id) => tokenizer.id_to_token(id),
    applyChatTemplate(messages, options) {
      if (!template) throw new TextError('NO_TEMPLATE', `no chat_template (and no ${CHAT_TEMPLATE_FILE})`, names.tokenizerConfig);
      return template.render(messages, options);
    },
  };
}

/** Reads tokenizer.json, and tokenizer_config.json, generation_config.json and chat_template.jinja where present. */
export async function loadTokenizerFromFolder(folder: FolderSource): Promise<TextTokenizer> {
  const has = new Set(await folder.list());
  const path = (file: string) => `${folder.name}/${file}`;
  if (!has.has(TOKENIZER_FILE)) {
    throw new TextError('MISSING_TOKENIZER', `no ${TOKENIZER_FILE} (the fast-tokenizer file is needed; vocab.json + merges.txt alone are not read)`, path(TOKENIZER_FILE));
  }
  const read = async (file: string, code: TextErrorCode): Promise<string | undefined> => {
    if (!has.has(file)) return undefined;
    try {
      return await readText(folder, file);
    } catch (e) {
      throw new TextError(code, `cannot be read as UTF-8 text (${(e as Error).message})`, path(file));
    }
  };
  const tokenizerJson = await read(TOKENIZER_FILE, 'BAD_TOKENIZER');
  const tokenizerConfig = await read(TOKENIZER_CONFIG_FILE, 'BAD_CONFIG');
  const generationConfig = await read(GENERATION_CONFIG_FILE, 'BAD_CONFIG');
  const chatTemplate = await read(CHAT_TEMPLATE_FILE, 'BAD_TEMPLATE');
  return loadTokenizer({
    tokenizerJson,
    ...(tokenizerConfig === undefined ? {} : { tokenizerConfig }),
    ...(generationConfig === undefined ? {} : { generationConfig }),
    ...(chatTemplate === undefined ? {} : { chatTemplate }),
    names: {
      tokenizerJson: path(TOKENIZER_FILE),
      tokenizerConfig: path(TOKENIZER_CONFIG_FILE),
      generationConfig: path(GENERATION_CONFIG_FILE),
      chatTemplate: path(CHAT_TEMPLATE_FILE),
    },
  });
}

/** A JSON object given as text or already parsed. */
function jsonObject(value: unknown, file: string, code: TextErrorCode): Json {
  let json = value;
  if (typeof value === 'string') {
    try {
      json = JSON.parse(value);
    } catch (e) {
      throw new TextError(code, `not valid JSON (${(e as Error).message})`, file);
    }
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new TextError(code, 'not a JSON object', file);
  return json as Json;
}

/** A special token as tokenizer_config.json writes it: a string, an AddedToken object `{content, …}`, or null. */
function tokenText(value: unknown, key: string, file: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  const content = (value as { content?: unknown }).content;
  if (typeof value === 'object' && typeof content === 'string') return content;
  throw new TextError('BAD_CONFIG', `${key} is neither a token string nor an object with a "content" string`, file);
}

/** transformers' `special_tokens_map`: the special tokens the config sets, as strings. */
function templateVariables(config: Json, file: string): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const text = tokenText(config[key], key, file);
    if (text !== undefined) vars[key] = text;
  }
  const extra = config['additional_special_tokens'];
  if (Array.isArray(extra)) vars['additional_special_tokens'] = extra.map((t) => tokenText(t, 'additional_special_tokens', file));
  return vars;
}
