/**
 * Sandbox Web Worker: one interpreter, one program (see src/core/eval/sandbox/runtime.ts). Pyodide
 * is loaded from `indexURL` (files the app serves: pyodide.mjs, pyodide.asm.mjs, pyodide.asm.wasm,
 * python_stdlib.zip, pyodide-lock.json); then, before any program runs, the network (fetch,
 * XMLHttpRequest, WebSocket, importScripts, …) and storage (IndexedDB, Cache Storage, navigator and
 * with it navigator.storage / OPFS) are removed from this worker's scope. Started by
 * sandbox.ts, which terminates it after its one answer.
 */
import { serveSandbox, type LoadPyodide } from '../../core/eval/sandbox/runtime.ts';
import type { HostMessage, WorkerMessage } from '../../core/eval/sandbox/types.ts';

/** The dedicated-worker scope (this project's web tsconfig has the DOM lib, not WebWorker). */
const scope = globalThis as unknown as {
  postMessage(message: WorkerMessage): void;
  addEventListener(type: 'message', listener: (event: { data: HostMessage }) => void): void;
};
const post = scope.postMessage.bind(scope);

/** Worker-scope APIs beyond the common network list: storage, file handles, notifications. */
export const BROWSER_ESCAPES = [
  'indexedDB', 'caches', 'navigator', 'Notification', 'FileSystemHandle', 'FileSystemFileHandle',
  'FileSystemDirectoryHandle', 'FileSystemSyncAccessHandle', 'StorageManager', 'WorkerNavigator',
  'CookieStore', 'cookieStore', 'webkitRequestFileSystem', 'webkitRequestFileSystemSync',
];

function hardenBrowser(): void {
  const g = globalThis as Record<string, unknown>;
  for (const name of BROWSER_ESCAPES) {
    if (!(name in g)) continue;
    try {
      delete g[name];
    } catch {
      // not deletable: shadowed below
    }
    if (name in g) {
      try {
        Object.defineProperty(g, name, { value: undefined, configurable: false, writable: false });
      } catch {
        // neither: the Python-side blocks still apply
      }
    }
  }
}

const handle = serveSandbox(
  { post: (message) => post(message) },
  async (indexURL) => {
    const url = new URL('pyodide.mjs', new URL(indexURL, location.href)).href;
    const module = (await import(/* @vite-ignore */ url)) as { loadPyodide: LoadPyodide };
    return module.loadPyodide;
  },
  hardenBrowser,
);
scope.addEventListener('message', (event) => void handle(event.data));
