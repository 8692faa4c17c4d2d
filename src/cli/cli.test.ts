/**
 * End-to-end tests of the `rvs` CLI: every test spawns the real `node bin/rvs.mjs …` on synthetic
 * checkpoints in a temporary folder and checks exit codes, stdout/stderr and the files on disk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qwen2Tensors, TINY_QWEN2, writeFamilyMember, type FamilyMember, type Qwen2Shape } from '../core/checkpoint/synthetic.ts';
import { decodeToF32, type FloatDtype } from '../core/dtype.ts';
import { createOutputFolder } from '../node/fs-folder.ts';
import { stagingName } from '../node/staging.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/rvs.mjs');

// ---------------------------------------------------------------------------------------------
// Running the CLI

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A preload that runs a full garbage collection when the CLI is about to exit, so that a file
 * handle left open (on an error path, say) is reported on stderr ("Closing file descriptor N on
 * garbage collection") every time rather than by chance; the checks on stderr then catch it.
 */
const GC_AT_EXIT = "process.once('beforeExit', () => { globalThis.gc(); setTimeout(() => {}, 20); });\n";
let gcPreload = '';

function start(args: readonly string[]): ChildProcess {
  // A pipe (not a TTY) for stderr: no progress bar, so stderr holds only messages.
  return spawn(process.execPath, ['--expose-gc', '--import', gcPreload, BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

function finished(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function rvs(...args: string[]): Promise<RunResult> {
  return finished(start(args));
}

/** A write command's success: exit 0, nothing on stdout, only the one-line "wrote …" summary on stderr. */
function expectSuccess(r: RunResult): void {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/^wrote [^\n]*\n$/);
  expect(r.stdout).toBe('');
}

// ---------------------------------------------------------------------------------------------
// Files

let tmp = '';

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** name → sha256 of every file under `dirs` (recursively), keyed by full path. */
async function hashTree(...dirs: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const dir of dirs) {
    for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      out[path] = await sha256(path);
    }
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function stagingFolders(parent: string): Promise<string[]> {
  return (await readdir(parent)).filter((n) => n.startsWith('.rvs-tmp-'));
}

async function writeMember(dir: string, member: FamilyMember, shape: Qwen2Shape = TINY_QWEN2, dtype: FloatDtype = 'BF16', shardSize?: number): Promise<string> {
  await writeFamilyMember({ shape, dtype, member, out: await createOutputFolder(dir), ...(shardSize === undefined ? {} : { shardSize }) });
  return dir;
}

interface Safetensors {
  readonly header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  readonly data: Buffer;
}

function parseSafetensors(bytes: Buffer): Safetensors {
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')), data: bytes.subarray(8 + n) };
}

/** name → the tensor's bytes, for every tensor of every .safetensors file in `dir`. */
async function tensorBytes(dir: string): Promise<Map<string, { dtype: string; shape: number[]; bytes: Buffer }>> {
  const out = new Map<string, { dtype: string; shape: number[]; bytes: Buffer }>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.safetensors')).sort()) {
    const { header, data } = parseSafetensors(await readFile(join(dir, file)));
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const { dtype, shape, data_offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
      expect(out.has(name), `${name} twice`).toBe(false);
      out.set(name, { dtype, shape, bytes: data.subarray(data_offsets[0], data_offsets[1]) });
    }
  }
  return out;
}

function decode(dtype: string, bytes: Buffer): Float32Array {
  const count = bytes.byteLength / (dtype === 'F32' ? 4 : 2);
  const copy = new Uint8Array(bytes); // aligned
  const out = new Float32Array(count);
  decodeToF32(dtype as FloatDtype, copy, count, out);
  return out;
}

/**
 * Rewrites the JSON header of a safetensors file: `edit` changes the parsed header in place; the new
 * header is padded with spaces to a multiple of 8 and the data section is kept byte for byte.
 */
async function rewriteHeader(file: string, edit: (header: Record<string, any>) => void): Promise<void> {
  const { header, data } = parseSafetensors(await readFile(file));
  edit(header);
  await writeRawHeader(file, JSON.stringify(header), data);
}

async function writeRawHeader(file: string, text: string, data?: Buffer): Promise<void> {
  data ??= parseSafetensors(await readFile(file)).data;
  const json = Buffer.from(text, 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(padded));
  await writeFile(file, Buffer.concat([prefix, json, Buffer.alloc(padded - json.byteLength, 0x20), data]));
}

/** Overwrites the 8-byte header length and nothing else. */
async function setHeaderLength(file: string, n: bigint): Promise<void> {
  const bytes = await readFile(file);
  bytes.writeBigUInt64LE(n, 0);
  await writeFile(file, bytes);
}

/** Tensor entries of a header, in data order. */
function byOffset(header: Record<string, any>): [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][] {
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0]);
}

