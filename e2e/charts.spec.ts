// The Report panel's chart and scores table on report files written here (their numbers are
// known): ticks at the measured α, tooltips with value, stderr and n, legend toggles, exports
// (PNG, SVG, CSV with the report's numbers), overlays in the table and cleared by another report,
// the α = 0 baseline with Δ, and a report with 3001 α values that stays readable.
import { readFile, writeFile } from 'node:fs/promises';
import { expect, test, type Download, type Locator, type Page } from '@playwright/test';
import { collectErrors, expectNoErrors, keepScreenshot, panel } from './helpers.ts';
import { metricRun, openReportFile, reportOf, scoredRun } from './reports.ts';

const ALPHAS = [-1, 0, 0.5, 1, 1.5];
const GSM = [12, 15, 21, 18, 9];
const SCIQ = [20, 22, 22, 25, 19];
const A = reportOf([...ALPHAS.map((a, i) => scoredRun('gsm8k', a, GSM[i]!, 40)), ...ALPHAS.map((a, i) => scoredRun('sciq', a, SCIQ[i]!, 30))]);
const B = reportOf([scoredRun('gsm8k', 0, 10, 40), scoredRun('gsm8k', 1, 30, 40)], '2026-03-02T10:00:00.000Z');

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const chartOf = (page: Page) => panel(page, 'Report').getByRole('figure', { name: 'Accuracy vs α' });
const ticks = (chart: Locator) => chart.locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ download: Download; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return { download, bytes: await readFile((await download.path())!) };
}

test('ticks sit at the measured α; the tooltip gives value, stderr and n; the legend hides a series', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await page.goto('/');
  await openReportFile(page, A, 'a.json');
  const chart = chartOf(page);
  await expect(chart.locator('.recharts-line-dot')).toHaveCount(10);
  expect(await ticks(chart)).toEqual(['−1.00', '+0.00', '+0.50', '+1.00', '+1.50']);

  // Hover α = +0.50 of gsm8k: 21/40 ± √(s²/40).
  const gsm = A.runs[2]!.metrics['exact_match,strict-match']!;
  await chart.locator('.recharts-line-dots').first().locator('.recharts-line-dot').nth(2).hover();
  const tooltip = chart.getByTestId('chart-tooltip');
  await expect(tooltip).toContainText('α +0.50');
  const cell = tooltip.locator('tr', { hasText: 'gsm8k' }).locator('td');
  await expect(cell).toHaveText(`${pct(gsm.value)} ± ${pct(gsm.stderr!)} (n=40)`);
  expect(Number(await cell.getAttribute('data-stderr'))).toBe(gsm.stderr);
  expect(Number(await cell.getAttribute('data-n'))).toBe(40);
  await expect(tooltip.locator('tr', { hasText: 'sciq' }).locator('td')).toHaveText(`${pct(22 / 30)} ± ${pct(A.runs[7]!.metrics['acc,none']!.stderr!)} (n=30)`);
  await keepScreenshot(testInfo, chart, 'chart-tooltip');

  // The legend toggles series: sciq hidden, then shown again.
  const sciq = chart.getByRole('button', { name: 'sciq (acc,none)' });
  await sciq.click();
  await expect(sciq).toHaveAttribute('aria-pressed', 'false');
  await expect(chart.locator('.recharts-line')).toHaveCount(1);
  await expect(chart.locator('.recharts-line-dot')).toHaveCount(5);
  await page.mouse.move(0, 0);
  await keepScreenshot(testInfo, chart, 'chart-sciq-hidden');
  await sciq.click();
  await expect(chart.locator('.recharts-line')).toHaveCount(2);
  await expectNoErrors(errors);
});

