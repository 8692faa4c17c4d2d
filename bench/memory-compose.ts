/**
 * Peak memory of `rvs merge` against the number of composed vectors, at Qwen2.5-0.5B tensor shapes
 * (the real embedding, 151936 × 896, and layer shapes; `--layers` layers, 2 by default, to keep the
 * files small). Writes a synthetic family (BF16) under a scratch folder, links the SFT and GRPO
 * files into per-pair folders (different folders, so each pair is read on its own), then runs the
 * real CLI (WebAssembly SIMD backend) for 1 and 4 pairs and prints each run's peak RSS
 * (/usr/bin/time -f %M). `npx tsx bench/memory-compose.ts [--layers N] [--dir DIR]`
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QWEN25_05B, writeFamilyMember, type FamilyMember } from '../src/core/checkpoint/synthetic.ts';
import { createOutputFolder } from '../src/node/fs-folder.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const layers = Number(arg('--layers', '2'));
const dir = arg('--dir', '/tmp/rvs-memory-compose');
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const shape = { ...QWEN25_05B, numLayers: layers };

await mkdir(dir, { recursive: true });
for (const m of ['target', 'sft', 'grpo'] as FamilyMember[]) {
  if (!existsSync(join(dir, m))) await writeFamilyMember({ shape, dtype: 'BF16', member: m, out: await createOutputFolder(join(dir, m)) });
}
for (let k = 1; k <= 4; k++) {
  for (const m of ['sft', 'grpo']) {
    const to = join(dir, `${m}${k}`);
    if (existsSync(to)) continue;
    await mkdir(to);
    for (const f of await readdir(join(dir, m))) await symlink(join(dir, m, f), join(to, f));
  }
}

for (const pairs of [1, 4]) {
  const out = join(dir, `out${pairs}`);
  await rm(out, { recursive: true, force: true });
  const terms = Array.from({ length: pairs }, (_, k) => ['--pair', `${join(dir, `sft${k + 1}`)},${join(dir, `grpo${k + 1}`)}=${[1, -0.5, 0.25, 0.3][k]}`]).flat();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, join(ROOT, 'bin/rvs.mjs'), 'merge', '--backend', 'cpu', '--target', join(dir, 'target'), ...terms, '--out', out], { encoding: 'utf8' });
  const [kb, seconds] = r.stderr.trim().split('\n').at(-1)!.split(' ');
  console.log(`${pairs} pair${pairs > 1 ? 's' : ''} (${1 + 2 * pairs} checkpoints read): peak RSS ${(Number(kb) / 1024).toFixed(0)} MiB, ${seconds} s, exit ${r.status}`);
  if (r.status !== 0) console.log(r.stderr);
  await rm(out, { recursive: true, force: true });
}
