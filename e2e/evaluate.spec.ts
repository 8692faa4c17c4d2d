// Evaluation in the studio (headless Chromium, WebGPU on SwiftShader, the demo's tiny model):
// sweeps fill the chart, reports round-trip through export and "Open report", α changes neither
// re-read checkpoints nor rebuild the session, data comes from the user's files, and a report from
// elsewhere is validated and rendered as text only.
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { parseReport, type Report } from '../src/core/report/schema.ts';
import { chooseBenchmarks as choose, collectErrors, expectNoErrors, keepScreenshot, loadDemo, panel } from './helpers.ts';

test.describe.configure({ timeout: 150_000 });

async function exportReport(page: Page): Promise<{ text: string; report: Report }> {
  const [download] = await Promise.all([page.waitForEvent('download'), panel(page, 'Report').getByRole('button', { name: 'Export report' }).click()]);
  const text = await readFile((await download.path())!, 'utf8');
  return { text, report: parseReport(text) };
}

/** GSM8K (5-shot) over five α, started and seen reaching its second run. */
async function startFiveAlphaSweep(page: Page): Promise<void> {
  const evaluate = panel(page, 'Evaluate');
  await choose(page, ['GSM8K (5-shot)']);
  await evaluate.getByLabel('α values').fill('0, 0.25, 0.5, 0.75, 1');
  await evaluate.getByRole('button', { name: 'Run sweep' }).click();
  await expect(evaluate.getByRole('status').filter({ hasText: /^Run 2\/5/ })).toBeVisible({ timeout: 60_000 });
}

async function counters(page: Page): Promise<{ reads: number; sessions: number }> {
  const c = panel(page, 'Try it').getByTestId('engine-counters');
  return { reads: Number(await c.getAttribute('data-reads')), sessions: Number(await c.getAttribute('data-sessions')) };
}

test('a sweep over α ∈ {0, 1} on the user’s data fills the chart; the report survives export and re-import unchanged', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await loadDemo(page);
  const evaluate = panel(page, 'Evaluate');
  // GSM8K chain of thought from a file written here (its 8 examples are built in: no few-shot file).
  const items = [
    { question: 'Tom has 3 apples and buys 4 more. How many apples does he have?', answer: 'Tom has 3 + 4 = <<3+4=7>>7 apples.\n#### 7' },
    { question: 'A box holds 6 pens. How many pens are in 2 boxes?', answer: '2 * 6 = <<2*6=12>>12 pens.\n#### 12' },
  ];
  await evaluate.getByLabel('GSM8K chain of thought (8 fixed examples): test data').setInputFiles({
    name: 'my-gsm8k.jsonl',
    mimeType: 'application/json',
    buffer: Buffer.from(items.map((d) => JSON.stringify(d)).join('\n') + '\n'),
  });
  await expect(evaluate.getByTestId('data-gsm8k_cot')).toHaveText('2 items from my-gsm8k.jsonl');
  await choose(page, ['GSM8K chain of thought (8 fixed examples)', 'SciQ (multiple choice)']);
  await evaluate.getByLabel('α values').fill('0, 1');
  await evaluate.getByLabel('Max new tokens').fill('8');
  await evaluate.getByLabel('Batch size').fill('4'); // the demo sets 8
  await evaluate.getByRole('button', { name: 'Run sweep' }).click();
  await expect(evaluate.getByText(/^Sweep finished: 4 runs/)).toBeVisible({ timeout: 120_000 });

  const report = panel(page, 'Report');
  const chart = report.getByRole('figure', { name: 'Accuracy vs α' });
  await expect(chart.locator('.recharts-line-dot')).toHaveCount(2 * 2);
  const scores = report.getByRole('table', { name: 'Scores by α' });
  await expect(scores.getByRole('row')).toHaveCount(1 + 2);
  await expect(scores.getByRole('row', { name: /gsm8k_cot/ }).getByRole('cell').nth(1)).toHaveText(/^\d+\.\d% ± (\d+\.\d%|n\/a) \(n=2\)$/);
  await expect(report.getByTestId('items-count')).toHaveText('2 items');

  const first = await exportReport(page);
  expect(first.report.runs.map((r) => [r.alpha, r.task, r.samples.length])).toEqual([
    [0, 'gsm8k_cot', 2],
    [0, 'sciq', 3],
    [1, 'gsm8k_cot', 2],
    [1, 'sciq', 3],
  ]);
  expect(first.report.runs[0]!.config).toMatchObject({ data: 'my-gsm8k.jsonl', maxNewTokens: 8, batchSize: 4 });
  // The points are the report's metrics.
  const gsm = first.report.runs[2]!.metrics['exact_match,strict-match']!;
  await expect(scores.getByRole('row', { name: /gsm8k_cot/ }).getByRole('cell').nth(2)).toContainText(`${(gsm.value * 100).toFixed(1)}%`);

  // Open the exported file: everything re-renders from it; exporting again gives the same JSON.
  await report.getByLabel('Open report').setInputFiles({ name: 'exported.json', mimeType: 'application/json', buffer: Buffer.from(first.text) });
  await expect(report.getByTestId('report-name')).toHaveText('Showing exported.json');
  await expect(chart.locator('.recharts-line-dot')).toHaveCount(2 * 2);
  const second = await exportReport(page);
  expect(JSON.parse(second.text)).toEqual(JSON.parse(first.text));

  // Overlay: a second report drawn dashed over the first (here: the same one).
  await report.getByLabel('Overlay a report').setInputFiles({ name: 'other.json', mimeType: 'application/json', buffer: Buffer.from(first.text) });
  await expect(chart.locator('.recharts-line-dot')).toHaveCount(2 * 2 * 2);
  await keepScreenshot(testInfo, report, 'report-panel-overlay');
  await expectNoErrors(errors);
});

