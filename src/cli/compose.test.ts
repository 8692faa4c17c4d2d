// `rvs merge` with several terms (--pair SFT,GRPO=α, --vector DIR=α): the same bytes as the core's
// composed recipe, the classic --sft/--grpo/--alpha as its one-pair case, and one-line usage errors.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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

describe('rvs merge --config (mergekit YAML)', () => {
  const authors = () => `merge_method: linear
models:
  - model: ${dir('target')}
    parameters:
      weight: 1.0
  - model: ${dir('sft')}
    parameters:
      weight: -1.0
  - model: ${dir('grpo')}
    parameters:
      weight: 1.0
parameters:
  normalize: false
dtype: bfloat16
`;

  it("the authors' config gives the bytes of rvs merge --alpha 1 --dtype bf16", async () => {
    await writeFile(dir('authors.yml'), authors());
    const [a, b] = await Promise.all([
      rvs('merge', '--backend', 'cpu', '--config', dir('authors.yml'), '--out', dir('from-config')),
      rvs('merge', '--backend', 'cpu', '--target', dir('target'), '--sft', dir('sft'), '--grpo', dir('grpo'), '--alpha', '1', '--dtype', 'bf16', '--out', dir('from-merge')),
    ]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    const [c, m] = await Promise.all([open('from-config'), open('from-merge')]);
    await expectSameTensors(c, m);
    await Promise.all([closeCheckpoint(c), closeCheckpoint(m)]);
  });

  it('--arith mergekit runs on the CPU and writes something else than exact float32 for α = 0.3', async () => {
    const yaml = `merge_method: task_arithmetic\nbase_model: ${dir('sft')}\nmodels:\n  - model: ${dir('target')}\n    parameters: {weight: 1.0}\n  - model: ${dir('grpo')}\n    parameters: {weight: 0.3}\ndtype: bfloat16\n`;
    await writeFile(dir('ta.yml'), yaml);
    const [mk, f32] = await Promise.all([
      rvs('merge', '--config', dir('ta.yml'), '--arith', 'mergekit', '--out', dir('ta-mergekit')),
      rvs('merge', '--config', dir('ta.yml'), '--backend', 'cpu', '--out', dir('ta-float32')),
    ]);
    expect([mk.code, f32.code], mk.stderr + f32.stderr).toEqual([0, 0]);
    expect(mk.stderr).toMatch(/cpu/);
    const [x, y] = await Promise.all([open('ta-mergekit'), open('ta-float32')]);
    let differ = 0;
    for (const name of x.tensors.keys()) if (!Buffer.from(await tensorBytes(x, name)).equals(Buffer.from(await tensorBytes(y, name)))) differ++;
    expect(differ).toBeGreaterThan(0);
    await Promise.all([closeCheckpoint(x), closeCheckpoint(y)]);
  });

  it('an unknown key, an unknown method, or --config with model options: exit 2, one line naming it', async () => {
    await writeFile(dir('bad-key.yml'), `${authors()}tokenizer_source: union\n`);
    await writeFile(dir('bad-method.yml'), authors().replace('linear', 'model_stock'));
    const cases: [string[], RegExp][] = [
      [['--config', dir('bad-key.yml')], /bad-key\.yml: unknown or unsupported key "tokenizer_source"/],
      [['--config', dir('bad-method.yml')], /bad-method\.yml: unknown or unsupported merge_method "model_stock"/],
      [['--config', dir('authors.yml'), '--target', dir('target')], /--config names the models itself; drop --target/],
      [['--config', dir('authors.yml'), '--arith', 'mergekit', '--backend', 'webgpu'], /--arith mergekit runs on the CPU/],
      [['--config', dir('nope.yml')], /nope\.yml: cannot read/],
    ];
    for (const [args, message] of cases) {
      const r = await rvs('merge', ...args, '--out', dir('bad-config'));
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

