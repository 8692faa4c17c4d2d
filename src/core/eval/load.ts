/**
 * One entry point from a data file's bytes to a task's documents, by file name: `.jsonl` / `.json`
 * (text, JSON lines or a JSON array / `{"examples": [...]}`), `.parquet` (hyparquet), and
 * `.jsonl.gz` / `.json.gz` (gunzipped with the platform's `DecompressionStream`).
 */
import { concatBytes, type ByteSource } from '../io/bytes.ts';
import { decodeText, rowsOf, type DataRow } from './datasets.ts';
import { EvalError } from './errors.ts';
import { readParquetRows } from './parquet.ts';
import type { Task } from './tasks/types.ts';

export type DataInput = Uint8Array | ArrayBuffer | ByteSource;

export interface DataFormat {
  readonly kind: 'json' | 'parquet';
  readonly gzip: boolean;
}

/** The format a file name says: its extension, case-insensitive. */
export function dataFormat(fileName: string): DataFormat {
  const name = fileName.toLowerCase();
  if (name.endsWith('.parquet')) return { kind: 'parquet', gzip: false };
  if (name.endsWith('.jsonl') || name.endsWith('.json')) return { kind: 'json', gzip: false };
  if (name.endsWith('.jsonl.gz') || name.endsWith('.json.gz')) return { kind: 'json', gzip: true };
  throw new EvalError('UNKNOWN_FORMAT', `${fileName}: unknown data format (expected .jsonl, .json, .parquet, .jsonl.gz or .json.gz)`, fileName);
}

/* The stream types gunzip uses: a subset of the web platform's, present in browsers, workers and Node. */
interface ChunkReader {
  read(): Promise<{ readonly done: boolean; readonly value?: Uint8Array }>;
}
interface Decompressor {
  readonly writable: { getWriter(): { write(chunk: Uint8Array): Promise<void>; close(): Promise<void> } };
  readonly readable: { getReader(): ChunkReader };
}
type DecompressorClass = new (format: 'gzip') => Decompressor;

/** gzip bytes → bytes, with `DecompressionStream`. */
export async function gunzip(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  const Stream = (globalThis as unknown as { DecompressionStream?: DecompressorClass }).DecompressionStream;
  if (Stream === undefined) throw new EvalError('BAD_GZIP', `${file}: this platform has no DecompressionStream`, file);
  const stream = new Stream('gzip');
  const writer = stream.writable.getWriter();
  const writing = writer.write(bytes).then(() => writer.close());
  writing.catch(() => undefined);
  const chunks: Uint8Array[] = [];
  try {
    const reader = stream.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value) chunks.push(value);
    }
    await writing;
  } catch (e) {
    throw new EvalError('BAD_GZIP', `${file}: not valid gzip (${(e as Error).message})`, file);
  }
  return concatBytes(chunks);
}

async function allBytes(input: DataInput): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  return input.read(0, input.size);
}

/** A data file's rows, before any layout is checked. `columns`: what a Parquet read fetches. */
export async function loadRows(input: DataInput, fileName: string, options: { readonly columns?: readonly string[] } = {}): Promise<DataRow[]> {
  const format = dataFormat(fileName);
  if (format.kind === 'parquet') return readParquetRows(input, fileName, options);
  let bytes = await allBytes(input);
  if (format.gzip) bytes = await gunzip(bytes, fileName);
  return rowsOf(decodeText(bytes, fileName), fileName);
}

/** A task's documents from a data file's bytes, chosen by the file name's extension. */
export async function loadDocs<D>(task: Task<D>, input: DataInput, fileName: string): Promise<D[]> {
  return task.layout.fromRows(await loadRows(input, fileName, { columns: task.layout.columns }), fileName);
}
