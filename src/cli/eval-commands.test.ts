/**
 * `rvs eval` and `rvs sweep` end to end on a tiny family with the synthetic tokenizer and data
 * files in the real layouts: a valid rvs-report/1, α = 0 equal to the target evaluated alone.
 */
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_QWEN2_CHAT, writeFamilyMember } from '../core/checkpoint/synthetic.ts';
import { BBH_GROUP, BBH_TASKS } from '../core/eval/tasks/bbh.ts';
import { mergeRecipe } from '../core/merge/recipe.ts';
import { parseReport } from '../core/report/schema.ts';
import { createOutputFolder } from '../node/fs-folder.ts';
import { ROOT, rvs } from './testing.ts';

let tmp = '';
const dir = (m: string) => join(tmp, m);
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rvs-eval-cli-'));
  for (const member of ['target', 'sft', 'grpo'] as const) {
    const out = await createOutputFolder(dir(member));
    await writeFamilyMember({ shape: { ...TINY_QWEN2_CHAT, maxPositionEmbeddings: 1024 }, dtype: 'BF16', member, out, tokenizer: true });
  }
  await writeFile(dir('gsm-test.jsonl'), jsonl([
    { question: 'Tom has 3 apples and buys 4 more. How many?', answer: '3 + 4 = 7\n#### 7' },
    { question: 'What is 6 times 7?', answer: '6 * 7 = 42\n#### 42' },
    { question: 'Half of 10?', answer: '10 / 2 = 5\n#### 5' },
  ]));
  await writeFile(dir('gsm-train.jsonl'), jsonl([
    { question: 'One plus one?', answer: '1 + 1 = 2\n#### 2' },
    { question: 'Two times three?', answer: '2 * 3 = 6\n#### 6' },
  ]));
  await writeFile(dir('sciq.jsonl'), jsonl([
    { question: 'What gas do plants absorb?', distractor1: 'oxygen', distractor2: 'helium', distractor3: 'neon', correct_answer: 'carbon dioxide', support: 'Plants take in CO2.' },
    { question: 'Water boils at?', distractor1: '50 C', distractor2: '0 C', distractor3: '10 C', correct_answer: '100 C', support: '' },
  ]));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const TASK_ARGS = [
  '--task', 'gsm8k', '--data', 'gsm-test.jsonl', '--fewshot-data', 'gsm8k=gsm-train.jsonl',
  '--task', 'sciq', '--data', 'sciq.jsonl', '--fewshot-data', 'sciq=sciq.jsonl',
  '--fewshot', '1', '--limit', '2', '--max-new-tokens', '8', '--batch', '2',
];
/** Data file names → paths in the temporary folder (TASK=FILE kept as such). */
const inTmp = (args: string[]) => args.map((a) => a.replace(/^(?:(\w+)=)?([\w-]+\.jsonl)$/, (_, task: string | undefined, file: string) => `${task ? `${task}=` : ''}${join(tmp, file)}`));

