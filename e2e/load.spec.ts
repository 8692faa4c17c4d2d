import { expect, test } from '@playwright/test';
import { TINY_QWEN2 } from '../src/core/checkpoint/synthetic.ts';
import { collectErrors, expectNoErrors, familyMember, panel, slot, writeMemberFolder } from './helpers.ts';

test('loads checkpoints through the file input (folders on disk)', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  const dirs = {
    sft: await writeMemberFolder(testInfo, 'sft-model', 'sft'),
    grpo: await writeMemberFolder(testInfo, 'grpo-model', 'grpo', { shardSize: 20000 }),
    target: await writeMemberFolder(testInfo, 'target-model', 'target', { dtype: 'F16' }),
  };
  await page.goto('/');
  await slot(page, 'SFT checkpoint').getByLabel('Choose folder').setInputFiles(dirs.sft);
  await slot(page, 'GRPO checkpoint').getByLabel('Choose folder').setInputFiles(dirs.grpo);
  await slot(page, 'Target checkpoint').getByLabel('Choose folder').setInputFiles(dirs.target);

  const sft = slot(page, 'SFT checkpoint');
  await expect(sft.getByText('sft-model', { exact: true })).toBeVisible();
  const rows = (s: typeof sft, term: string) => s.locator('dt', { hasText: term }).locator('+ dd');
  await expect(rows(sft, 'Architecture')).toContainText('Qwen2ForCausalLM');
  await expect(rows(sft, 'Architecture')).toContainText(`${TINY_QWEN2.numLayers} layers, hidden ${TINY_QWEN2.hiddenSize}, vocab ${TINY_QWEN2.vocabSize}`);
  await expect(rows(sft, 'Dtype')).toHaveText('BF16');
  await expect(rows(sft, 'Shards')).toHaveText('1');
  await expect(rows(sft, 'Tied embeddings')).toHaveText('yes');
  await expect(rows(sft, 'Tokenizer')).toHaveText('none');
  const grpo = slot(page, 'GRPO checkpoint');
  const shards = Number(await rows(grpo, 'Shards').textContent());
  expect(shards).toBeGreaterThan(1);
  await expect(rows(slot(page, 'Target checkpoint'), 'Dtype')).toHaveText('F16');

  // Mixed dtypes across roles are fine: the merge decodes each to float32.
  await expect(page.getByTestId('compat-status')).toHaveAttribute('data-state', 'ok');
  await expect(panel(page, 'Merge').getByRole('button', { name: 'Save merged model…' })).toBeEnabled();
  await expectNoErrors(errors);
});

test('loads a checkpoint dropped onto a slot (synthetic drop of files)', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/');
  const folder = await familyMember('sft');
  const files = [...folder.files].map(([name, bytes]) => ({ name, base64: Buffer.from(bytes).toString('base64') }));
  const target = slot(page, 'SFT checkpoint');
  await target.evaluate((element, list) => {
    const transfer = new DataTransfer();
    for (const { name, base64 } of list) {
      const binary = atob(base64);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      transfer.items.add(new File([bytes], name));
    }
    element.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    element.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
  await expect(target.getByText('dropped files', { exact: true })).toBeVisible();
  await expect(target).toContainText('Qwen2ForCausalLM');
  await expect(page.getByTestId('compat-status')).toContainText('Load GRPO checkpoint, Target checkpoint');
  await expectNoErrors(errors);
});

test('says which file is wrong when a folder holds no weights', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await page.goto('/');
  const dir = testInfo.outputPath('no-weights');
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/config.json`, '{"model_type": "qwen2"}');
  await slot(page, 'Target checkpoint').getByLabel('Choose folder').setInputFiles(dir);
  await expect(slot(page, 'Target checkpoint').getByRole('alert')).toHaveText('no-weights: no model.safetensors, model.safetensors.index.json or other .safetensors file');
  await expectNoErrors(errors);
});
