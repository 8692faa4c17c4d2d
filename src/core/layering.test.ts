// Layering guard: src/core is platform-neutral (browser, web worker, Node).
// Every non-test .ts file under src/core may import only:
//   - other files inside src/core (relative paths that stay in the folder),
//   - platform-neutral packages (e.g. zod).
// It must not import UI/state/worker-glue packages, Node builtins, Dawn's
// native `webgpu` package, or anything outside src/core.
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CORE_DIR = dirname(fileURLToPath(import.meta.url));

/** Packages (and their subpaths) core must never import. */
const FORBIDDEN_PACKAGES = ["react", "react-dom", "zustand", "comlink", "webgpu"];
/** Node builtins without the `node:` prefix: fs, path, worker_threads, ... */
const NODE_BUILTINS = new Set(builtinModules.map((m) => m.split("/")[0]!));
/** Triple-slash `lib` references that would pull in a platform. */
const FORBIDDEN_LIBS = /^(dom|webworker|scripthost)\b/i;

export interface Violation {
  file: string;
  specifier: string;
  reason: string;
}

/**
 * One left-to-right scan over the source. Comments and string/template
 * literals are consumed as whole tokens, so import-like text inside them is
 * never mistaken for an import. Capture groups:
 *   1/3 triple-slash reference kind/target, 6 `... from "x"` (4: `import type` / `export type`),
 *   8 `import "x"`, 10 `import("x")` / `require("x")`.
 */
const TOKEN = new RegExp(
  [
    String.raw`^[ \t]*\/\/\/[ \t]*<reference\s+(path|types|lib)\s*=\s*(["'])(.*?)\2[^\n]*`,
    String.raw`\/\/[^\n]*`,
    String.raw`\/\*[\s\S]*?\*\/`,
    String.raw`(?<![\w$.])(?:import|export)\s+(type\s+)?[^'"\`;()]*?\bfrom\s*(["'])(.*?)\5`,
    String.raw`(?<![\w$.])import\s*(["'])(.*?)\7`,
    String.raw`(?<![\w$.])(?:import|require)\s*\(\s*(["'\`])(.*?)\9`,
    String.raw`"(?:\\[\s\S]|[^"\\\n])*"`,
    String.raw`'(?:\\[\s\S]|[^'\\\n])*'`,
    String.raw`\`(?:\\[\s\S]|[^\`\\])*\``,
  ].join("|"),
  "gm",
);

export interface ImportRef {
  readonly specifier: string;
  /** `import type … from` / `export type … from`: erased at build time. */
  readonly typeOnly: boolean;
}

/** Every module a TS source file refers to, in source order. */
export function extractImports(source: string): ImportRef[] {
  const found: ImportRef[] = [];
  for (const m of source.matchAll(TOKEN)) {
    if (m[1] !== undefined) found.push({ specifier: `${m[1]}:${m[3]}`, typeOnly: false });
    else {
      const specifier = m[6] ?? m[8] ?? m[10];
      if (specifier !== undefined) found.push({ specifier, typeOnly: m[6] !== undefined && m[4] !== undefined });
    }
  }
  return found;
}

/** Every module specifier a TS source file refers to, in source order. */
export function extractSpecifiers(source: string): string[] {
  return extractImports(source).map((i) => i.specifier);
}

/** Why `specifier`, imported from `file` (absolute path), breaks the layering; null if fine. */
export function checkSpecifier(file: string, specifier: string, coreDir = CORE_DIR): string | null {
  const ref = /^(path|types|lib):(.*)$/.exec(specifier);
  if (ref) {
    const [, kind, target] = ref as unknown as [string, string, string];
    if (kind === "lib") return FORBIDDEN_LIBS.test(target) ? `platform lib "${target}"` : null;
    if (kind === "types") {
      return /^(?:@types\/)?node(?:\/|$)/.test(target) ? "Node types" : checkSpecifier(file, target, coreDir);
    }
    return checkSpecifier(file, target.startsWith(".") ? target : `./${target}`, coreDir);
  }

  const bare = specifier.split("?")[0]!;
  if (bare.startsWith("node:")) return "Node builtin";
  if (bare.startsWith(".") || bare.startsWith("/") || /^[a-z]:[\\/]/i.test(bare)) {
    if (!bare.startsWith(".")) return "absolute path";
    const target = resolve(dirname(file), bare);
    const rel = relative(coreDir, target);
    if (rel === ".." || rel.startsWith(`..${sep}`) || resolve(coreDir, rel) !== target) {
      return "path outside src/core";
    }
    return null;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(bare)) return "URL import";

  const parts = bare.split("/");
  const pkg = bare.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  if (FORBIDDEN_PACKAGES.includes(pkg)) return `forbidden package "${pkg}"`;
  if (NODE_BUILTINS.has(pkg)) return "Node builtin";
  return null;
}

