/** `rvs score` end to end: the real CLI on a tiny GSM8K file and predictions in a temporary folder. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReport } from '../core/report/schema.ts';
import { rvs } from './testing.ts';

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rvs-score-'));
  await writeFile(
    join(tmp, 'test.jsonl'),
    jsonl([
      { question: 'Tom has 3 apples and buys 4 more. How many?', answer: '3 + 4 = <<3+4=7>>7\n#### 7' },
      { question: 'A shirt costs $1,200 and is 50% off. Price?', answer: '1200 / 2 = <<1200/2=600>>600\n#### 600' },
      { question: 'What is 10 - 12?', answer: '10 - 12 = <<10-12=-2>>-2\n#### -2' },
    ]),
  );
  await writeFile(join(tmp, 'train.jsonl'), jsonl([{ question: 'What is 1 + 1?', answer: '1 + 1 = 2\n#### 2' }]));
  await writeFile(
    join(tmp, 'pred.jsonl'),
    jsonl([
      { doc_id: 2, output: ' It is -2.' },
      { doc_id: 0, output: ' 3 + 4 = 7\n#### 7\n\nQuestion: next #### 9' },
      { doc_id: 1, output: ' Half of $1,200 is $600.' },
    ]),
  );
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('rvs score', () => {
  it('writes a report parseReport accepts and prints the metric table', async () => {
    const out = join(tmp, 'report.json');
    const r = await rvs('score', '--task', 'gsm8k', '--data', join(tmp, 'test.jsonl'), '--predictions', join(tmp, 'pred.jsonl'), '--fewshot', join(tmp, 'train.jsonl'), '--alpha', '0.5', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/gsm8k\s+exact_match,strict-match\s+0\.3333\s+± 0\.3333\s+3/);
    expect(r.stdout).toMatch(/gsm8k\s+exact_match,flexible-extract\s+1\.0000\s+± 0\.0000\s+3/);
    expect(r.stdout).toContain('mean_stderr');
    const report = parseReport(await readFile(out, 'utf8'));
    const run = report.runs[0]!;
    expect(run.alpha).toBe(0.5);
    expect(run.samples.map((s) => s.filtered)).toEqual([
      { 'strict-match': '7', 'flexible-extract': '7' },
      { 'strict-match': '[invalid]', 'flexible-extract': '$600.' },
      { 'strict-match': '[invalid]', 'flexible-extract': '-2.' },
    ]);
    expect(run.samples[0]!.prompt).toBe('Question: What is 1 + 1?\nAnswer: 1 + 1 = 2\n#### 2\n\nQuestion: Tom has 3 apples and buys 4 more. How many?\nAnswer:');
    expect((await readdir(tmp)).filter((f) => f.includes('rvs-tmp'))).toEqual([]);
  });

  it('exits 2 with one line naming the file and line of a bad prediction', async () => {
    await writeFile(join(tmp, 'bad.jsonl'), '{"doc_id":0,"output":"#### 7"}\n{"doc_id":"one","output":"x"}\n');
    const out = join(tmp, 'never.json');
    const r = await rvs('score', '--task', 'gsm8k', '--data', join(tmp, 'test.jsonl'), '--predictions', join(tmp, 'bad.jsonl'), '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`rvs: ${join(tmp, 'bad.jsonl')}:2: "doc_id" must be a non-negative integer\n`);
    await expect(readFile(out)).rejects.toThrow();
  });

  it('exits 2 on an unknown task, a missing file and missing predictions', async () => {
    const base = ['--data', join(tmp, 'test.jsonl'), '--predictions', join(tmp, 'pred.jsonl'), '--out', join(tmp, 'x.json')];
    const unknown = await rvs('score', '--task', 'gsm8k-cot', ...base);
    expect([unknown.code, unknown.stderr]).toEqual([2, 'rvs: unknown task "gsm8k-cot"; did you mean "gsm8k_cot"?\n']);
    const missing = await rvs('score', '--task', 'gsm8k', '--data', join(tmp, 'nope.jsonl'), ...base.slice(2));
    expect([missing.code, missing.stderr]).toEqual([2, `rvs: ${join(tmp, 'nope.jsonl')}: cannot read (ENOENT)\n`]);
    await writeFile(join(tmp, 'short.jsonl'), jsonl([{ doc_id: 0, output: '#### 7' }]));
    const short = await rvs('score', '--task', 'gsm8k', '--data', join(tmp, 'test.jsonl'), '--predictions', join(tmp, 'short.jsonl'), '--out', join(tmp, 'x.json'));
    expect([short.code, short.stderr]).toEqual([2, `rvs: ${join(tmp, 'short.jsonl')}: no prediction for doc_id 1 (and 1 more)\n`]);
  });
});
