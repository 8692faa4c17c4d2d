/**
 * Sandbox Web Worker: Pyodide loaded from `indexURL` (files the app serves: pyodide.mjs,
 * pyodide.asm.mjs, pyodide.asm.wasm, python_stdlib.zip, pyodide-lock.json), then the network APIs
 * are removed from this worker's scope before any program runs. Started by sandbox-browser.ts.
 */
import { serveSandbox, type LoadPyodide } from '../core/eval/sandbox/runtime.ts';
import type { HostMessage, WorkerMessage } from '../core/eval/sandbox/types.ts';

/** The dedicated-worker scope (this project's web tsconfig has the DOM lib, not WebWorker). */
const scope = globalThis as unknown as {
  postMessage(message: WorkerMessage): void;
  addEventListener(type: 'message', listener: (event: { data: HostMessage }) => void): void;
};

/** Worker-scope APIs beyond the common network list: storage and cross-context channels. */
const BROWSER_ESCAPES = ['indexedDB', 'caches', 'navigator', 'Notification', 'FileSystemHandle', 'WebSocketStream'];

function hardenBrowser(): void {
  const g = globalThis as Record<string, unknown>;
  for (const name of BROWSER_ESCAPES) {
    try {
      if (!delete g[name]) Object.defineProperty(g, name, { value: undefined });
    } catch {
      // not removable in this browser: the Python-side blocks still apply
    }
  }
}

const handle = serveSandbox(
  { post: (message) => scope.postMessage(message) },
  async (indexURL) => {
    const url = new URL('pyodide.mjs', new URL(indexURL, location.href)).href;
    const module = (await import(/* @vite-ignore */ url)) as { loadPyodide: LoadPyodide };
    return module.loadPyodide;
  },
  hardenBrowser,
);
scope.addEventListener('message', (event) => void handle(event.data));
