// The pool's scheduling, timeouts and interpreter lifecycle, against in-process fake workers (no
// Pyodide). The programs are commands the fake understands: "pass", "fail", "hang", "crash",
// "forge" (answers with a nonce of its own), "slow:N" (passes after N ms).
import { describe, expect, it } from 'vitest';
import { SandboxError } from './errors.ts';
import { createWorkerSandbox, type SandboxWorker, type WorkerEvents } from './pool.ts';
import type { HostMessage, RunResult } from './types.ts';

interface FakeOptions {
  /** What a snapshot maker answers. */
  readonly snapshot?: 'ok' | 'fail' | 'never' | 'crash';
}

class FakeWorker implements SandboxWorker {
  terminated = false;
  role: 'snapshot' | 'interpreter' | undefined;
  readonly programs: string[] = [];
  constructor(
    private readonly events: WorkerEvents,
    private readonly options: FakeOptions,
  ) {}

  private later(ms: number, fn: () => void) {
    setTimeout(() => {
      if (!this.terminated) fn();
    }, ms);
  }

  post(message: HostMessage): void {
    if (this.terminated) throw new Error('post to a terminated worker');
    if (message.type === 'snapshot') {
      this.role = 'snapshot';
      const how = this.options.snapshot ?? 'ok';
      if (how === 'ok') this.later(2, () => this.events.message({ type: 'snapshot', bytes: new Uint8Array([7]), loadMs: 2 }));
      if (how === 'fail') this.later(2, () => this.events.message({ type: 'start-failed', message: 'no wasm' }));
      if (how === 'crash') this.later(2, () => this.events.error('script error'));
      return;
    }
    if (message.type === 'init') {
      this.role = 'interpreter';
      if (message.snapshot[0] !== 7) throw new Error('booted without the snapshot');
      this.later(2, () => this.events.message({ type: 'ready', loadMs: 2 }));
      return;
    }
    const { nonce, program } = message;
    if (this.programs.length > 0) throw new Error('a second program in one interpreter');
    this.programs.push(program);
    const reply = (status: RunResult['status'], detail: string, n = nonce) => this.events.message({ type: 'result', nonce: n, status, detail, ms: 1 });
    if (program === 'pass') this.later(1, () => reply('passed', ''));
    else if (program === 'fail') this.later(1, () => reply('failed', 'AssertionError'));
    else if (program === 'forge') this.later(1, () => reply('passed', '', 'guessed'));
    else if (program === 'crash') this.later(1, () => this.events.error('boom'));
    else if (program.startsWith('slow:')) this.later(Number(program.slice(5)), () => reply('passed', program));
    // "hang": never answers
  }

  terminate(): void {
    this.terminated = true;
  }
}

