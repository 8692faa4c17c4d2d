/**
 * The worker side of the sandbox, shared by the Node child process (src/node/sandbox-node-worker.ts)
 * and the browser worker (src/browser/worker/sandbox-worker.ts). A worker holds one interpreter and is
 * thrown away after one answer:
 *   - a snapshot maker boots Pyodide, runs the Python lock-down (driver.ts) and answers with a
 *     memory snapshot of that interpreter; it never runs a program;
 *   - an interpreter boots from that snapshot (a few hundred ms instead of seconds), locks the
 *     JavaScript side down, and runs exactly one program.
 *
 * Lock-down, in layers (each assumes the one above may be bypassed):
 *   1. Python (driver.ts): `js`, `pyodide*`, `_pyodide*`, `micropip`, `ctypes` and CPython's test
 *      modules cannot be imported; os.system, os.popen, os.exec…, os.spawn…, os.fork, subprocess and pty raise.
 *   2. Pyodide: the `js` module is an empty object (jsglobals), every file system but MEMFS is
 *      unregistered (Python's `open` and `os` see only the in-memory FS), sockets fail with EACCES,
 *      the loadPackage / mount* / registerJsModule / run* API entries throw, stdin reads fail,
 *      output is dropped, the wasm memory cannot grow past the limit.
 *   3. JavaScript: no code generation from strings (a JsProxy reaching `x.constructor.constructor`
 *      gets nothing), the platform's escapes removed from the worker's global scope (`hardenHost`).
 *   4. The platform: in Node a child process whose permissions allow reading Pyodide's files and
 *      nothing else (no writes, no child processes, no workers, no addons); in browsers a
 *      dedicated Worker with no DOM. Either is terminated on timeout and after its one program.
 */
import { BLOCKED_MODULES, DENIED_OS_FUNCTIONS, LOCKDOWN_PY, PREIMPORTED_MODULES } from './driver.ts';
import type { BootConfig, HostMessage, RunStatus, WorkerMessage } from './types.ts';

/** The parts of a loaded Pyodide the runtime touches (`_module` is Pyodide's Emscripten module). */
export interface PyodideLike {
  runPython(code: string): unknown;
  makeMemorySnapshot(): Uint8Array;
  readonly globals: { get(name: string): unknown };
  setStdin(options: { error: boolean }): void;
  setStdout(options: { write(buffer: Uint8Array): number }): void;
  setStderr(options: { write(buffer: Uint8Array): number }): void;
  readonly FS: { readonly filesystems: Record<string, unknown>; readonly ErrnoError: new (errno: number) => Error };
  readonly ERRNO_CODES: Record<string, number>;
  readonly _module: { readonly SOCKFS?: { readonly websocket_sock_ops?: Record<string, unknown> } };
}

export interface LoadPyodideOptions {
  readonly indexURL: string;
  /** What Python's `js` module shows: an empty object. */
  readonly jsglobals: object;
  readonly env: Record<string, string>;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly _makeSnapshot?: boolean;
  readonly _loadSnapshot?: Uint8Array;
}

export type LoadPyodide = (options: LoadPyodideOptions) => Promise<PyodideLike>;

/** Pyodide API entries that load code or data, mount host folders, or reach JavaScript. */
const DISABLED_API = [
  'loadPackage', 'loadPackagesFromImports', 'mountNodeFS', 'mountNativeFS', 'registerJsModule',
  'pyimport', 'runPython', 'runPythonAsync', 'unpackArchive', 'setStdin', 'setStdout', 'setStderr',
  'makeMemorySnapshot', 'useNodeSockFS', 'unregisterJsModule', 'registerComlink',
];

/**
 * Entries of Pyodide's internal `_api` object that do the same. A program can reach the API object
 * itself (a gc walk finds the import finder's `pyodide_js`), so disabling it on the object is what
 * holds, not the import blocker.
 */
const DISABLED_INTERNAL_API = ['initializeNodeSockFS'];

interface Destroyable {
  destroy(): void;
}

type Runner = (program: string) => { status: RunStatus; detail: string; ms: number };

/** The wasm memory limit: `exceeded()` tells whether some growth was refused. */
interface MemoryCap {
  exceeded(): boolean;
  readonly limitBytes: number;
}

/** Minimal WebAssembly typing (core's lib is ES2022 only). */
type MemoryProto = { grow(pages: number): number; readonly buffer: ArrayBuffer };

/**
 * Refuses any wasm memory growth past `limitBytes` (Emscripten grows the heap through
 * `memory.grow` from JavaScript; a refusal is malloc returning NULL, a MemoryError in Python).
 */
export function capWasmMemory(limitBytes: number): MemoryCap {
  const proto = (globalThis as unknown as { WebAssembly: { Memory: { prototype: MemoryProto } } }).WebAssembly.Memory.prototype;
  const grow = proto.grow;
  let refused = false;
  Object.defineProperty(proto, 'grow', {
    value: function (this: MemoryProto, pages: number): number {
      if (this.buffer.byteLength + pages * 65536 > limitBytes) {
        refused = true;
        throw new RangeError('the sandbox memory limit was reached');
      }
      return grow.call(this, pages);
    },
  });
  return { exceeded: () => refused, limitBytes };
}

const drop = () => {};
const discard = { write: (buffer: Uint8Array) => buffer.length };

function quiet(py: PyodideLike): void {
  py.setStdin({ error: true });
  py.setStdout(discard);
  py.setStderr(discard);
}

