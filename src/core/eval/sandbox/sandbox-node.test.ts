// The Pyodide sandbox in Node child processes: results, time limits, a fresh interpreter per
// program. One sandbox for the file (its snapshot takes a few seconds to make). The attack corpus
// runs through the CLI in src/cli/sandbox-attacks.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeSandbox } from '../../../node/sandbox-node.ts';
import type { BatchSandbox, RunResult } from './types.ts';

let sandbox: BatchSandbox;
const run = (program: string, timeoutMs = 5000): Promise<RunResult> => sandbox.run(program, { timeoutMs });

beforeAll(async () => {
  sandbox = await createNodeSandbox();
  await run('pass'); // loads Pyodide
}, 120_000);
afterAll(() => sandbox?.dispose());

const SQUARE = 'def square(x):\n    return x * x\n';

describe('Node sandbox: results', () => {
  it('a correct program passes', async () => {
    const result = await run(`${SQUARE}assert square(3) == 9\nassert square(-2) == 4\n`);
    expect(result).toMatchObject({ status: 'passed', detail: '' });
    expect(result.ms).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('a failing assertion fails, naming the exception and the assertion', async () => {
    const result = await run(`def square(x):\n    return x + x\nassert square(2) == 4\nassert square(3) == 9, "three"\n`);
    expect(result.status).toBe('failed');
    expect(result.detail).toBe('AssertionError: three (line 4: assert square(3) == 9, "three")');
  }, 60_000);

  it('other exceptions, syntax errors and exits fail with their last traceback line', async () => {
    expect((await run('def f(:\n  pass')).detail).toMatch(/^SyntaxError: .* \(line 1: def f\(:\)$/);
    expect((await run('x = 1\nundefined_name + x')).detail).toBe("NameError: name 'undefined_name' is not defined (line 2: undefined_name + x)");
    expect((await run('import sys\nsys.exit(0)')).status).toBe('failed');
    expect((await run('raise KeyboardInterrupt')).status).toBe('failed');
    const long = await run('assert False, "x" * 100000');
    const cut = 'AssertionError: ' + 'x'.repeat(500 - 'AssertionError: '.length) + '...';
    expect(long.detail).toBe(`${cut} (line 1: assert False, "x" * 100000)`);
    const input = await run('input()');
    expect(input.status).toBe('failed');
    expect(input.detail).toMatch(/^OSError/);
  }, 60_000);

  it('printing is allowed and swallowed', async () => {
    expect(await run('print("x" * 100000)\nimport sys\nsys.stderr.write("e")')).toMatchObject({ status: 'passed' });
  }, 60_000);

  it('an infinite loop times out after the limit; the next program on the same sandbox passes', async () => {
    const limit = 1500;
    const t0 = performance.now();
    const result = await run('while True:\n    pass\n', limit);
    const elapsed = performance.now() - t0;
    expect(result.status).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(limit - 1); // timers may round down by 1 ms
    expect(elapsed).toBeLessThan(limit + 3000);
    expect(result.ms).toBeGreaterThanOrEqual(limit - 1);
    expect(await run(`${SQUARE}assert square(4) == 16`, 20_000)).toMatchObject({ status: 'passed' });
  }, 60_000);

  it('a program that kills its interpreter is an error, and the next one passes', async () => {
    const result = await run('import os\nos._exit(0)');
    expect(result.status).toBe('error');
    expect(await run('assert 1 + 1 == 2', 20_000)).toMatchObject({ status: 'passed' });
  }, 60_000);

  it('runaway recursion is a RecursionError, not a crash', async () => {
    const result = await run('def f(n):\n    return f(n + 1)\nf(0)');
    expect(result.status).toBe('failed');
    expect(result.detail).toMatch(/^RecursionError/);
  }, 60_000);
});

describe('Node sandbox: every program starts from the same fresh interpreter', () => {
  it('globals, builtins, stdlib modules, sys settings, files and audit hooks do not carry over', async () => {
    const spoil = [
      'import builtins, math, os, sys, json',
      'leaked_global = 42',
      'builtins.sum = lambda *a: 0',
      'builtins.extra_name = 1',
      'math.pi = 3',
      'json.dumps = None',
      'sys.path.insert(0, "/nowhere")',
      'sys.setrecursionlimit(60)',
      'open("/tmp/left-behind.txt", "w").write("x")',
      'sys.addaudithook(lambda event, args: None)',
    ].join('\n');
    expect(await run(spoil)).toMatchObject({ status: 'passed' });
    const check = [
      'import builtins, math, os, sys, json',
      "assert 'leaked_global' not in globals()",
      'assert sum([1, 2]) == 3',
      'assert not hasattr(builtins, "extra_name")',
      'assert math.pi > 3.14',
      'assert json.dumps([1]) == "[1]"',
      'assert "/nowhere" not in sys.path',
      'assert sys.getrecursionlimit() > 60',
      'assert not os.path.exists("/tmp/left-behind.txt")',
      'assert os.listdir(".") == []',
    ].join('\n');
    expect(await run(check)).toMatchObject({ status: 'passed' });
  }, 60_000);

  it("the host's environment and root folder are not visible", async () => {
    process.env['RVS_SANDBOX_CANARY'] = 'canary-value'; // children start with an empty environment anyway
    const program = [
      'import os',
      "assert 'RVS_SANDBOX_CANARY' not in os.environ",
      "assert not any('canary-value' in v for v in os.environ.values())",
      "assert 'etc' not in os.listdir('/') or not os.path.exists('/etc/passwd')",
      `assert not os.path.exists(${JSON.stringify(process.cwd())}) or ${JSON.stringify(process.cwd())} == '/'`,
    ].join('\n');
    try {
      expect(await run(program)).toMatchObject({ status: 'passed' });
    } finally {
      delete process.env['RVS_SANDBOX_CANARY'];
    }
  }, 60_000);
});

describe('Node sandbox: runAll', () => {
  it('runs a batch two at a time, results in program order', async () => {
    const programs = [`${SQUARE}assert square(2) == 4`, 'assert False', 'while True: pass', `${SQUARE}assert square(5) == 25`];
    const seen: number[] = [];
    const results = await sandbox.runAll(programs, { timeoutMs: 1500, concurrency: 2, onResult: (i) => seen.push(i) });
    expect(results.map((r) => r.status)).toEqual(['passed', 'failed', 'timeout', 'passed']);
    expect(seen.sort()).toEqual([0, 1, 2, 3]);
  }, 90_000);
});
