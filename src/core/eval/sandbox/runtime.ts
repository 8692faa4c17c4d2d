/**
 * The worker side of the sandbox, shared by the Node worker (src/node/sandbox-node-worker.ts) and
 * the browser worker (src/browser/sandbox-worker.ts): loads Pyodide, locks it down, then runs one
 * program per `run` message.
 *
 * Lock-down, in layers (each assumes the one above may be bypassed):
 *   1. Python: `js`, `pyodide_js`, `pyodide`, `_pyodide*`, `micropip`, `ctypes` and CPython's test
 *      modules cannot be imported (a meta-path finder first on sys.meta_path, and sys.modules
 *      purged); see driver.ts.
 *   2. Pyodide: the `js` module is an empty object (jsglobals), every file system but MEMFS is
 *      unregistered (no NODEFS / NATIVEFS mount: Python's `open` and `os` see only the in-memory
 *      FS), sockets fail with EACCES (Emscripten's SOCKFS would otherwise open a WebSocket — in
 *      Node through the `ws` package — for `socket.connect`), the loadPackage / mount* /
 *      registerJsModule / run* API entries throw, stdin reads fail, output is dropped.
 *   3. JavaScript: the `constructor` of every function prototype throws, so a JsProxy that
 *      reaches `x.constructor.constructor(code)` cannot generate code (the step from any JS object
 *      to the global scope); the host removes its own escapes (`hardenHost`: fetch, WebSocket,
 *      XMLHttpRequest, process.binding, ...).
 * The real boundaries stay the worker (terminated on timeout) and, in browsers, the page's
 * origin; this is defence in depth for model-written code, not a jail for hostile code.
 */
import { BLOCKED_MODULES, DRIVER_PY, PREIMPORTED_MODULES } from './driver.ts';
import type { HostMessage, RunStatus, WorkerMessage } from './types.ts';

/** The parts of a loaded Pyodide the runtime touches (`_module` is Pyodide's Emscripten module). */
export interface PyodideLike {
  runPython(code: string, options?: { globals?: unknown }): unknown;
  toPy(value: unknown): unknown;
  setStdin(options: { error: boolean }): void;
  setStdout(options: { write(buffer: Uint8Array): number }): void;
  setStderr(options: { write(buffer: Uint8Array): number }): void;
  readonly FS: { readonly filesystems: Record<string, unknown>; readonly ErrnoError: new (errno: number) => Error };
  readonly ERRNO_CODES: Record<string, number>;
  readonly _module: {
    readonly SOCKFS?: { readonly websocket_sock_ops?: Record<string, unknown> };
    readonly HEAP8: Int8Array;
  };
}

