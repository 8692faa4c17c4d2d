/**
 * The Python sandbox in browsers: Pyodide in dedicated module Workers (sandbox-worker.ts), each
 * terminated when a program runs past its limit. `indexURL` is where the app serves Pyodide's
 * files (e.g. a copy of node_modules/pyodide/ under public/); it must end in "/".
 */
import { createWorkerSandbox, type SandboxWorker, type WorkerEvents } from '../core/eval/sandbox/pool.ts';
import type { BatchSandbox, HostMessage, WorkerMessage } from '../core/eval/sandbox/types.ts';

export interface BrowserSandboxOptions {
  readonly indexURL: string;
  readonly startTimeoutMs?: number;
}

export function createBrowserSandbox(options: BrowserSandboxOptions): BatchSandbox {
  const spawn = (events: WorkerEvents): SandboxWorker => {
    const worker = new Worker(new URL('./sandbox-worker.ts', import.meta.url), { type: 'module', name: 'python-sandbox' });
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => events.message(event.data));
    worker.addEventListener('error', (event) => events.error(event.message || 'the worker script failed'));
    worker.addEventListener('messageerror', () => events.error('a message could not be read'));
    return {
      post: (message: HostMessage) => worker.postMessage(message),
      terminate: () => worker.terminate(),
    };
  };
  return createWorkerSandbox(spawn, {
    indexURL: new URL(options.indexURL, location.href).href,
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
  });
}