test('the chart exports as PNG and SVG, the scores table as CSV holding the report’s numbers', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await page.goto('/');
  await openReportFile(page, A, 'a.json');
  const report = panel(page, 'Report');
  await expect(chartOf(page).locator('.recharts-line-dot')).toHaveCount(10);

  const csv = await downloaded(page, () => report.getByRole('button', { name: 'Export table as CSV' }).click());
  expect(csv.download.suggestedFilename()).toBe('a-scores.csv');
  // Fields: plain, or quoted ("exact_match,strict-match").
  const lines = csv.bytes.toString('utf8').trimEnd().split('\r\n').map((l) => [...l.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) => m[1]!.replace(/^"|"$/g, '').replaceAll('""', '"')));
  expect(lines[0]).toEqual(['report', 'benchmark', 'metric', 'alpha', 'value', 'stderr', 'n', 'partial', 'delta_vs_alpha0']);
  expect(lines).toHaveLength(1 + A.runs.length);
  for (const run of A.runs) {
    const [key, m] = Object.entries(run.metrics)[0]!;
    const line = lines.find((l) => l[1] === run.task && Number(l[3]) === run.alpha)!;
    expect(line[2]).toBe(key);
    // Exactly the report's numbers (not the rounded percentages on screen).
    expect([Number(line[4]), Number(line[5]), Number(line[6])]).toEqual([m.value, m.stderr, m.n]);
    const base = Object.values(A.runs.find((r) => r.task === run.task && r.alpha === 0)!.metrics)[0]!;
    expect(Number(line[8])).toBe(m.value - base.value);
  }

  const svg = await downloaded(page, () => report.getByRole('button', { name: 'Export chart as SVG' }).click());
  expect(svg.download.suggestedFilename()).toBe('rvs-chart.svg');
  const text = svg.bytes.toString('utf8');
  expect(text).toMatch(/^<\?xml[^>]*>\n<svg /);
  for (const label of ['gsm8k (exact_match,strict-match)', 'sciq (acc,none)', '−1.00', '+1.50', 'Accuracy vs α']) expect(text).toContain(label);
  expect(text).not.toContain('var(--');

  const png = await downloaded(page, () => report.getByRole('button', { name: 'Export chart as PNG' }).click());
  expect(png.download.suggestedFilename()).toBe('rvs-chart.png');
  expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const width = png.bytes.readUInt32BE(16);
  const height = png.bytes.readUInt32BE(20);
  const svgWidth = Number(/<svg [^>]*width="(\d+)"/.exec(text)![1]);
  const svgHeight = Number(/<svg [^>]*height="(\d+)"/.exec(text)![1]);
  expect([width, height]).toEqual([2 * svgWidth, 2 * svgHeight]);
  await writeFile(testInfo.outputPath('exported-chart.png'), png.bytes);
  await testInfo.attach('exported-chart.png', { body: png.bytes, contentType: 'image/png' });
  await testInfo.attach('exported-chart.svg', { body: svg.bytes, contentType: 'image/svg+xml' });
  await expectNoErrors(errors);
});

test('an overlay’s numbers are in the table; the α = 0 baseline adds Δ; another report clears the overlays', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await page.goto('/');
  await openReportFile(page, A, 'a.json');
  await openReportFile(page, B, 'b.json', 'Overlay a report');
  const report = panel(page, 'Report');
  await expect(report.getByTestId('report-name')).toHaveText('Showing a.json, overlaid with b.json');
  const table = report.getByRole('table', { name: 'Scores by α' });
  await expect(table.getByRole('row')).toHaveCount(1 + 3);
  const overlayRow = table.getByRole('row').filter({ hasText: 'b.json' });
  await expect(overlayRow.locator('td[data-alpha="1"]')).toHaveText(`${pct(30 / 40)} ± ${pct(B.runs[1]!.metrics['exact_match,strict-match']!.stderr!)} (n=40)`);
  await expect(overlayRow.locator('td[data-alpha="0.5"]')).toHaveText('—');

  await report.getByLabel(/Baseline α = 0/).check();
  const chart = chartOf(page);
  await expect(chart.locator('.recharts-reference-line')).toHaveCount(3);
  // Δ of b.json at α = 1: 30/40 − 10/40 = +50.0 pp.
  await expect(overlayRow.locator('td[data-alpha="1"] .delta')).toHaveText(' Δ +50.0 pp');
  await expect(table.getByRole('row').filter({ hasText: 'a.json' }).filter({ hasText: 'gsm8k' }).locator('td[data-alpha="0.5"] .delta')).toHaveText(` Δ +${(((21 - 15) / 40) * 100).toFixed(1)} pp`);
  await keepScreenshot(testInfo, report, 'report-overlay-baseline');

  await openReportFile(page, reportOf([scoredRun('sciq', 0, 1, 3)], '2026-03-03T10:00:00.000Z'), 'c.json');
  await expect(report.getByTestId('report-name')).toHaveText('Showing c.json');
  await expect(report.getByRole('list', { name: 'Overlays' })).toHaveCount(0);
  await expect(chart.getByRole('list', { name: 'Series' }).getByRole('button')).toHaveText(['sciq (acc,none)']);
  await expect(table.getByRole('row')).toHaveCount(1 + 1);
  await expectNoErrors(errors);
});

