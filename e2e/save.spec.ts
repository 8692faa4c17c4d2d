import { expect, test } from '@playwright/test';
import { openCheckpoint } from '../src/core/checkpoint/checkpoint.ts';
import { MemoryFolder } from '../src/core/io/bytes.ts';
import { createCpuBackend } from '../src/core/merge/cpu-kernel.ts';
import { mergeRecipe } from '../src/core/merge/recipe.ts';
import { mergeToFolder } from '../src/core/merge/run.ts';
import { tensorBytes } from '../src/core/testing/reference.ts';
import { buildDemoFamily, DEMO_MEMBERS } from '../src/browser/worker/demo.ts';
import { readDemoFile } from '../src/node/demo-files.ts';
import { asCheckpoint, collectErrors, expectNoErrors, mockFolderPicker, panel, pickNext, readOpfsFolder, slot } from './helpers.ts';

test('cancelling a save leaves nothing in the folder', async ({ page }) => {
  const errors = collectErrors(page);
  await mockFolderPicker(page);
  // Each write waits 60 ms, so the save is still running when "Cancel" is clicked.
  await page.goto('/?rvs-test-write-delay=60');
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('compat-status')).toHaveAttribute('data-state', 'ok');
  const merge = panel(page, 'Merge');
  await merge.getByRole('button', { name: 'Save merged model…' }).click();
  const progress = merge.getByRole('progressbar', { name: 'Save progress' });
  await expect(progress).toBeVisible();
  await merge.getByRole('button', { name: 'Cancel' }).click();
  await expect(merge.getByText('Cancelled — nothing was kept.')).toBeVisible();
  const left = await readOpfsFolder(page, 'picked-1');
  expect([...left.files.keys()]).toEqual([]);
  expect(left.folders).toEqual([]);
  await expectNoErrors(errors);
});

test('refuses a folder that is not empty; saves a vector, merges with it, remembers its folder', async ({ page }) => {
  const errors = collectErrors(page);
  await mockFolderPicker(page);
  await page.goto('/');
  await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const busy = await root.getDirectoryHandle('picked-1', { create: true });
    const w = await (await busy.getFileHandle('notes.txt', { create: true })).createWritable();
    await w.write('keep me');
    await w.close();
  });
  await page.getByRole('button', { name: 'Try the demo' }).click();
  const vector = panel(page, 'Vector');
  await expect(vector.getByRole('button', { name: 'Save vector…' })).toBeEnabled();

  await vector.getByRole('button', { name: 'Save vector…' }).click(); // picked-1: not empty
  await expect(vector.getByRole('alert')).toHaveText('picked-1: already holds 1 item (notes.txt); choose or create an empty folder');
  expect([...(await readOpfsFolder(page, 'picked-1')).files.keys()]).toEqual(['notes.txt']);

  await vector.getByRole('button', { name: 'Save vector…' }).click(); // picked-2
  await expect(vector.getByText(/^Saved the vector: \d+ files/)).toBeVisible();
  const saved = await readOpfsFolder(page, 'picked-2');
  expect([...saved.files.keys()]).toContain('model.safetensors');
  const header = saved.files.get('model.safetensors')!;
  const length = Number(new DataView(header.buffer, header.byteOffset).getBigUint64(0, true));
  const json = JSON.parse(new TextDecoder().decode(header.subarray(8, 8 + length))) as Record<string, { dtype?: string }>;
  expect(new Set(Object.entries(json).filter(([k]) => k !== '__metadata__').map(([, v]) => v.dtype))).toEqual(new Set(['F32']));

  // Use it: the saved vector in the vector slot (opened as a folder), with the demo's target.
  const toggle = page.getByRole('checkbox', { name: 'Use a saved reasoning vector instead of SFT + GRPO' });
  await toggle.check();
  const vectorSlot = slot(page, 'Reasoning vector');
  await expect(slot(page, 'SFT checkpoint')).toHaveCount(0);
  await expect(page.getByTestId('compat-status')).toContainText('Load Reasoning vector');
  await pickNext(page, 'picked-2');
  await vectorSlot.getByRole('button', { name: 'Open folder…' }).click();
  await expect(vectorSlot.locator('dt', { hasText: 'Dtype' }).locator('+ dd')).toHaveText('F32');
  await expect(page.getByTestId('compat-status')).toHaveAttribute('data-state', 'ok');
  const merge = panel(page, 'Merge');
  await merge.getByLabel('Alpha value').fill('-0.75');
  await merge.getByRole('button', { name: 'Save merged model…' }).click(); // picked-3
  await expect(merge.getByText(/^Saved \d+ files/)).toBeVisible();
  const merged = await asCheckpoint('merged', (await readOpfsFolder(page, 'picked-3')).files);

  // θ_target + α·v from the saved vector equals the direct merge, bit for bit.
  const family = await buildDemoFamily(readDemoFile);
  const roles = new Map(await Promise.all(DEMO_MEMBERS.map(async (m) => [m, await openCheckpoint(family[m])] as const)));
  const want = new MemoryFolder('want');
  await mergeToFolder({ recipe: mergeRecipe(-0.75), roles, backend: createCpuBackend(), out: want });
  const wantCkpt = await openCheckpoint(want);
  for (const name of wantCkpt.tensors.keys()) expect(await tensorBytes(merged, name), name).toEqual(await tensorBytes(wantCkpt, name));

  // The opened folder is remembered (IndexedDB) and re-opens after a reload.
  await page.reload();
  await toggle.check();
  await vectorSlot.getByRole('button', { name: 'Reopen picked-2' }).click();
  await expect(vectorSlot.locator('dt', { hasText: 'Dtype' }).locator('+ dd')).toHaveText('F32');
  await expectNoErrors(errors);
});