function options(config: BootConfig): LoadPyodideOptions {
  return { indexURL: config.indexURL, jsglobals: Object.create(null) as object, env: { HOME: '/home/pyodide' }, stdout: drop, stderr: drop };
}

/** Boots Pyodide, runs the Python lock-down, and returns a memory snapshot of the interpreter. */
export async function makeSnapshot(loadPyodide: LoadPyodide, config: BootConfig): Promise<Uint8Array> {
  const py = await loadPyodide({ ...options(config), _makeSnapshot: true });
  quiet(py);
  py.runPython(LOCKDOWN_PY);
  const args = [BLOCKED_MODULES, PREIMPORTED_MODULES, DENIED_OS_FUNCTIONS].map((list) => JSON.stringify(list)).join(', ');
  py.runPython(`_rvs_lockdown(${args})\ndel _rvs_lockdown`);
  return py.makeMemorySnapshot();
}

/** Boots an interpreter from `snapshot`, locks its JavaScript side down, returns its one-shot runner. */
export async function bootInterpreter(loadPyodide: LoadPyodide, config: BootConfig, snapshot: Uint8Array, cap: MemoryCap): Promise<Runner> {
  const py = await loadPyodide({ ...options(config), _loadSnapshot: snapshot });
  quiet(py);
  const run = py.globals.get('_rvs_run') as ((program: string) => unknown) | undefined;
  if (typeof run !== 'function') throw new Error('the snapshot has no _rvs_run: it was not made by this sandbox');

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
  const disable = (target: object, names: readonly string[], prefix: string) => {
    for (const name of names) {
      Object.defineProperty(target, name, {
        value: () => {
          throw new Error(`${prefix}${name} is disabled in the sandbox`);
        },
      });
    }
  };
  disable(py, DISABLED_API, 'pyodide.');
  const internal = (py as { _api?: object })._api;
  if (internal) disable(internal, DISABLED_INTERNAL_API, 'pyodide._api.');

  let used = false;
  return (program) => {
    if (used) return { status: 'error', detail: 'an interpreter runs one program only', ms: 0 };
    used = true;
    let status: RunStatus = 'passed';
    let detail = '';
    const t0 = performance.now();
    try {
      (run(program) as Partial<Destroyable> | undefined)?.destroy?.();
    } catch (e) {
      const error = e as { name?: unknown; type?: unknown; message?: unknown };
      const message = String(error?.message ?? e);
      if (typeof error?.type === 'string' && error.name === 'PythonError') {
        status = 'failed';
        const described = py.globals.get('_rvs_detail');
        detail = typeof described === 'string' ? described : error.type as string;
      } else {
        // Python could not return: the interpreter is gone (os._exit, a wasm trap, a call the host refused).
        status = 'error';
        detail = `the interpreter died: ${firstLine(message)}`;
      }
    }
    const ms = performance.now() - t0;
    if (cap.exceeded()) {
      return { status: 'failed', detail: `MemoryError: the program went past the sandbox's memory limit (${Math.round(cap.limitBytes / 2 ** 20)} MiB)`, ms };
    }
    return { status, detail, ms };
  };
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
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
  'RTCPeerConnection', 'Worker', 'SharedWorker', 'BroadcastChannel', 'importScripts', 'Request',
];

/** Deletes `names` from the global scope (or, if not configurable, overwrites them with undefined). */
export function removeGlobals(names: readonly string[]): void {
  const g = globalThis as Record<string, unknown>;
  for (const name of names) {
    if (!(name in g)) continue;
    try {
      if (delete g[name] && !(name in g)) continue;
    } catch {
      // fall through to overwriting
    }
    try {
      Object.defineProperty(g, name, { value: undefined, configurable: false, writable: false });
    } catch {
      try {
        g[name] = undefined;
      } catch {
        // neither deletable nor writable: the layers above still apply
      }
    }
  }
}

export interface SandboxPort {
  post(message: WorkerMessage): void;
}

/**
 * The message handler of a sandbox worker. `importPyodide` loads Pyodide's module from indexURL;
 * `hardenHost` removes the platform's escapes once Pyodide has loaded, before any program runs.
 */
export function serveSandbox(
  port: SandboxPort,
  importPyodide: (indexURL: string) => Promise<LoadPyodide>,
  hardenHost: () => void,
): (message: HostMessage) => Promise<void> {
  let runner: Runner | undefined;
  let booting = false;
  const fail = (e: unknown) => port.post({ type: 'start-failed', message: String((e as Error)?.message ?? e) });
  return async (message) => {
    if (message.type === 'snapshot' || message.type === 'init') {
      if (booting) return fail(new Error('a sandbox worker boots once'));
      booting = true;
      try {
        const t0 = performance.now();
        const cap = capWasmMemory(message.memoryLimitBytes);
        const load = await importPyodide(message.indexURL);
        if (message.type === 'snapshot') {
          const bytes = await makeSnapshot(load, message);
          port.post({ type: 'snapshot', bytes, loadMs: performance.now() - t0 });
          return;
        }
        runner = await bootInterpreter(load, message, message.snapshot, cap);
        removeGlobals(NETWORK_GLOBALS);
        hardenHost();
        blockCodeGeneration();
        port.post({ type: 'ready', loadMs: performance.now() - t0 });
      } catch (e) {
        fail(e);
      }
    } else if (runner === undefined) {
      port.post({ type: 'result', nonce: message.nonce, status: 'error', detail: 'the sandbox has not started', ms: 0 });
    } else {
      port.post({ type: 'result', nonce: message.nonce, ...runner(message.program) });
    }
  };
}
