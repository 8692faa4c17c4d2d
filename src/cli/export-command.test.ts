// `rvs export` on report files: stdout is the core's mergekit / lm-eval text; bad reports exit 2.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lmEvalCommands, mergekitStream, mergekitYaml } from '../core/report/export.ts';
import { parseReport, REPORT_SCHEMA } from '../core/report/schema.ts';
import { rvs } from './testing.ts';

let tmp = '';
const report = parseReport({
  schema: REPORT_SCHEMA,
  createdAt: '2026-11-26T07:00:00Z',
  app: { name: 'rvs', version: '0.1.0' },
  environment: { backend: 'cpu' },
  checkpoints: { target: { name: 't' }, sft: { name: 's' }, grpo: { name: 'g' } },
  recipe: null,
  runs: [0, 0.5].map((alpha) => ({ alpha, task: 'gsm8k', config: { numFewshot: 5 }, metrics: {}, samples: [] })),
  timings: {},
});
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rvs-export-'));
  await writeFile(join(tmp, 'r.json'), JSON.stringify(report));
  await writeFile(join(tmp, 'bad.json'), JSON.stringify({ ...report, schema: 'other/1' }));
  await writeFile(join(tmp, 'text.json'), 'not a report\n');
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

it('writes mergekit YAML for every α, or one α, and lm_eval commands', async () => {
  const all = await rvs('export', '--report', join(tmp, 'r.json'), '--format', 'mergekit');
  expect(all.code, all.stderr).toBe(0);
  expect(all.stdout).toBe(mergekitStream(report));
  const one = await rvs('export', '--report', join(tmp, 'r.json'), '--format', 'mergekit', '--method', 'task_arithmetic', '--alpha', '0.5', '--out', join(tmp, 'm.yaml'));
  expect(one.code, one.stderr).toBe(0);
  expect(await readFile(join(tmp, 'm.yaml'), 'utf8')).toBe(mergekitYaml(report, 0.5, 'task_arithmetic'));
  const lm = await rvs('export', '--report', join(tmp, 'r.json'), '--format', 'lm-eval');
  expect(lm.stdout).toBe(lmEvalCommands(report));
});

it("shows a report's status when it is not complete", async () => {
  await writeFile(join(tmp, 'cancelled.json'), JSON.stringify({ ...report, status: 'cancelled' }));
  const r = await rvs('export', '--report', join(tmp, 'cancelled.json'), '--format', 'lm-eval');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe(`rvs: note: ${join(tmp, 'cancelled.json')} is a cancelled report; its unfinished runs are exported as they were set up\n`);
  expect(r.stdout).toBe(lmEvalCommands(report));
});

it('an invalid report exits 2 with the bad path named', async () => {
  const r = await rvs('export', '--report', join(tmp, 'bad.json'), '--format', 'mergekit');
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(`rvs: ${join(tmp, 'bad.json')}: invalid report at schema: Invalid input: expected "rvs-report/1"\n`);
});

it('a file that is not JSON is named', async () => {
  const r = await rvs('export', '--report', join(tmp, 'text.json'), '--format', 'lm-eval');
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(new RegExp(`^rvs: ${join(tmp, 'text.json').replaceAll('.', '\\.')}: report is not JSON \\(`));
});
