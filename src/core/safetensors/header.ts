/**
 * safetensors header parsing with every check of the reference implementation
 * (huggingface/safetensors, `SafeTensors::read_metadata` and `Metadata::validate`), in its order:
 *
 *   [u64 LE n][n bytes of UTF-8 JSON header][data: tensors back to back, offsets relative to here]
 */
import { dtypeSize, isSafetensorsDtype, type SafetensorsDtype } from '../dtype.ts';
import type { ByteSource } from '../io/bytes.ts';
import { SafetensorsError } from './errors.ts';

export const MAX_HEADER_SIZE = 100_000_000;

/** How errors about the first bytes begin: a file that fails there is most likely something else. */
const NOT_SAFETENSORS = 'not a safetensors file';

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Byte offsets relative to the start of the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly file: string;
  readonly fileSize: number;
  /** Absolute file offset of the data section (8 + header length). */
  readonly dataStart: number;
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Tensors in file order (ascending offsets). */
  readonly tensors: readonly TensorInfo[];
}

export function numElements(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Reads and validates the header of `source`; never reads the tensor data. */
export async function readHeader(source: ByteSource): Promise<SafetensorsHeader> {
  const file = source.name;
  if (source.size < 8) {
    throw new SafetensorsError('HEADER_TOO_SMALL', `${NOT_SAFETENSORS}: the file is ${source.size} bytes, shorter than the 8-byte header length`, file);
  }
  const prefix = await read(source, 0, 8);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_SIZE)) {
    throw new SafetensorsError('HEADER_TOO_LARGE', `${NOT_SAFETENSORS}: its first 8 bytes give a header length of ${length} bytes, over the limit of ${MAX_HEADER_SIZE}`, file);
  }
  const n = Number(length);
  if (8 + n > source.size) {
    throw new SafetensorsError('INVALID_HEADER_LENGTH', `${NOT_SAFETENSORS}, or a truncated one: header length ${n} runs past the end of the file (${source.size} bytes)`, file);
  }
  const headerBytes = await read(source, 8, n);
  return parseHeaderBytes(headerBytes, file, source.size);
}

/** Validates header JSON bytes; `fileSize` is the size of the whole file. */
export function parseHeaderBytes(headerBytes: Uint8Array, file: string, fileSize: number): SafetensorsHeader {
  const n = headerBytes.byteLength;
  let text: string;
  try {
    // ignoreBOM keeps a byte order mark in the text, so that it fails the "{" check as in the reference.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('INVALID_HEADER', `${NOT_SAFETENSORS}: the header is not valid UTF-8`, file);
  }
  if (text.startsWith('\uFEFF')) {
    throw new SafetensorsError('INVALID_HEADER_START', 'header starts with a UTF-8 byte order mark (EF BB BF) instead of "{"', file);
  }
  if (!text.startsWith('{')) {
    throw new SafetensorsError('INVALID_HEADER_START', `${NOT_SAFETENSORS}: the header does not start with "{"`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError('INVALID_HEADER_DESERIALIZATION', `header is not JSON (${(e as Error).message})`, file);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SafetensorsError('INVALID_HEADER_DESERIALIZATION', 'header is not a JSON object', file);
  }
  const notInteger = firstNonIntegerNumber(text);
  if (notInteger) {
    const { tensor, field, lexeme } = notInteger;
    throw new SafetensorsError('INVALID_HEADER_DESERIALIZATION', `"${field}" holds ${lexeme}, not an unsigned integer`, file, tensor);
  }

  let metadata: Record<string, string> | null = null;
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = entry === null ? null : parseMetadata(entry, file); // null is "no metadata", as in the reference
      continue;
    }
    tensors.push(parseTensorEntry(name, entry, file));
  }

  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of tensors) {
    if (t.begin !== cursor) {
      const what = t.begin > cursor ? `leaves a gap (previous tensor ends at ${cursor})` : `overlaps the previous tensor (which ends at ${cursor})`;
      throw new SafetensorsError('INVALID_OFFSET', `data_offsets [${t.begin}, ${t.end}] ${what}`, file, t.name);
    }
    if (t.end < t.begin) {
      throw new SafetensorsError('INVALID_OFFSET', `data_offsets [${t.begin}, ${t.end}] end before they begin`, file, t.name);
    }
    const expected = numElements(t.shape) * dtypeSize(t.dtype);
    if (!Number.isSafeInteger(expected)) {
      throw new SafetensorsError('TENSOR_INVALID_INFO', `shape [${t.shape.join(', ')}] overflows`, file, t.name);
    }
    if (t.end - t.begin !== expected) {
      throw new SafetensorsError(
        'TENSOR_INVALID_INFO',
        `holds ${t.end - t.begin} bytes but shape [${t.shape.join(', ')}] of ${t.dtype} needs ${expected}`,
        file,
        t.name,
      );
    }
    cursor = t.end;
  }
  const dataSize = fileSize - 8 - n;
  if (cursor !== dataSize) {
    throw new SafetensorsError(
      'METADATA_INCOMPLETE_BUFFER',
      cursor < dataSize
        ? `${dataSize - cursor} trailing bytes after the last tensor (tensors cover ${cursor} of ${dataSize} data bytes)`
        : `file is truncated: tensors need ${cursor} data bytes, the file has ${dataSize}`,
      file,
    );
  }
  return { file, fileSize, dataStart: 8 + n, metadata, tensors };
}

