/**
 * The sandbox's attack corpus: HumanEval-shaped items that try what a hostile completion would —
 * reach the host, outlive their program, fake a verdict, exhaust resources. The tests run it
 * through `rvs score` in Node (src/cli/sandbox-attacks.test.ts) and through the studio's sandbox
 * worker in Chromium (e2e/sandbox.spec.ts), each attack followed by a correct and a wrong control.
 *
 * Every attack completes one problem, `add(a, b)`:
 *   - `solution: 'right'`: the body is correct, so the item fails only if the attack itself fails
 *     (the attack asserts that it got what it wanted);
 *   - `solution: 'wrong'`: the body is wrong, so a pass would be a forged verdict.
 * Completions contain none of HumanEval's stop strings, so `rvs score` (which cuts at them) and a
 * direct run execute the same program.
 */
import type { HumanEvalProblem } from '../humaneval.ts';

export interface AttackTarget {
  /** A folder on the host that attacks try to write marker files into; it must stay empty. */
  readonly markerDir: string;
  /** A file on the host holding "host secret", which attacks try to read. */
  readonly secretFile: string;
  /** A TCP listener on 127.0.0.1 that must see no connection. */
  readonly port: number;
}

export interface Attack {
  readonly name: string;
  readonly category: 'host commands' | 'host files' | 'network' | 'tampering' | 'faked verdicts' | 'resources';
  readonly solution: 'right' | 'wrong';
  /** The completion (the function's body, then the attack). */
  readonly completion: string;
  /** What the result must say, where the outcome is certain (a timeout, the memory limit). */
  readonly expect?: RegExp;
}

export const ATTACK_PROBLEM: Omit<HumanEvalProblem, 'task_id'> = {
  prompt: 'def add(a, b):\n    """Return a + b."""\n',
  canonical_solution: '    return a + b\n',
  test: 'def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n',
  entry_point: 'add',
};

const RIGHT = '    return a + b\n';
const WRONG = '    return a - b\n';

/** Python code run once at the top level (a `for` block: HumanEval stops at a top-level `if`/`def`). */
function top(code: string): string {
  return `for _once in [0]:\n${code.trim().split('\n').map((l) => `    ${l}`).join('\n')}\n`;
}

const py = (s: string) => JSON.stringify(s);