export interface LoadPyodideOptions {
  readonly indexURL: string;
  /** What Python's `js` module shows: an empty object. */
  readonly jsglobals: object;
  readonly env: Record<string, string>;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

export type LoadPyodide = (options: LoadPyodideOptions) => Promise<PyodideLike>;

/** A program that leaves the wasm heap larger than this gets a fresh interpreter after it. */
const RECYCLE_HEAP_BYTES = 1 << 30;

/** Pyodide API entries that load code or data, mount host folders, or reach JavaScript. */
const DISABLED_API = [
  'loadPackage', 'loadPackagesFromImports', 'mountNodeFS', 'mountNativeFS', 'registerJsModule',
  'pyimport', 'runPython', 'runPythonAsync', 'unpackArchive', 'setStdin', 'setStdout', 'setStderr',
];

interface PyProxyLike {
  get(key: string): unknown;
  toJs(): unknown;
  destroy(): void;
}

type Runner = (program: string) => { status: RunStatus; detail: string; ms: number; recycle: boolean };

/** Loads Pyodide, locks it down (layers 1 and 2 above) and returns the program runner. */
export async function bootSandbox(loadPyodide: LoadPyodide, indexURL: string): Promise<Runner> {
  const drop = () => {};
  const py = await loadPyodide({
    indexURL,
    jsglobals: Object.create(null) as object,
    env: { HOME: '/home/pyodide' },
    stdout: drop,
    stderr: drop,
  });
  py.setStdin({ error: true });
  const discard = { write: (buffer: Uint8Array) => buffer.length };
  py.setStdout(discard);
  py.setStderr(discard);

  const scope = py.runPython('dict()') as PyProxyLike;
  py.runPython(DRIVER_PY, { globals: scope });
  type Callable<A extends unknown[]> = PyProxyLike & ((...args: A) => PyProxyLike);
  const make = scope.get('_rvs_make_runner') as Callable<[blocked: unknown, preimport: unknown]>;
  const run = make(py.toPy(BLOCKED_MODULES), py.toPy(PREIMPORTED_MODULES)) as Callable<[program: string]>;
  make.destroy();
  scope.destroy();

  const { FS, ERRNO_CODES, _module: emscripten } = py;
  for (const name of Object.keys(FS.filesystems)) if (name !== 'MEMFS') delete FS.filesystems[name];
  const sockets = emscripten.SOCKFS?.websocket_sock_ops;
  if (sockets) {
    const denied = () => {
      throw new FS.ErrnoError(ERRNO_CODES['EACCES']!);
    };
    sockets['createPeer'] = denied;
    sockets['listen'] = denied;
  }
  for (const name of DISABLED_API) {
    Object.defineProperty(py, name, {
      value: () => {
        throw new Error(`pyodide.${name} is disabled in the sandbox`);
      },
    });
  }

  return (program) => {
    let status: RunStatus;
    let detail: string;
    let ms: number;
    let recycle: boolean;
    const t0 = performance.now();
    try {
      const out = run(program);
      [status, detail, ms, recycle] = out.toJs() as [RunStatus, string, number, boolean];
      out.destroy();
    } catch (e) {
      // Python could not return: the interpreter is gone (os._exit, a wasm trap, a fatal error).
      status = 'error';
      detail = `the interpreter died: ${String((e as Error)?.message ?? e).split('\n', 1)[0]}`;
      ms = performance.now() - t0;
      recycle = true;
    }
    return { status, detail, ms, recycle: recycle || emscripten.HEAP8.length > RECYCLE_HEAP_BYTES };
  };
}

/** Layer 3's common part: no code generation from strings through `fn.constructor`. */
export function blockCodeGeneration(): void {
  const blocked = function Function(): never {
    throw new EvalError('code generation from strings is disabled in the sandbox');
  };
  const samples = [function () {}, async function () {}, function* () {}, async function* () {}];
  for (const fn of samples) {
    Object.defineProperty(Object.getPrototypeOf(fn), 'constructor', { value: blocked });
  }
}

/** Globals through which code reaches the network or other workers, in browsers and Node. */
export const NETWORK_GLOBALS = [
  'fetch', 'XMLHttpRequest', 'WebSocket', 'WebSocketStream', 'EventSource', 'WebTransport',
  'RTCPeerConnection', 'Worker', 'SharedWorker', 'BroadcastChannel', 'importScripts',
];

/** Deletes `names` from the global scope (or, if not configurable, overwrites them with undefined). */
export function removeGlobals(names: readonly string[]): void {
  const g = globalThis as Record<string, unknown>;
  for (const name of names) {
    if (!(name in g)) continue;
    if (!delete g[name]) {
      try {
        Object.defineProperty(g, name, { value: undefined });
      } catch {
        g[name] = undefined;
      }
    }
  }
}

export interface SandboxPort {
  post(message: WorkerMessage): void;
}

/**
 * The message handler of a sandbox worker. `importPyodide` loads Pyodide's module from indexURL;
 * `hardenHost` removes the platform's escapes once Pyodide has loaded.
 */
export function serveSandbox(
  port: SandboxPort,
  importPyodide: (indexURL: string) => Promise<LoadPyodide>,
  hardenHost: () => void,
): (message: HostMessage) => Promise<void> {
  let runner: Runner | undefined;
  return async (message) => {
    if (message.type === 'init') {
      try {
        const t0 = performance.now();
        runner = await bootSandbox(await importPyodide(message.indexURL), message.indexURL);
        removeGlobals(NETWORK_GLOBALS);
        hardenHost();
        blockCodeGeneration();
        port.post({ type: 'ready', loadMs: performance.now() - t0 });
      } catch (e) {
        port.post({ type: 'start-failed', message: String((e as Error)?.message ?? e) });
      }
    } else if (runner === undefined) {
      port.post({ type: 'result', id: message.id, status: 'error', detail: 'the sandbox has not started', ms: 0, recycle: true });
    } else {
      port.post({ type: 'result', id: message.id, ...runner(message.program) });
    }
  };
}
