/** Failures of the text layer: tokenizer files, chat templates, the synthetic tokenizer. */
export type TextErrorCode =
  | 'MISSING_TOKENIZER' // the folder has no tokenizer.json
  | 'BAD_TOKENIZER' // tokenizer.json is not UTF-8 / JSON, or the tokenizer library rejects it
  | 'BAD_CONFIG' // tokenizer_config.json or generation_config.json is not a JSON object, or names a token that is not in the vocabulary
  | 'BAD_TEMPLATE' // the chat template does not parse or fails while rendering
  | 'NO_TEMPLATE' // a chat template was asked for but the checkpoint has none
  | 'VOCAB_TOO_SMALL'; // the synthetic tokenizer does not fit in the requested vocabulary

export class TextError extends Error {
  override readonly name = 'TextError';
  constructor(
    readonly code: TextErrorCode,
    message: string,
    /** The file the failure is about (a path or a file name). */
    readonly file?: string,
  ) {
    super(file === undefined ? message : `${file}: ${message}`);
  }
}