function fakePool(options: FakeOptions = {}, pool: { warm?: number; startTimeoutMs?: number; idleMs?: number } = {}) {
  const workers: FakeWorker[] = [];
  const sandbox = createWorkerSandbox(
    (events) => {
      const worker = new FakeWorker(events, options);
      workers.push(worker);
      return worker;
    },
    { indexURL: '/pyodide/', warm: pool.warm ?? 0, ...pool },
  );
  const interpreters = () => workers.filter((w) => w.role === 'interpreter');
  return { sandbox, workers, interpreters };
}

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('createWorkerSandbox', () => {
  it('runs every program in a fresh interpreter and terminates it after; one snapshot maker, which runs nothing', async () => {
    const { sandbox, workers, interpreters } = fakePool();
    expect(await sandbox.run('pass', { timeoutMs: 1000 })).toEqual({ status: 'passed', detail: '', ms: 1 });
    expect(await sandbox.run('fail', { timeoutMs: 1000 })).toEqual({ status: 'failed', detail: 'AssertionError', ms: 1 });
    expect(await sandbox.run('pass', { timeoutMs: 1000 })).toMatchObject({ status: 'passed' });
    expect(interpreters().map((w) => w.programs)).toEqual([['pass'], ['fail'], ['pass']]);
    expect(workers.every((w) => w.terminated)).toBe(true);
    const makers = workers.filter((w) => w.role === 'snapshot');
    expect(makers).toHaveLength(1);
    expect(makers[0]!.programs).toEqual([]);
  });

  it('keeps `warm` interpreters booted ahead of demand', async () => {
    const { sandbox, interpreters } = fakePool({}, { warm: 2 });
    await sandbox.run('pass', { timeoutMs: 1000 });
    await tick(20);
    const idle = interpreters().filter((w) => !w.terminated);
    expect(idle).toHaveLength(2);
    expect(idle.every((w) => w.programs.length === 0)).toBe(true);
    await sandbox.run('pass', { timeoutMs: 1000 });
    expect(idle[0]!.programs).toEqual(['pass']); // the oldest warm one took it
    await sandbox.dispose();
    expect(interpreters().every((w) => w.terminated)).toBe(true);
  });

  it('lets warm interpreters go after idleMs without runs', async () => {
    const { sandbox, interpreters } = fakePool({}, { warm: 2, idleMs: 40 });
    await sandbox.run('pass', { timeoutMs: 1000 });
    await tick(20);
    expect(interpreters().filter((w) => !w.terminated)).toHaveLength(2);
    await tick(60);
    expect(interpreters().filter((w) => !w.terminated)).toHaveLength(0);
    expect(await sandbox.run('pass', { timeoutMs: 1000 })).toMatchObject({ status: 'passed' });
  });

  it('terminates an interpreter that runs past the limit', async () => {
    const { sandbox, interpreters } = fakePool();
    const t0 = performance.now();
    const result = await sandbox.run('hang', { timeoutMs: 50 });
    const elapsed = performance.now() - t0;
    expect(result.status).toBe('timeout');
    expect(result.detail).toBe('timed out after 50 ms');
    expect(result.ms).toBeGreaterThanOrEqual(49); // timers may round down by up to 1 ms
    expect(elapsed).toBeLessThan(50 + 500);
    expect(interpreters()[0]!.terminated).toBe(true);
    expect(await sandbox.run('pass', { timeoutMs: 1000 })).toMatchObject({ status: 'passed' });
  });

  it('an interpreter that dies under a program is an error', async () => {
    const { sandbox, interpreters } = fakePool();
    const result = await sandbox.run('crash', { timeoutMs: 1000 });
    expect(result).toMatchObject({ status: 'error', detail: 'the interpreter died: boom' });
    expect(interpreters()[0]!.terminated).toBe(true);
    expect(await sandbox.run('pass', { timeoutMs: 1000 })).toMatchObject({ status: 'passed' });
  });

  it("a result without the run's nonce is an error, not a pass", async () => {
    const { sandbox } = fakePool();
    expect(await sandbox.run('forge', { timeoutMs: 1000 })).toMatchObject({ status: 'error', detail: "the interpreter answered without the run's nonce" });
  });

  it('fails START_FAILED when the snapshot cannot be made, without trying again for every run', async () => {
    for (const snapshot of ['fail', 'crash'] as const) {
      const { sandbox, workers } = fakePool({ snapshot }, { warm: 2 });
      const error = await rejection(sandbox.run('pass', { timeoutMs: 1000 }));
      expect(error).toBeInstanceOf(SandboxError);
      expect((error as SandboxError).code).toBe('START_FAILED');
      expect(((await rejection(sandbox.run('pass', { timeoutMs: 1000 }))) as SandboxError).code).toBe('START_FAILED');
      await tick(30);
      expect(workers).toHaveLength(1);
      expect(workers[0]!.terminated).toBe(true);
    }
  });

  it('fails START_TIMEOUT when Pyodide takes too long to load', async () => {
    const { sandbox, workers } = fakePool({ snapshot: 'never' }, { startTimeoutMs: 30 });
    const error = await rejection(sandbox.run('pass', { timeoutMs: 1000 }));
    expect((error as SandboxError).code).toBe('START_TIMEOUT');
    expect(workers[0]!.terminated).toBe(true);
  });

  it('rejects bad options with BAD_OPTIONS', async () => {
    const { sandbox, workers } = fakePool();
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await rejection(sandbox.run('pass', { timeoutMs }));
      expect((error as SandboxError).code).toBe('BAD_OPTIONS');
    }
    expect(workers).toHaveLength(0);
    const spawn = () => {
      throw new Error('never spawned');
    };
    expect(() => createWorkerSandbox(spawn, { indexURL: '/', warm: -1 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    expect(() => createWorkerSandbox(spawn, { indexURL: '/', memoryLimitBytes: 1000 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
  });

  it('DISPOSED: rejects runs in flight and later runs, and terminates every worker', async () => {
    const { sandbox, workers } = fakePool({}, { warm: 2 });
    const inFlight = rejection(sandbox.run('hang', { timeoutMs: 10_000 }));
    await tick(20);
    await sandbox.dispose();
    expect(((await inFlight) as SandboxError).code).toBe('DISPOSED');
    expect(workers.length).toBeGreaterThan(1);
    expect(workers.every((w) => w.terminated)).toBe(true);
    expect(((await rejection(sandbox.run('pass', { timeoutMs: 1000 }))) as SandboxError).code).toBe('DISPOSED');
  });

  it('an abort terminates the running program and rejects with CANCELLED', async () => {
    const { sandbox, interpreters } = fakePool();
    const controller = new AbortController();
    const running = rejection(sandbox.run('hang', { timeoutMs: 10_000, signal: controller.signal }));
    await tick(20);
    controller.abort(new Error('stop'));
    expect(await running).toMatchObject({ name: 'SandboxError', code: 'CANCELLED' });
    expect(interpreters()[0]!.terminated).toBe(true);
    expect(await rejection(sandbox.run('pass', { timeoutMs: 1000, signal: AbortSignal.abort() }))).toMatchObject({ code: 'CANCELLED' });
    expect(await sandbox.run('pass', { timeoutMs: 1000 })).toMatchObject({ status: 'passed' });
  });
});

describe('runAll', () => {
  it('keeps program order, reports each result, and runs `concurrency` programs at once', async () => {
    const { sandbox, interpreters } = fakePool();
    const programs = ['slow:60', 'slow:5', 'fail', 'slow:30', 'pass', 'slow:1'];
    const seen: Array<[number, string]> = [];
    const results = await sandbox.runAll(programs, {
      timeoutMs: 1000,
      concurrency: 3,
      onResult: (i, r) => seen.push([i, r.status]),
    });
    expect(results.map((r) => r.status)).toEqual(['passed', 'passed', 'failed', 'passed', 'passed', 'passed']);
    expect(results[0]!.detail).toBe('slow:60');
    expect(results[3]!.detail).toBe('slow:30');
    expect(seen.map(([i]) => i).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seen.map(([i]) => i)).not.toEqual([0, 1, 2, 3, 4, 5]); // completion order, not program order
    expect(interpreters()).toHaveLength(6);
    expect(interpreters().flatMap((w) => w.programs).sort()).toEqual([...programs].sort());
  });

  it('an infinite loop in a batch fails only its own program', async () => {
    const { sandbox } = fakePool();
    const results = await sandbox.runAll(['pass', 'hang', 'pass'], { timeoutMs: 40 });
    expect(results.map((r) => r.status)).toEqual(['passed', 'timeout', 'passed']);
  });

  it('stops scheduling when aborted, with CANCELLED', async () => {
    const { sandbox, interpreters } = fakePool();
    const controller = new AbortController();
    const batch = rejection(
      sandbox.runAll(['slow:20', 'slow:20', 'hang', 'pass', 'pass'], {
        timeoutMs: 10_000,
        signal: controller.signal,
        onResult: (i) => {
          if (i === 1) setTimeout(() => controller.abort(), 5);
        },
      }),
    );
    expect(await batch).toMatchObject({ name: 'SandboxError', code: 'CANCELLED' });
    expect(interpreters().flatMap((w) => w.programs)).toEqual(['slow:20', 'slow:20', 'hang']);
  });

  it('stops the batch when the sandbox cannot start', async () => {
    const { sandbox } = fakePool({ snapshot: 'fail' });
    const error = await rejection(sandbox.runAll(['pass', 'pass', 'pass'], { timeoutMs: 1000, concurrency: 2 }));
    expect((error as SandboxError).code).toBe('START_FAILED');
  });

  it('rejects a bad concurrency with BAD_OPTIONS', async () => {
    const { sandbox } = fakePool();
    for (const concurrency of [0, 1.5, -2]) {
      const error = await rejection(sandbox.runAll(['pass'], { timeoutMs: 1000, concurrency }));
      expect((error as SandboxError).code).toBe('BAD_OPTIONS');
    }
  });
});