describe('rvs sweep and rvs eval', () => {
  it('sweep α ∈ {0, 1} × {gsm8k, sciq} writes a valid report; eval of the target equals α = 0', async () => {
    const out = join(tmp, 'sweep.json');
    const r = await rvs('sweep', '--sft', dir('sft'), '--grpo', dir('grpo'), '--target', dir('target'), '--alphas', '0,1', ...inTmp(TASK_ARGS), '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const report = parseReport(await readFile(out, 'utf8'));
    expect(report.runs.map((x) => [x.alpha, x.task, x.samples.length])).toEqual([[0, 'gsm8k', 2], [0, 'sciq', 2], [1, 'gsm8k', 2], [1, 'sciq', 2]]);
    expect(report.checkpoints.target?.fingerprint).toMatch(/^headers\+samples-fnv1a64:[0-9a-f]{16}$/);
    expect(report.runs[0]!.config).toMatchObject({ numFewshot: 1, limit: 2, limitMode: 'seeded', maxNewTokens: 8, batchSize: 2 });
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    // Exact float32 weights by default, recorded in the typed recipe.
    expect(report.recipe).toEqual(mergeRecipe(1, { dtype: 'F32' }));

    const single = join(tmp, 'eval.json');
    const e = await rvs('eval', '--model', dir('target'), ...inTmp(TASK_ARGS), '--out', single);
    expect(e.code, e.stderr).toBe(0);
    const alone = parseReport(await readFile(single, 'utf8'));
    expect(alone.runs.map((x) => x.alpha)).toEqual([null, null]);
    expect(alone.runs.map((x) => x.samples)).toEqual(report.runs.slice(0, 2).map((x) => x.samples));
  });

  it("--weights checkpoint runs (and records) the merge rounded to the target's dtype; resuming with other weights is refused", async () => {
    const out = join(tmp, 'sweep-ckpt.json');
    const args = ['sweep', '--sft', dir('sft'), '--grpo', dir('grpo'), '--target', dir('target'), '--alphas', '0.5', '--task', 'sciq', '--data', dir('sciq.jsonl'), '--out', out];
    const r = await rvs(...args, '--weights', 'checkpoint');
    expect(r.code, r.stderr).toBe(0);
    const report = parseReport(await readFile(out, 'utf8'));
    expect(report.recipe).toEqual(mergeRecipe(1, { dtype: 'auto' }));
    const resumed = await rvs(...args, '--resume');
    expect([resumed.code, resumed.stderr]).toEqual([2, "rvs: the saved report's merge recipe differs from this one (rules, dtype); write to another report instead of resuming\n"]);
    const bad = await rvs(...args.slice(0, -1), join(tmp, 'never.json'), '--weights', 'bf16');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--weights.*bf16.*f32, checkpoint/);
  });

  it('bbh with a BIG-Bench Hard folder: every subtask with its cot-prompts, and the size-weighted group', async () => {
    const root = join(tmp, 'bbh');
    await mkdir(join(root, 'tasks'), { recursive: true });
    await mkdir(join(root, 'cot-prompts'), { recursive: true });
    const exemplar = (k: number) => `Q: Is ${k} even?\nA: Let's think step by step.\n${k} divided by 2 leaves ${k % 2}. So the answer is ${k % 2 === 0 ? 'Yes' : 'No'}.`;
    for (const t of BBH_TASKS) {
      const name = t.id.slice(BBH_GROUP.length + 1);
      const examples = Array.from({ length: 1 + (name.length % 2) }, (_, i) => ({ input: `Is ${name.length + i} even?`, target: (name.length + i) % 2 === 0 ? 'Yes' : 'No' }));
      await writeFile(join(root, 'tasks', `${name}.json`), JSON.stringify({ examples }));
      await writeFile(join(root, 'cot-prompts', `${name}.txt`), `Decide parity.\n\n${[1, 2, 3].map(exemplar).join('\n\n')}`);
    }
    const out = join(tmp, 'bbh.json');
    const r = await rvs('eval', '--model', dir('target'), '--task', 'bbh', '--data', root, '--max-new-tokens', '4', '--batch', '4', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const report = parseReport(await readFile(out, 'utf8'));
    expect(report.runs).toHaveLength(BBH_TASKS.length + 1);
    const group = report.runs.at(-1)!;
    expect(group.task).toBe(BBH_GROUP);
    const subtasks = report.runs.slice(0, -1);
    const n = subtasks.reduce((a, x) => a + x.samples.length, 0);
    for (const [key, m] of Object.entries(group.metrics)) {
      expect(m.n).toBe(n);
      const weighted = subtasks.reduce((a, x) => a + x.metrics[key]!.value * x.samples.length, 0) / n;
      expect(m.value).toBeCloseTo(weighted, 12);
    }
  });

  it('humaneval (.jsonl.gz): pass@1 from the sandbox; an endless loop costs one time limit and fails only its item', async () => {
    const problem = (id: number, test: string) => ({
      task_id: `T/${id}`,
      // The completion lands inside a string literal that the test closes, whatever the model writes.
      prompt: `def f${id}():\n    return 1\n_ = """`,
      canonical_solution: '',
      test: `"""\n${test}`,
      entry_point: `f${id}`,
    });
    const rows = [
      problem(0, 'def check(candidate):\n    assert candidate() == 1\n'),
      problem(1, 'def check(candidate):\n    while True:\n        pass\n'),
      problem(2, 'def check(candidate):\n    assert candidate() == 2\n'),
    ];
    const gz = await new Response(new Blob([jsonl(rows)]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
    await writeFile(join(tmp, 'HumanEval.jsonl.gz'), new Uint8Array(gz));
    const out = join(tmp, 'he.json');
    const started = Date.now();
    const r = await rvs('eval', '--model', dir('target'), '--task', 'humaneval', '--data', join(tmp, 'HumanEval.jsonl.gz'), '--max-new-tokens', '6', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const [run] = parseReport(await readFile(out, 'utf8')).runs;
    expect(run!.samples.map((x) => x.scores['pass@1,create_test'])).toEqual([1, 0, 0]);
    expect(run!.samples.map((x) => x.result?.split(':')[0])).toEqual(['passed', 'timeout', 'failed']);
    expect(run!.metrics['pass@1,create_test']!.value).toBeCloseTo(1 / 3, 12);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  }, 120_000);

  it('refuses to overwrite an existing report unless --resume continues it', async () => {
    const out = join(tmp, 'exists.json');
    await writeFile(out, '{}');
    const r = await rvs('eval', '--model', dir('target'), '--task', 'sciq', '--data', dir('sciq.jsonl'), '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`rvs: ${out}: already exists; continue it with --resume or choose another --out\n`);
    expect(await readFile(out, 'utf8')).toBe('{}');
  });

  it('a task that needs few-shot data without it fails with exit 2 and a hint', async () => {
    const r = await rvs('eval', '--model', dir('target'), '--task', 'gsm8k', '--data', dir('gsm-test.jsonl'), '--out', join(tmp, 'x.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('rvs: gsm8k uses 5 few-shot examples: give --fewshot-data (its train split) or --fewshot 0\n');
  });

  it('--alphas takes core’s ranges and refuses a bad one with the studio’s words', async () => {
    const r = await rvs('sweep', '--sft', dir('sft'), '--grpo', dir('grpo'), '--target', dir('target'), '--alphas', '1:-1:0.25', ...inTmp(TASK_ARGS), '--out', join(tmp, 'bad-range.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('“1:-1:0.25”: a step of 0.25 never goes from 1 to −1 (use −0.25)');
    const big = await rvs('sweep', '--sft', dir('sft'), '--grpo', dir('grpo'), '--target', dir('target'), '--alphas', '0,1e9', ...inTmp(TASK_ARGS), '--out', join(tmp, 'big.json'));
    expect(big.code).toBe(2);
    expect(big.stderr).toContain('outside the accepted range −100 to 100');
  });

  it('Ctrl-C during a sweep: exit 130, a true message, a valid cancelled report that --resume completes', async () => {
    const docs = Array.from({ length: 24 }, (_, i) => ({ question: `What is ${i} plus ${i}?`, answer: `${i} + ${i} = ${2 * i}\n#### ${2 * i}` }));
    await writeFile(dir('gsm-24.jsonl'), jsonl(docs));
    const out = join(tmp, 'cancelled.json');
    const args = ['sweep', '--sft', dir('sft'), '--grpo', dir('grpo'), '--target', dir('target'), '--alphas', '-1,-0.5,0,0.5,1,1.5', '--task', 'gsm8k', '--data', dir('gsm-24.jsonl'), '--fewshot', '0', '--max-new-tokens', '4', '--batch', '8', '--out', out];
    const child = spawn(process.execPath, [join(ROOT, 'bin/rvs.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.stdout.resume();
    // Interrupt as soon as the first chunk is saved (the report file appears).
    let sent = false;
    const watcher = watch(tmp, (_event, file) => {
      if (file === 'cancelled.json' && !sent) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    watcher.close();
    expect(sent, `the sweep ended before it could be interrupted: ${stderr}`).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(new RegExp(`rvs: cancelled; ${out.replaceAll('.', '\\.')} keeps \\d+ finished runs? and the samples done so far \\(status "cancelled"\\); continue with --resume\n$`));
    expect(stderr).not.toContain('nothing was written');
    const saved = parseReport(await readFile(out, 'utf8'));
    expect(saved.status).toBe('cancelled');
    expect(saved.runs.length).toBeGreaterThan(0);
    const full = saved.runs.filter((r) => r.samples.length === 24).length;
    expect(full).toBeLessThan(6);

    const resumed = await rvs(...args, '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    const done = parseReport(await readFile(out, 'utf8'));
    expect(done.status).toBe('complete');
    expect(done.runs.map((r) => [r.alpha, r.samples.length])).toEqual([-1, -0.5, 0, 0.5, 1, 1.5].map((a) => [a, 24]));
    // The samples saved before the interruption are kept as they were.
    for (const r of saved.runs) expect(done.runs.find((d) => d.alpha === r.alpha)!.samples.slice(0, r.samples.length)).toEqual(r.samples);
  }, 120_000);
});
