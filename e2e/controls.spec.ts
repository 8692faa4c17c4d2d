// The studio's controls as a new user meets them (headless Chromium, WebGPU on SwiftShader): the
// demo's guided flow and its confirmation before replacing the user's inputs, "Choose files" and
// "Choose folder", a failed load that keeps the slot's checkpoint, names with control characters
// shown escaped, rule patterns with their match counts, the formula with its rules, α ranges and
// bounds, invalid settings blocking their action, settings locked during a job, vector charts kept
// across a target-only change, the vector slot's check, BBH prompts not reused from the demo, and
// sweep counts that agree.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { parseReport } from '../src/core/report/schema.ts';
import { collectErrors, expectNoErrors, keepScreenshot, mockFolderPicker, panel, slot, writeMemberFolder } from './helpers.ts';
import { openCheckpoint } from '../src/core/checkpoint/checkpoint.ts';

test.describe.configure({ timeout: 150_000 });

async function ready(page: Page, url = '/'): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('webgpu-status')).toHaveAttribute('data-state', 'available');
}

async function filesOf(dir: string): Promise<string[]> {
  return (await readdir(dir)).map((f) => join(dir, f));
}

/** A safetensors file whose one tensor name holds CR, LF and an ANSI escape, and whose data is short (so opening it fails naming the tensor). */
function evilSafetensors(): Buffer {
  const header = Buffer.from(JSON.stringify({ 'evil\r\n\u001b[31mname': { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }));
  const out = Buffer.alloc(8 + header.length + 8);
  out.writeBigUInt64LE(BigInt(header.length), 0);
  header.copy(out, 8);
  return out;
}

test('the demo guides: it asks before replacing, highlights the next step, and Try it shows readable text', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await ready(page);
  // The user's own target, chosen as a set of files (not a folder).
  const mine = await writeMemberFolder(testInfo, 'my-target', 'target');
  const target = slot(page, 'Target checkpoint');
  await target.getByLabel('Choose files').setInputFiles(await filesOf(mine));
  await expect(target.locator('.slot-name')).toHaveText('selected files');

  await page.getByRole('button', { name: 'Try the demo' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Replace with the demo?' });
  await expect(confirm).toContainText('The demo replaces what you loaded: Target checkpoint.');
  await keepScreenshot(testInfo, page.locator('.masthead'), 'demo-confirm');
  await confirm.getByRole('button', { name: 'Keep mine' }).click();
  await expect(confirm).toBeHidden();
  await expect(target.locator('.slot-name')).toHaveText('selected files');
  await expect(slot(page, 'SFT checkpoint').locator('.slot-name')).toHaveCount(0);

  await page.getByRole('button', { name: 'Try the demo' }).click();
  await confirm.getByRole('button', { name: 'Replace with the demo' }).click();
  await expect(page.getByTestId('compat-status')).toHaveAttribute('data-state', 'ok');
  await expect(target.locator('.badge')).toHaveText('demo');
  // The demo again: nothing of the user's is left to replace, so it does not ask.
  await expect(confirm).toBeHidden();

  const guide = page.getByRole('navigation', { name: 'Next steps' });
  const step = guide.locator('[aria-current="step"]');
  await expect(step).toHaveText('Extract');
  await expect(panel(page, 'Vector')).toHaveAttribute('data-next-step', 'extract');
  await expect(page.locator('[data-next-step]')).toHaveCount(1);
  await keepScreenshot(testInfo, panel(page, 'Vector'), 'guide-extract');

  await panel(page, 'Vector').getByRole('button', { name: 'Extract vector' }).click();
  await expect(step).toHaveText('Merge');
  await expect(panel(page, 'Merge')).toHaveAttribute('data-next-step', 'merge');
  await expect(panel(page, 'Vector')).not.toHaveAttribute('data-next-step');
  await panel(page, 'Merge').getByRole('spinbutton', { name: 'Alpha value' }).fill('0.5');
  await expect(step).toHaveText('Try it');
  await expect(panel(page, 'Try it')).toHaveAttribute('data-next-step', 'tryIt');

  const tryIt = panel(page, 'Try it');
  await tryIt.getByRole('button', { name: 'Generate' }).click();
  await expect(tryIt.getByTestId('first-token')).toBeVisible({ timeout: 60_000 });
  await expect(step).toHaveText('Run sweep');
  await expect(panel(page, 'Evaluate')).toHaveAttribute('data-next-step', 'sweep');
  // Readable, whatever the model wrote: never a blank box; whitespace-only or empty output said so.
  const output = tryIt.getByLabel('Generated text');
  const raw = Number(await output.getAttribute('data-raw-length'));
  const shown = await output.innerText();
  const note = tryIt.getByTestId('output-note');
  if (raw === 0) await expect(note).toHaveText(/^Empty output/);
  else {
    expect(shown.trim(), 'the output box shows something').not.toBe('');
    if (/^[↵×\d·⇥\s]*$/.test(shown)) await expect(note).toHaveText(/^Only whitespace: /);
    else await expect(note).toHaveCount(0);
  }
  await keepScreenshot(testInfo, tryIt, 'guide-try-it');
  await keepScreenshot(testInfo, guide, 'guide-bar');
  await expectNoErrors(errors);
});

test('checkpoints: files or a folder, a failed load keeps the slot, names shown escaped; the vector slot checks what it gets', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await ready(page);
  const sft = await writeMemberFolder(testInfo, 'sft', 'sft');
  const grpo = await writeMemberFolder(testInfo, 'grpo', 'grpo');
  const mine = await writeMemberFolder(testInfo, 'my-target', 'target');
  await slot(page, 'SFT checkpoint').getByLabel('Choose folder').setInputFiles(sft);
  await slot(page, 'GRPO checkpoint').getByLabel('Choose folder').setInputFiles(grpo);
  const target = slot(page, 'Target checkpoint');
  await target.getByLabel('Choose files').setInputFiles(await filesOf(mine));
  await expect(target.locator('.slot-name')).toHaveText('selected files');
  await expect(page.getByTestId('compat-status')).toHaveText(/^Compatible: target, SFT, GRPO/);

  // Not a checkpoint: the one-line error, and the checkpoint that was there stays.
  await target.getByLabel('Choose files').setInputFiles({ name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 131 + 7) & 0xff)) });
  const failed = target.getByTestId('slot-load-error');
  await expect(failed).toContainText('model.safetensors');
  await expect(failed).toContainText('(“selected files” is still loaded.)');
  await expect(page.getByTestId('compat-status')).toHaveText(/^Compatible: target, SFT, GRPO/);
  await expect(panel(page, 'Merge').getByRole('button', { name: 'Save merged model…' })).toBeEnabled();

  // A tensor name with CR, LF and ESC: shown escaped, on one line.
  await target.getByLabel('Choose files').setInputFiles({ name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: evilSafetensors() });
  await expect(failed).toContainText('tensor "evil\\r\\n\\x1b[31mname"');
  expect(await failed.innerText()).not.toMatch(/[\r\n\u001b]/);
  await keepScreenshot(testInfo, target, 'slot-failed-load-kept');

  // Vector charts survive a change of the target alone.
  await panel(page, 'Vector').getByRole('button', { name: 'Extract vector' }).click();
  await expect(panel(page, 'Vector').getByTestId('vector-results')).toBeVisible();
  const other = await writeMemberFolder(testInfo, 'other-target', 'target');
  await target.getByLabel('Choose folder').setInputFiles(other);
  await expect(target.locator('.slot-name')).toHaveText('other-target');
  await expect(panel(page, 'Vector').getByTestId('vector-results')).toBeVisible();

  // The vector slot: a full model without rvs's metadata is questioned, and used only once confirmed.
  await page.getByRole('checkbox', { name: 'Use a saved reasoning vector instead of SFT + GRPO' }).check();
  const vector = slot(page, 'Reasoning vector');
  await vector.getByLabel('Choose folder').setInputFiles(grpo);
  await expect(vector.getByTestId('vector-origin')).toHaveAttribute('data-kind', 'unmarked');
  await expect(vector.getByRole('alert')).toContainText('“grpo” is not marked as a vector');
  const blocker = panel(page, 'Merge').getByTestId('merge-blocker');
  await expect(blocker).toContainText('Confirm in the Reasoning vector slot that it is a vector.');
  await expect(panel(page, 'Try it').getByRole('button', { name: 'Generate' })).toBeDisabled();
  await keepScreenshot(testInfo, vector, 'vector-slot-unmarked');
  await vector.getByRole('checkbox', { name: /It is a vector/ }).check();
  await expect(blocker).toHaveCount(0);
  await expectNoErrors(errors);
});

