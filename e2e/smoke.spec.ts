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

  // Every control the flows rely on is found by role and accessible name.
  await expect(page.getByRole('button', { name: 'Try the demo' })).toBeEnabled();
  for (const name of ['SFT checkpoint', 'GRPO checkpoint', 'Target checkpoint']) {
    const slot = page.getByRole('group', { name, exact: true });
    await expect(slot.getByRole('button', { name: 'Open folder…' })).toBeVisible();
    await expect(slot.getByLabel('Choose files')).toBeAttached();
  }
  await expect(page.getByRole('checkbox', { name: 'Use a saved reasoning vector instead of SFT + GRPO' })).not.toBeChecked();
  await expect(page.getByRole('slider', { name: 'Alpha' })).toHaveValue('1');
  await expect(page.getByRole('spinbutton', { name: 'Alpha value' })).toHaveValue('1');
  await expect(page.getByRole('button', { name: 'Save merged model…' })).toBeDisabled();

  const screenshot = await page.screenshot({ path: testInfo.outputPath("studio.png"), fullPage: true });
  await testInfo.attach("studio", { body: screenshot, contentType: "image/png" });

  expect(errors).toEqual([]);
});