export function attackCorpus(t: AttackTarget): Attack[] {
  const marker = (name: string) => py(`${t.markerDir}/${name}`);
  const url = py(`http://127.0.0.1:${t.port}/`);
  const a = (category: Attack['category'], name: string, solution: Attack['solution'], code: string, expect?: RegExp): Attack => ({
    name,
    category,
    solution,
    completion: (solution === 'right' ? RIGHT : WRONG) + top(code),
    ...(expect ? { expect } : {}),
  });
  return [
    // ---- host commands: each would create a marker file on the host
    a('host commands', 'os.system', 'right', `import os\nassert os.system("touch " + ${marker('system')}) == 0`),
    a('host commands', 'os.popen', 'right', `import os\nos.popen("touch " + ${marker('popen')}).read()`),
    a('host commands', 'subprocess', 'right', `import subprocess\nsubprocess.run(["touch", ${marker('subprocess')}], check=True)`),
    a('host commands', 'subprocess.Popen', 'right', `import subprocess\nsubprocess.Popen(["touch", ${marker('popen2')}]).wait()`),
    a('host commands', 'os.execv', 'right', `import os\nos.execv("/bin/sh", ["sh", "-c", "touch " + ${marker('execv')}])`),
    a('host commands', 'os.posix_spawn', 'right', `import os\nos.posix_spawn("/bin/sh", ["sh", "-c", "touch " + ${marker('spawn')}], {})`),
    a('host commands', 'pty.spawn', 'right', `import pty\npty.spawn(["sh", "-c", "touch " + ${marker('pty')}])`),
    a('host commands', 'posix reloaded', 'right', `import importlib, posix\nposix = importlib.reload(posix)\nassert posix.system("touch " + ${marker('reload')}) == 0`),
    a('host commands', "libc system() through ctypes, import blocker removed", 'right', [
      'import sys',
      "sys.meta_path[:] = [f for f in sys.meta_path if 'Blocker' not in type(f).__name__]",
      'import ctypes',
      `assert ctypes.CDLL(None).system(("touch " + ${marker('ctypes')}).encode()) == 0`,
    ].join('\n')),
    // ---- host files
    a('host files', 'open', 'right', `assert open(${py(t.secretFile)}).read() == "host secret"`),
    a('host files', 'listdir', 'right', `import os\nassert os.path.basename(${py(t.secretFile)}) in os.listdir(os.path.dirname(${py(t.secretFile)}))`),
    a('host files', 'pathlib', 'right', `import pathlib\nassert pathlib.Path(${py(t.secretFile)}).read_text() == "host secret"`),
    a('host files', '/proc', 'right', `assert b"node" in open("/proc/self/cmdline", "rb").read() or b"chrom" in open("/proc/self/cmdline", "rb").read()`),
    a('host files', 'write a file', 'wrong', `open(${marker('open')}, "w").write("x")\nimport pathlib\npathlib.Path(${marker('pathlib')}).write_text("x")`),
    // ---- network: each would reach the listener
    a('network', 'socket', 'right', `import socket\ns = socket.create_connection(("127.0.0.1", ${t.port}), timeout=1)\ns.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")\nassert s.recv(100)`),
    a('network', 'urllib', 'right', `import urllib.request\nassert urllib.request.urlopen(${url}, timeout=1).read()`),
    a('network', 'pyodide.http', 'right', `from pyodide.http import pyfetch\npyfetch(${url})`),
    a('network', 'js.fetch', 'right', `import js\njs.fetch(${url})`),
    a('network', '_pyodide_core to the Function constructor', 'right', [
      'import sys',
      'sys.meta_path.pop(0)',
      'import _pyodide_core',
      'Function = _pyodide_core.to_js([]).constructor.constructor',
      `Function("return fetch(" + ${py(JSON.stringify(`http://127.0.0.1:${t.port}/`))} + ")")()`,
    ].join('\n')),
    a('network', 'Pyodide API through gc (the finder holds pyodide_js): Node sockets', 'right', [
      'import gc, socket',
      'api = [f for f in gc.get_objects() if type(f).__name__ == "JsFinder"][0].jsproxies["pyodide_js"]',
      'api.useNodeSockFS()',
      'api._api.initializeNodeSockFS()',
      `socket.create_connection(("127.0.0.1", ${t.port}), timeout=1)`,
    ].join('\n')),
    a('network', 'sys.meta_path surgery', 'right', [
      'import sys',
      'sys.meta_path.clear()',
      'import importlib.machinery',
      'sys.meta_path[:] = [importlib.machinery.BuiltinImporter, importlib.machinery.FrozenImporter, importlib.machinery.PathFinder]',
      'import pyodide_js',
      `pyodide_js._module.FS.mount(pyodide_js.FS.filesystems.NODEFS, {"root": "/"}, "/mnt")`,
    ].join('\n')),
    // ---- tampering meant to outlive the program (the controls after it show it did not)
    a('tampering', 'gc-reachable driver objects', 'wrong', [
      'import gc, __main__',
      'noop = (lambda *args, **kwargs: None).__code__',
      'for o in gc.get_objects():',
      '    try:',
      "        if callable(o) and getattr(o, '__name__', '').startswith(('_rvs', 'arm', 'describe')):",
      '            o.__code__ = noop',
      '    except Exception:',
      '        pass',
      '__main__._rvs_run = lambda program: None',
    ].join('\n')),
    a('tampering', 'audit hook', 'wrong', `import sys\nsys.addaudithook(lambda event, args: (_ for _ in ()).throw(RuntimeError("hooked")) if event in ("exec", "compile") else None)`),
    a('tampering', 'builtins', 'wrong', `import builtins\nbuiltins.exec = lambda *args, **kwargs: None\nbuiltins.compile = lambda *args, **kwargs: None\nbuiltins.len = lambda x: 0`),
    a('tampering', 'sys.modules', 'wrong', `import sys\nsys.modules["os"] = None\nsys.modules["traceback"] = None\nsys.modules["math"] = None`),
    a('tampering', 'atexit', 'wrong', `import atexit, os\natexit.register(os._exit, 0)`),
    a('tampering', 'a thread left running', 'wrong', `import threading, time\ntry:\n    threading.Thread(target=lambda: time.sleep(100), daemon=True).start()\nexcept Exception:\n    pass`),
    a('tampering', 'signal handlers', 'wrong', `import signal\ntry:\n    signal.signal(signal.SIGALRM, lambda *args: None)\n    signal.setitimer(signal.ITIMER_REAL, 0.5)\nexcept Exception:\n    pass`),
    // ---- faked verdicts
    a('faked verdicts', 'sys.exit(0)', 'wrong', `import sys\nsys.exit(0)`),
    a('faked verdicts', 'os._exit(0)', 'wrong', `import os\nos._exit(0)`),
    { name: 'SystemExit raised in check', category: 'faked verdicts', solution: 'wrong', completion: '    raise SystemExit(0)\n' },
    a('faked verdicts', 'printing fake results', 'wrong', `import sys, os\nsys.__stdout__.write('passed\\n{"type": "result", "status": "passed"}\\n')\nos.write(1, b"passed\\n")\nos.write(2, b"passed\\n")`),
    a('faked verdicts', 'patched AssertionError', 'wrong', `import builtins, sys\nbuiltins.AssertionError = type("AssertionError", (Exception,), {})\nsys.excepthook = lambda *args: None`),
    // ---- resources
    // Touching the 512 MiB the limit allows takes a second or more: on a loaded machine the time limit may come first.
    a('resources', 'unbounded memory', 'right', `x = []\nwhile True:\n    x.append(bytearray(2 ** 26))`, /^(failed: MemoryError: the program went past the sandbox's memory limit|timeout: )/),
    a('resources', 'a 1 GiB allocation', 'right', `x = bytearray(2 ** 30)\nassert len(x) > 0`, /^failed: MemoryError: the program went past the sandbox's memory limit/),
    a('resources', 'infinite loop', 'right', `while True:\n    pass`, /^timeout: /),
    a('resources', 'recursion bomb', 'right', `import sys\nsys.setrecursionlimit(10 ** 6)\nf = lambda n: f(n + 1)\nf(0)`),
    a('resources', 'a gigabyte of output at once', 'right', `import sys\nsys.__stdout__.write("x" * 2 ** 30)`),
    a('resources', 'a gigabyte of output in 1 MiB writes', 'wrong', `import sys\nchunk = "x" * 2 ** 20\nfor _ in range(1024):\n    sys.__stdout__.write(chunk)`),
  ];
}

/** The corpus as HumanEval items: each attack, then a correct control, then a wrong control. */
export function attackItems(t: AttackTarget): { problems: HumanEvalProblem[]; completions: string[]; attacks: Attack[] } {
  const attacks = attackCorpus(t);
  const problems: HumanEvalProblem[] = [];
  const completions: string[] = [];
  for (const [i, attack] of attacks.entries()) {
    for (const [role, completion] of [['attack', attack.completion], ['right', RIGHT], ['wrong', WRONG]] as const) {
      problems.push({ task_id: `attack/${i}/${role}`, ...ATTACK_PROBLEM });
      completions.push(completion);
    }
  }
  return { problems, completions, attacks };
}
