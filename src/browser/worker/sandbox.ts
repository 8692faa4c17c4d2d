/**
 * The Python sandbox in browsers: every program in a dedicated module Worker of its own
 * (sandbox-worker.ts), booted from a memory snapshot of a locked-down interpreter and terminated
 * after that one program, or when it runs past its limit (see src/core/eval/sandbox/pool.ts).
 * `indexURL` is where the app serves Pyodide's files (assets.ts's PYODIDE_URL); it must end in "/".
 */
import { createWorkerSandbox, type SandboxWorker, type WorkerEvents } from '../../core/eval/sandbox/pool.ts';
import type { BatchSandbox, HostMessage, WorkerMessage } from '../../core/eval/sandbox/types.ts';

export interface BrowserSandboxOptions {
  readonly indexURL: string;
  readonly startTimeoutMs?: number;
  readonly warm?: number;
  readonly memoryLimitBytes?: number;
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
  const { indexURL, ...rest } = options;
  return createWorkerSandbox(spawn, { indexURL: new URL(indexURL, location.href).href, ...rest });
}
