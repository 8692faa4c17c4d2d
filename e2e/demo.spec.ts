import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { parseReport } from '../src/core/report/schema.ts';
import { openCheckpoint, parameterCount } from '../src/core/checkpoint/checkpoint.ts';
import { MemoryFolder } from '../src/core/io/bytes.ts';
import { createCpuBackend } from '../src/core/merge/cpu-kernel.ts';
import { mergeRecipe } from '../src/core/merge/recipe.ts';
import { mergeToFolder } from '../src/core/merge/run.ts';
import { tensorBytes } from '../src/core/testing/reference.ts';
import { DEMO_SWEEP } from '../src/browser/shared/demo-sweep.ts';
import { buildDemoFamily, DEMO_MEMBERS } from '../src/browser/worker/demo.ts';
import { readDemoFile } from '../src/node/demo-files.ts';
import { asCheckpoint, collectErrors, expectNoErrors, keepScreenshot, mockFolderPicker, panel, readOpfsFolder, slot } from './helpers.ts';

test('the demo: load, compatibility, vector charts, merge, save, ONNX, try it, sweep and report', async ({ page }, testInfo) => {
  test.setTimeout(360_000);
  const errors = collectErrors(page);
  await mockFolderPicker(page);
  await page.goto('/');
  await expect(page.getByTestId('webgpu-status')).toHaveAttribute('data-state', 'available');

  const started = Date.now();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  for (const name of ['SFT checkpoint', 'GRPO checkpoint', 'Target checkpoint'] as const) {
    const s = slot(page, name);
    await expect(s).toContainText('Qwen2ForCausalLM');
    await expect(s).toContainText('F32');
    await expect(s).toContainText('tokenizer.json');
  }
  await expect(page.getByTestId('compat-status')).toHaveAttribute('data-state', 'ok');
  await keepScreenshot(testInfo, panel(page, 'Checkpoints'), 'checkpoints-panel');
  await keepScreenshot(testInfo, panel(page, 'Compatibility'), 'compatibility-panel');

  // Vector: one pass, then the heatmap, the bars and the largest tensors.
  const vector = panel(page, 'Vector');
  await vector.getByRole('button', { name: 'Extract vector' }).click();
  const heatmap = vector.getByRole('table', { name: '‖v‖ / ‖θ_SFT‖ by layer and module' });
  await expect(heatmap).toBeVisible();
  await expect(heatmap.getByRole('row')).toHaveCount(1 + 2); // header + two layers
  await expect(vector.getByRole('figure', { name: '‖v‖ / ‖θ_SFT‖ per layer' }).locator('.recharts-bar-rectangle')).toHaveCount(2);
  await expect(vector.getByRole('table', { name: 'Largest tensors of v' }).getByRole('row')).toHaveCount(1 + 12);
  await expect(vector.getByText(/on WebGPU/)).toBeVisible();
  await keepScreenshot(testInfo, vector, 'vector-panel');

  // Merge: α = 0.5 with attention excluded, saved into a (mocked) picked folder.
  const merge = panel(page, 'Merge');
  await merge.getByLabel('Alpha value').fill('0.5');
  await expect(merge.getByRole('slider', { name: 'Alpha' })).toHaveValue('0.5');
  await merge.getByLabel('Attention rule').selectOption('exclude');
  await merge.getByRole('button', { name: 'Save merged model…' }).click();
  await expect(merge.getByText(/^Saved \d+ files/)).toBeVisible();
  await keepScreenshot(testInfo, merge, 'merge-panel');

  const saved = await readOpfsFolder(page, 'picked-1');
  expect(saved.folders).toEqual([]); // no staging folder left
  expect([...saved.files.keys()].sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  const got = await asCheckpoint('saved', saved.files);

  // The same merge on the CPU in Node: the GPU must give the same bytes.
  const family = await buildDemoFamily(readDemoFile);
  const roles = new Map(await Promise.all(DEMO_MEMBERS.map(async (m) => [m, await openCheckpoint(family[m])] as const)));
  const want = new MemoryFolder('want');
  await mergeToFolder({ recipe: mergeRecipe(0.5, { rules: [{ pattern: '*.self_attn.*', exclude: true }] }), roles, backend: createCpuBackend(), out: want });
  const wantCkpt = await openCheckpoint(want);
  expect([...got.tensors.keys()]).toEqual([...wantCkpt.tensors.keys()]);
  for (const name of wantCkpt.tensors.keys()) expect(await tensorBytes(got, name), name).toEqual(await tensorBytes(wantCkpt, name));
  const q = 'model.layers.1.self_attn.q_proj.weight';
  expect(await tensorBytes(got, q)).toEqual(await tensorBytes(roles.get('target')!, q));
  expect(saved.files.get('tokenizer.json')).toEqual(family.target.files.get('tokenizer.json'));

  // Export ONNX… (float32, for transformers.js) into a second picked folder, atomically.
  const mergeAgain = panel(page, 'Merge');
  await mergeAgain.getByRole('button', { name: 'Export ONNX…' }).click();
  await expect(mergeAgain.getByText(/^Exported ONNX: \d+ files/)).toBeVisible();
  const onnx = await readOpfsFolder(page, 'picked-2');
  expect([...onnx.files.keys()].sort()).toEqual(['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']);
  expect(onnx.folders).toEqual(['onnx']);
  const onnxFiles = await readOpfsFolder(page, 'picked-2/onnx');
  expect([...onnxFiles.files.keys()].sort()).toEqual(['model.onnx', 'model.onnx_data']);
  // float32 weights: 4 bytes per parameter of the demo model.
  expect(onnxFiles.files.get('model.onnx_data')!.byteLength).toBe(4 * parameterCount(got));

  // Try it: one generation at the merge panel's α.
  const tryIt = panel(page, 'Try it');
  await tryIt.getByRole('button', { name: 'Generate' }).click();
  await expect(tryIt.getByTestId('first-token')).toBeVisible({ timeout: 60_000 });
  await keepScreenshot(testInfo, tryIt, 'try-it-panel');

  // The sweep measures the plain recipe (every tensor at α), as the README's numbers do.
  await panel(page, 'Merge').getByLabel('Attention rule').selectOption('inherit');

  // Evaluate: the demo family's held-out GSM8K-format items and 3 items of every other benchmark format, at the demo's α values.
  const evaluate = panel(page, 'Evaluate');
  await expect(evaluate.getByTestId('data-gsm8k')).toContainText(/\d+ items/);
  for (const id of ['sciq', 'humaneval', 'bbh_cot_fewshot']) await expect(evaluate.getByTestId(`data-${id}`)).toContainText('3 items');
  const alphas = DEMO_SWEEP.alphas;
  await expect(evaluate.getByLabel('α values')).toHaveValue(alphas.join(', '));
  await evaluate.getByRole('button', { name: 'Run sweep' }).click();
  await expect(evaluate.getByText(new RegExp(`^Sweep finished: ${4 * alphas.length} runs \\(${alphas.length} α × 4 tasks\\) and ${alphas.length} group scores`))).toBeVisible({ timeout: 240_000 });
  await keepScreenshot(testInfo, evaluate, 'evaluate-panel');

  // Report: the chart has a point per benchmark and α; the report downloads.
  const report = panel(page, 'Report');
  const chart = report.getByRole('figure', { name: 'Accuracy vs α' });
  await expect(chart.locator('.recharts-line-dot')).toHaveCount(4 * alphas.length);
  const [download] = await Promise.all([page.waitForEvent('download'), report.getByRole('button', { name: 'Export report' }).click()]);
  const exported = parseReport(await readFile((await download.path())!, 'utf8'));
  const seconds = (Date.now() - started) / 1000;
  console.log(`demo flow, "Try the demo" to exported report: ${seconds.toFixed(1)} s (SwiftShader; not a performance number)`);
  expect(exported.runs.map((r) => [r.alpha, r.task])).toEqual(
    alphas.flatMap((a) => [[a, 'gsm8k'], [a, 'sciq'], [a, 'humaneval'], [a, 'bbh_cot_fewshot_boolean_expressions'], [a, 'bbh_cot_fewshot']]),
  );
  for (const r of exported.runs.filter((x) => x.task !== 'bbh_cot_fewshot')) expect(r.samples).toHaveLength(r.task === 'gsm8k' ? DEMO_SWEEP.limit : 3);
  // The vector has an effect: gsm8k accuracy at some α differs from α = 0 by more than its standard error.
  const gsm8k = new Map(exported.runs.filter((r) => r.task === 'gsm8k').map((r) => [r.alpha, r.metrics['exact_match,strict-match']!]));
  console.log(`demo gsm8k accuracy by α: ${[...gsm8k].map(([a, m]) => `${a}: ${(100 * m.value).toFixed(1)} ± ${(100 * (m.stderr ?? 0)).toFixed(1)}`).join(', ')}`);
  const base = gsm8k.get(0)!;
  const moved = [...gsm8k].filter(([a, m]) => a !== 0 && Math.abs(m.value - base.value) > Math.max(m.stderr!, base.stderr!));
  expect(moved.map(([a]) => a)).toContain(DEMO_SWEEP.effectAlpha);
  for (const s of exported.runs.find((r) => r.task === 'humaneval')!.samples) expect(s.result).toMatch(/^(passed|failed|timeout|error)/);
  expect(exported.environment.backend).toBe('onnxruntime-web (WebGPU)');
  expect(exported.recipe).toMatchObject({ base: 'target', rules: [] });
  await keepScreenshot(testInfo, report, 'report-panel');

  await keepScreenshot(testInfo, page.locator('body'), 'studio');
  await expectNoErrors(errors);
});

test('without WebGPU the studio says so and merges on the CPU', async ({ page }) => {
  const errors = collectErrors(page);
  // The GPU worker's device module, replaced by one that finds no WebGPU.
  await page.route('**/src/browser/worker/gpu-device.ts*', (route) =>
    route.fulfill({
      contentType: 'text/javascript',
      body: "export function describeAdapter() { return 'none'; }\nexport async function getDevice() { return { device: null, reason: 'WebGPU switched off by the test' }; }\n",
    }),
  );
  await page.goto('/');
  const status = page.getByTestId('webgpu-status');
  await expect(status).toHaveText('WebGPU: not available — merges run on the CPU (WebAssembly SIMD)');
  await expect(status).toHaveAttribute('title', 'WebGPU switched off by the test');
  await page.getByRole('button', { name: 'Try the demo' }).click();
  const vector = panel(page, 'Vector');
  await vector.getByRole('button', { name: 'Extract vector' }).click();
  await expect(vector.getByText(/on CPU \(WebAssembly SIMD\)$/)).toBeVisible();
  // Evaluation falls back to onnxruntime-web's wasm backend, and says so.
  const tryIt = panel(page, 'Try it');
  await expect(tryIt.getByTestId('eval-fallback')).toBeVisible();
  await tryIt.getByRole('button', { name: 'Generate' }).click();
  await expect(tryIt.getByTestId('first-token')).toContainText('wasm (CPU fallback: each α rebuilds the model)', { timeout: 30_000 });
  await expectNoErrors(errors);
});