test('resident mode (the plan\'s choice for the demo): changing α re-reads no checkpoint and rebuilds no session; the time from α change to first token is shown', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await loadDemo(page);
  // The plan, shown before anything loads: the demo fits resident under the default 4 GB.
  const memory = panel(page, 'GPU memory').getByTestId('gpu-memory');
  await expect(memory).toHaveAttribute('data-mode', 'resident');
  await expect(memory).toHaveAttribute('data-fits', 'true');
  const tryIt = panel(page, 'Try it');
  await tryIt.getByLabel('Max new tokens').fill('6');
  await tryIt.getByRole('button', { name: 'Generate' }).click();
  const timing = tryIt.getByTestId('first-token');
  await expect(timing).toHaveAttribute('data-alpha-changed', 'true', { timeout: 60_000 });
  await expect(tryIt.getByTestId('engine-counters')).toHaveAttribute('data-sessions', '1');
  const loaded = await counters(page);
  expect(loaded.reads).toBeGreaterThan(0);

  const times: number[] = [];
  for (const alpha of ['0.25', '-1', '2']) {
    await panel(page, 'Merge').getByLabel('Alpha value').fill(alpha);
    await expect(tryIt.getByText(`α (${alpha.startsWith('-') ? '−' : '+'}${Math.abs(Number(alpha)).toFixed(2)})`)).toBeVisible();
    await tryIt.getByRole('button', { name: 'Generate' }).click();
    await expect(timing).toContainText(`α ${alpha.startsWith('-') ? '−' : '+'}${Math.abs(Number(alpha)).toFixed(2)} → first token`, { timeout: 30_000 });
    await expect(timing).toHaveAttribute('data-alpha-changed', 'true');
    const ms = Number(await timing.getAttribute('data-ms'));
    const applyMs = Number(await timing.getAttribute('data-apply-ms'));
    expect(ms).toBeGreaterThan(0);
    expect(applyMs).toBeGreaterThan(0);
    expect(applyMs).toBeLessThanOrEqual(ms);
    times.push(ms);
    expect(await counters(page)).toEqual(loaded);
  }
  console.log(`α change → first token (ms, SwiftShader, not a performance number): ${times.map((t) => t.toFixed(0)).join(', ')}`);

  // A sweep on the same model: still no reads, no new session.
  const evaluate = panel(page, 'Evaluate');
  await choose(page, ['SciQ (multiple choice)']);
  await evaluate.getByLabel('α values').fill('0, 0.5');
  await evaluate.getByRole('button', { name: 'Run sweep' }).click();
  await expect(evaluate.getByText(/^Sweep finished: 2 runs/)).toBeVisible({ timeout: 60_000 });
  expect(await counters(page)).toEqual(loaded);
  await keepScreenshot(testInfo, tryIt, 'try-it-panel-after-alpha-changes');
  // Bytes held now, as the worker counts its device's buffers: the model and onnxruntime's, within the budget.
  const held = Number(await memory.getAttribute('data-bytes'));
  // More than the merge's own buffers: onnxruntime's allocations on the same device count too.
  const modelBytes = Number(await memory.getAttribute('data-model-bytes'));
  expect(held).toBeGreaterThan(modelBytes);
  console.log(`GPU bytes held after Try it and a sweep (SwiftShader, demo): ${held}, of which the merge's weights and inputs ${modelBytes}`);
  expect(held).toBeLessThanOrEqual(Number(await memory.getAttribute('data-budget')));
  await expectNoErrors(errors);
});

