/**
 * Incremental detokenization for streaming output. A token may end inside a UTF-8 character
 * (byte-level BPE splits emoji and CJK into several tokens), so text is printed only up to the
 * last complete character, and each new piece is decoded together with the tokens of the piece
 * before it, so that decoders that look at neighbours (a leading-space strip, byte fallback)
 * see the same context as a decode of the whole sequence. This is the prefix/read-offset scheme
 * of text-generation-inference and vLLM.
 *
 * Invariant: the strings returned by `push` followed by `flush()` concatenate to
 * `tokenizer.decode(allIds)` for byte-level tokenizers; for decoders that rewrite across token
 * boundaries (`clean_up_tokenization_spaces`) it can differ.
 */
import type { DecodeOptions, TextTokenizer } from './tokenizer.ts';

const REPLACEMENT = '\uFFFD';

export class TextStream {
  private readonly ids: number[] = [];
  /** Start of the tokens decoded as context for the next piece. */
  private prefixOffset = 0;
  /** End of the tokens already printed. */
  private readOffset = 0;

  constructor(
    private readonly tokenizer: Pick<TextTokenizer, 'decode'>,
    private readonly options: DecodeOptions = {},
  ) {}

  /** Adds one id; returns the text it makes printable (often '' in the middle of a character). */
  push(id: number): string {
    this.ids.push(id);
    const printed = this.decode(this.prefixOffset, this.readOffset);
    const text = this.decode(this.prefixOffset, this.ids.length);
    if (text.length > printed.length && !text.endsWith(REPLACEMENT)) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return text.slice(printed.length);
    }
    return '';
  }

  /** The text held back at the end of the stream (a character left incomplete prints as U+FFFD). */
  flush(): string {
    const printed = this.decode(this.prefixOffset, this.readOffset);
    const text = this.decode(this.prefixOffset, this.ids.length);
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return text.slice(printed.length);
  }

  private decode(from: number, to: number): string {
    return from === to ? '' : this.tokenizer.decode(this.ids.slice(from, to), this.options);
  }
}