test('merge controls: pattern matches, the formula with its rules, own α from the current α, bounds, and a lock while a job runs', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await mockFolderPicker(page);
  await ready(page, '/?rvs-test-write-delay=80');
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('compat-status')).toHaveAttribute('data-state', 'ok');
  const merge = panel(page, 'Merge');
  const alpha = merge.getByRole('spinbutton', { name: 'Alpha value' });
  await alpha.fill('0.4');

  await merge.getByRole('button', { name: 'Add pattern' }).click();
  await merge.getByRole('combobox', { name: 'Pattern 1 rule' }).selectOption('alpha');
  await expect(merge.getByRole('spinbutton', { name: 'Pattern 1 α' })).toHaveValue('0.4');
  await merge.getByRole('textbox', { name: 'Pattern 1' }).fill('*.mlp.*');
  // The count, checked against the demo target's own tensor names (read in Node).
  const { buildDemoFamily } = await import('../src/browser/worker/demo.ts');
  const { readDemoFile } = await import('../src/node/demo-files.ts');
  const demoTarget = await openCheckpoint((await buildDemoFamily(readDemoFile)).target);
  const mlp = [...demoTarget.tensors.keys()].filter((n) => n.includes('.mlp.'));
  const matches = merge.getByTestId('pattern-matches').last();
  await expect(matches).toHaveAttribute('data-count', String(mlp.length));
  await matches.locator('summary').click();
  await expect(matches.getByRole('listitem').first()).toHaveText(mlp.sort()[0]!);
  await merge.getByRole('spinbutton', { name: 'Pattern 1 α' }).fill('0.25');
  await merge.getByRole('combobox', { name: 'Norms rule' }).selectOption('exclude');
  const formula = merge.getByTestId('merge-formula');
  await expect(formula).toContainText('θ = θ_target +0.40·(θ_GRPO − θ_SFT), except (the last matching rule wins):');
  await expect(formula).toContainText('*norm*: θ = θ_target (excluded)');
  await expect(formula).toContainText('*.mlp.*: θ = θ_target +0.25·(θ_GRPO − θ_SFT)');

  await merge.getByRole('button', { name: 'Add pattern' }).click();
  await merge.getByRole('textbox', { name: 'Pattern 2' }).fill('model.decoder.*');
  await expect(merge.getByTestId('pattern-matches').last()).toHaveText('matches no tensor of the target');
  await keepScreenshot(testInfo, merge, 'merge-rules');

  // α beyond ±100 blocks the merge with the reason.
  await alpha.fill('1e9');
  await expect(alpha).toHaveAttribute('aria-invalid', 'true');
  await expect(merge.getByTestId('merge-blocker')).toHaveText('The merge’s α = 1000000000 is outside the accepted range −100 to 100.');
  await expect(merge.getByRole('button', { name: 'Save merged model…' })).toBeDisabled();
  await alpha.fill('0.4');
  await expect(merge.getByTestId('merge-blocker')).toHaveCount(0);

  // During a save, what would change it is locked.
  await merge.getByRole('button', { name: 'Save merged model…' }).click();
  await expect(merge.getByRole('progressbar', { name: 'Save progress' })).toBeVisible();
  await expect(merge.getByRole('slider', { name: 'Alpha' })).toBeDisabled();
  await expect(alpha).toBeDisabled();
  await expect(merge.getByRole('combobox', { name: 'Norms rule' })).toBeDisabled();
  await expect(merge.getByRole('button', { name: 'Add pattern' })).toBeDisabled();
  await expect(slot(page, 'Target checkpoint').getByRole('button', { name: 'Clear' })).toBeDisabled();
  await expect(panel(page, 'Evaluate').getByLabel('α values')).toBeDisabled();
  await keepScreenshot(testInfo, merge, 'merge-locked');
  await merge.getByRole('button', { name: 'Cancel' }).click();
  await expect(merge.getByText('Cancelled — nothing was kept.')).toBeVisible();
  await expect(alpha).toBeEnabled();
  await expectNoErrors(errors);
});