// ---------------------------------------------------------------------------------------------
// Fixtures, built once

/** The tiny family (BF16, one file each) and a sharded copy of the SFT checkpoint. */
const tiny = { sft: '', grpo: '', target: '', shardedSft: '' };
const TINY_TENSORS = qwen2Tensors(TINY_QWEN2, 'BF16');
const TINY_PARAMETERS = TINY_TENSORS.reduce((n, t) => n + t.shape.reduce((a, d) => a * d, 1), 0);

/** 21 M parameters (43 MB in BF16): the CPU merge itself takes ~0.5 s here, the window for SIGINT. */
const BIG_SHAPE: Qwen2Shape = { vocabSize: 5000, hiddenSize: 256, intermediateSize: 3072, numLayers: 8, numHeads: 8, numKvHeads: 2, tiedEmbeddings: true };
const big = { sft: '', grpo: '', target: '' };

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rvs-cli-test-'));
  gcPreload = join(tmp, 'gc-at-exit.mjs');
  await writeFile(gcPreload, GC_AT_EXIT);
  const fam = join(tmp, 'family');
  tiny.sft = await writeMember(join(fam, 'sft'), 'sft');
  tiny.grpo = await writeMember(join(fam, 'grpo'), 'grpo');
  tiny.target = await writeMember(join(fam, 'target'), 'target');
  tiny.shardedSft = await writeMember(join(fam, 'sft-sharded'), 'sft', TINY_QWEN2, 'BF16', 10_000);
  const b = join(tmp, 'big');
  big.sft = await writeMember(join(b, 'sft'), 'sft', BIG_SHAPE);
  big.grpo = await writeMember(join(b, 'grpo'), 'grpo', BIG_SHAPE);
  big.target = await writeMember(join(b, 'target'), 'target', BIG_SHAPE);
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A fresh, empty parent folder for an --out, so that staging leftovers are easy to see. */
async function outIn(name: string): Promise<string> {
  const parent = join(tmp, 'out', name);
  await mkdir(parent, { recursive: true });
  return join(parent, 'result');
}

const ALPHA = '0.7';

// ---------------------------------------------------------------------------------------------

