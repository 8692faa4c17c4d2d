// openCheckpoint: single files, sharded folders and their index errors (each naming the file and
// the tensor at fault), on folders of hand-built safetensors files; and blobSource over Node Blobs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blobSource, MemoryFolder, type ByteSource, type FolderSource } from '../io/bytes.ts';
import { SafetensorsError, type SafetensorsErrorCode } from '../safetensors/errors.ts';
import { readHeader } from '../safetensors/header.ts';
import { CheckpointError, openCheckpoint } from './checkpoint.ts';

const SIZE: Record<string, number> = { BF16: 2, F16: 2, F32: 4, I64: 8, U8: 1 };
const S1 = 'model-00001-of-00002.safetensors';
const S2 = 'model-00002-of-00002.safetensors';
const INDEX = 'model.safetensors.index.json';

/** A safetensors file `[u64 LE len][json][data]` holding `tensors` (name → [dtype, shape]), data = byte index. */
function stFile(tensors: Record<string, [string, number[]]>, options: { truncate?: number } = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, [dtype, shape]] of Object.entries(tensors)) {
    const end = offset + shape.reduce((n, d) => n * d, 1) * SIZE[dtype]!;
    header[name] = { dtype, shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const size = 8 + json.byteLength + offset - (options.truncate ?? 0);
  const out = new Uint8Array(size).map((_, i) => i & 0xff);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);
const indexFile = (weightMap: Record<string, unknown>) => text(JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));

function folderOf(files: Record<string, Uint8Array>, name = 'ckpt'): MemoryFolder {
  const folder = new MemoryFolder(name);
  for (const [file, bytes] of Object.entries(files)) folder.files.set(file, bytes);
  return folder;
}

