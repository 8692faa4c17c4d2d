// Saved runs (IndexedDB) on the demo's tiny model: a sweep is kept as it runs and survives a
// reload with the runs it finished (status partial); a cancelled sweep keeps and exports its
// finished runs (status cancelled); two sweeps overlay from the Runs table, with their numbers in
// the scores table and the CSV; rename, export and delete.
import { readFile } from 'node:fs/promises';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { parseReport, type Report } from '../src/core/report/schema.ts';
import { chooseBenchmarks, collectErrors, expectNoErrors, keepScreenshot, loadDemo, panel } from './helpers.ts';

test.describe.configure({ timeout: 180_000 });

const runsTable = (page: Page) => panel(page, 'Runs').getByRole('table', { name: 'Saved runs' });
/** The Runs table's rows (header excluded). */
const runRows = (page: Page) => runsTable(page).locator('tbody tr');

async function downloadJson(page: Page, click: () => Promise<void>): Promise<{ text: string; report: Report; file: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const text = await readFile((await download.path())!, 'utf8');
  return { text, report: parseReport(text), file: download.suggestedFilename() };
}

async function startGsm8kSweep(page: Page, alphas: string): Promise<void> {
  const evaluate = panel(page, 'Evaluate');
  await chooseBenchmarks(page, ['GSM8K (5-shot)']);
  await evaluate.getByLabel('α values').fill(alphas);
  await evaluate.getByRole('button', { name: 'Run sweep' }).click();
}

/** Waits until the run in `row` has a finished α saved (its best α is known). */
async function firstRunSaved(row: Locator): Promise<void> {
  await expect(row.locator('td').nth(5)).toContainText('%', { timeout: 90_000 });
}

const finishedRuns = (r: Report) => r.runs.filter((run) => Object.keys(run.metrics).length > 0);

test('a sweep is saved as it runs: a reload mid-sweep keeps the runs it finished, marked partial', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await loadDemo(page);
  await startGsm8kSweep(page, '0, 0.25, 0.5, 0.75, 1');
  await expect(runRows(page)).toHaveCount(1, { timeout: 90_000 });
  await firstRunSaved(runRows(page).first());
  const live = panel(page, 'Report');
  await expect(live.getByTestId('status-badge')).toHaveText('partial');

  await page.reload();
  await expect(runRows(page)).toHaveCount(1);
  const row = runRows(page).first();
  await expect(row.getByTestId('status-badge')).toHaveText('partial');
  await expect(row.getByRole('rowheader')).toContainText('gsm8k · α 0');
  await row.getByRole('button', { name: 'Open' }).click();
  const report = panel(page, 'Report');
  await expect(report.getByTestId('status-badge')).toHaveText('partial');
  const exported = await downloadJson(page, () => row.getByRole('button', { name: 'Export' }).click());
  expect((exported.report as { status?: string }).status ?? JSON.parse(exported.text).status).toBe('partial');
  const done = finishedRuns(exported.report);
  expect(done.length).toBeGreaterThanOrEqual(1);
  expect(done.map((r) => r.alpha)).toEqual([0, 0.25, 0.5, 0.75, 1].slice(0, done.length));
  // The chart and the table show the saved runs' numbers.
  const cell = report.getByRole('table', { name: 'Scores by α' }).getByRole('row', { name: /gsm8k/ }).locator('td[data-alpha="0"]');
  const m = done[0]!.metrics['exact_match,strict-match']!;
  await expect(cell).toHaveText(`${(m.value * 100).toFixed(1)}% ± ${m.stderr === null ? 'n/a' : `${(m.stderr * 100).toFixed(1)}%`} (n=${m.n})`);
  await keepScreenshot(testInfo, panel(page, 'Runs'), 'runs-panel-after-reload');
  await keepScreenshot(testInfo, report, 'report-partial-after-reload');
  await page.screenshot({ path: testInfo.outputPath('runs-after-reload.png'), fullPage: true });
  await testInfo.attach('runs-after-reload', { path: testInfo.outputPath('runs-after-reload.png'), contentType: 'image/png' });
  await expectNoErrors(errors);
});

test('a cancelled sweep keeps, shows and exports the runs it finished, with status cancelled', async ({ page }) => {
  const errors = collectErrors(page);
  await loadDemo(page);
  await startGsm8kSweep(page, '0, 0.25, 0.5, 0.75, 1');
  await firstRunSaved(runRows(page).first());
  await panel(page, 'Evaluate').getByRole('button', { name: 'Cancel' }).click();
  const report = panel(page, 'Report');
  await expect(report.getByTestId('status-badge')).toHaveText('cancelled');
  await expect(runRows(page).first().getByTestId('status-badge')).toHaveText('cancelled');
  const exported = await downloadJson(page, () => report.getByRole('button', { name: 'Export report' }).click());
  expect(JSON.parse(exported.text).status).toBe('cancelled');
  expect(finishedRuns(exported.report).length).toBeGreaterThanOrEqual(1);
  expect(exported.report.runs.length).toBeLessThan(5);

  await page.reload();
  const row = runRows(page).first();
  await expect(row.getByTestId('status-badge')).toHaveText('cancelled');
  await row.getByRole('button', { name: 'Open' }).click();
  await expect(report.getByTestId('status-badge')).toHaveText('cancelled');
  const again = await downloadJson(page, () => report.getByRole('button', { name: 'Export report' }).click());
  expect(again.report.runs).toEqual(exported.report.runs);
  await expectNoErrors(errors);
});