describe.concurrent('rvs happy paths', () => {
  it('inspect prints the architecture, parameter count and tied embeddings', async ({ expect }) => {
    const r = await rvs('inspect', tiny.target);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^architecture\s+Qwen2ForCausalLM$/m);
    // 23,360 parameters: "(23.4K)", not "(0.000 B)".
    expect(TINY_PARAMETERS).toBe(23_360);
    expect(r.stdout).toMatch(/^parameters\s+23,360 \(23\.4K\)$/m);
    expect(r.stdout).toMatch(/^tied embedding yes$/m);
    expect(r.stdout).toMatch(new RegExp(`^tensors\\s+${TINY_TENSORS.length}$`, 'm'));
  });

  it('inspect --json gives the same facts as JSON', async ({ expect }) => {
    const r = await rvs('inspect', '--json', tiny.shardedSft);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout);
    expect(s.architecture).toBe('Qwen2ForCausalLM');
    expect(s.modelType).toBe('qwen2');
    expect(s.parameters).toBe(TINY_PARAMETERS);
    expect(s.tensors).toBe(TINY_TENSORS.length);
    expect(s.tiedEmbeddings).toBe(true);
    expect(s.dtypes).toEqual({ BF16: TINY_TENSORS.length });
    expect(s.shards.length).toBeGreaterThan(1);
    expect(s.bytes).toBe(s.shards.reduce((n: number, x: { bytes: number }) => n + x.bytes, 0));
  });

  it('merge --backend cpu writes model.safetensors and config.json', async ({ expect }) => {
    const out = await outIn('merge-single');
    const r = await rvs('merge', '--backend', 'cpu', '--sft', tiny.sft, '--grpo', tiny.grpo, '--target', tiny.target, '--alpha', ALPHA, '--out', out);
    expectSuccess(r);
    expect(r.stderr).toMatch(new RegExp(`^wrote ${out}: ${TINY_TENSORS.length} tensors, .* in 1 file \\(.*cpu[^\n]*\\)\\n$`));
    expect((await readdir(out)).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(await readFile(join(out, 'config.json'), 'utf8')).toBe(await readFile(join(tiny.target, 'config.json'), 'utf8'));
    expect(await stagingFolders(dirname(out))).toEqual([]);
    const tensors = await tensorBytes(out);
    expect([...tensors.keys()]).toEqual(TINY_TENSORS.map((t) => t.name));
    for (const t of TINY_TENSORS) {
      expect(tensors.get(t.name)!.dtype).toBe('BF16'); // dtype auto keeps the target's
      expect(tensors.get(t.name)!.shape).toEqual(t.shape);
    }
    // The merge actually moved the weights, by about α·(g − s), not more.
    const target = await tensorBytes(tiny.target);
    const name = 'model.layers.1.mlp.up_proj.weight';
    const before = decode('BF16', target.get(name)!.bytes);
    const after = decode('BF16', tensors.get(name)!.bytes);
    let changed = 0;
    for (let i = 0; i < before.length; i++) {
      if (before[i] !== after[i]) changed++;
      expect(Math.abs(after[i]! - before[i]!)).toBeLessThan(0.01);
    }
    expect(changed).toBeGreaterThan(0);
  });

  it('merge --shard-size 20KB writes shards and an index', async ({ expect }) => {
    const out = await outIn('merge-sharded');
    const r = await rvs('merge', '--backend', 'cpu', '--sft', tiny.sft, '--grpo', tiny.grpo, '--target', tiny.target, '--alpha', ALPHA, '--shard-size', '20KB', '--out', out);
    expectSuccess(r);
    const files = (await readdir(out)).sort();
    const shards = files.filter((f) => f.endsWith('.safetensors'));
    expect(shards.length).toBeGreaterThan(1);
    shards.forEach((f, k) => expect(f).toBe(`model-${String(k + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`));
    expect(files).toEqual(['config.json', ...shards, 'model.safetensors.index.json'].sort());
    const index = JSON.parse(await readFile(join(out, 'model.safetensors.index.json'), 'utf8'));
    expect(Object.keys(index.weight_map).sort()).toEqual(TINY_TENSORS.map((t) => t.name).sort());
    let total = 0;
    for (const shard of shards) {
      const { header, data } = parseSafetensors(await readFile(join(out, shard)));
      expect(data.byteLength).toBeLessThanOrEqual(20_000);
      total += data.byteLength;
      for (const name of Object.keys(header).filter((k) => k !== '__metadata__')) expect(index.weight_map[name]).toBe(shard);
    }
    expect(index.metadata.total_size).toBe(total);
    // The same tensor bytes as a single-file merge.
    const single = await outIn('merge-sharded-single');
    expectSuccess(await rvs('merge', '--backend', 'cpu', '--sft', tiny.sft, '--grpo', tiny.grpo, '--target', tiny.target, '--alpha', ALPHA, '--out', single));
    const a = await tensorBytes(out);
    const b = await tensorBytes(single);
    for (const [name, t] of b) expect(a.get(name)!.bytes.equals(t.bytes), name).toBe(true);
  });

  it('extract then apply --alpha A gives exactly the bytes of merge --alpha A', async ({ expect }) => {
    const vector = await outIn('extract');
    expectSuccess(await rvs('extract', '--backend', 'cpu', '--sft', tiny.sft, '--grpo', tiny.grpo, '--out', vector));
    const v = await tensorBytes(vector);
    expect([...v.values()].every((t) => t.dtype === 'F32')).toBe(true);

    // The vector is v = fround(g − s) exactly (F32 holds the difference of two BF16 values exactly
    // rounded, which is what the fused merge computes in float32 too).
    const s = await tensorBytes(tiny.sft);
    const g = await tensorBytes(tiny.grpo);
    for (const [name, t] of v) {
      const sv = decode('BF16', s.get(name)!.bytes);
      const gv = decode('BF16', g.get(name)!.bytes);
      const vv = decode('F32', t.bytes);
      for (let i = 0; i < vv.length; i++) if (vv[i] !== Math.fround(gv[i]! - sv[i]!)) expect.fail(`${name}[${i}]`);
    }

    // d = fround(g − s) is what both store or compute, so apply ≡ merge for every output dtype.
    for (const dtype of ['f32', 'bf16'] as const) {
      const applied = await outIn(`apply-${dtype}`);
      const merged = await outIn(`merge-${dtype}`);
      const [ra, rm_] = await Promise.all([
        rvs('apply', '--backend', 'cpu', '--target', tiny.target, '--vector', vector, '--alpha', ALPHA, '--dtype', dtype, '--out', applied),
        rvs('merge', '--backend', 'cpu', '--sft', tiny.sft, '--grpo', tiny.grpo, '--target', tiny.target, '--alpha', ALPHA, '--dtype', dtype, '--out', merged),
      ]);
      expectSuccess(ra);
      expectSuccess(rm_);
      const a = await tensorBytes(applied);
      const m = await tensorBytes(merged);
      expect([...a.keys()]).toEqual([...m.keys()]);
      for (const [name, t] of m) {
        expect(t.dtype).toBe(dtype.toUpperCase());
        expect(a.get(name)!.dtype).toBe(t.dtype);
        expect(a.get(name)!.bytes.equals(t.bytes), `${dtype} ${name}`).toBe(true);
      }
    }
  });

  it('stats --json gives one entry per tensor with relative = normV / normRef', async ({ expect }) => {
    const r = await rvs('stats', '--json', '--sft', tiny.sft, '--grpo', tiny.grpo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const { total, tensors } = JSON.parse(r.stdout) as {
      total: { normV: number; normRef: number; relative: number };
      tensors: { name: string; shape: number[]; normV: number; normRef: number; relative: number; maxAbsV: number; zeroFraction: number }[];
    };
    expect(tensors.map((t) => t.name)).toEqual(TINY_TENSORS.map((t) => t.name));
    const s = await tensorBytes(tiny.sft);
    const g = await tensorBytes(tiny.grpo);
    let sumV = 0;
    let sumRef = 0;
    for (const t of tensors) {
      expect(t.relative).toBe(t.normV / t.normRef);
      // Recomputed here from the files, in float64 over float32 differences.
      const sv = decode('BF16', s.get(t.name)!.bytes);
      const gv = decode('BF16', g.get(t.name)!.bytes);
      let v2 = 0;
      let r2 = 0;
      let max = 0;
      for (let i = 0; i < sv.length; i++) {
        const d = Math.fround(gv[i]! - sv[i]!);
        v2 += d * d;
        r2 += sv[i]! * sv[i]!;
        max = Math.max(max, Math.abs(d));
      }
      expect(t.normV).toBeCloseTo(Math.sqrt(v2), 9);
      expect(t.normRef).toBeCloseTo(Math.sqrt(r2), 9);
      expect(t.maxAbsV).toBe(max);
      // (BF16 norm weights sit near 1, where GRPO's small δ is mostly below half an ulp.)
      if (!t.name.includes('norm')) expect(t.normV).toBeGreaterThan(0);
      sumV += v2;
      sumRef += r2;
    }
    expect(total.normV).toBeCloseTo(Math.sqrt(sumV), 9);
    expect(total.normRef).toBeCloseTo(Math.sqrt(sumRef), 9);
    expect(total.relative).toBeCloseTo(Math.sqrt(sumV / sumRef), 12);
  });

  it('merge --stats-json writes, in the same pass, the statistics that stats --json gives', async ({ expect }) => {
    const out = await outIn('merge-stats');
    const file = `${out}.stats.json`;
    expectSuccess(await rvs('merge', '--sft', tiny.sft, '--grpo', tiny.grpo, '--target', tiny.target, '--alpha', ALPHA, '--out', out, '--backend', 'cpu', '--stats-json', file));
    const fromMerge = JSON.parse(await readFile(file, 'utf8')) as { tensors: unknown[] };
    const fromStats = JSON.parse((await rvs('stats', '--json', '--sft', tiny.sft, '--grpo', tiny.grpo)).stdout) as { tensors: unknown[] };
    expect(fromMerge.tensors).toEqual(fromStats.tensors);
  });
});