test('streamed mode: each new α re-reads the checkpoints chunk by chunk, the session stays, and the text equals resident mode\'s', async ({ page }) => {
  const errors = collectErrors(page);
  await loadDemo(page);
  const gpu = panel(page, 'GPU memory');
  const memory = gpu.getByTestId('gpu-memory');
  const tryIt = panel(page, 'Try it');
  const timing = tryIt.getByTestId('first-token');
  const output = tryIt.getByLabel('Generated text');
  await tryIt.getByLabel('Max new tokens').fill('6');
  const generateAt = async (alpha: string) => {
    await panel(page, 'Merge').getByLabel('Alpha value').fill(alpha);
    await tryIt.getByRole('button', { name: 'Generate' }).click();
    await expect(timing).toContainText(`α ${alpha.startsWith('-') ? '−' : '+'}${Math.abs(Number(alpha)).toFixed(2)} → first token`, { timeout: 60_000 });
    return (await output.textContent()) ?? '';
  };
  const resident = [await generateAt('0.5'), await generateAt('2')];
  const residentBytes = Number(await memory.getAttribute('data-bytes'));

  await gpu.getByLabel('α changes').selectOption('streamed');
  await expect(memory).toHaveAttribute('data-mode', 'streamed');
  const planned = Number(await memory.getAttribute('data-plan-bytes'));
  const streamed = [await generateAt('0.5')];
  const before = await counters(page);
  streamed.push(await generateAt('2'));
  const after = await counters(page);
  // One new α: the checkpoints' bytes read once more (three inputs), no new session.
  expect(after.sessions).toBe(before.sessions);
  expect(after.reads).toBeGreaterThan(before.reads);
  expect(streamed).toEqual(resident);
  // The settings are remembered: a reload keeps streamed.
  await page.reload();
  await expect(panel(page, 'GPU memory').getByLabel('α changes')).toHaveValue('streamed');
  console.log(`GPU bytes held (SwiftShader, demo): resident ${residentBytes}, streamed plan ${planned}`);
  await expectNoErrors(errors);
});

test('a running sweep can be cancelled (what it did stays in the report) and resumed from the UI where it stopped; the finished report keeps the earlier samples unchanged', async ({ page }) => {
  const errors = collectErrors(page);
  await loadDemo(page);
  const evaluate = panel(page, 'Evaluate');
  await startFiveAlphaSweep(page);
  await evaluate.getByRole('button', { name: 'Cancel' }).click();
  await expect(evaluate.getByText('Cancelled — the items done so far stay in the report.')).toBeVisible();
  await expect(evaluate.getByRole('button', { name: 'Run sweep' })).toBeEnabled();
  const stopped = (await exportReport(page)).report;
  expect(stopped.runs.length).toBeGreaterThanOrEqual(1);
  expect(stopped.runs.length).toBeLessThan(5);
  const done = stopped.runs.reduce((n, r) => n + r.samples.length, 0);
  expect(done).toBeGreaterThan(0);
  await expect(evaluate.getByTestId('resumable')).toHaveAttribute('data-samples', String(done));

  await evaluate.getByLabel('α values').fill('2'); // the resumed sweep is the stopped one, whatever the field says now
  await evaluate.getByRole('button', { name: 'Resume sweep' }).click();
  await expect(evaluate.getByText(/^Sweep finished: 5 runs/)).toBeVisible({ timeout: 120_000 });
  await expect(evaluate.getByTestId('resumable')).toHaveCount(0);
  const finished = (await exportReport(page)).report;
  expect(finished.status).toBe('complete');
  expect(finished.runs.map((r) => r.alpha)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  for (const run of stopped.runs) {
    const same = finished.runs.find((r) => r.alpha === run.alpha && r.task === run.task)!;
    expect(same.samples.slice(0, run.samples.length), `α ${run.alpha}`).toEqual(run.samples);
    expect(same.samples.length).toBe((same.config['docIds'] as unknown[]).length);
  }
  await expectNoErrors(errors);
});

test('a lost GPU device mid-sweep: the page says what happened, keeps the report, restarts the GPU without a reload and resumes', async ({ page }) => {
  const errors = collectErrors(page);
  await loadDemo(page, '/?rvs-test-hooks');
  const evaluate = panel(page, 'Evaluate');
  await startFiveAlphaSweep(page);
  await page.evaluate(() => (window as unknown as { rvsLoseDevice: () => Promise<void> }).rvsLoseDevice());

  const banner = page.getByTestId('device-lost');
  await expect(banner).toBeVisible({ timeout: 60_000 });
  await expect(banner).toContainText('lower the GPU memory budget or the batch size');
  await expect(evaluate.getByText(/the GPU device was lost/)).toBeVisible();
  const stopped = (await exportReport(page)).report;
  expect(stopped.runs.length).toBeGreaterThanOrEqual(1);

  await banner.getByRole('button', { name: 'Restart the GPU' }).click();
  await expect(banner).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('webgpu-status')).toHaveAttribute('data-state', 'available');
  await expect(page.getByTestId('compat-status')).toHaveAttribute('data-state', 'ok');
  await evaluate.getByRole('button', { name: 'Resume sweep' }).click();
  await expect(evaluate.getByText(/^Sweep finished: 5 runs/)).toBeVisible({ timeout: 120_000 });
  const finished = (await exportReport(page)).report;
  for (const run of stopped.runs) {
    const same = finished.runs.find((r) => r.alpha === run.alpha && r.task === run.task)!;
    expect(same.samples.slice(0, run.samples.length)).toEqual(run.samples);
  }
  // The lost device's own console messages are expected; nothing else.
  console.log(errors.join('\n'));
  expect(errors.filter((e) => !/lost|destroy/i.test(e))).toEqual([]);
});