test('3001 α values: the table lists α as rows a page at a time, labels tell them apart, the chart ticks and zooms at measured α', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  const alphas = Array.from({ length: 3001 }, (_, i) => Number((-2 + (4 * i) / 3000).toFixed(6)));
  const runs = alphas.flatMap((a, i) => [metricRun('gsm8k', a, 0.3 + 0.2 * Math.sin(i / 300), 0.05, 100), metricRun('sciq', a, 0.6 - 0.1 * Math.cos(i / 500), 0.04, 100)]);
  await page.goto('/');
  await openReportFile(page, reportOf(runs), 'many.json');
  const report = panel(page, 'Report');
  const table = report.getByRole('table', { name: 'Scores by α' });
  await expect(table.locator('thead th')).toHaveCount(1 + 2);
  await expect(table.locator('tbody tr')).toHaveCount(20);
  const heads = await table.locator('tbody th').allTextContents();
  expect(new Set(heads).size).toBe(20);
  expect(heads.slice(0, 3)).toEqual(['−2.000', '−1.999', '−1.997']);
  await expect(report.getByTestId('scores-page')).toHaveText('α −2.000 … −1.975 · rows 1–20 of 3001');
  await report.getByRole('button', { name: 'Next' }).click();
  await expect(report.getByTestId('scores-page')).toContainText('rows 21–40 of 3001');
  await expect(table.locator('tbody tr').first().locator('td').first()).toHaveText(`${pct(runs[40]!.metrics['exact_match,strict-match']!.value)} ± 5.0% (n=100)`);

  // The chart: a ± stderr band instead of 6002 markers, ticks at measured α only.
  const chart = chartOf(page);
  await expect(chart.locator('.recharts-line')).toHaveCount(2);
  await expect(chart.locator('.recharts-line-dot')).toHaveCount(0);
  const labels = new Set(alphas.map((a) => `${a < 0 ? '−' : '+'}${Math.abs(a).toFixed(3)}`));
  const all = await ticks(chart);
  expect(all.length).toBeGreaterThan(2);
  expect(all.length).toBeLessThanOrEqual(12);
  for (const t of all) expect(labels).toContain(t);
  expect([all[0], all.at(-1)]).toEqual(['−2.000', '+2.000']);
  await keepScreenshot(testInfo, report, 'report-3001-alphas');

  // Zoom on α: 0 … 1.
  await chart.getByLabel('Zoom α from').selectOption({ label: '+0.000' });
  await chart.getByLabel('Zoom α to').selectOption({ label: '+1.000' });
  await expect.poll(async () => (await ticks(chart)).at(-1)).toBe('+1.000');
  const zoomed = await ticks(chart);
  expect(zoomed[0]).toBe('+0.000');
  for (const t of zoomed) {
    expect(labels).toContain(t);
    expect(Number(t.replace('−', '-'))).toBeGreaterThanOrEqual(0);
    expect(Number(t.replace('−', '-'))).toBeLessThanOrEqual(1);
  }
  await chart.getByRole('button', { name: 'Reset zoom' }).click();
  await expect.poll(async () => (await ticks(chart)).at(-1)).toBe('+2.000');
  await expectNoErrors(errors);
});
