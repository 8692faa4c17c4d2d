// The header parser: one negative test per error code, on files built byte by byte here, and the
// files Python's safetensors writes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../io/bytes.ts';
import { SafetensorsError, type SafetensorsErrorCode } from './errors.ts';
import { MAX_HEADER_SIZE, parseHeaderBytes, readHeader } from './header.ts';

const FILE = 'ckpt/model.safetensors';

/** `[u64 LE length][header][data]`; `length` overrides the header's real length. */
function stFile(header: string | Uint8Array, data: Uint8Array | number = 0, length?: bigint): Uint8Array {
  const json = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const body = typeof data === 'number' ? new Uint8Array(data).map((_, i) => i & 0xff) : data;
  const out = new Uint8Array(8 + json.byteLength + body.byteLength);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(body, 8 + json.byteLength);
  return out;
}

/** A header object as JSON. */
const header = (entries: Record<string, unknown>) => JSON.stringify(entries);
const tensor = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

function source(bytes: Uint8Array, name = FILE): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes.byteLength) throw new RangeError('past the end');
      return bytes.slice(offset, offset + length);
    },
  };
}

async function failure(bytes: Uint8Array): Promise<SafetensorsError> {
  const err = await readHeader(source(bytes)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SafetensorsError);
  return err as SafetensorsError;
}

/** Asserts the code, and that the message names the file (and the tensor, when given). */
async function expectError(bytes: Uint8Array, code: SafetensorsErrorCode, tensorName?: string): Promise<SafetensorsError> {
  const err = await failure(bytes);
  expect(err.code, err.message).toBe(code);
  expect(err.name).toBe('SafetensorsError');
  expect(err.file).toBe(FILE);
  expect(err.message).toContain(FILE);
  if (tensorName !== undefined) {
    expect(err.tensor).toBe(tensorName);
    expect(err.message).toContain(`"${tensorName}"`);
  }
  return err;
}

