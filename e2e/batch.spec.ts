// Batched evaluation on WebGPU (SwiftShader; the demo's tiny model): the same sweep at batch 1 and
// batch 8 gives the same outputs, the summary shows the items/s and batch of each, and their ratio is
// printed (BENCHMARKS.md: a SwiftShader ratio, not a performance number).
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { parseReport, type Report } from '../src/core/report/schema.ts';
import { sweepThroughput } from '../src/app/sweep-throughput.ts';
import { chooseBenchmarks, collectErrors, expectNoErrors, loadDemo, panel } from './helpers.ts';

test.describe.configure({ timeout: 240_000 });

async function sweepAt(page: Page, batch: number): Promise<Report> {
  const evaluate = panel(page, 'Evaluate');
  await evaluate.getByLabel('Batch size').fill(String(batch));
  await evaluate.getByRole('button', { name: 'Run sweep' }).click();
  await expect(evaluate.getByText(new RegExp(`^Sweep finished: 1 run .* at batch ${batch}\\)\\.$`))).toBeVisible({ timeout: 180_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), panel(page, 'Report').getByRole('button', { name: 'Export report' }).click()]);
  return parseReport(await readFile((await download.path())!, 'utf8'));
}

test('batch 8 and batch 1 give the same outputs; items/s of each in the summary', async ({ page }) => {
  const errors = collectErrors(page);
  await loadDemo(page);
  const evaluate = panel(page, 'Evaluate');
  const items = Array.from({ length: 16 }, (_, i) => ({ question: `What is ${i} plus ${i + 2}?${' Think.'.repeat(i % 5)}`, answer: `${i} + ${i + 2} = ${2 * i + 2}.\n#### ${2 * i + 2}` }));
  await evaluate.getByLabel('GSM8K chain of thought (8 fixed examples): test data').setInputFiles({
    name: 'sums.jsonl', mimeType: 'application/json', buffer: Buffer.from(items.map((d) => JSON.stringify(d)).join('\n') + '\n'),
  });
  await chooseBenchmarks(page, ['GSM8K chain of thought (8 fixed examples)']);
  await evaluate.getByLabel('α values').fill('1');
  await evaluate.getByLabel('Max new tokens').fill('8');

  const one = await sweepAt(page, 1);
  const eight = await sweepAt(page, 8);
  expect(one.runs[0]!.samples.length).toBe(16);
  expect(eight.runs[0]!.config['batchSize']).toBe(8);
  const outputs = (r: Report) => r.runs[0]!.samples.map((s) => [s.doc_id, s.output]);
  expect(outputs(eight)).toEqual(outputs(one));
  const [a, b] = [sweepThroughput(one), sweepThroughput(eight)];
  console.log(`items/s (SwiftShader, demo model, 16 GSM8K-format items, 8 new tokens; not a performance number): batch 1 ${a.itemsPerSecond!.toFixed(2)}, batch 8 ${b.itemsPerSecond!.toFixed(2)}, ratio ${(b.itemsPerSecond! / a.itemsPerSecond!).toFixed(2)}×`);
  await expectNoErrors(errors);
});
