// The streaming writer: layouts, shard naming and the index, checked by reading the files back with
// openCheckpoint (round trip), and the writer's refusals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../checkpoint/checkpoint.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { INDEX_FILE, layoutFiles, SafetensorsWriter, SINGLE_FILE, type TensorSpec } from './writer.ts';
import { mulberry32 } from '../testing/random.ts';

const SIZE = { BF16: 2, F16: 2, F32: 4, I64: 8, U8: 1 } as const;
type Dtype = keyof typeof SIZE;
interface Spec extends TensorSpec {
  readonly dtype: Dtype;
}

const byteLength = (t: Spec) => t.shape.reduce((n, d) => n * d, 1) * SIZE[t.dtype];

/** Uniform in [0, 1), deterministic: for tensor bytes and chunk splits. */
function rng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 2 ** 32;
}

function randomBytes(n: number, next: () => number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

/** How the caller treats zero-byte tensors: writes an empty chunk, leaves them out, or either. */
type EmptyStyle = 'write' | 'skip' | 'mixed';

/** Writes `tensors` (random bytes, random chunk splits) into a MemoryFolder; returns the bytes written. */
async function writeCheckpoint(tensors: readonly Spec[], shardSize: number, seed: number, empty: EmptyStyle = 'mixed') {
  const next = rng(seed);
  const layout = layoutFiles(tensors, { shardSize });
  const folder = new MemoryFolder('out');
  const writer = new SafetensorsWriter(layout, folder);
  const data = new Map<string, Uint8Array>();
  for (const t of tensors) {
    const bytes = randomBytes(byteLength(t), next);
    data.set(t.name, bytes);
    if (bytes.byteLength === 0) {
      if (empty === 'write' || (empty === 'mixed' && next() < 0.5)) await writer.write(t.name, bytes);
      continue;
    }
    // Chunks of random sizes (sometimes empty), passed as views into a larger buffer.
    let at = 0;
    while (at < bytes.byteLength) {
      const size = next() < 0.1 ? 0 : 1 + Math.floor(next() * (bytes.byteLength - at));
      const backing = new Uint8Array(size + 5);
      backing.set(bytes.subarray(at, at + size), 3);
      await writer.write(t.name, backing.subarray(3, 3 + size));
      at += size;
    }
  }
  await writer.finish();
  await folder.commit();
  return { layout, folder, data };
}

/** The JSON header of a safetensors file, checking its length prefix and padding. */
function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  expect(n % 8, 'header length is a multiple of 8').toBe(0);
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  expect(text).toMatch(/^\{.*\} *$/s);
  return JSON.parse(text) as Record<string, unknown>;
}

const nameArb = fc.stringMatching(/^[a-z][a-z0-9_.]{0,10}$/);
const specArb = fc.record({
  name: nameArb,
  dtype: fc.constantFrom<Dtype>('BF16', 'F16', 'F32', 'I64', 'U8'),
  shape: fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(0)), { maxLength: 3 }),
});
const tensorsArb = fc.uniqueArray(specArb, { selector: (t) => t.name, maxLength: 10 });

