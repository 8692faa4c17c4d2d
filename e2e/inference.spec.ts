// The decoder on onnxruntime-web's WebGPU backend in headless Chromium (SwiftShader): logits
// against the float64 reference, greedy tokens, batch = one by one, log-likelihoods, and α
// changed in place on GPU-bound weights giving a freshly merged model's logits bit for bit.
import { expect, test } from '@playwright/test';
import type { AlphaCheck, LogitsCheck } from './pages/inference.ts';

interface Harness {
  checkLogits(tied: boolean, shardSize?: number): Promise<LogitsCheck>;
  alphaInPlace(alphas: readonly number[]): Promise<AlphaCheck>;
}

test.describe.configure({ timeout: 240_000 });

test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => console.error(e));
  await page.goto('/e2e/pages/inference.html');
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 60_000 });
});

for (const [tied, shardSize] of [[true, undefined], [false, 20_000]] as const) {
  test(`WebGPU logits and generation match the reference (${tied ? 'tied' : 'untied'}, ${shardSize ? 'sharded' : 'one file'})`, async ({ page }) => {
    const r = await page.evaluate(([t, s]) => (window as unknown as { rvsInference: Harness }).rvsInference.checkLogits(t, s), [tied, shardSize] as const);
    console.log(JSON.stringify(r));
    expect(r.maxRelError).toBeLessThanOrEqual(1e-4);
    expect(r.greedyMatches).toBe(true);
    expect(r.batchEqualsOneByOne).toBe(true);
    expect(r.loglikelihoodMaxError).toBeLessThanOrEqual(1e-4);
    expect(r.greedyFlagsMatch).toBe(true);
  });
}

test('changing α in place on GPU-bound weights gives the logits of a freshly merged model', async ({ page }) => {
  const r = await page.evaluate(() => (window as unknown as { rvsInference: Harness }).rvsInference.alphaInPlace([1, -1, 0.5]));
  console.log(JSON.stringify(r));
  expect(r.changed).toBe(true);
  expect(r.identical).toEqual([true, true, true]);
});
