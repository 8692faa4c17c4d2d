/**
 * Parquet rows with hyparquet, for the Hugging Face layouts (`openai/gsm8k`, `allenai/sciq`,
 * `openai/openai_humaneval`: flat string columns). Bytes in memory or a `ByteSource` read by range,
 * so only the footer and the columns asked for are fetched. hyparquet decodes uncompressed and
 * Snappy pages (what the Hub's files use); other codecs need `compressors` (hyparquet-compressors).
 */
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type Compressors, type FileMetaData } from 'hyparquet';
import type { ByteSource } from '../io/bytes.ts';
import type { DataRow } from './datasets.ts';
import { EvalError } from './errors.ts';

export type ParquetInput = ArrayBuffer | Uint8Array | ByteSource;

function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.slice().buffer as ArrayBuffer;
}

/** hyparquet's file interface over bytes in memory or a range-read source. */
export function asyncBufferOf(input: ParquetInput): AsyncBuffer {
  if (input instanceof ArrayBuffer) return input;
  if (input instanceof Uint8Array) return exactBuffer(input);
  return {
    byteLength: input.size,
    slice: async (start, end) => exactBuffer(await input.read(start, (end ?? input.size) - start)),
  };
}

function bad(file: string, message: string): EvalError {
  return new EvalError('BAD_PARQUET', `${file}: ${message}`, file);
}

export interface ParquetReadOptions {
  /** Read only these top-level columns (all if absent); each must exist. */
  readonly columns?: readonly string[];
  readonly compressors?: Compressors;
}

/** The top-level column names of a Parquet file's schema. */
export function parquetColumns(metadata: FileMetaData): string[] {
  return parquetSchema(metadata).children.map((c) => c.element.name);
}

/** Every row as a `DataRow` (`where` is "row N", 0-based); a missing column or unreadable file fails naming the file. */
export async function readParquetRows(input: ParquetInput, file: string, options: ParquetReadOptions = {}): Promise<DataRow[]> {
  const buffer = asyncBufferOf(input);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw bad(file, `not a Parquet file hyparquet can read (${(e as Error).message})`);
  }
  const present = parquetColumns(metadata);
  const missing = (options.columns ?? []).filter((c) => !present.includes(c));
  if (missing.length > 0) throw bad(file, `no column ${missing.map((c) => `"${c}"`).join(', ')} (columns: ${present.join(', ')})`);
  let objects: Record<string, unknown>[];
  try {
    objects = await parquetReadObjects({
      file: buffer,
      metadata,
      ...(options.columns ? { columns: [...options.columns] } : {}),
      ...(options.compressors ? { compressors: options.compressors } : {}),
    });
  } catch (e) {
    throw bad(file, `cannot decode (${(e as Error).message})`);
  }
  return objects.map((value, i) => ({ value, line: undefined, where: `row ${i}` }));
}
