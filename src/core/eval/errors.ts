/**
 * Failures of evaluation: bad data, bad predictions, unknown tasks, untranslatable regexes, few-shot
 * material and run options that cannot give the harness's prompts.
 */
export type EvalErrorCode =
  | 'BAD_ENCODING' // input bytes are not UTF-8
  | 'BAD_JSON' // a line or file is not JSON
  | 'BAD_ROW' // a row lacks a field or has the wrong type
  | 'EMPTY_DATA' // no documents
  | 'DUPLICATE_PREDICTION' // two predictions for one doc_id
  | 'MISSING_PREDICTION' // a document without a prediction
  | 'UNKNOWN_DOC' // a prediction for a doc_id that does not exist
  | 'UNKNOWN_TASK'
  | 'UNSUPPORTED_REGEX' // a Python regex construct we do not translate
  | 'EMPTY_MATCH' // harness would raise IndexError: every group of a tuple match is empty
  | 'UNKNOWN_FORMAT' // a data file name with no extension we read (.jsonl, .json, .parquet, .jsonl.gz, .json.gz)
  | 'BAD_PARQUET' // Parquet bytes hyparquet cannot read, or a needed column is absent
  | 'BAD_GZIP' // gzip bytes that do not decompress
  | 'NO_FEWSHOT' // a few-shot prompt needs material (training documents, a cot-prompts text) not given
  | 'NOT_ENOUGH_SHOTS' // fewer few-shot documents or exemplars than the shots asked for
  | 'BAD_OPTION' // run options that contradict each other or the task
  | 'CANCELLED'; // the caller's signal stopped an evaluation

export class EvalError extends Error {
  override readonly name = 'EvalError';
  constructor(
    readonly code: EvalErrorCode,
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** "file:line: message" (or "file: message"): the one line users see. */
export function located(file: string | undefined, line: number | undefined, message: string): string {
  if (file === undefined) return message;
  return line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`;
}