describe('SafetensorsWriter round trip', () => {
  it('openCheckpoint reads back the same tensors, bytes and order, in a well-formed layout', async () => {
    await fc.assert(
      fc.asyncProperty(
        tensorsArb,
        fc.integer({ min: 1, max: 200 }),
        fc.integer(),
        fc.constantFrom<EmptyStyle>('write', 'skip', 'mixed'),
        async (tensors, shardSize, seed, empty) => {
          const { layout, folder, data } = await writeCheckpoint(tensors, shardSize, seed, empty);
          const n = layout.shards.length;
          const total = tensors.reduce((s, t) => s + byteLength(t), 0);

          // File names.
          const shardNames = n === 1 ? [SINGLE_FILE] : Array.from({ length: n }, (_, k) => `model-${String(k + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`);
          expect(layout.shards.map((s) => s.file)).toEqual(shardNames);
          expect(await folder.list()).toEqual(n === 1 ? [SINGLE_FILE] : [...shardNames, INDEX_FILE].sort());
          if (n === 1) expect(shardNames[0]).toBe('model.safetensors');
          else expect(shardNames[n - 1]).toMatch(/^model-\d{5}-of-\d{5}\.safetensors$/);

          // Headers: padded to 8 bytes, __metadata__ with format "pt", data of the announced size.
          const shardOf = new Map<string, string>();
          for (const file of shardNames) {
            const bytes = folder.files.get(file)!;
            const h = headerOf(bytes);
            expect(h['__metadata__']).toEqual({ format: 'pt' });
            for (const name of Object.keys(h)) if (name !== '__metadata__') shardOf.set(name, file);
          }
          expect(new Set(shardOf.keys())).toEqual(new Set(tensors.map((t) => t.name)));

          // The index.
          expect(layout.totalSize).toBe(total);
          if (n === 1) {
            expect(layout.index).toBeNull();
          } else {
            const index = JSON.parse(new TextDecoder().decode(folder.files.get(INDEX_FILE))) as { metadata: { total_size: number }; weight_map: Record<string, string> };
            expect(index.metadata.total_size).toBe(total);
            expect(index.weight_map).toEqual(Object.fromEntries(shardOf));
          }

          // Shard sizes: within the limit unless one tensor alone exceeds it; no shard split early.
          const shardTensors = layout.shards.map((s) => s.tensors.map((t) => tensors.find((x) => x.name === t.name)!));
          expect(shardTensors.flat().map((t) => t.name)).toEqual(tensors.map((t) => t.name));
          shardTensors.forEach((group, k) => {
            const size = group.reduce((s, t) => s + byteLength(t), 0);
            expect(layout.shards[k]!.dataSize).toBe(size);
            if (n > 1) expect(group.length).toBeGreaterThan(0);
            if (size > shardSize) expect(group.filter((t) => byteLength(t) > 0)).toHaveLength(1);
            const following = shardTensors[k + 1];
            if (following) {
              expect(size).toBeGreaterThan(0);
              expect(size + byteLength(following[0]!)).toBeGreaterThan(shardSize);
            }
          });

          // Read back.
          const ckpt = await openCheckpoint(folder);
          expect([...ckpt.tensors.keys()]).toEqual(tensors.map((t) => t.name));
          expect(ckpt.shards.map((s) => s.file)).toEqual(shardNames);
          for (const t of tensors) {
            const loc = ckpt.tensors.get(t.name)!;
            expect(loc.shard.file).toBe(shardOf.get(t.name));
            expect(loc.info.dtype).toBe(t.dtype);
            expect(loc.info.shape).toEqual(t.shape);
            const bytes = await loc.shard.source.read(loc.shard.header.dataStart + loc.info.begin, loc.info.end - loc.info.begin);
            expect(bytes).toEqual(data.get(t.name));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('writes one model.safetensors when everything fits', async () => {
    const tensors: Spec[] = [
      { name: 'a', dtype: 'U8', shape: [8] },
      { name: 'b', dtype: 'U8', shape: [8] },
    ];
    const { folder, layout } = await writeCheckpoint(tensors, 16, 1);
    expect(await folder.list()).toEqual(['model.safetensors']);
    expect(layout.index).toBeNull();
    const split = await writeCheckpoint(tensors, 15, 1);
    expect(await split.folder.list()).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', INDEX_FILE]);
  });

  it('gives a tensor larger than the shard size a shard of its own', async () => {
    const tensors: Spec[] = [
      { name: 'a', dtype: 'U8', shape: [4] },
      { name: 'big', dtype: 'F32', shape: [10] },
      { name: 'c', dtype: 'U8', shape: [4] },
      { name: 'd', dtype: 'U8', shape: [4] },
    ];
    const { layout, folder } = await writeCheckpoint(tensors, 16, 2);
    expect(layout.shards.map((s) => [s.file, s.tensors.map((t) => t.name), s.dataSize])).toEqual([
      ['model-00001-of-00003.safetensors', ['a'], 4],
      ['model-00002-of-00003.safetensors', ['big'], 40],
      ['model-00003-of-00003.safetensors', ['c', 'd'], 8],
    ]);
    const index = JSON.parse(new TextDecoder().decode(folder.files.get(INDEX_FILE))) as unknown;
    expect(index).toEqual({
      metadata: { total_size: 52 },
      weight_map: { a: 'model-00001-of-00003.safetensors', big: 'model-00002-of-00003.safetensors', c: 'model-00003-of-00003.safetensors', d: 'model-00003-of-00003.safetensors' },
    });
    // First in the list, too.
    const first = layoutFiles(tensors.slice(1), { shardSize: 16 });
    expect(first.shards.map((s) => s.tensors.map((t) => t.name))).toEqual([['big'], ['c', 'd']]);
  });

  it('handles zero-byte tensors first, between shards and last, written or left out', async () => {
    const tensors: Spec[] = [
      { name: 'e0', dtype: 'F32', shape: [0] },
      { name: 'big', dtype: 'U8', shape: [8] },
      { name: 'e1', dtype: 'BF16', shape: [2, 0] },
      { name: 'x', dtype: 'U8', shape: [2] },
      { name: 'e2', dtype: 'I64', shape: [0, 3] },
    ];
    for (const style of ['write', 'skip'] as const) {
      const { layout, folder } = await writeCheckpoint(tensors, 4, 3, style);
      expect(layout.shards.map((s) => s.tensors.map((t) => t.name))).toEqual([['e0', 'big'], ['e1', 'x', 'e2']]);
      const ckpt = await openCheckpoint(folder);
      expect([...ckpt.tensors.keys()]).toEqual(tensors.map((t) => t.name));
    }
    // A shard of empty tensors only, after an oversized one.
    const trailing: Spec[] = [
      { name: 'big', dtype: 'U8', shape: [8] },
      { name: 'e', dtype: 'F16', shape: [0] },
    ];
    const { folder } = await writeCheckpoint(trailing, 4, 4, 'skip');
    expect(await folder.list()).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', INDEX_FILE]);
    expect([...(await openCheckpoint(folder)).tensors.keys()]).toEqual(['big', 'e']);
    // Nothing at all.
    const none = await writeCheckpoint([], 4, 5);
    expect(await none.folder.list()).toEqual([SINGLE_FILE]);
    expect((await openCheckpoint(none.folder)).tensors.size).toBe(0);
  });

  it('writes extra metadata beside format "pt", and headers the reference can parse', async () => {
    const layout = layoutFiles([{ name: 'w', dtype: 'F32', shape: [3] }], { metadata: { source: 'test' } });
    const h = headerOf(layout.shards[0]!.header);
    expect(h).toEqual({ __metadata__: { format: 'pt', source: 'test' }, w: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } });
    expect(layout.shards[0]!.header.byteLength % 8).toBe(0);
  });
});

describe('SafetensorsWriter refusals', () => {
  const specs: Spec[] = [
    { name: 'a', dtype: 'U8', shape: [4] },
    { name: 'b', dtype: 'F16', shape: [2] },
  ];
  const writer = () => new SafetensorsWriter(layoutFiles(specs), new MemoryFolder('out'));

  it('rejects tensors out of layout order', async () => {
    await expect(writer().write('b', new Uint8Array(4))).rejects.toThrow('expected bytes of "a", got "b"');
    await expect(writer().write('nope', new Uint8Array(1))).rejects.toThrow('expected bytes of "a", got "nope"');
    const w = writer();
    await w.write('a', new Uint8Array(2));
    await expect(w.write('b', new Uint8Array(4))).rejects.toThrow('expected bytes of "a"'); // a unfinished
    await w.write('a', new Uint8Array(2));
    await expect(w.write('a', new Uint8Array(1))).rejects.toThrow('expected bytes of "b", got "a"'); // a done
  });

  it('rejects more bytes than the tensor holds', async () => {
    await expect(writer().write('a', new Uint8Array(5))).rejects.toThrow('"a" would get 5 bytes, expects 4');
    const w = writer();
    await w.write('a', new Uint8Array(3));
    await expect(w.write('a', new Uint8Array(2))).rejects.toThrow('would get 5 bytes');
  });

  it('rejects writes after the last tensor', async () => {
    const w = writer();
    await w.write('a', new Uint8Array(4));
    await w.write('b', new Uint8Array(4));
    expect(w.expected).toBeNull();
    await expect(w.write('b', new Uint8Array(1))).rejects.toThrow('after the last tensor');
  });

  it('refuses to finish with a tensor missing or partly written', async () => {
    const w = writer();
    await w.write('a', new Uint8Array(4));
    expect(w.expected?.name).toBe('b');
    await expect(w.finish()).rejects.toThrow('"b" was never written');
    const partial = writer();
    await partial.write('a', new Uint8Array(4));
    await partial.write('b', new Uint8Array(1));
    await expect(partial.finish()).rejects.toThrow('"b"');
  });

  it('layoutFiles rejects duplicate names and a non-positive shard size', () => {
    expect(() => layoutFiles([specs[0]!, specs[0]!])).toThrow('"a" is listed twice');
    expect(() => layoutFiles(specs, { shardSize: 0 })).toThrow(RangeError);
    expect(() => layoutFiles(specs, { shardSize: Number.NaN })).toThrow(RangeError);
  });
});
