import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { searchForWorkspaceRoot } from "vite";
import { configDefaults, defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

// Dawn (the `webgpu` npm package) finds SwiftShader through this Vulkan ICD
// on machines without a GPU; Debian's chromium package ships it.
const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
const testEnv: Record<string, string> = {};
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
  testEnv.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

export default defineConfig({
  plugins: [react()],
  // WGSL is imported as text with `?raw`; a plain import gives its URL.
  assetsInclude: ["**/*.wgsl"],
  server: {
    host: "127.0.0.1",
    fs: {
      allow: [searchForWorkspaceRoot(root), fileURLToPath(new URL("./shaders", import.meta.url))],
    },
  },
  preview: {
    host: "127.0.0.1",
  },
  worker: {
    format: "es",
  },
  build: {
    target: "es2022",
  },
  test: {
    include: ["src/**/*.test.ts", "bench/**/*.test.ts"],
    exclude: [...configDefaults.exclude, "e2e/**"],
    environment: "node",
    pool: "forks",
    testTimeout: 60_000,
    env: testEnv,
  },
});