async function failure(folder: FolderSource): Promise<Error> {
  const err = await openCheckpoint(folder).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

/** Asserts a SafetensorsError with `code` whose message names `file` and every string in `named`. */
async function expectError(folder: FolderSource, code: SafetensorsErrorCode, file: string, ...named: string[]): Promise<SafetensorsError> {
  const err = await failure(folder);
  expect(err).toBeInstanceOf(SafetensorsError);
  const e = err as SafetensorsError;
  expect(e.code, e.message).toBe(code);
  expect(e.file).toBe(file);
  expect(e.message).toContain(file);
  for (const s of named) expect(e.message).toContain(s);
  return e;
}

const indexPath = `ckpt/${INDEX}`;

describe('openCheckpoint', () => {
  it('opens a single model.safetensors with its config', async () => {
    const ckpt = await openCheckpoint(
      folderOf({
        'config.json': text('{"model_type": "qwen2", "tie_word_embeddings": false}'),
        'model.safetensors': stFile({ 'model.embed_tokens.weight': ['BF16', [4, 2]], 'lm_head.weight': ['BF16', [4, 2]] }),
        'tokenizer.json': text('{}'),
      }),
    );
    expect(ckpt.name).toBe('ckpt');
    expect(ckpt.files).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(ckpt.config).toEqual({ model_type: 'qwen2', tie_word_embeddings: false });
    expect(ckpt.shards.map((s) => s.file)).toEqual(['model.safetensors']);
    expect(ckpt.shards[0]!.source.name).toBe('ckpt/model.safetensors');
    expect([...ckpt.tensors.keys()]).toEqual(['model.embed_tokens.weight', 'lm_head.weight']);
    expect(ckpt.tiedEmbeddings).toBe(false);
  });

  it('opens shards through the index, in index order', async () => {
    const ckpt = await openCheckpoint(
      folderOf({
        [INDEX]: indexFile({ a: S1, b: S1, c: S2 }),
        [S1]: stFile({ a: ['F32', [2]], b: ['U8', [0]] }),
        [S2]: stFile({ c: ['I64', [1, 3]] }),
      }),
    );
    expect(ckpt.shards.map((s) => s.file)).toEqual([S1, S2]);
    expect([...ckpt.tensors].map(([name, loc]) => [name, loc.shard.file])).toEqual([
      ['a', S1],
      ['b', S1],
      ['c', S2],
    ]);
  });

  it('without an index, reads every top-level .safetensors file', async () => {
    const ckpt = await openCheckpoint(folderOf({ 'b.safetensors': stFile({ y: ['U8', [1]] }), 'a.safetensors': stFile({ x: ['U8', [1]] }), 'sub/c.safetensors': stFile({ z: ['U8', [1]] }) }));
    expect([...ckpt.tensors.keys()]).toEqual(['x', 'y']);
  });

  it('NO_WEIGHTS: a folder without safetensors files', async () => {
    const cases: Record<string, Uint8Array>[] = [{}, { 'config.json': text('{}') }, { 'sub/model.safetensors': stFile({}), 'pytorch_model.bin': new Uint8Array(8) }];
    for (const files of cases) {
      const err = await failure(folderOf(files));
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as CheckpointError).code).toBe('NO_WEIGHTS');
      expect(err.message).toMatch(/^ckpt: /);
      expect(err.message).toContain('model.safetensors');
    }
  });

  it('INDEX_INVALID: an index that is not JSON, has no weight_map, or names a file elsewhere', async () => {
    const shard = stFile({ w: ['F32', [1]] });
    await expectError(folderOf({ [INDEX]: text('{"weight_map": {'), [S1]: shard }), 'INDEX_INVALID', indexPath, 'not valid JSON');
    for (const bad of ['null', '[]', '{}', '{"weight_map": []}', '{"weight_map": "x"}', '{"weight_map": null}']) {
      await expectError(folderOf({ [INDEX]: text(bad), [S1]: shard }), 'INDEX_INVALID', indexPath, 'weight_map');
    }
    for (const target of [3, null, '../model-00001-of-00002.safetensors', 'sub/x.safetensors', 'sub\\x.safetensors', 'pytorch_model.bin']) {
      const e = await expectError(folderOf({ [INDEX]: indexFile({ w: S1, 'model.norm.weight': target }), [S1]: shard }), 'INDEX_INVALID', indexPath, '"model.norm.weight"');
      expect(e.tensor).toBe('model.norm.weight');
    }
  });

  it('INDEX_MISSING_SHARD: the index names a shard that is not in the folder', async () => {
    const e = await expectError(
      folderOf({ [INDEX]: indexFile({ a: S1, 'lm_head.weight': S2 }), [S1]: stFile({ a: ['F32', [1]] }) }),
      'INDEX_MISSING_SHARD',
      indexPath,
      S2,
      '"lm_head.weight"',
    );
    expect(e.message).toContain('not in the folder');
  });

  it('INDEX_DUPLICATE_TENSOR: a tensor in two files, with or without an index', async () => {
    const e = await expectError(
      folderOf({ 'a.safetensors': stFile({ x: ['U8', [1]], w: ['F32', [1]] }), 'b.safetensors': stFile({ w: ['F32', [1]] }) }),
      'INDEX_DUPLICATE_TENSOR',
      'ckpt',
      'a.safetensors',
      'b.safetensors',
      '"w"',
    );
    expect(e.tensor).toBe('w');
    const i = await expectError(
      folderOf({ [INDEX]: indexFile({ w: S1, v: S2 }), [S1]: stFile({ w: ['F32', [1]] }), [S2]: stFile({ v: ['U8', [2]], w: ['F32', [1]] }) }),
      'INDEX_DUPLICATE_TENSOR',
      'ckpt',
      S1,
      S2,
      '"w"',
    );
    expect(i.tensor).toBe('w');
  });

  it('INDEX_MISMATCH: a tensor the index does not list', async () => {
    const e = await expectError(
      folderOf({ [INDEX]: indexFile({ w: S1, v: S2 }), [S1]: stFile({ w: ['F32', [1]], extra: ['U8', [1]] }), [S2]: stFile({ v: ['U8', [1]] }) }),
      'INDEX_MISMATCH',
      indexPath,
      '"extra"',
      S1,
      'not in the index',
    );
    expect(e.tensor).toBe('extra');
  });

  it('INDEX_MISMATCH: a tensor the index puts in another shard', async () => {
    const e = await expectError(
      folderOf({ [INDEX]: indexFile({ v: S1, w: S2 }), [S1]: stFile({ v: ['U8', [1]], w: ['F32', [1]] }), [S2]: stFile({ x: ['U8', [1]] }) }),
      'INDEX_MISMATCH',
      indexPath,
      '"w"',
      `is in ${S1} but the index puts it in ${S2}`,
    );
    expect(e.tensor).toBe('w');
  });

  it('INDEX_MISMATCH: a tensor the index lists but no shard holds', async () => {
    const e = await expectError(
      folderOf({ [INDEX]: indexFile({ w: S1, ghost: S2 }), [S1]: stFile({ w: ['F32', [1]] }), [S2]: stFile({}) }),
      'INDEX_MISMATCH',
      indexPath,
      '"ghost"',
      S2,
      'does not hold it',
    );
    expect(e.tensor).toBe('ghost');
  });

  it('reports a bad shard header under the shard name, and closes every file it opened', async () => {
    const files = { [INDEX]: indexFile({ w: S1, v: S2 }), [S1]: stFile({ w: ['F32', [1]] }), [S2]: stFile({ v: ['F32', [4]] }, { truncate: 3 }) };
    const memory = folderOf(files);
    const open = new Set<string>();
    const tracked: FolderSource = {
      name: memory.name,
      list: () => memory.list(),
      async open(file) {
        const source = await memory.open(file);
        if (file.endsWith('.safetensors')) open.add(file);
        return { ...source, close: async () => void open.delete(file) };
      },
    };
    const e = await expectError(tracked, 'METADATA_INCOMPLETE_BUFFER', `ckpt/${S2}`, 'truncated');
    expect(e.file).toBe(`ckpt/${S2}`);
    expect([...open]).toEqual([]);
  });
});

