import { expect, test } from '@playwright/test';
import { TINY_QWEN2 } from '../src/core/checkpoint/synthetic.ts';
import { collectErrors, expectNoErrors, keepScreenshot, panel, slot, writeMemberFolder } from './helpers.ts';

test('an incompatible triple is blocked with every mismatch listed', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  const sft = await writeMemberFolder(testInfo, 'sft', 'sft');
  const grpo = await writeMemberFolder(testInfo, 'grpo', 'grpo');
  const target = await writeMemberFolder(testInfo, 'target-wide', 'target', { shape: { ...TINY_QWEN2, hiddenSize: 48 } });
  await page.goto('/');
  await slot(page, 'SFT checkpoint').getByLabel('Choose folder').setInputFiles(sft);
  await slot(page, 'GRPO checkpoint').getByLabel('Choose folder').setInputFiles(grpo);
  await slot(page, 'Target checkpoint').getByLabel('Choose folder').setInputFiles(target);

  const compat = panel(page, 'Compatibility');
  await expect(page.getByTestId('compat-status')).toHaveAttribute('data-state', 'blocked');
  await expect(page.getByTestId('compat-status')).toContainText(/^Blocked: \d+ problems\. The merge cannot run/);
  const table = compat.getByRole('table', { name: 'Compatibility issues' });
  await expect(table.getByRole('row', { name: /config\.json: hidden_size.*target has 48, sft and grpo have 32/ })).toBeVisible();
  await expect(table.getByRole('row', { name: /model\.layers\.0\.self_attn\.q_proj\.weight.*shape \[48, 48\] in target, \[32, 32\] in sft and grpo/ })).toBeVisible();
  await expect(table.getByRole('row', { name: /^blocks model\.norm\.weight/ }).first()).toBeVisible();

  const merge = panel(page, 'Merge');
  await expect(merge.getByRole('button', { name: 'Save merged model…' })).toBeDisabled();
  await expect(merge.getByTestId('merge-blocker')).toHaveText(/^Blocked: \d+ compatibility problems \(see Compatibility\)\.$/);
  // SFT and GRPO agree, so the vector itself can still be extracted.
  await expect(panel(page, 'Vector').getByRole('button', { name: 'Extract vector' })).toBeEnabled();
  await keepScreenshot(testInfo, compat, 'compatibility-blocked');
  await expectNoErrors(errors);
});