// ---------------------------------------------------------------------------------------------

interface BadCase {
  readonly name: string;
  /** Corrupts the case's copies of the checkpoints (folders sft, grpo, target). */
  readonly setup?: (dirs: { sft: string; grpo: string; target: string }, out: string) => Promise<void>;
  /** Arguments instead of the default merge (placeholders SFT, GRPO, TARGET, OUT). */
  readonly args?: readonly string[];
  /** Text the message must contain: paths, with placeholders as above. */
  readonly mentions: (dirs: { sft: string; grpo: string; target: string }, out: string) => string[];
}

const MODEL = 'model.safetensors';
const NORM = 'model.layers.0.input_layernorm.weight';

const BAD_CASES: BadCase[] = [
  {
    name: 'truncated shard file',
    setup: async ({ sft }) => {
      const file = join(sft, MODEL);
      await truncate(file, (await stat(file)).size - 100);
    },
    mentions: ({ sft }) => [join(sft, MODEL), 'truncated'],
  },
  {
    name: 'file shorter than the 8-byte header length',
    setup: async ({ grpo }) => writeFile(join(grpo, MODEL), Buffer.from([1, 2, 3])),
    mentions: ({ grpo }) => [join(grpo, MODEL)],
  },
  {
    name: 'header length past the end of the file',
    setup: async ({ target }) => {
      const file = join(target, MODEL);
      await setHeaderLength(file, BigInt((await stat(file)).size));
    },
    mentions: ({ target }) => [join(target, MODEL), 'past the end'],
  },
  {
    name: 'absurd header length',
    setup: async ({ sft }) => setHeaderLength(join(sft, MODEL), 100_000_001n),
    mentions: ({ sft }) => [join(sft, MODEL), '100000001'],
  },
  {
    name: 'absurd header length (over 2^32)',
    setup: async ({ sft }) => setHeaderLength(join(sft, MODEL), 2n ** 40n),
    mentions: ({ sft }) => [join(sft, MODEL)],
  },
  {
    name: 'header not JSON',
    setup: async ({ grpo }) => writeRawHeader(join(grpo, MODEL), '{"model.norm.weight": {"dtype": "BF16", '),
    mentions: ({ grpo }) => [join(grpo, MODEL), 'not JSON'],
  },
  {
    name: 'header not UTF-8',
    setup: async ({ grpo }) => {
      const file = join(grpo, MODEL);
      const bytes = await readFile(file);
      bytes[9] = 0xff; // inside the first key
      await writeFile(file, bytes);
    },
    mentions: ({ grpo }) => [join(grpo, MODEL), 'UTF-8'],
  },
  {
    name: 'overlapping offsets',
    setup: async ({ sft }) =>
      rewriteHeader(join(sft, MODEL), (h) => {
        const [[, first], [, second]] = byOffset(h) as [[string, any], [string, any]];
        second.data_offsets = [first.data_offsets[1] - 2, second.data_offsets[1] - 2];
      }),
    mentions: ({ sft }, _out) => [join(sft, MODEL), 'overlaps'],
  },
  {
    name: 'byte length does not match the shape',
    setup: async ({ target }) =>
      rewriteHeader(join(target, MODEL), (h) => {
        h[NORM].shape = [TINY_QWEN2.hiddenSize + 1];
      }),
    mentions: ({ target }) => [join(target, MODEL), NORM],
  },
  {
    name: 'unknown dtype',
    setup: async ({ grpo }) =>
      rewriteHeader(join(grpo, MODEL), (h) => {
        h[NORM].dtype = 'Q4_K';
      }),
    mentions: ({ grpo }) => [join(grpo, MODEL), NORM, 'Q4_K'],
  },
  {
    name: 'shape mismatch between checkpoints',
    setup: async ({ target }) => {
      await rm(target, { recursive: true });
      await writeMember(target, 'target', { ...TINY_QWEN2, intermediateSize: TINY_QWEN2.intermediateSize + 8 });
    },
    mentions: ({ target }) => [target, 'model.layers.0.mlp.gate_proj.weight', `[${TINY_QWEN2.intermediateSize + 8}, ${TINY_QWEN2.hiddenSize}]`],
  },
  {
    name: 'tensor missing from one checkpoint',
    setup: async ({ grpo }) => {
      // Drop the last tensor in data order, and its bytes: a valid file without it.
      const file = join(grpo, MODEL);
      const { header, data } = parseSafetensors(await readFile(file));
      const [name, info] = byOffset(header).at(-1)!;
      if (name !== 'model.norm.weight') throw new Error(`unexpected last tensor ${name}`);
      delete header[name];
      await writeRawHeader(file, JSON.stringify(header), data.subarray(0, info.data_offsets[0]));
    },
    mentions: ({ grpo }) => [grpo, 'model.norm.weight', 'missing'],
  },
  {
    name: 'stats: shape mismatch between checkpoints',
    setup: async ({ grpo }) => {
      await rm(grpo, { recursive: true });
      await writeMember(grpo, 'grpo', { ...TINY_QWEN2, intermediateSize: TINY_QWEN2.intermediateSize + 8 });
    },
    args: ['stats', '--sft', 'SFT', '--grpo', 'GRPO'],
    mentions: ({ grpo }) => [grpo, 'model.layers.1.mlp.down_proj.weight', `[${TINY_QWEN2.hiddenSize}, ${TINY_QWEN2.intermediateSize + 8}]`],
  },
  {
    name: 'index naming a missing shard',
    setup: async ({ sft }) => {
      await rm(sft, { recursive: true });
      await cp(tiny.shardedSft, sft, { recursive: true });
      const index = JSON.parse(await readFile(join(sft, 'model.safetensors.index.json'), 'utf8'));
      const shard = index.weight_map[NORM] as string;
      await rm(join(sft, shard));
    },
    mentions: ({ sft }) => [join(sft, 'model.safetensors.index.json'), '-of-0000', 'not in the folder'],
  },
  {
    name: 'missing folder',
    args: ['merge', '--backend', 'cpu', '--sft', 'SFT', '--grpo', 'GRPO-nonexistent', '--target', 'TARGET', '--alpha', '1', '--out', 'OUT'],
    mentions: ({ grpo }) => [`${grpo}-nonexistent`, 'no such folder'],
  },
  {
    name: 'folder without weights',
    setup: async ({ target }) => rm(join(target, MODEL)),
    mentions: ({ target }) => [target],
  },
  {
    name: '--out already exists and is not empty',
    setup: async (_dirs, out) => {
      await mkdir(out);
      await writeFile(join(out, 'keep.txt'), 'precious\n');
    },
    mentions: (_dirs, out) => [out, 'already exists'],
  },
  {
    name: '--out inside an input folder',
    args: ['merge', '--backend', 'cpu', '--sft', 'SFT', '--grpo', 'GRPO', '--target', 'TARGET', '--alpha', '1', '--out', 'TARGET/merged'],
    mentions: ({ target }) => [join(target, 'merged'), 'inside the input folder'],
  },
  {
    name: '--out through a symbolic link into an input folder',
    setup: async ({ target }, out) => symlink(target, join(dirname(dirname(out)), 'link')),
    args: ['merge', '--backend', 'cpu', '--sft', 'SFT', '--grpo', 'GRPO', '--target', 'TARGET', '--alpha', '1', '--out', 'BASE/link/merged'],
    mentions: ({ target }) => [join(dirname(target), 'link', 'merged'), 'inside the input folder', target],
  },
  {
    name: '--stats-json into a folder that does not exist',
    args: ['merge', '--backend', 'cpu', '--sft', 'SFT', '--grpo', 'GRPO', '--target', 'TARGET', '--alpha', '1', '--out', 'OUT', '--stats-json', 'BASE/no-such-folder/stats.json'],
    mentions: ({ target }) => [join(dirname(target), 'no-such-folder', 'stats.json'), 'cannot write', 'ENOENT'],
  },
  {
    name: 'a tensor name with CR and an ANSI escape is shown escaped',
    setup: async ({ grpo }) =>
      rewriteHeader(join(grpo, MODEL), (h) => {
        h[`${NORM}\r\u001b[2Kevil`] = { ...h[NORM], dtype: 'Q4_K' };
        delete h[NORM];
      }),
    mentions: ({ grpo }) => [join(grpo, MODEL), `${NORM}\\r\\x1b[2Kevil`, 'Q4_K'],
  },
  {
    name: 'bad usage: unknown option',
    args: ['merge', '--backend', 'cpu', '--sft', 'SFT', '--grpo', 'GRPO', '--target', 'TARGET', '--alpha', '1', '--out', 'OUT', '--bogus'],
    mentions: () => ['--bogus'],
  },
  {
    name: 'bad usage: misspelt option',
    args: ['merge', '--backend', 'cpu', '--sft', 'SFT', '--grpo', 'GRPO', '--target', 'TARGET', '--alpha', '1', '--dtpye', 'f32', '--out', 'OUT'],
    mentions: () => ['--dtpye', 'Did you mean --dtype?'],
  },
  {
    name: 'bad usage: missing --alpha',
    args: ['merge', '--backend', 'cpu', '--sft', 'SFT', '--grpo', 'GRPO', '--target', 'TARGET', '--out', 'OUT'],
    mentions: () => ['--alpha'],
  },
  {
    name: 'bad usage: --alpha abc',
    args: ['apply', '--backend', 'cpu', '--target', 'TARGET', '--vector', 'GRPO', '--alpha', 'abc', '--out', 'OUT'],
    mentions: () => ['--alpha', 'abc'],
  },
  {
    name: 'bad usage: --dtype f8',
    args: ['merge', '--backend', 'cpu', '--sft', 'SFT', '--grpo', 'GRPO', '--target', 'TARGET', '--alpha', '1', '--dtype', 'f8', '--out', 'OUT'],
    mentions: () => ['--dtype', 'f8'],
  },
  {
    name: 'bad usage: --shard-size 0',
    args: ['extract', '--backend', 'cpu', '--sft', 'SFT', '--grpo', 'GRPO', '--shard-size', '0', '--out', 'OUT'],
    mentions: () => ['--shard-size'],
  },
  {
    name: 'bad usage: unknown command',
    args: ['marge', '--out', 'OUT'],
    mentions: () => ['marge'],
  },
];

