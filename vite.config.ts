import { createReadStream, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { searchForWorkspaceRoot, type Plugin } from "vite";
import { configDefaults, defineConfig } from "vitest/config";
import { cannotOpenBrowser, startMessage } from "./src/node/start-message.ts";

const root = fileURLToPath(new URL(".", import.meta.url));

// Dawn (the `webgpu` npm package) finds SwiftShader through this Vulkan ICD
// on machines without a GPU; Debian's chromium package ships it.
const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
const testEnv: Record<string, string> = {};
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
  testEnv.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

// Runtime files the studio loads by URL (src/browser/worker/assets.ts): onnxruntime-web's WebAssembly
// (the WebGPU build) and Pyodide for the HumanEval sandbox. Served as they are under /vendor/ in
// development; a build copies Pyodide to dist/vendor/ (onnxruntime's .wasm is emitted by Vite
// itself, which finds it through the bundle's import.meta.url).
const VENDOR: Record<string, { dir: string; files: string[]; build: boolean }> = {
  ort: {
    dir: "node_modules/onnxruntime-web/dist",
    files: ["ort-wasm-simd-threaded.asyncify.wasm", "ort-wasm-simd-threaded.asyncify.mjs"],
    build: false,
  },
  pyodide: {
    dir: "node_modules/pyodide",
    files: ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"],
    build: true,
  },
};
const CONTENT_TYPES: Record<string, string> = {
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".zip": "application/zip",
  ".json": "application/json",
};

function vendorFile(url: string): string | null {
  const match = /^\/vendor\/([^/]+)\/([^/?#]+)/.exec(url);
  const entry = match ? VENDOR[match[1]!] : undefined;
  if (!match || !entry || !entry.files.includes(match[2]!)) return null;
  return join(root, entry.dir, match[2]!);
}

function vendorFiles(): Plugin {
  return {
    name: "rvs-vendor-files",
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const file = vendorFile(req.url ?? "");
        if (!file) return next();
        const ext = Object.keys(CONTENT_TYPES).find((e) => file.endsWith(e));
        res.setHeader("Content-Type", ext ? CONTENT_TYPES[ext]! : "application/octet-stream");
        createReadStream(file).on("error", next).pipe(res);
      });
    },
    generateBundle() {
      for (const [name, entry] of Object.entries(VENDOR)) {
        if (!entry.build) continue;
        for (const file of entry.files) {
          this.emitFile({ type: "asset", fileName: `vendor/${name}/${file}`, source: readFileSync(join(root, entry.dir, file)) });
        }
      }
    },
  };
}

// `npm start` (vite --open): once the server listens, say what to open — and, where no browser can be
// opened from here, say so instead of leaving only a URL among Vite's lines. Vite is then not asked to
// open one (it would fail silently).
function startBanner(): Plugin {
  return {
    name: "rvs-start-banner",
    apply: "serve",
    config(config) {
      if (config.server?.open && cannotOpenBrowser({ platform: process.platform, env: process.env })) {
        return { server: { open: false } };
      }
      return undefined;
    },
    configureServer(server) {
      server.httpServer?.once("listening", () => {
        setTimeout(() => {
          const url = server.resolvedUrls?.local[0];
          if (url) server.config.logger.info(`\n${startMessage(url, { platform: process.platform, env: process.env }).join("\n")}\n`);
        }, 0);
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), vendorFiles(), startBanner()],
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
  // Dependencies the workers import: optimised up front, so that the dev server does not discover
  // them mid-session and reload the page.
  optimizeDeps: {
    include: ["onnxruntime-web/webgpu", "comlink", "zod", "onnx-proto", "hyparquet", "@huggingface/tokenizers", "@huggingface/jinja", "@tanstack/react-virtual", "recharts"],
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
