import { expect, test } from "@playwright/test";

test("studio page loads and finds a WebGPU adapter", async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console.error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
  page.on("requestfailed", (req) => errors.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));

  await page.goto("/");

  await expect(page).toHaveTitle("Reasoning Vector Studio");
  await expect(page.getByRole("heading", { level: 1, name: "Reasoning Vector Studio" })).toBeVisible();

  // Headless Chromium with --enable-unsafe-webgpu exposes a SwiftShader adapter.
  const status = page.getByTestId("webgpu-status");
  await expect(status).toHaveAttribute("data-state", /^(available|unavailable)$/);
  await expect(status).toHaveText(/^WebGPU: available \(adapter: .+\)$/);

  const hasAdapter = await page.evaluate(async () => (await navigator.gpu?.requestAdapter()) != null);
  expect(hasAdapter).toBe(true);
  // The GPU worker's device is onnxruntime's: it asked for the adapter's buffer limits.
  for (const limit of ['max-buffer', 'max-binding']) {
    const device = Number(await status.getAttribute(`data-${limit}`));
    expect(device).toBeGreaterThan(128 * 2 ** 20);
    expect(device).toBe(Number(await status.getAttribute(`data-adapter-${limit}`)));
  }

  // Every control the flows rely on is found by role and accessible name.
  await expect(page.getByRole('button', { name: 'Try the demo' })).toBeEnabled();
  for (const name of ['SFT checkpoint', 'GRPO checkpoint', 'Target checkpoint']) {
    const slot = page.getByRole('group', { name, exact: true });
    await expect(slot.getByRole('button', { name: 'Open folder…' })).toBeVisible();
    await expect(slot.getByLabel('Choose files')).toBeAttached();
    await expect(slot.getByLabel('Choose folder')).toBeAttached();
  }
  await expect(page.getByRole('checkbox', { name: 'Use a saved reasoning vector instead of SFT + GRPO' })).not.toBeChecked();
  await expect(page.getByRole('slider', { name: 'Alpha' })).toHaveValue('1');
  await expect(page.getByRole('spinbutton', { name: 'Alpha value' })).toHaveValue('1');
  await expect(page.getByRole('button', { name: 'Save merged model…' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Export ONNX…' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Generate' })).toBeDisabled();
  await expect(page.getByRole('textbox', { name: 'Prompt' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeDisabled();
  await expect(page.getByRole('textbox', { name: 'α values' })).toHaveValue('0, 0.5, 1');
  await expect(page.getByRole('button', { name: 'Export report' })).toBeDisabled();
  await expect(page.getByLabel('Open report')).toBeAttached();
  for (const name of ['GSM8K (5-shot)', 'SciQ (multiple choice)', 'HumanEval (pass@1, Python sandbox)', 'BIG-Bench Hard, chain of thought (3-shot)']) {
    await expect(page.getByRole('checkbox', { name })).not.toBeChecked();
  }

  const screenshot = await page.screenshot({ path: testInfo.outputPath("studio.png"), fullPage: true });
  await testInfo.attach("studio", { body: screenshot, contentType: "image/png" });

  expect(errors).toEqual([]);
});