test('evaluate controls: α ranges, invalid settings block the sweep, items per BBH subtask, no demo prompts for the user’s BBH, counts that agree', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await ready(page);
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('compat-status')).toHaveAttribute('data-state', 'ok');
  const evaluate = panel(page, 'Evaluate');
  const run = evaluate.getByRole('button', { name: 'Run sweep' });
  const blocker = evaluate.getByTestId('sweep-blocker');
  const alphas = evaluate.getByLabel('α values');

  await alphas.fill('-1:1:0.25');
  await expect(evaluate.getByTestId('alpha-count')).toHaveText('9 α');
  await alphas.fill('1:-1:0.25');
  await expect(alphas).toHaveAttribute('aria-invalid', 'true');
  await expect(blocker).toHaveText('α values: “1:-1:0.25”: a step of 0.25 never goes from 1 to −1 (use −0.25).');
  await expect(run).toBeDisabled();
  await alphas.fill('0, 1e9');
  await expect(blocker).toHaveText('α values: “1e9”: α = 1000000000 is outside the accepted range −100 to 100.');
  await alphas.fill('0:1:1');

  const batch = evaluate.getByLabel('Batch size');
  await batch.fill('0');
  await expect(batch).toHaveAttribute('aria-invalid', 'true');
  await expect(blocker).toHaveText('Batch size must be a whole number from 1 to 256 (it is 0).');
  await expect(run).toBeDisabled();
  await batch.fill('2');
  const items = evaluate.getByLabel('Items per benchmark (BBH: per subtask)');
  await items.fill('-5');
  await expect(items).toHaveAttribute('aria-invalid', 'true');
  await expect(blocker).toHaveText('Items per benchmark must be a whole number from 1 to 1000000000 (it is -5).');
  await keepScreenshot(testInfo, evaluate, 'evaluate-invalid');
  await items.fill('2');
  await evaluate.getByRole('combobox', { name: 'Which items' }).selectOption('first');
  await expect(blocker).toHaveCount(0);

  // Only SciQ and BBH; their sweep: 2 α × 2 tasks = 4 runs, as the progress counted them.
  const rows = evaluate.getByRole('table', { name: 'Benchmarks' }).getByRole('checkbox');
  for (const box of await rows.all()) {
    const name = (await box.evaluate((el) => el.parentElement?.textContent ?? '')).trim();
    await box.setChecked(name.startsWith('SciQ') || name.startsWith('BIG-Bench Hard'));
  }
  await run.click();
  await expect(evaluate.locator('.job-detail')).toContainText(/^Run [1-4]\/4: /);
  await expect(evaluate.getByText('Sweep finished: 4 runs (2 α × 2 tasks) and 2 group scores', { exact: false })).toBeVisible({ timeout: 120_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), panel(page, 'Report').getByRole('button', { name: 'Export report' }).click()]);
  const report = parseReport(await readFile((await download.path())!, 'utf8'));
  const sciq = report.runs.find((r) => r.task === 'sciq')!;
  expect(sciq.config).toMatchObject({ limit: 2, limitMode: 'first' });
  expect(sciq.samples.map((s) => s.doc_id)).toEqual([0, 1]);
  await keepScreenshot(testInfo, evaluate, 'evaluate-finished');

  // The user's BBH folder without cot-prompts/: the demo's prompts are not reused with it.
  const tasks = await readFile(new URL('../src/browser/worker/demo-data/bbh_cot_fewshot/tasks/boolean_expressions.json', import.meta.url));
  await evaluate.getByLabel('BIG-Bench Hard, chain of thought (3-shot): files').setInputFiles({ name: 'boolean_expressions.json', mimeType: 'application/json', buffer: tasks });
  await expect(evaluate.getByTestId('data-bbh_cot_fewshot')).toContainText('1 without cot-prompts');
  await run.click();
  await expect(evaluate.getByRole('alert')).toContainText('cot-prompts');
  await expectNoErrors(errors);
});