function parseMetadata(entry: unknown, file: string): Record<string, string> {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new SafetensorsError('INVALID_METADATA', '__metadata__ is not an object of strings', file);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError('INVALID_METADATA', `__metadata__.${k} is not a string`, file);
    }
    out[k] = v;
  }
  return out;
}

function parseTensorEntry(name: string, entry: unknown, file: string): TensorInfo {
  const bad = (what: string) => new SafetensorsError('INVALID_HEADER_DESERIALIZATION', what, file, name);
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw bad('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string') throw bad('"dtype" is missing or not a string');
  if (!isSafetensorsDtype(dtype)) {
    throw new SafetensorsError('UNKNOWN_DTYPE', `unknown dtype "${dtype}"`, file, name);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw bad('"shape" is not an array of non-negative integers');
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw bad('"data_offsets" is not a pair of non-negative integers');
  }
  return { name, dtype, shape: shape as number[], begin: offsets[0] as number, end: offsets[1] as number };
}

/**
 * The reference reads `shape` and `data_offsets` as unsigned integers (serde_json → usize): `28800.0`,
 * `3e2` and `-0` are errors there, but JSON.parse turns them into integers. This walks the raw text
 * (already known to be valid JSON) and returns the first number in a tensor's `shape` or
 * `data_offsets` not written as digits only.
 */
function firstNonIntegerNumber(text: string): { tensor: string; field: string; lexeme: string } | null {
  const stack: { array: boolean; key: string | null; expectKey: boolean }[] = [];
  const number = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  for (let i = 0; i < text.length; ) {
    const ch = text[i]!;
    const top = stack.at(-1);
    if (ch === '{' || ch === '[') {
      stack.push({ array: ch === '[', key: null, expectKey: ch === '{' });
      i++;
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      i++;
    } else if (ch === ',') {
      if (top && !top.array) top.expectKey = true;
      i++;
    } else if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top && !top.array && top.expectKey) {
        top.key = JSON.parse(text.slice(i, end + 1)) as string;
        top.expectKey = false;
      }
      i = end + 1;
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      number.lastIndex = i;
      const lexeme = number.exec(text)![0];
      const [entry, field, list] = stack;
      if (stack.length === 3 && list!.array && entry!.key !== '__metadata__' && (field!.key === 'shape' || field!.key === 'data_offsets') && !/^(?:0|[1-9]\d*)$/.test(lexeme)) {
        return { tensor: entry!.key!, field: field!.key, lexeme };
      }
      i += lexeme.length;
    } else {
      i++; // whitespace, ':' and the letters of true / false / null
    }
  }
  return null;
}

function isNonNegativeInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

async function read(source: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  try {
    return await source.read(offset, length);
  } catch (e) {
    throw new SafetensorsError('READ_FAILED', `cannot read ${length} bytes at offset ${offset}: ${(e as Error).message}`, source.name);
  }
}
