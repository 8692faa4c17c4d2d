// One evaluation path: the CLI's `rvs sweep` and the studio's sweep (headless Chromium) on the same
// tiny BF16 family (written to disk here and loaded into the studio's slots from those folders; the
// reports' fingerprints prove it), the same data files and the same α values give the same per-sample
// outputs, scores and metrics — with either weight arithmetic.
//
// The weights are the same bits on both sides (the merge kernels agree bit for bit); what differs
// is what computes with them, and only multiple-choice log-likelihoods show it:
//   - the studio on WebGPU (SwiftShader) and the CLI on onnxruntime-node's CPU kernels sum in
//     different orders: float32 logits differ in their last bits, log-likelihoods by ~1e-8
//     relative (measured); compared within 1e-6;
//   - with one runtime on both sides — the studio's wasm fallback (Chromium without WebGPU) and
//     `rvs sweep --runtime wasm`, both onnxruntime-web's wasm backend — the logits are the same and
//     the log-likelihoods differ by at most a few float64 ulps: the log-softmax runs in JavaScript,
//     and Node 20's V8 and Chromium's V8 round Math.exp / Math.log differently in the last bit on
//     some inputs (measured: ~10% / ~5% of inputs). Compared within 1e-13, which a float32
//     difference in the logits could not meet.
// Outputs, filtered answers, scores and metrics are compared exactly. (The two arithmetics differ
// by ~1e-3 in these log-likelihoods at α ≠ 0, measured: a studio ignoring its Weights setting
// would fail the 1e-6 comparison.)
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { TINY_QWEN2_CHAT } from '../src/core/checkpoint/synthetic.ts';
import { parseReport, type Report } from '../src/core/report/schema.ts';
import { rvs } from '../src/cli/testing.ts';
import { collectErrors, expectNoErrors, panel, slot, writeMemberFolder } from './helpers.ts';

test.describe.configure({ timeout: 240_000 });

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const FILES: Record<string, string> = {
  'gsm-test.jsonl': jsonl([
    { question: 'Tom has 3 apples and buys 4 more. How many?', answer: '3 + 4 = 7\n#### 7' },
    { question: 'What is 6 times 7?', answer: '6 * 7 = 42\n#### 42' },
    { question: 'Half of 10?', answer: '10 / 2 = 5\n#### 5' },
  ]),
  'gsm-train.jsonl': jsonl([1, 2, 3, 4, 5, 6].map((k) => ({ question: `${k} plus ${k}?`, answer: `${k} + ${k} = ${2 * k}\n#### ${2 * k}` }))),
  'sciq.jsonl': jsonl([
    { question: 'What gas do plants absorb?', distractor1: 'oxygen', distractor2: 'helium', distractor3: 'neon', correct_answer: 'carbon dioxide', support: 'Plants take in CO2.' },
    { question: 'Water boils at?', distractor1: '50 C', distractor2: '0 C', distractor3: '10 C', correct_answer: '100 C', support: '' },
    { question: 'Which is a mammal?', distractor1: 'trout', distractor2: 'frog', distractor3: 'crow', correct_answer: 'whale', support: 'Whales nurse their young.' },
  ]),
};
const ALPHAS = '-0.5,0,1';
const MAX_NEW_TOKENS = '12';

async function cliSweep(dir: string, weights: string, runtime: 'node' | 'wasm'): Promise<Report> {
  const out = join(dir, `cli-${weights}-${runtime}.json`);
  const r = await rvs(
    'sweep', '--sft', join(dir, 'sft'), '--grpo', join(dir, 'grpo'), '--target', join(dir, 'target'), '--alphas', ALPHAS, '--weights', weights,
    '--task', 'gsm8k', '--data', join(dir, 'gsm-test.jsonl'), '--fewshot-data', `gsm8k=${join(dir, 'gsm-train.jsonl')}`,
    '--task', 'sciq', '--data', join(dir, 'sciq.jsonl'),
    '--max-new-tokens', MAX_NEW_TOKENS, '--batch', '4', '--runtime', runtime, '--out', out,
  );
  expect(r.code, r.stderr).toBe(0);
  return parseReport(await readFile(out, 'utf8'));
}