describe.concurrent('rvs rejects bad input with exit code 2, one line, and no trace on disk', () => {
  for (const c of BAD_CASES) {
    it(c.name, async ({ expect }) => {
      const base = join(tmp, 'bad', c.name.replace(/[^a-z0-9]+/gi, '-'));
      const dirs = { sft: join(base, 'sft'), grpo: join(base, 'grpo'), target: join(base, 'target') };
      await Promise.all([cp(tiny.sft, dirs.sft, { recursive: true }), cp(tiny.grpo, dirs.grpo, { recursive: true }), cp(tiny.target, dirs.target, { recursive: true })]);
      const outParent = join(base, 'outs');
      await mkdir(outParent);
      const out = join(outParent, 'merged');
      await c.setup?.(dirs, out);
      const outExisted = await exists(out);

      const before = await hashTree(base);
      const args = (c.args ?? ['merge', '--backend', 'cpu', '--sft', 'SFT', '--grpo', 'GRPO', '--target', 'TARGET', '--alpha', '0.5', '--out', 'OUT']).map((a) =>
        a.replace(/^SFT/, dirs.sft).replace(/^GRPO/, dirs.grpo).replace(/^TARGET/, dirs.target).replace(/^OUT$/, out).replace(/^BASE/, base),
      );
      const r = await rvs(...args);

      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      // One line; commander may add its own "(Did you mean --alpha?)" hint on a second one.
      const lines = r.stderr.split('\n');
      expect(lines.at(-1), 'stderr ends with a newline').toBe('');
      if (lines.length === 3) expect(lines[1]).toMatch(/^\(Did you mean .*\?\)$/);
      else expect(lines.length, `one line of stderr:\n${r.stderr}`).toBe(2);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr).not.toMatch(/[\r\u001b]/);
      for (const text of c.mentions(dirs, out)) expect(r.stderr).toContain(text);

      // Nothing written, nothing left behind, nothing changed.
      if (outExisted) {
        expect(await readdir(out)).toEqual(['keep.txt']);
      } else {
        expect(await exists(out), 'no output folder').toBe(false);
      }
      expect(await readdir(outParent)).toEqual(outExisted ? ['merged'] : []);
      expect(await stagingFolders(dirs.target)).toEqual([]);
      expect(await hashTree(base)).toEqual(before);
    });
  }
});

