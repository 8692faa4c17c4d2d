// `rvs merge` with several terms (--pair SFT,GRPO=α, --vector DIR=α): the same bytes as the core's
// composed recipe, the classic --sft/--grpo/--alpha as its one-pair case, and one-line usage errors.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCheckpoint, openCheckpoint, type Checkpoint } from '../core/checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../core/checkpoint/synthetic.ts';
import { MemoryFolder } from '../core/io/bytes.ts';
import { createCpuBackend } from '../core/merge/cpu-kernel.ts';
import { composeRecipe } from '../core/merge/recipe.ts';
import { mergeToFolder } from '../core/merge/run.ts';
import { tensorBytes } from '../core/testing/reference.ts';
import { createOutputFolder, openFolder } from '../node/fs-folder.ts';
import { rvs } from './testing.ts';

let tmp = '';
const dir = (name: string) => join(tmp, name);
const open = async (name: string) => openCheckpoint(await openFolder(dir(name)));

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rvs-compose-'));
  const members: [string, FamilyMember, number][] = [['target', 'target', 1], ['sft', 'sft', 1], ['grpo', 'grpo', 1], ['sft2', 'sft', 2], ['grpo2', 'grpo', 2]];
  for (const [name, member, seed] of members) await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member, seed, out: await createOutputFolder(dir(name)) });
  const r = await rvs('extract', '--backend', 'cpu', '--sft', dir('sft2'), '--grpo', dir('grpo2'), '--out', dir('vector'));
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function expectSameTensors(a: Checkpoint, b: Checkpoint): Promise<void> {
  expect([...a.tensors.keys()]).toEqual([...b.tensors.keys()]);
  for (const name of a.tensors.keys()) expect(Buffer.from(await tensorBytes(a, name)).equals(Buffer.from(await tensorBytes(b, name))), name).toBe(true);
}

describe('rvs merge --pair / --vector', () => {
  it('--pair SFT,GRPO=α writes the tensors of --sft --grpo --alpha', async () => {
    const [a, b] = await Promise.all([
      rvs('merge', '--backend', 'cpu', '--target', dir('target'), '--pair', `${dir('sft')},${dir('grpo')}=0.3`, '--out', dir('pair')),
      rvs('merge', '--backend', 'cpu', '--target', dir('target'), '--sft', dir('sft'), '--grpo', dir('grpo'), '--alpha', '0.3', '--out', dir('classic')),
    ]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    const [pair, classic] = await Promise.all([open('pair'), open('classic')]);
    await expectSameTensors(pair, classic);
    await Promise.all([closeCheckpoint(pair), closeCheckpoint(classic)]);
  });

  it('terms in command-line order across --pair and --vector, negation included, equal the core recipe', async () => {
    const r = await rvs('merge', '--backend', 'cpu', '--target', dir('target'), '--pair', `${dir('sft')},${dir('grpo')}=0.5`, '--vector', `${dir('vector')}=-1`, '--pair', `${dir('sft2')},${dir('grpo')}=1.25`, '--dtype', 'f32', '--out', dir('composed'));
    expect(r.code, r.stderr).toBe(0);
    const roles = new Map(await Promise.all((['target', 'sft', 'grpo', 'sft2', 'vector'] as const).map(async (n) => [n, await open(n)] as const)));
    const recipe = composeRecipe(
      'target',
      [
        { minus: 'sft', plus: 'grpo', alpha: 0.5 },
        { plus: 'vector', alpha: -1 },
        { minus: 'sft2', plus: 'grpo', alpha: 1.25 },
      ],
      { dtype: 'F32' },
    );
    const want = new MemoryFolder('want');
    await mergeToFolder({ recipe, roles, backend: createCpuBackend(), out: want });
    const composed = await open('composed');
    await expectSameTensors(composed, await openCheckpoint(want));
    await Promise.all([...roles.values(), composed].map(closeCheckpoint));
  });

  it('one-line usage errors, nothing written', async () => {
    const cases: [string[], RegExp][] = [
      [['--sft', dir('sft'), '--grpo', dir('grpo'), '--alpha', '1', '--pair', `${dir('sft')},${dir('grpo')}=1`], /either --sft\/--grpo\/--alpha or --pair\/--vector/],
      [['--sft', dir('sft'), '--grpo', dir('grpo')], /missing --alpha/],
      [[], /--pair SFT,GRPO=ALPHA/],
      [['--pair', `${dir('sft')}=1`], /SFT,GRPO=ALPHA/],
      [['--vector', `${dir('vector')}=abc`], /DIR=ALPHA/],
      [['--vector', `${dir('grpo')}=1`], /grpo/],
    ];
    for (const [args, message] of cases) {
      const r = await rvs('merge', '--backend', 'cpu', '--target', dir('target'), ...args, '--out', dir('bad'));
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await readdir(tmp)).includes('bad')).toBe(false);
  });
});
