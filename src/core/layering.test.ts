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
 *   1/3 triple-slash reference kind/target, 5 `... from "x"`,
 *   7 `import "x"`, 9 `import("x")` / `require("x")`.
 */
const TOKEN = new RegExp(
  [
    String.raw`^[ \t]*\/\/\/[ \t]*<reference\s+(path|types|lib)\s*=\s*(["'])(.*?)\2[^\n]*`,
    String.raw`\/\/[^\n]*`,
    String.raw`\/\*[\s\S]*?\*\/`,
    String.raw`(?<![\w$.])(?:import|export)\s+(?:type\s+)?[^'"\`;()]*?\bfrom\s*(["'])(.*?)\4`,
    String.raw`(?<![\w$.])import\s*(["'])(.*?)\6`,
    String.raw`(?<![\w$.])(?:import|require)\s*\(\s*(["'\`])(.*?)\8`,
    String.raw`"(?:\\[\s\S]|[^"\\\n])*"`,
    String.raw`'(?:\\[\s\S]|[^'\\\n])*'`,
    String.raw`\`(?:\\[\s\S]|[^\`\\])*\``,
  ].join("|"),
  "gm",
);

/** Every module specifier a TS source file refers to, in source order. */
export function extractSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(TOKEN)) {
    if (m[1] !== undefined) found.push(`${m[1]}:${m[3]}`);
    else {
      const specifier = m[5] ?? m[7] ?? m[9];
      if (specifier !== undefined) found.push(specifier);
    }
  }
  return found;
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
