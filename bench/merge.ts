/**
 * `npm run bench:merge [-- --shape 0.5b|1.5b] [--runs N] [--no-numpy] [--backend cpu|webgpu]`
 *
 * Times `rvs merge` on a BF16 checkpoint family with the real Qwen2.5 shapes against the raw I/O
 * floor measured in the same run on a warm page cache (read the three inputs, write one output of
 * the same size), and against a straightforward numpy script doing the same arithmetic tensor by
 * tensor. Prints the ratios and peak RSS. The family is generated once into .cache/bench-merge/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { QWEN25_05B, QWEN25_15B, writeFamilyMember, type FamilyMember, type Qwen2Shape } from '../src/core/checkpoint/synthetic.ts';
import { createOutputFolder } from '../src/node/fs-folder.ts';

const { values: args } = parseArgs({
  options: {
    shape: { type: 'string', default: '0.5b' },
    runs: { type: 'string', default: '3' },
    'no-numpy': { type: 'boolean', default: false },
    backend: { type: 'string', default: 'cpu' },
    alpha: { type: 'string', default: '0.5' },
  },
});
const shapes: Record<string, Qwen2Shape> = { '0.5b': QWEN25_05B, '1.5b': QWEN25_15B };
const shape = shapes[args.shape!]!;
if (!shape) throw new Error(`--shape must be 0.5b or 1.5b`);
const root = resolve('.cache/bench-merge', `qwen2.5-${args.shape}-shapes-bf16`);
const members: FamilyMember[] = ['sft', 'grpo', 'target'];
const runs = Number(args.runs);

async function generate() {
  for (const m of members) {
    const dir = join(root, m);
    if (existsSync(join(dir, 'config.json'))) continue;
    process.stderr.write(`generating ${dir} …\n`);
    await writeFamilyMember({ shape, dtype: 'BF16', member: m, out: await createOutputFolder(dir), chunkElements: 1 << 22 });
  }
}

async function filesOf(dir: string) {
  return (await readdir(dir)).filter((f) => f.endsWith('.safetensors')).map((f) => join(dir, f));
}

/**
 * Reads the three inputs chunk by chunk and writes the target's bytes to a new file, with the next
 * chunk's reads overlapping the current chunk's write (double-buffered), as the merge overlaps
 * them: a floor that the merge could only reach by doing no arithmetic at all.
 */
async function ioFloor(outDir: string): Promise<number> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir);
  const t0 = performance.now();
  const chunk = 4 << 20; // the CPU merge's chunk: 2M BF16 elements
  const [sft, grpo, target] = await Promise.all(members.map(async (m) => filesOf(join(root, m))));
  for (let f = 0; f < target!.length; f++) {
    const handles = await Promise.all([sft![f]!, grpo![f]!, target![f]!].map((p) => open(p, 'r')));
    const size = (await handles[2]!.stat()).size;
    const out = await open(join(outDir, `out-${f}.safetensors`), 'w');
    const sets = [0, 1].map(() => handles.map(() => new Uint8Array(chunk)));
    const readAt = (at: number, set: Uint8Array[]) => Promise.all(handles.map((h, i) => h.read(set[i]!, 0, Math.min(chunk, size - at), at)));
    let pending = readAt(0, sets[0]!);
    for (let at = 0, k = 0; at < size; at += chunk, k ^= 1) {
      await pending;
      if (at + chunk < size) pending = readAt(at + chunk, sets[k ^ 1]!);
      await out.write(sets[k]![2]!, 0, Math.min(chunk, size - at));
    }
    await out.close();
    await Promise.all(handles.map((h) => h.close()));
  }
  return (performance.now() - t0) / 1000;
}