describe('blobSource', () => {
  const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
  const blob = new Blob([bytes]);

  it('reads any range of a Node Blob, into fresh aligned buffers', async () => {
    const source = blobSource(blob, 'upload/model.safetensors');
    expect(source.name).toBe('upload/model.safetensors');
    expect(source.size).toBe(300);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 300 }), fc.nat({ max: 300 }), async (a, b) => {
        const [offset, end] = a <= b ? [a, b] : [b, a];
        const got = await source.read(offset, end - offset);
        expect(got.byteOffset).toBe(0);
        expect(got).toEqual(bytes.slice(offset, end));
      }),
    );
    expect(await source.read(300, 0)).toEqual(new Uint8Array(0));
  });

  it('rejects reads past the end (or before the start), naming the file', async () => {
    const source = blobSource(blob, 'upload/model.safetensors');
    await expect(source.read(299, 2)).rejects.toThrow(RangeError);
    await expect(source.read(299, 2)).rejects.toThrow(/^upload\/model\.safetensors: .*past the end \(300 bytes\)/);
    await expect(source.read(301, 0)).rejects.toThrow(RangeError);
    await expect(source.read(-1, 1)).rejects.toThrow(RangeError);
    await expect(source.read(0, -1)).rejects.toThrow(RangeError);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 400 }), fc.integer({ min: 1, max: 100 }), async (offset, extra) => {
        await expect(source.read(offset, Math.max(0, 300 - offset) + extra)).rejects.toThrow(RangeError);
      }),
      { numRuns: 50 },
    );
  });

  it('serves readHeader and openCheckpoint', async () => {
    const files: Record<string, Uint8Array> = {
      [INDEX]: indexFile({ a: S1, b: S2 }),
      [S1]: stFile({ a: ['BF16', [3, 2]] }),
      [S2]: stFile({ b: ['F16', [5]] }),
    };
    const h = await readHeader(blobSource(new Blob([files[S1]!]), S1));
    expect(h.tensors.map((t) => t.name)).toEqual(['a']);
    const folder: FolderSource = {
      name: 'dropped',
      list: async () => Object.keys(files).sort(),
      open: async (file): Promise<ByteSource> => blobSource(new Blob([files[file]!]), `dropped/${file}`),
    };
    const ckpt = await openCheckpoint(folder);
    const b = ckpt.tensors.get('b')!;
    expect(b.shard.source.name).toBe(`dropped/${S2}`);
    const data = await b.shard.source.read(b.shard.header.dataStart + b.info.begin, b.info.end - b.info.begin);
    expect(data).toEqual(files[S2]!.slice(b.shard.header.dataStart, b.shard.header.dataStart + 10));
  });
});