describe('readHeader errors', () => {
  it('HEADER_TOO_SMALL: fewer than 8 bytes', async () => {
    await expectError(new Uint8Array(0), 'HEADER_TOO_SMALL');
    const err = await expectError(new Uint8Array(7), 'HEADER_TOO_SMALL');
    expect(err.message).toContain('7 bytes');
  });

  it('HEADER_TOO_LARGE: a header length over the limit, in either 32-bit half', async () => {
    await expectError(stFile('{}', 0, BigInt(MAX_HEADER_SIZE + 1)), 'HEADER_TOO_LARGE');
    await expectError(stFile('{}', 0, 1n << 32n), 'HEADER_TOO_LARGE');
    await expectError(stFile('{}', 0, 2n ** 64n - 1n), 'HEADER_TOO_LARGE');
  });

  it('INVALID_HEADER_LENGTH: a header length past the end of the file', async () => {
    const err = await expectError(stFile('{}', 0, 3n), 'INVALID_HEADER_LENGTH');
    expect(err.message).toContain('10 bytes');
    await expectError(stFile('', 0, 1n), 'INVALID_HEADER_LENGTH');
  });

  it('INVALID_HEADER: a header that is not UTF-8', async () => {
    await expectError(stFile(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 'INVALID_HEADER');
    await expectError(stFile(new Uint8Array([0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d])), 'INVALID_HEADER'); // truncated sequence
  });

  it('INVALID_HEADER_START: a header that does not start with "{"', async () => {
    await expectError(stFile('[]'), 'INVALID_HEADER_START');
    await expectError(stFile(' {}'), 'INVALID_HEADER_START');
    await expectError(stFile(''), 'INVALID_HEADER_START');
  });

  it('INVALID_HEADER_DESERIALIZATION: not JSON', async () => {
    await expectError(stFile('{"w": {"dtype": "F32",'), 'INVALID_HEADER_DESERIALIZATION');
    await expectError(stFile('{} trailing'), 'INVALID_HEADER_DESERIALIZATION');
  });

  it('INVALID_HEADER_DESERIALIZATION: JSON of the wrong structure, naming the tensor', async () => {
    const cases: Record<string, unknown>[] = [
      { w: 5 },
      { w: [] },
      { w: null },
      { w: { shape: [1], data_offsets: [0, 4] } },
      { w: { dtype: 1, shape: [1], data_offsets: [0, 4] } },
      { w: { dtype: 'F32', data_offsets: [0, 4] } },
      { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } },
      { w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } },
      { w: { dtype: 'F32', shape: ['1'], data_offsets: [0, 4] } },
      { w: { dtype: 'F32', shape: [1] } },
      { w: { dtype: 'F32', shape: [1], data_offsets: [0] } },
      { w: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } },
      { w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } },
    ];
    for (const entries of cases) await expectError(stFile(header(entries), 4), 'INVALID_HEADER_DESERIALIZATION', 'w');
  });

  it('INVALID_HEADER_DESERIALIZATION: a float, exponent or minus zero in shape or data_offsets (the reference reads them as usize)', async () => {
    // JSON.parse turns each of these into an integer; the raw text tells them apart.
    const cases: [string, string][] = [
      ['{"w":{"dtype":"F32","shape":[2],"data_offsets":[0.0,8]}}', '0.0'],
      ['{"w":{"dtype":"U8","shape":[28800],"data_offsets":[0, 28800.0]}}', '28800.0'],
      ['{"w":{"dtype":"U8","shape":[3e2],"data_offsets":[0,300]}}', '3e2'],
      ['{"w":{"dtype":"U8","shape":[300],"data_offsets":[0,3E+2]}}', '3E+2'],
      ['{"w":{"dtype":"U8","shape":[-0, 2],"data_offsets":[0,0]}}', '-0'],
    ];
    for (const [json, lexeme] of cases) {
      const size = Number(/"data_offsets":\[[^,]+,\s*([^\]]+)\]/.exec(json)![1]);
      const err = await expectError(stFile(json, size), 'INVALID_HEADER_DESERIALIZATION', 'w');
      expect(err.message).toContain(`holds ${lexeme}, not an unsigned integer`);
    }
  });

  it('reads numbers only where they are shape and data_offsets: floats elsewhere, and look-alike names, pass', async () => {
    const json =
      '{"__metadata__":{"shape":"[1.5]"},"data_offsets":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"scale":0.5},' +
      '"sh\\"ape":{"dtype":"U8","shape":[1],"data_offsets":[2,3],"extra":[1.0,{"shape":[2.5]}]}}';
    const h = await readHeader(source(stFile(json, 3)));
    expect(h.tensors.map((t) => [t.name, t.shape, t.begin, t.end])).toEqual([
      ['data_offsets', [2], 0, 2],
      ['sh"ape', [1], 2, 3],
    ]);
  });

  it('INVALID_HEADER_START: a UTF-8 byte order mark before "{" (TextDecoder would strip it)', async () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(header({ w: tensor('U8', [1], 0, 1) }))]);
    const err = await expectError(stFile(bom, 1), 'INVALID_HEADER_START');
    expect(err.message).toContain('byte order mark');
  });

  it('names a file that is not safetensors at all as such, with the exact length its first bytes give', async () => {
    // 64 bytes of a linear congruential sequence: what a random or foreign file looks like.
    let x = 12345;
    const junk = new Uint8Array(64).map(() => (x = (x * 1103515245 + 12345) % 2 ** 31) >>> 16);
    const err = await expectError(junk, 'HEADER_TOO_LARGE');
    const length = new DataView(junk.buffer).getBigUint64(0, true);
    expect(err.message).toBe(`${FILE}: not a safetensors file: its first 8 bytes give a header length of ${length} bytes, over the limit of ${MAX_HEADER_SIZE}`);
    expect((await expectError(stFile('{}', 0, 2n ** 64n - 1n), 'HEADER_TOO_LARGE')).message).toContain('18446744073709551615 bytes');
    // A text file (a config.json saved under the wrong name) and a tiny file.
    expect((await expectError(new TextEncoder().encode('{"architectures": ["Qwen2ForCausalLM"]}'), 'HEADER_TOO_LARGE')).message).toContain('not a safetensors file');
    expect((await expectError(new Uint8Array(3), 'HEADER_TOO_SMALL')).message).toContain('not a safetensors file');
  });

  it('INVALID_METADATA: __metadata__ not a map of strings', async () => {
    const err = await expectError(stFile(header({ __metadata__: { format: 'pt', step: 1 } })), 'INVALID_METADATA');
    expect(err.message).toContain('step');
    await expectError(stFile(header({ __metadata__: 'pt' })), 'INVALID_METADATA');
    await expectError(stFile(header({ __metadata__: ['pt'] })), 'INVALID_METADATA');
    await expectError(stFile(header({ __metadata__: { nested: {} } })), 'INVALID_METADATA');
  });

  it('UNKNOWN_DTYPE, naming the tensor and the dtype', async () => {
    const err = await expectError(stFile(header({ 'model.norm.weight': tensor('F4', [2], 0, 1) }), 1), 'UNKNOWN_DTYPE', 'model.norm.weight');
    expect(err.message).toContain('"F4"');
    await expectError(stFile(header({ w: tensor('f32', [1], 0, 4) }), 4), 'UNKNOWN_DTYPE', 'w');
  });

  it('TENSOR_INVALID_INFO: byte length ≠ shape × dtype size', async () => {
    const err = await expectError(stFile(header({ w: tensor('F32', [2], 0, 4) }), 4), 'TENSOR_INVALID_INFO', 'w');
    expect(err.message).toMatch(/4 bytes.*\[2\].*F32.*8/);
    await expectError(stFile(header({ a: tensor('BF16', [2], 0, 4), b: tensor('I64', [0], 4, 12) }), 12), 'TENSOR_INVALID_INFO', 'b');
    await expectError(stFile(header({ s: tensor('U8', [], 0, 0) }), 0), 'TENSOR_INVALID_INFO', 's'); // a scalar holds 1 element
  });

  it('TENSOR_INVALID_INFO: a shape whose size overflows', async () => {
    const big = 2 ** 40;
    await expectError(stFile(header({ w: tensor('F64', [big, big], 0, 8) }), 8), 'TENSOR_INVALID_INFO', 'w');
  });

  it('INVALID_OFFSET: a gap, naming the tensor after it', async () => {
    const err = await expectError(stFile(header({ a: tensor('F32', [1], 0, 4), b: tensor('F32', [1], 8, 12) }), 12), 'INVALID_OFFSET', 'b');
    expect(err.message).toContain('gap');
    await expectError(stFile(header({ a: tensor('F32', [1], 4, 8) }), 8), 'INVALID_OFFSET', 'a'); // not from 0
  });

  it('INVALID_OFFSET: an overlap, naming the tensor', async () => {
    const err = await expectError(stFile(header({ a: tensor('F32', [2], 0, 8), b: tensor('F32', [2], 4, 12) }), 12), 'INVALID_OFFSET', 'b');
    expect(err.message).toContain('overlaps');
    await expectError(stFile(header({ a: tensor('F32', [1], 0, 4), b: tensor('F32', [1], 0, 4) }), 8), 'INVALID_OFFSET');
  });

  it('INVALID_OFFSET: offsets that end before they begin', async () => {
    const err = await expectError(stFile(header({ a: tensor('F32', [1], 0, 4), b: tensor('F32', [1], 4, 2) }), 8), 'INVALID_OFFSET', 'b');
    expect(err.message).toContain('end before');
  });

  it('METADATA_INCOMPLETE_BUFFER: trailing bytes after the last tensor', async () => {
    const err = await expectError(stFile(header({ w: tensor('F16', [3], 0, 6) }), 7), 'METADATA_INCOMPLETE_BUFFER');
    expect(err.message).toContain('1 trailing');
    await expectError(stFile('{}', 1), 'METADATA_INCOMPLETE_BUFFER');
  });

  it('METADATA_INCOMPLETE_BUFFER: a truncated file', async () => {
    const err = await expectError(stFile(header({ a: tensor('F16', [3], 0, 6), b: tensor('U8', [4], 6, 10) }), 9), 'METADATA_INCOMPLETE_BUFFER');
    expect(err.message).toContain('truncated');
  });

  it('READ_FAILED: a source that cannot be read', async () => {
    const broken: ByteSource = { name: FILE, size: 64, read: async () => Promise.reject(new Error('disk on fire')) };
    const err = await readHeader(broken).catch((e: unknown) => e as SafetensorsError);
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as SafetensorsError).code).toBe('READ_FAILED');
    expect((err as SafetensorsError).message).toContain(FILE);
    expect((err as SafetensorsError).message).toContain('disk on fire');
  });

  it('validates in the reference order (first failure wins)', async () => {
    // Too large beats a short file; bad UTF-8 beats bad start; dtype beats offsets; offsets beat buffer size.
    await expectError(stFile(new Uint8Array([0xff]), 0, BigInt(MAX_HEADER_SIZE + 1)), 'HEADER_TOO_LARGE');
    await expectError(stFile(new Uint8Array([0x20, 0xff])), 'INVALID_HEADER');
    await expectError(stFile(header({ a: tensor('F32', [1], 4, 8), b: tensor('X', [1], 0, 4) }), 99), 'UNKNOWN_DTYPE', 'b');
    await expectError(stFile(header({ a: tensor('F32', [1], 4, 8) }), 99), 'INVALID_OFFSET', 'a');
  });

  it('never fails with anything but a SafetensorsError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 80 }), fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), async (bytes, length) => {
        const file = length === null ? bytes : stFile(bytes.subarray(0, 40), bytes.subarray(40), length);
        await readHeader(source(file)).catch((e: unknown) => expect(e).toBeInstanceOf(SafetensorsError));
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.json(), fc.nat({ max: 16 }), async (json, data) => {
        await readHeader(source(stFile(json, data))).catch((e: unknown) => expect(e).toBeInstanceOf(SafetensorsError));
      }),
    );
  });
});

