/** Failures of safetensors files and sharded indexes, mirroring the reference implementation's. */
export type SafetensorsErrorCode =
  | 'HEADER_TOO_SMALL' // fewer than 8 bytes
  | 'HEADER_TOO_LARGE' // header length over 100,000,000 bytes
  | 'INVALID_HEADER_LENGTH' // header length past the end of the file
  | 'INVALID_HEADER' // header is not valid UTF-8
  | 'INVALID_HEADER_START' // header does not start with '{'
  | 'INVALID_HEADER_DESERIALIZATION' // not JSON, or not the expected structure
  | 'INVALID_METADATA' // __metadata__ is not a map of strings
  | 'UNKNOWN_DTYPE'
  | 'TENSOR_INVALID_INFO' // byte length ≠ shape × dtype size, bad shape
  | 'INVALID_OFFSET' // offsets not contiguous from 0, gaps or overlaps
  | 'METADATA_INCOMPLETE_BUFFER' // data section longer or shorter than the tensors
  | 'INDEX_INVALID' // model.safetensors.index.json malformed
  | 'INDEX_MISSING_SHARD' // the index names a shard that is not there
  | 'INDEX_DUPLICATE_TENSOR' // a tensor in two shards
  | 'INDEX_MISMATCH' // the index and the shard headers disagree
  | 'READ_FAILED';

export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  constructor(
    readonly code: SafetensorsErrorCode,
    message: string,
    readonly file?: string,
    readonly tensor?: string,
  ) {
    super(`${file ? `${file}: ` : ''}${tensor ? `tensor "${tensor}": ` : ''}${message}`);
  }
}
