/**
 * A sandbox worker in Node: one child process, one interpreter (see src/core/eval/sandbox). Started
 * by sandbox-node.ts under Node's permission model — it may read Pyodide's files and itself, and
 * nothing else: no writes, no child processes, no worker threads, no addons — with an empty
 * environment, no code generation from strings, and a heap limit. Messages come over the IPC
 * channel; the process exits when its parent goes.
 */
import { constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serveSandbox, type LoadPyodide } from '../core/eval/sandbox/runtime.ts';
import type { HostMessage, WorkerMessage } from '../core/eval/sandbox/types.ts';

const proc = process as unknown as Record<string, unknown>;
const send = process.send?.bind(process);
const exit = process.exit.bind(process);
if (!send) {
  process.stderr.write('the sandbox worker must be started with an IPC channel\n');
  exit(1);
}

// Pyodide's NODEFS reads process.binding('constants') when it starts, which the permission model
// refuses: answer that one question, and nothing else.
proc['binding'] = (name: string) => {
  if (name === 'constants') return { fs: fsConstants, os: osConstants };
  throw new Error(`process.binding('${name}') is not available in the sandbox`);
};

/** process members that reach native bindings, other processes or the host's state. */
const PROCESS_ESCAPES = ['binding', '_linkedBinding', 'dlopen', 'kill', 'chdir', 'abort', 'mainModule', 'getBuiltinModule'];

function hardenNode(): void {
  for (const name of PROCESS_ESCAPES) {
    try {
      Object.defineProperty(proc, name, { value: undefined, configurable: false, writable: false });
    } catch {
      // non-configurable already: the permission model still applies
    }
  }
}

const handle = serveSandbox(
  { post: (message: WorkerMessage) => void send!(message) },
  async (indexURL) => {
    const module = (await import(pathToFileURL(join(indexURL, 'pyodide.mjs')).href)) as { loadPyodide: LoadPyodide };
    return module.loadPyodide;
  },
  hardenNode,
);
process.on('message', (message: HostMessage) => void handle(message));
process.on('disconnect', () => exit(0));