// ---------------------------------------------------------------------------------------------

describe('rvs merge, interrupted', () => {
  it('exits 130 on SIGINT and leaves no output and no staging folder', async () => {
    const out = await outIn('interrupted');
    const parent = dirname(out);
    const before = await hashTree(dirname(big.sft));
    const child = start(['merge', '--backend', 'cpu', '--sft', big.sft, '--grpo', big.grpo, '--target', big.target, '--alpha', '1', '--out', out]);
    const done = finished(child);
    // Interrupt as soon as the staging folder appears (the merge is under way), or after 5 s.
    let sentAt = '';
    const interrupt = (why: string) => {
      if (sentAt || child.exitCode !== null) return;
      sentAt = why;
      child.kill('SIGINT');
    };
    const watcher: FSWatcher = watch(parent, (_event, file) => {
      if (file?.startsWith('.rvs-tmp-')) interrupt('staging folder appeared');
    });
    const timer = setTimeout(() => interrupt('timeout'), 5000);
    let r: RunResult;
    try {
      r = await done;
    } finally {
      watcher.close();
      clearTimeout(timer);
    }
    expect(sentAt, `merge finished before it could be interrupted: ${r.stderr}`).toBe('staging folder appeared');
    expect(r.signal).toBe(null);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('cancelled');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
    expect(await exists(out)).toBe(false);
    expect(await readdir(parent)).toEqual([]);
    expect(await hashTree(dirname(big.sft))).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------

describe('rvs at the edges of the machine', () => {
  const mergeArgs = (out: string) => ['merge', '--backend', 'cpu', '--sft', tiny.sft, '--grpo', tiny.grpo, '--target', tiny.target, '--alpha', ALPHA, '--out', out];

  it('a signal during start-up exits 130 with the cancel message (the handlers are installed first)', async () => {
    // A module hook sends SIGINT while the CLI's code is being imported: after bin/rvs.mjs has
    // started, before main() runs.
    const hook = `export async function resolve(s, c, next) { if (/rvs-cli\\.mjs|cli\\/main\\.ts/.test(s)) process.kill(process.pid, 'SIGINT'); return next(s, c); }`;
    const preload = join(tmp, 'sigint-at-import.mjs');
    await writeFile(preload, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n`);
    const child = spawn(process.execPath, ['--import', preload, BIN, 'inspect', tiny.target], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await finished(child);
    expect(r.signal).toBe(null);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toBe('\nrvs: cancelled; nothing was written\n');
    expect(r.stdout).toBe('');
  });

  it('a staging leftover of a killed process is removed on the next run, and said so; others are kept', async () => {
    const out = await outIn('stale');
    const parent = dirname(out);
    // A process that has exited: its pid is free (or, rarely, reused by a process started later).
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.on('close', resolve));
    const mine = stagingName('result'); // this (live) process's
    const dead = mine.replace(`-${process.pid}-`, `-${gone.pid}-`);
    const reused = mine.replace(/-(\d+)-([0-9a-f]+)$/, (_, start: string, rand: string) => `-${Number(start) + 1}-${rand}`); // live pid, other start time
    const legacy = '.rvs-tmp-result-k3j5h2g1'; // written before staging names said who owns them
    for (const name of [dead, mine, reused, legacy]) {
      await mkdir(join(parent, name));
      await writeFile(join(parent, name, 'model.safetensors'), 'half');
    }
    const r = await rvs(...mergeArgs(out));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines.slice(0, -1).sort()).toEqual(
      [`rvs: removed ${join(parent, dead)}, left by process ${gone.pid}, which is no longer running`, `rvs: removed ${join(parent, reused)}, left by process ${process.pid}, which is no longer running`].sort(),
    );
    expect(lines.at(-1)).toMatch(/^wrote /);
    expect((await readdir(parent)).sort()).toEqual([mine, legacy, 'result'].sort());
  });

  it('an I/O error while writing (file size limit: EFBIG) names the file, exits 1 and leaves nothing', async () => {
    await rvs('--version'); // bundles the CLI before the limit applies
    const out = await outIn('efbig');
    // 16 KiB files at most (the merged model is ~47 KB); Node ignores SIGXFSZ, so writes fail with EFBIG.
    const child = spawn('bash', ['-c', 'ulimit -f 16 && exec "$0" "$@"', process.execPath, BIN, ...mergeArgs(out)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await finished(child);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`rvs: ${join(out, 'model.safetensors')}: cannot write (EFBIG: file too large, write)\n`);
    expect(await readdir(dirname(out))).toEqual([]);
  });

  it('a failing --stats-json leaves no output behind (it is staged with the output)', async () => {
    const out = await outIn('stats-dir');
    const stats = join(dirname(out), 'stats-is-a-folder');
    await mkdir(stats);
    const r = await rvs(...mergeArgs(out), '--stats-json', stats);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`rvs: ${stats}: cannot write (it is a folder)\n`);
    expect(await readdir(dirname(out))).toEqual(['stats-is-a-folder']);
  });

  it('--backend auto prints nothing of Dawn or Vulkan on stderr', async () => {
    const out = await outIn('quiet');
    const r = await rvs('merge', '--backend', 'auto', '--sft', tiny.sft, '--grpo', tiny.grpo, '--target', tiny.target, '--alpha', ALPHA, '--out', out);
    expectSuccess(r);
  });
});

// ---------------------------------------------------------------------------------------------

describe('rvs reads its inputs read-only', () => {
  /**
   * The tests run as root, for whom mode 0444/0555 blocks nothing, so the modes alone prove
   * nothing. What is checked instead: during the merge, an inotify watch (fs.watch) on each input
   * folder sees no event (no file created, written, renamed, deleted or chmod-ed there), and
   * afterwards every input file has the same size, mtime, ctime, mode and SHA-256 as before.
   * Reads (and the atime they may update) are not observable this way and are not checked.
   */
  it('merge leaves 0444 inputs in 0555 folders untouched', async () => {
    const base = join(tmp, 'readonly');
    const dirs = [join(base, 'sft'), join(base, 'grpo'), join(base, 'target')] as const;
    await Promise.all(dirs.map((d, i) => cp([tiny.sft, tiny.grpo, tiny.target][i]!, d, { recursive: true })));
    for (const d of dirs) {
      for (const f of await readdir(d)) await chmod(join(d, f), 0o444);
      await chmod(d, 0o555);
    }
    const snapshot = async () => {
      const out: Record<string, string> = {};
      for (const d of dirs) {
        const s = await stat(d);
        out[d] = `${s.mode.toString(8)} ${s.mtimeMs} ${s.ctimeMs}`;
        for (const f of await readdir(d)) {
          const p = join(d, f);
          const fs = await stat(p);
          out[p] = `${fs.mode.toString(8)} ${fs.size} ${fs.mtimeMs} ${fs.ctimeMs} ${await sha256(p)}`;
        }
      }
      return out;
    };
    try {
      const before = await snapshot();
      const events: string[] = [];
      const watchers = dirs.map((d) => watch(d, (event, file) => events.push(`${event} ${d}/${file}`)));
      const out = await outIn('readonly');
      let r: RunResult;
      try {
        r = await rvs('merge', '--backend', 'cpu', '--sft', dirs[0], '--grpo', dirs[1], '--target', dirs[2], '--alpha', ALPHA, '--shard-size', '20KB', '--out', out);
        await new Promise((resolve) => setTimeout(resolve, 50)); // let late events arrive
      } finally {
        for (const w of watchers) w.close();
      }
      expectSuccess(r);
      expect(events).toEqual([]);
      expect(await snapshot()).toEqual(before);
      // The output is an ordinary, writable folder (modes are not copied from the inputs).
      expect((await stat(join(out, 'config.json'))).mode & 0o200).toBe(0o200);
    } finally {
      for (const d of dirs) {
        await chmod(d, 0o755);
        for (const f of await readdir(d)) await chmod(join(d, f), 0o644);
      }
    }
  });
});