async function studioSweep(page: Page, dir: string, weights: string, webgpu: boolean): Promise<Report> {
  await page.goto('/');
  if (webgpu) await expect(page.getByTestId('webgpu-status')).toHaveAttribute('data-state', 'available');
  else await expect(panel(page, 'Evaluate').getByTestId('eval-fallback')).toBeVisible();
  // The same folders the CLI reads, through the slots' folder inputs (BF16, so the two weight
  // arithmetics differ; the demo family is F32).
  for (const [member, name] of [['sft', 'SFT checkpoint'], ['grpo', 'GRPO checkpoint'], ['target', 'Target checkpoint']] as const) {
    await slot(page, name).getByLabel('Choose folder').setInputFiles(join(dir, member));
  }
  await expect(page.getByTestId('compat-status')).toHaveAttribute('data-state', 'ok');
  const evaluate = panel(page, 'Evaluate');
  const file = (name: string) => ({ name, mimeType: 'application/json', buffer: Buffer.from(FILES[name]!) });
  await evaluate.getByLabel('GSM8K (5-shot): test data').setInputFiles(join(dir, 'gsm-test.jsonl'));
  await evaluate.getByLabel('GSM8K (5-shot): few-shot data').setInputFiles(file('gsm-train.jsonl'));
  await evaluate.getByLabel('SciQ (multiple choice): test data').setInputFiles(file('sciq.jsonl'));
  await expect(evaluate.getByTestId('data-gsm8k')).toContainText('3 items from gsm-test.jsonl');
  await expect(evaluate.getByTestId('data-sciq')).toContainText('3 items from sciq.jsonl');
  const rows = evaluate.getByRole('table', { name: 'Benchmarks' }).getByRole('checkbox');
  for (const box of await rows.all()) {
    const name = (await box.evaluate((el) => el.parentElement?.textContent ?? '')).trim();
    await box.setChecked(name === 'GSM8K (5-shot)' || name === 'SciQ (multiple choice)');
  }
  await evaluate.getByLabel('α values').fill(ALPHAS);
  await evaluate.getByLabel('Max new tokens').fill(MAX_NEW_TOKENS);
  await evaluate.getByLabel('Batch size').fill('4');
  await evaluate.getByLabel('Weights').selectOption(weights);
  await evaluate.getByRole('button', { name: 'Run sweep' }).click();
  await expect(evaluate.getByText(/^Sweep finished: 6 runs/)).toBeVisible({ timeout: 180_000 });
  await expect(panel(page, 'Report').getByTestId('report-recipe')).toContainText(weights === 'f32' ? 'exact float32 weights' : 'weights in the checkpoint’s dtype');
  const [download] = await Promise.all([page.waitForEvent('download'), panel(page, 'Report').getByRole('button', { name: 'Export report' }).click()]);
  return parseReport(await readFile((await download.path())!, 'utf8'));
}

/** Each run's α, task, settings (but where the data came from), metrics and samples; log-likelihoods apart. */
function comparable(report: Report) {
  return report.runs.map(({ config: { data: _data, ...config }, samples, ...run }) => ({
    ...run,
    config,
    samples: samples.map(({ loglikelihoods: _ll, ...sample }) => sample),
  }));
}

/** The largest relative difference between the two reports' log-likelihoods (same shapes asserted). */
function loglikelihoodGap(a: Report, b: Report): number {
  const all = (r: Report) => r.runs.flatMap((run) => run.samples.flatMap((s) => s.loglikelihoods ?? []));
  const [x, y] = [all(a), all(b)];
  expect(x.length).toBe(y.length);
  expect(x.length).toBeGreaterThan(0);
  return Math.max(...x.map((v, i) => Math.abs(v - y[i]!) / Math.max(1e-30, Math.abs(y[i]!))));
}

async function writeFixtures(testInfo: TestInfo): Promise<string> {
  const dir = testInfo.outputPath('work');
  for (const member of ['sft', 'grpo', 'target'] as const) {
    await writeMemberFolder(testInfo, join('work', member), member, { shape: TINY_QWEN2_CHAT, dtype: 'BF16', seed: 1, tokenizer: true });
  }
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, name), text);
  return dir;
}

function expectSameExperiment(studio: Report, cli: Report, weights: string): void {
  for (const role of ['sft', 'grpo', 'target'] as const) expect(studio.checkpoints[role]?.fingerprint).toBe(cli.checkpoints[role]?.fingerprint);
  expect(studio.recipe).toEqual(cli.recipe);
  expect(cli.recipe?.dtype).toBe(weights === 'f32' ? 'F32' : 'auto');
  expect(studio.runs.map((r) => [r.alpha, r.task])).toEqual([-0.5, 0, 1].flatMap((a) => [[a, 'gsm8k'], [a, 'sciq']]));
}

test.describe('WebGPU studio and the CLI on onnxruntime-node', () => {
  for (const weights of ['f32', 'checkpoint'] as const) {
    test(`the same samples, scores and metrics (--weights ${weights})`, async ({ page }, testInfo) => {
      const errors = collectErrors(page);
      const dir = await writeFixtures(testInfo);
      const cli = await cliSweep(dir, weights, 'node');
      const studio = await studioSweep(page, dir, weights, true);
      expectSameExperiment(studio, cli, weights);
      expect(comparable(studio)).toEqual(comparable(cli));
      const gap = loglikelihoodGap(studio, cli);
      testInfo.annotations.push({ type: 'largest relative log-likelihood difference', description: String(gap) });
      console.log(`--weights ${weights}: largest relative log-likelihood difference ${gap}`);
      expect(gap).toBeLessThan(1e-6);
      await expectNoErrors(errors);
    });
  }
});

test('one runtime on both sides, the studio without WebGPU and rvs sweep --runtime wasm: the same reports, log-likelihoods to float64 rounding', async ({ playwright }, testInfo) => {
  // Chromium without --enable-unsafe-webgpu has no adapter: the studio runs its wasm fallback.
  const browser = await playwright.chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
  try {
    const page = await (await browser.newContext({ baseURL: testInfo.project.use.baseURL!, acceptDownloads: true })).newPage();
    const errors = collectErrors(page);
    const dir = await writeFixtures(testInfo);
    const cli = await cliSweep(dir, 'checkpoint', 'wasm');
    const studio = await studioSweep(page, dir, 'checkpoint', false);
    expect(studio.environment.backend).toBe('onnxruntime-web (wasm, CPU fallback)');
    expectSameExperiment(studio, cli, 'checkpoint');
    expect(comparable(studio)).toEqual(comparable(cli));
    const gap = loglikelihoodGap(studio, cli);
    testInfo.annotations.push({ type: 'largest relative log-likelihood difference', description: String(gap) });
    console.log(`wasm on both sides: largest relative log-likelihood difference ${gap}`);
    expect(gap).toBeLessThan(1e-13);
    await expectNoErrors(errors);
  } finally {
    await browser.close();
  }
});