test('BIG-Bench Hard files are matched by subtask; a bad report is refused in one line; report text stays text', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/');
  const evaluate = panel(page, 'Evaluate');
  await evaluate.getByLabel('BIG-Bench Hard, chain of thought (3-shot): files').setInputFiles([
    { name: 'navigate.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ examples: [{ input: 'Take 1 step. Do you return?', target: 'No' }, { input: 'Turn around.', target: 'Yes' }] })) },
    { name: 'navigate.txt', mimeType: 'text/plain', buffer: Buffer.from("Navigation.\n\nQ: Take 1 step.\nA: Let's think step by step.\nOne step away. So the answer is No.") },
    { name: 'notes.md', mimeType: 'text/plain', buffer: Buffer.from('# notes') },
  ]);
  await expect(evaluate.getByTestId('data-bbh_cot_fewshot')).toHaveText('2 items in 1 subtask · 1 file ignored');
  await expect(evaluate.getByRole('checkbox', { name: 'BIG-Bench Hard, chain of thought (3-shot)' })).toBeChecked();

  const report = panel(page, 'Report');
  await report.getByLabel('Open report').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"schema": "rvs-report/1", "runs": 3}') });
  await expect(report.getByRole('alert')).toHaveText(/^bad\.json: invalid report at createdAt: /);
  await report.getByLabel('Open report').setInputFiles({ name: 'not.json', mimeType: 'application/json', buffer: Buffer.from('{oops') });
  await expect(report.getByRole('alert')).toHaveText(/^not\.json: report is not JSON/);

  // Strings of a report from elsewhere: markup stays text, nothing becomes an element or a link.
  const hostile = '<img src=x onerror="window.__pwned=1"><a href="javascript:alert(1)">click</a>';
  const untrusted = {
    schema: 'rvs-report/1',
    createdAt: '2025-01-01T00:00:00Z',
    app: { name: hostile, version: '1' },
    environment: { backend: hostile },
    checkpoints: { target: { name: hostile } },
    recipe: null,
    runs: [{ alpha: 0, task: 'gsm8k', config: {}, metrics: { 'exact_match,strict-match': { value: 0, stderr: null } }, samples: [{ doc_id: 0, prompt: hostile, output: hostile, target: hostile, filtered: { 'strict-match': hostile }, scores: { 'exact_match,strict-match': 0 } }] }],
    timings: {},
  };
  await report.getByLabel('Open report').setInputFiles({ name: 'untrusted.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(untrusted)) });
  await expect(report.getByTestId('report-name')).toHaveText('Showing untrusted.json');
  await expect(report.getByRole('table', { name: 'Items' })).toContainText(hostile);
  expect(await report.locator('img, a[href]').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  await expectNoErrors(errors);
});
