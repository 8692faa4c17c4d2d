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

  const screenshot = await page.screenshot({ path: testInfo.outputPath("studio.png"), fullPage: true });
  await testInfo.attach("studio", { body: screenshot, contentType: "image/png" });

  expect(errors).toEqual([]);
});