export function findViolations(file: string, source: string, coreDir = CORE_DIR): Violation[] {
  const out: Violation[] = [];
  for (const specifier of extractSpecifiers(source)) {
    const reason = checkSpecifier(file, specifier, coreDir);
    if (reason) out.push({ file: relative(coreDir, file), specifier, reason });
  }
  return out;
}

function coreSourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") files.push(...coreSourceFiles(path));
    } else if (/\.(?:m|c)?tsx?$/.test(entry.name) && !/\.(?:test|spec)\.tsx?$/.test(entry.name)) {
      files.push(path);
    }
  }
  return files;
}

describe("src/core layering", () => {
  it("core imports nothing platform-specific and nothing outside src/core", () => {
    const violations = coreSourceFiles(CORE_DIR).flatMap((file) =>
      findViolations(file, readFileSync(file, "utf8")),
    );
    expect(violations).toEqual([]);
  });

  describe("the checker itself", () => {
    const file = join(CORE_DIR, "merge", "plan.ts");
    const bad = (src: string) => findViolations(file, src).map((v) => v.specifier);

    it("flags forbidden imports in every import form", () => {
      expect(
        bad(`
          import React from "react";
          import { createRoot } from 'react-dom/client';
          import type { StoreApi } from "zustand";
          import * as Comlink from "comlink";
          export { readFile } from "node:fs/promises";
          import "fs";
          import {
            join,
            dirname,
          } from "path";
          const w = await import("worker_threads");
          const c = require("child_process");
          import gpu = require("webgpu");
          import { x } from "../../shaders/merge.wgsl?raw";
          import { y } from "../../app/store.ts";
          export * from "/etc/passwd";
          type T = typeof import("../../node/fs-source.ts");
          /// <reference types="node" />
        `),
      ).toEqual([
        "react",
        "react-dom/client",
        "zustand",
        "comlink",
        "node:fs/promises",
        "fs",
        "path",
        "worker_threads",
        "child_process",
        "webgpu",
        "../../shaders/merge.wgsl?raw",
        "../../app/store.ts",
        "/etc/passwd",
        "../../node/fs-source.ts",
        "types:node",
      ]);
      expect(bad(`/// <reference lib="dom" />`)).toEqual(["lib:dom"]);
    });

    it("allows relative imports inside core and neutral packages", () => {
      expect(
        bad(`
          import { z } from "zod";
          import type { Tensor } from "../tensor/types.ts";
          import { plan } from "./plan-helpers.ts";
          export * from "../index.ts";
          import type {} from "@webgpu/types";
          const s = "import fs from 'fs'"; // a string, not an import
          // import React from "react";
          /* import "node:path"; */
          const reactor = reactorImport("fs") + obj.require("fs") + myimport("fs");
          const t = \`import "fs"; require('path')\`;
          /// <reference lib="es2022" />
        `),
      ).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The studio's split by where code runs. Every non-test file under src/app and src/browser:
//   page   (src/app, src/browser/page: the UI thread) imports core, shared and page code — never
//          worker code, not even its types (those come through shared/engine-api.ts);
//   worker (src/browser/worker and the sandbox files at src/browser/'s top: the GPU worker and what
//          it starts) imports core, shared and worker code — never page code, React or zustand;
//   shared (src/browser/shared: both sides, e.g. the wire and the worker's API) imports core and
//          shared code, and worker code only with `import type` (erased: nothing of the worker is
//          bundled into the page) — never page code, React or zustand.
// Components (src/app/components) start no network or storage work: they import nothing but
// types from the page's Hub clients and caches (the store's jobs run them).
// Nobody in the browser imports src/node or src/cli.

const SRC_DIR = resolve(CORE_DIR, "..");
type Area = "core" | "page" | "worker" | "shared" | "node" | "cli" | "testing" | "other";

/** Which side `path` (absolute) runs on. */
export function areaOf(path: string, src = SRC_DIR): Area {
  const rel = relative(src, path).split(sep).join("/");
  if (rel.startsWith("core/")) return "core";
  if (rel.startsWith("app/") || rel.startsWith("browser/page/")) return "page";
  if (rel.startsWith("browser/worker/") || /^browser\/[^/]+$/.test(rel)) return "worker";
  if (rel.startsWith("browser/shared/")) return "shared";
  if (rel.startsWith("browser/testing/")) return "testing";
  if (rel.startsWith("node/")) return "node";
  if (rel.startsWith("cli/")) return "cli";
  return "other";
}

const UI_PACKAGES = ["react", "react-dom", "zustand"];
/** Page modules that do network or storage work: the store's jobs use them, components don't. */
const STORE_ONLY = ["browser/page/hub-cache.ts", "browser/page/dataset-cache.ts", "browser/page/hub-datasets.ts", "browser/page/handle-store.ts", "browser/page/run-store.ts"];

/** Why `ref`, imported from `file` (absolute, under src/app or src/browser), breaks the split; null if fine. */
export function checkBrowserImport(file: string, ref: ImportRef, src = SRC_DIR): string | null {
  const from = areaOf(file, src);
  const bare = ref.specifier.split("?")[0]!;
  if (!bare.startsWith(".")) {
    const parts = bare.split("/");
    const pkg = bare.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
    return from !== "page" && UI_PACKAGES.includes(pkg) ? `${from} code imports "${pkg}"` : null;
  }
  const target = resolve(dirname(file), bare);
  const to = areaOf(target, src);
  if (to === "node" || to === "cli" || to === "testing") return `${from} code imports ${to} code`;
  if (relative(src, file).startsWith(`app${sep}components${sep}`) && !ref.typeOnly && STORE_ONLY.includes(relative(src, target).split(sep).join("/"))) {
    return "a component imports a network/storage module (run it as a store job)";
  }
  if (from === "page" && to === "worker") return "page code imports worker code (use shared/engine-api.ts)";
  if ((from === "worker" || from === "shared") && to === "page") return `${from} code imports page code`;
  if (from === "shared" && to === "worker" && !ref.typeOnly) return "shared code imports worker code at run time (only `import type`)";
  return null;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(entry.name) && !/\.(?:test|spec)\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) files.push(path);
  }
  return files;
}

describe("studio layering: page / worker / shared", () => {
  it("each side imports only what runs there", () => {
    const violations: Violation[] = [];
    for (const file of [...sourceFiles(join(SRC_DIR, "app")), ...sourceFiles(join(SRC_DIR, "browser"))]) {
      if (areaOf(file) === "testing") continue;
      for (const ref of extractImports(readFileSync(file, "utf8"))) {
        const reason = checkBrowserImport(file, ref);
        if (reason) violations.push({ file: relative(SRC_DIR, file), specifier: ref.specifier, reason });
      }
    }
    expect(violations).toEqual([]);
  });

  it("the checker flags each kind of crossing", () => {
    const at = (rel: string) => join(SRC_DIR, ...rel.split("/"));
    const check = (file: string, source: string) => extractImports(source).map((ref) => checkBrowserImport(at(file), ref) !== null);
    expect(check("app/store/store.ts", `import { Engine } from "../../browser/worker/engine.ts";`)).toEqual([true]);
    expect(check("app/store/store.ts", `import type { Engine } from "../../browser/worker/engine.ts";`)).toEqual([true]);
    expect(check("app/store/store.ts", `import type { StudioEngine } from "../../browser/shared/engine-api.ts"; import { create } from "zustand";`)).toEqual([false, false]);
    expect(check("browser/page/drop.ts", `import { x } from "../worker/engine.ts";`)).toEqual([true]);
    expect(check("browser/worker/engine.ts", `import { pickFolder } from "../page/pickers.ts"; import { useState } from "react";`)).toEqual([true, true]);
    expect(check("browser/worker/engine.ts", `import { x } from "../shared/wire.ts"; import { y } from "../../core/io/bytes.ts";`)).toEqual([false, false]);
    expect(check("browser/shared/engine-api.ts", `import type { A } from "../worker/evaluation.ts"; export type { B } from "../worker/eval-data.ts";`)).toEqual([false, false]);
    expect(check("browser/shared/engine-api.ts", `import { A } from "../worker/evaluation.ts";`)).toEqual([true]);
    expect(check("browser/shared/wire.ts", `import { x } from "../page/hub-endpoint.ts";`)).toEqual([true]);
    expect(check("browser/worker/model-host.ts", `import { x } from "../../node/model.ts";`)).toEqual([true]);
    expect(check("app/components/HubData.tsx", `import { opfsDatasetCache } from "../../browser/page/dataset-cache.ts";`)).toEqual([true]);
    expect(check("app/components/HubPresets.tsx", `import type { CachedModel } from "../../browser/page/hub-cache.ts";`)).toEqual([false]);
    expect(check("app/store/hub-actions.ts", `import { opfsDatasetCache } from "../../browser/page/dataset-cache.ts";`)).toEqual([false]);
    expect(areaOf(at("browser/worker/sandbox-worker.ts"))).toBe("worker");
  });
});