/** Runs a command, returning wall seconds and the child's peak RSS (bytes) via python's rusage. */
function timed(cmd: string[]): { seconds: number; maxRss: number } {
  const wrapper = 'import resource,subprocess,sys,time\nt=time.perf_counter()\nr=subprocess.run(sys.argv[1:])\nd=time.perf_counter()-t\nprint(d, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss*1024, file=sys.stderr)\nsys.exit(r.returncode)';
  const r = spawnSync('python3', ['-c', wrapper, ...cmd], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  const last = r.stderr.trim().split('\n').at(-1)!.split(' ');
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed:\n${r.stderr}`);
  return { seconds: Number(last[0]), maxRss: Number(last[1]) };
}

/**
 * Flushes dirty pages before each timed step: otherwise a step pays for the writeback of the one
 * before it (measured here: the same merge took 1.8 s or 4.0 s depending on that).
 */
function settle() {
  spawnSync('sync');
}

function warm() {
  for (const m of members) spawnSync('bash', ['-c', `cat ${join(root, m)}/*.safetensors > /dev/null`]);
}

await generate();
const outDir = join(root, '..', 'out');
const dirs = Object.fromEntries(members.map((m) => [m, join(root, m)]));
const sizes = await Promise.all(members.map(async (m) => (await Promise.all((await filesOf(dirs[m]!)).map((f) => stat(f)))).reduce((n, s) => n + s.size, 0)));
warm();

const floors: number[] = [];
const merges: { seconds: number; maxRss: number }[] = [];
for (let i = 0; i < runs; i++) {
  // Removing a 1 GB file discards its blocks (ext4 `discard`): do it before settling, not inside a step.
  await rm(outDir, { recursive: true, force: true });
  settle();
  floors.push(await ioFloor(outDir));
  await rm(outDir, { recursive: true, force: true });
  settle();
  merges.push(timed(['node', 'bin/rvs.mjs', 'merge', '--sft', dirs['sft']!, '--grpo', dirs['grpo']!, '--target', dirs['target']!, '--alpha', args.alpha!, '--out', outDir, '--backend', args.backend!]));
  await rm(outDir, { recursive: true, force: true });
}
let numpy: { seconds: number; maxRss: number } | null = null;
if (!args['no-numpy']) {
  try {
    await rm(outDir, { recursive: true, force: true });
    settle();
    numpy = timed(['python3', 'bench/numpy_merge.py', dirs['sft']!, dirs['grpo']!, dirs['target']!, args.alpha!, outDir]);
  } catch (e) {
    process.stderr.write(`numpy peer skipped: ${(e as Error).message.split('\n')[0]}\n`);
  }
  await rm(outDir, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const floor = Math.min(...floors);
const merge = merges.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const medianRatio = median(merges.map((m) => m.seconds)) / median(floors);
const maxRss = Math.max(...merges.map((m) => m.maxRss));
const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
const result = {
  shape: args.shape,
  backend: args.backend,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  inputBytes: sizes.reduce((a, b) => a + b, 0),
  outputBytes: sizes[2],
  ioFloorSeconds: floors,
  mergeSeconds: merges.map((m) => m.seconds),
  ratioToFloor: merge.seconds / floor,
  medianRatioToFloor: medianRatio,
  peakRssBytes: maxRss,
  numpySeconds: numpy?.seconds ?? null,
  numpyPeakRssBytes: numpy?.maxRss ?? null,
  speedupOverNumpy: numpy ? numpy.seconds / merge.seconds : null,
};
console.log(JSON.stringify(result, null, 2));
console.log(
  [
    `Qwen2.5-${args.shape} shapes, BF16, backend ${args.backend}, best of ${runs} (warm page cache)`,
    `  I/O floor        ${floor.toFixed(2)} s   (runs: ${floors.map((x) => x.toFixed(2)).join(', ')})`,
    `  rvs merge        ${merge.seconds.toFixed(2)} s   = ${(merge.seconds / floor).toFixed(2)} × floor (medians: ${medianRatio.toFixed(2)} ×)   peak RSS ${mb(maxRss)}   (runs: ${merges.map((m) => m.seconds.toFixed(2)).join(', ')})`,
    numpy ? `  numpy script     ${numpy.seconds.toFixed(2)} s   = ${(numpy.seconds / floor).toFixed(2)} × floor   peak RSS ${mb(numpy.maxRss)}   (rvs is ${(numpy.seconds / merge.seconds).toFixed(1)}× faster)` : '  numpy script     skipped',
  ].join('\n'),
);