test('two sweeps overlay from the Runs table with their numbers in the table and the CSV; rename, export, delete', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await loadDemo(page);
  const evaluate = panel(page, 'Evaluate');
  await chooseBenchmarks(page, ['SciQ (multiple choice)']);
  for (const [i, alphas] of ['0, 1', '0, 0.5'].entries()) {
    await evaluate.getByLabel('α values').fill(alphas);
    await evaluate.getByRole('button', { name: 'Run sweep' }).click();
    await expect(runRows(page)).toHaveCount(i + 1, { timeout: 90_000 });
    await expect(runRows(page).first().getByTestId('status-badge')).toHaveText('complete', { timeout: 90_000 });
  }
  // Newest first.
  await expect(runRows(page).locator('.run-name')).toHaveText(['sciq · α 0 … 0.5 (2)', 'sciq · α 0 … 1 (2)']);
  const saved = [];
  for (const row of await runRows(page).all()) saved.push((await downloadJson(page, () => row.getByRole('button', { name: 'Export' }).click())).report);

  const runs = panel(page, 'Runs');
  await runs.getByLabel('Select sciq · α 0 … 0.5 (2)').check();
  await runs.getByLabel('Select sciq · α 0 … 1 (2)').check();
  await runs.getByRole('button', { name: 'Overlay the 2 selected' }).click();
  const report = panel(page, 'Report');
  await expect(report.getByTestId('report-name')).toHaveText('Showing sciq · α 0 … 0.5 (2), overlaid with sciq · α 0 … 1 (2)');
  const chart = report.getByRole('figure', { name: 'Accuracy vs α' });
  await expect(chart.getByRole('list', { name: 'Series' }).getByRole('button')).toHaveText(['sciq — sciq · α 0 … 0.5 (2)', 'sciq — sciq · α 0 … 1 (2)']);
  expect(await chart.locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents()).toEqual(['+0.00', '+0.50', '+1.00']);
  await expect(chart.locator('.recharts-line-dot')).toHaveCount(4);

  // The table holds both reports' numbers; the CSV holds them exactly.
  const table = report.getByRole('table', { name: 'Scores by α' });
  await expect(table.getByRole('row')).toHaveCount(1 + 2);
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), report.getByRole('button', { name: 'Export table as CSV' }).click()]);
  const csv = (await readFile((await csvDownload.path())!, 'utf8')).trimEnd().split('\r\n').slice(1);
  const names = ['sciq · α 0 … 0.5 (2)', 'sciq · α 0 … 1 (2)'];
  const want = saved.flatMap((r, i) => r.runs.map((run) => {
    const m = run.metrics['acc,none']!;
    return [names[i], 'sciq', '"acc,none"', String(run.alpha), String(m.value), String(m.stderr ?? ''), String(m.n)].join(',');
  }));
  expect(csv.map((l) => l.split(',').slice(0, 8).join(','))).toEqual(want);
  for (const [i, r] of saved.entries()) {
    for (const run of r.runs) {
      const m = run.metrics['acc,none']!;
      await expect(table.getByRole('row').filter({ hasText: names[i]! }).locator(`td[data-alpha="${run.alpha}"]`)).toHaveText(`${(m.value * 100).toFixed(1)}% ± ${m.stderr === null ? 'n/a' : `${(m.stderr * 100).toFixed(1)}%`} (n=${m.n})`);
    }
  }
  await page.mouse.move(0, 0);
  await keepScreenshot(testInfo, panel(page, 'Runs'), 'runs-panel');
  await keepScreenshot(testInfo, report, 'report-panel-two-sweeps');
  await page.screenshot({ path: testInfo.outputPath('runs-and-report.png'), fullPage: true });
  await testInfo.attach('runs-and-report', { path: testInfo.outputPath('runs-and-report.png'), contentType: 'image/png' });

  // Rename (kept after a reload), export under the new name, delete.
  const older = runRows(page).nth(1);
  await older.getByRole('button', { name: 'Rename' }).click();
  await older.getByLabel('New name for sciq · α 0 … 1 (2)').fill('α 0 and 1');
  await older.getByRole('button', { name: 'Save' }).click();
  await expect(older.getByRole('rowheader')).toContainText('α 0 and 1');
  await expect(report.getByTestId('report-name')).toHaveText('Showing sciq · α 0 … 0.5 (2), overlaid with α 0 and 1');
  await page.reload();
  await expect(runRows(page).locator('.run-name')).toHaveText(['sciq · α 0 … 0.5 (2)', 'α 0 and 1']);
  const renamed = await downloadJson(page, () => runRows(page).nth(1).getByRole('button', { name: 'Export' }).click());
  expect(renamed.file).toBe('α-0-and-1.json');
  expect(renamed.report.runs).toEqual(saved[1]!.runs);
  await runRows(page).first().getByRole('button', { name: 'Delete' }).click();
  await runRows(page).first().getByRole('button', { name: 'Delete for good' }).click();
  await expect(runRows(page).locator('.run-name')).toHaveText(['α 0 and 1']);
  await page.reload();
  await expect(runRows(page)).toHaveCount(1);
  await expectNoErrors(errors);
});
