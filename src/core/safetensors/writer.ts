/**
 * Streaming safetensors writer: the layout (shards, headers, offsets) is fixed up front from the
 * tensor list, then tensor bytes are streamed in layout order through a `FolderSink`, which makes
 * the files appear atomically on commit.
 */
import { dtypeSize, type SafetensorsDtype } from '../dtype.ts';
import type { ByteSink, FolderSink } from '../io/bytes.ts';
import { numElements, type TensorInfo } from './header.ts';

export const DEFAULT_SHARD_SIZE = 2_000_000_000;
export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export interface TensorSpec {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
}

export interface ShardFile {
  readonly file: string;
  readonly header: Uint8Array; // the 8-byte length prefix and the padded JSON
  readonly tensors: readonly TensorInfo[];
  readonly dataSize: number;
}

export interface FileLayout {
  readonly shards: readonly ShardFile[];
  /** Sum of the tensors' byte lengths (the index's `metadata.total_size`). */
  readonly totalSize: number;
  /** The JSON of `model.safetensors.index.json`, or null for a single file. */
  readonly index: string | null;
}

export function tensorByteLength(t: TensorSpec): number {
  return numElements(t.shape) * dtypeSize(t.dtype);
}

export function shardFileName(k: number, n: number): string {
  const pad = (x: number) => String(x).padStart(5, '0');
  return `model-${pad(k)}-of-${pad(n)}.safetensors`;
}

/**
 * Splits `tensors` (in the given order) into shards of at most `shardSize` data bytes — a tensor
 * larger than that gets a shard of its own — and builds every header.
 */
export function layoutFiles(
  tensors: readonly TensorSpec[],
  options: { shardSize?: number; metadata?: Record<string, string> } = {},
): FileLayout {
  const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
  if (!(shardSize > 0)) throw new RangeError(`shard size must be positive, got ${shardSize}`);
  const metadata = { format: 'pt', ...options.metadata };
  const seen = new Set<string>();
  const groups: TensorSpec[][] = [[]];
  let current = 0;
  for (const t of tensors) {
    if (seen.has(t.name)) throw new Error(`tensor "${t.name}" is listed twice`);
    seen.add(t.name);
    const bytes = tensorByteLength(t);
    if (current > 0 && current + bytes > shardSize) {
      groups.push([]);
      current = 0;
    }
    groups.at(-1)!.push(t);
    current += bytes;
  }
  const single = groups.length === 1;
  const shards = groups.map((group, k) => {
    const file = single ? SINGLE_FILE : shardFileName(k + 1, groups.length);
    return buildShard(file, group, metadata);
  });
  const totalSize = shards.reduce((n, s) => n + s.dataSize, 0);
  let index: string | null = null;
  if (!single) {
    const weightMap: Record<string, string> = {};
    for (const s of shards) for (const t of s.tensors) weightMap[t.name] = s.file;
    index = `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`;
  }
  return { shards, totalSize, index };
}

function buildShard(file: string, tensors: readonly TensorSpec[], metadata: Record<string, string>): ShardFile {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const infos: TensorInfo[] = [];
  let offset = 0;
  for (const t of tensors) {
    const end = offset + tensorByteLength(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] };
    infos.push({ name: t.name, dtype: t.dtype, shape: t.shape, begin: offset, end });
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8; // pad with spaces to 8 bytes, as the reference does
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8 + json.byteLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return { file, header: bytes, tensors: infos, dataSize: offset };
}

/**
 * Writes tensor bytes in layout order. `write(name, bytes)` may be called several times per tensor
 * (chunk by chunk); every tensor must be completed, in order, before `finish`.
 */
export class SafetensorsWriter {
  private shardIndex = -1;
  private tensorIndex = 0;
  private written = 0; // bytes of the current tensor
  private sink: ByteSink | null = null;

  constructor(
    readonly layout: FileLayout,
    private readonly folder: FolderSink,
  ) {}

  /**
   * The tensor that the next `write` must belong to, or null when all are written. Zero-byte
   * tensors need no bytes: a `write` for a later tensor passes over them.
   */
  get expected(): TensorInfo | null {
    return this.nextPosition()?.tensor ?? null;
  }

  /**
   * Appends bytes of tensor `name`. A zero-byte tensor may be written (with an empty chunk, as the
   * merge executor does) or left out (as `writeFamilyMember` does); either way the order holds.
   */
  async write(name: string, bytes: Uint8Array): Promise<void> {
    let skip = 0;
    let pos = this.nextPosition();
    while (this.written === 0 && pos && pos.tensor.name !== name && isEmpty(pos.tensor)) {
      skip++;
      pos = this.position(this.tensorIndex + skip);
    }
    if (!pos) throw new Error(`writer: "${name}" written after the last tensor`);
    if (pos.tensor.name !== name) throw new Error(`writer: expected bytes of "${pos.tensor.name}", got "${name}"`);
    const length = pos.tensor.end - pos.tensor.begin;
    if (this.written + bytes.byteLength > length) {
      throw new Error(`writer: "${name}" would get ${this.written + bytes.byteLength} bytes, expects ${length}`);
    }
    this.tensorIndex += skip;
    if (pos.shard !== this.shardIndex) await this.openShard(pos.shard);
    await this.sink!.write(bytes);
    this.written += bytes.byteLength;
    if (this.written === length) {
      this.tensorIndex++;
      this.written = 0;
    }
  }

  /** Closes the last shard and writes the index; the caller commits the folder. */
  async finish(): Promise<void> {
    while (this.nextPosition() && isEmpty(this.nextPosition()!.tensor)) this.tensorIndex++;
    if (this.nextPosition()) throw new Error(`writer: "${this.nextPosition()!.tensor.name}" was never written`);
    while (this.shardIndex < this.layout.shards.length - 1) await this.openShard(this.shardIndex + 1);
    await this.sink?.close();
    this.sink = null;
    if (this.layout.index !== null) {
      const sink = await this.folder.create(INDEX_FILE);
      await sink.write(new TextEncoder().encode(this.layout.index));
      await sink.close();
    }
  }

  private nextPosition(): { shard: number; tensor: TensorInfo } | null {
    return this.position(this.tensorIndex);
  }

  /** The shard and tensor at position `k` of the layout order. */
  private position(k: number): { shard: number; tensor: TensorInfo } | null {
    for (let s = 0; s < this.layout.shards.length; s++) {
      const tensors = this.layout.shards[s]!.tensors;
      if (k < tensors.length) return { shard: s, tensor: tensors[k]! };
      k -= tensors.length;
    }
    return null;
  }

  private async openShard(shard: number): Promise<void> {
    await this.sink?.close();
    this.sink = null;
    // Shards skipped over hold only empty tensors: write their headers too.
    for (let s = this.shardIndex + 1; s <= shard; s++) {
      const sink = await this.folder.create(this.layout.shards[s]!.file);
      await sink.write(this.layout.shards[s]!.header);
      if (s < shard) await sink.close();
      else this.sink = sink;
    }
    this.shardIndex = shard;
  }
}

function isEmpty(t: TensorInfo): boolean {
  return t.end === t.begin;
}
