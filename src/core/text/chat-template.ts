/**
 * Chat templates as transformers applies them: the checkpoint's own Jinja `chat_template`
 * (tokenizer_config.json, or chat_template.jinja beside it), rendered with `messages`,
 * `add_generation_prompt` and the tokenizer's special tokens (`bos_token`, `eos_token`, …) as
 * variables. Rendering uses @huggingface/jinja, whose globals include `raise_exception`,
 * `strftime_now` and `namespace` like transformers' environment.
 */
import { Template } from '@huggingface/jinja';
import { TextError } from './errors.ts';

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

export interface ChatTemplateOptions {
  /** End with the opening of an assistant turn (transformers' `add_generation_prompt`). */
  readonly addGenerationPrompt: boolean;
  /** More template variables (e.g. Qwen3's `enable_thinking`); they override the special tokens. */
  readonly variables?: Readonly<Record<string, unknown>>;
}

/** The tokenizer_config.json keys transformers passes to the template (its `special_tokens_map`). */
export const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/**
 * The template text of a `chat_template` value: a string, or named templates (a list of
 * `{name, template}` or an object of name → template), of which transformers uses "default".
 * Undefined when the value is absent or null.
 */
export function selectChatTemplate(value: unknown, file: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  const named = new Map<string, unknown>();
  if (Array.isArray(value)) {
    for (const entry of value) {
      const e = entry as { name?: unknown; template?: unknown } | null;
      if (e === null || typeof e !== 'object' || typeof e.name !== 'string') {
        throw new TextError('BAD_TEMPLATE', 'chat_template is a list whose entries are not {name, template} objects', file);
      }
      named.set(e.name, e.template);
    }
  } else if (typeof value === 'object') {
    for (const [name, template] of Object.entries(value)) named.set(name, template);
  } else {
    throw new TextError('BAD_TEMPLATE', `chat_template is a ${typeof value}, not a string or a list of named templates`, file);
  }
  if (!named.has('default')) {
    throw new TextError('BAD_TEMPLATE', `chat_template has named templates (${[...named.keys()].join(', ')}) but none called "default"`, file);
  }
  const template = named.get('default');
  if (typeof template !== 'string') throw new TextError('BAD_TEMPLATE', 'the "default" chat template is not a string', file);
  return template;
}

/** A parsed chat template, bound to the special tokens of its tokenizer. */
export class ChatTemplate {
  private readonly template: Template;

  /**
   * @param source the Jinja text
   * @param file what errors name (tokenizer_config.json or chat_template.jinja)
   * @param specialTokens template variables from the tokenizer config (`bos_token`: "<s>", …)
   */
  constructor(
    readonly source: string,
    readonly file: string,
    private readonly specialTokens: Readonly<Record<string, unknown>>,
  ) {
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new TextError('BAD_TEMPLATE', `chat template does not parse (${(e as Error).message})`, file);
    }
  }

  render(messages: readonly ChatMessage[], options: ChatTemplateOptions): string {
    try {
      return this.template.render({
        ...this.specialTokens,
        messages: messages.map((m) => ({ ...m })),
        add_generation_prompt: options.addGenerationPrompt,
        ...options.variables,
      });
    } catch (e) {
      throw new TextError('BAD_TEMPLATE', `chat template failed while rendering (${(e as Error).message})`, this.file);
    }
  }
}
