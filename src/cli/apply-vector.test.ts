// `rvs apply --vector` takes only a vector: what rvs extract writes, or with
// --allow-unmarked-vector a checkpoint without rvs's metadata. A full model given as the vector
// would write θ_target + α·θ and is refused with one line naming the folder.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../core/checkpoint/synthetic.ts';
import { createOutputFolder } from '../node/fs-folder.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function rvs(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/rvs.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

let tmp = '';
const dir = (name: string) => join(tmp, name);

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rvs-apply-vector-'));
  for (const m of ['target', 'sft', 'grpo'] as FamilyMember[]) {
    await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: m, out: await createOutputFolder(dir(m)) });
  }
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('rvs apply --vector', () => {
  it('refuses a full checkpoint (no rvs.recipe metadata) and writes nothing, unless told it is a vector', async () => {
    const refused = await rvs('apply', '--backend', 'cpu', '--target', dir('target'), '--vector', dir('sft'), '--alpha', '1', '--out', dir('out'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^rvs: ${dir('sft')}: is not marked as a vector: it has no "rvs\\.recipe" metadata[^\\n]*--allow-unmarked-vector[^\\n]*\\n$`));
    expect(await readdir(tmp)).not.toContain('out');
    const forced = await rvs('apply', '--backend', 'cpu', '--target', dir('target'), '--vector', dir('sft'), '--alpha', '1', '--allow-unmarked-vector', '--out', dir('forced'));
    expect(forced.code, forced.stderr).toBe(0);
  }, 60_000);

  it('refuses a merged model even when told to accept unmarked vectors, and applies an extracted vector', async () => {
    expect((await rvs('merge', '--backend', 'cpu', '--target', dir('target'), '--sft', dir('sft'), '--grpo', dir('grpo'), '--alpha', '1', '--out', dir('merged'))).code).toBe(0);
    const refused = await rvs('apply', '--backend', 'cpu', '--target', dir('target'), '--vector', dir('merged'), '--alpha', '1', '--allow-unmarked-vector', '--out', dir('out2'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^rvs: ${dir('merged')}: is a model, not a vector[^\\n]*\\n$`));
    expect((await rvs('extract', '--backend', 'cpu', '--sft', dir('sft'), '--grpo', dir('grpo'), '--out', dir('vector'))).code).toBe(0);
    const applied = await rvs('apply', '--backend', 'cpu', '--target', dir('target'), '--vector', dir('vector'), '--alpha', '1', '--out', dir('applied'));
    expect(applied.code, applied.stderr).toBe(0);
  }, 60_000);
});