describe('readHeader on valid files', () => {
  it('reads a file exactly as Python safetensors writes it (compact JSON, padded with spaces to 8 bytes)', async () => {
    // The bytes of safetensors.numpy.save({"b": zeros((2, 3), float32), "a.weight": zeros(4, float16),
    // "e": zeros(0, float32)}, metadata={"format": "pt"}) (safetensors 0.8.0): tensors sorted by
    // alignment then name, header padded with 3 spaces to 208 bytes, then 32 data bytes.
    const padded =
      '{"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},' +
      '"e":{"dtype":"F32","shape":[0],"data_offsets":[24,24]},"a.weight":{"dtype":"F16","shape":[4],"data_offsets":[24,32]}}   ';
    expect(padded.length).toBe(208);
    const file = stFile(padded, 32);
    const h = await readHeader(source(file));
    expect(h.file).toBe(FILE);
    expect(h.fileSize).toBe(8 + 208 + 32);
    expect(h.dataStart).toBe(216);
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.tensors).toEqual([
      { name: 'b', dtype: 'F32', shape: [2, 3], begin: 0, end: 24 },
      { name: 'e', dtype: 'F32', shape: [0], begin: 24, end: 24 },
      { name: 'a.weight', dtype: 'F16', shape: [4], begin: 24, end: 32 },
    ]);
  });

  it('reads a file without __metadata__ and with tensors listed out of offset order', async () => {
    const h = await readHeader(source(stFile(header({ z: tensor('U8', [2], 4, 6), y: tensor('I16', [2], 0, 4) }), 6)));
    expect(h.metadata).toBeNull();
    expect(h.tensors.map((t) => t.name)).toEqual(['y', 'z']);
  });

  it('reads "__metadata__": null as no metadata, as the reference does', async () => {
    const h = await readHeader(source(stFile(header({ __metadata__: null, w: tensor('U8', [2], 0, 2) }), 2)));
    expect(h.metadata).toBeNull();
    expect(h.tensors.map((t) => t.name)).toEqual(['w']);
  });

  it('reads zero-element tensors, scalars and an empty header', async () => {
    const h = await readHeader(
      source(
        stFile(
          header({
            empty: tensor('F32', [0], 0, 0),
            s: tensor('F64', [], 0, 8),
            wide: tensor('BF16', [3, 0, 7], 8, 8),
            last: tensor('U8', [0], 8, 8),
          }),
          8,
        ),
      ),
    );
    expect(h.tensors.map((t) => [t.name, t.begin, t.end])).toEqual([
      ['empty', 0, 0],
      ['s', 0, 8],
      ['wide', 8, 8],
      ['last', 8, 8],
    ]);
    const empty = await readHeader(source(stFile('{}')));
    expect(empty.tensors).toEqual([]);
    expect(empty.dataStart).toBe(10);
    const allEmpty = await readHeader(source(stFile(header({ e: tensor('I64', [5, 0], 0, 0) }))));
    expect(allEmpty.tensors).toHaveLength(1);
  });

  it('accepts every dtype of the format at its size', async () => {
    const sizes = { BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8 };
    let offset = 0;
    const entries: Record<string, unknown> = {};
    for (const [dtype, size] of Object.entries(sizes)) {
      entries[`t.${dtype}`] = tensor(dtype, [3], offset, offset + 3 * size);
      offset += 3 * size;
    }
    const h = await readHeader(source(stFile(header(entries), offset)));
    expect(h.tensors.map((t) => t.dtype)).toEqual(Object.keys(sizes));
  });

  it('parseHeaderBytes validates header bytes against a file size', () => {
    const bytes = new TextEncoder().encode(header({ w: tensor('F32', [2], 0, 8) }));
    expect(parseHeaderBytes(bytes, 'x', 8 + bytes.byteLength + 8).tensors).toHaveLength(1);
    expect(() => parseHeaderBytes(bytes, 'x', 8 + bytes.byteLength + 4)).toThrow(/^x: .*truncated/);
  });
});
