/**
 * Sandbox worker for Node (worker_threads): Pyodide from node_modules, no network, no host files.
 * sandbox-node.ts bundles this file and starts it with an empty environment.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { NETWORK_GLOBALS, removeGlobals, serveSandbox, type LoadPyodide } from '../core/eval/sandbox/runtime.ts';
import type { HostMessage } from '../core/eval/sandbox/types.ts';

const port = parentPort!;

// Pyodide reads its files with node:fs in Node: the network goes before it loads.
removeGlobals(NETWORK_GLOBALS);

/** process members that reach native bindings, the host's files or other processes. */
const PROCESS_ESCAPES = ['binding', '_linkedBinding', 'dlopen', 'kill', 'chdir', 'abort', 'reallyExit', 'mainModule', 'getBuiltinModule'];

function hardenNode(): void {
  const proc = process as unknown as Record<string, unknown>;
  for (const name of PROCESS_ESCAPES) {
    try {
      Object.defineProperty(proc, name, { value: undefined, configurable: false, writable: false });
    } catch {
      // non-configurable already: leave it
    }
  }
}

const handle = serveSandbox(
  { post: (message) => port.postMessage(message) },
  async (indexURL) => {
    const module = (await import(pathToFileURL(join(indexURL, 'pyodide.mjs')).href)) as { loadPyodide: LoadPyodide };
    return module.loadPyodide;
  },
  hardenNode,
);
port.on('message', (message: HostMessage) => void handle(message));
