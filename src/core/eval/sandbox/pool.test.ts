// The pool's scheduling, timeouts and worker replacement, against in-process fake workers (no
// Pyodide). The programs are commands the fake understands: "pass", "fail", "hang", "crash",
// "dirty" (passes but asks for a fresh worker), "slow:N" (passes after N ms).
import { describe, expect, it } from 'vitest';
import { SandboxError } from './errors.ts';
import { createWorkerSandbox, type SandboxWorker, type WorkerEvents } from './pool.ts';
import type { HostMessage, RunResult } from './types.ts';

interface FakeOptions {
  /** What a new worker answers to init. */
  readonly start?: 'ready' | 'fail' | 'never' | 'crash';
}

class FakeWorker implements SandboxWorker {
  terminated = false;
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
    if (message.type === 'init') {
      const start = this.options.start ?? 'ready';
      if (start === 'ready') this.later(2, () => this.events.message({ type: 'ready', loadMs: 2 }));
      if (start === 'fail') this.later(2, () => this.events.message({ type: 'start-failed', message: 'no wasm' }));
      if (start === 'crash') this.later(2, () => this.events.error('script error'));
      return;
    }
    const { id, program } = message;
    this.programs.push(program);
    const reply = (status: RunResult['status'], detail: string, recycle = false) =>
      this.events.message({ type: 'result', id, status, detail, ms: 1, recycle });
    if (program === 'pass') this.later(1, () => reply('passed', ''));
    else if (program === 'fail') this.later(1, () => reply('failed', 'AssertionError'));
    else if (program === 'dirty') this.later(1, () => reply('passed', '', true));
    else if (program === 'crash') this.later(1, () => this.events.error('boom'));
    else if (program.startsWith('slow:')) this.later(Number(program.slice(5)), () => reply('passed', program));
    // "hang": never answers
  }

  terminate(): void {
    this.terminated = true;
  }
}

/** A pool of fake workers; without a spare unless asked, so that worker counts stay simple. */
function fakePool(options: FakeOptions = {}, startTimeoutMs?: number, spare = false) {
  const workers: FakeWorker[] = [];
  const sandbox = createWorkerSandbox(
    (events) => {
      const worker = new FakeWorker(events, options);
      workers.push(worker);
      return worker;
    },
    { indexURL: '/pyodide/', spare, ...(startTimeoutMs === undefined ? {} : { startTimeoutMs }) },
  );
  return { sandbox, workers };
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
  it('passes results through and reuses one worker for sequential runs', async () => {
    const { sandbox, workers } = fakePool();
    expect(await sandbox.run('pass', { timeoutMs: 1000 })).toEqual({ status: 'passed', detail: '', ms: 1 });
    expect(await sandbox.run('fail', { timeoutMs: 1000 })).toEqual({ status: 'failed', detail: 'AssertionError', ms: 1 });
    expect(workers).toHaveLength(1);
    expect(workers[0]!.programs).toEqual(['pass', 'fail']);
  });

  it('terminates a worker that runs past the limit and pre-warms a fresh one', async () => {
    const { sandbox, workers } = fakePool();
    await sandbox.run('pass', { timeoutMs: 1000 });
    const t0 = performance.now();
    const result = await sandbox.run('hang', { timeoutMs: 50 });
    const elapsed = performance.now() - t0;
    expect(result.status).toBe('timeout');
    expect(result.ms).toBeGreaterThanOrEqual(49); // timers may round down by up to 1 ms
    expect(elapsed).toBeLessThan(50 + 500);
    expect(workers[0]!.terminated).toBe(true);
    expect(workers).toHaveLength(2); // started at the timeout, before the next run asks
    expect(await sandbox.run('pass', { timeoutMs: 1000 })).toMatchObject({ status: 'passed' });
    expect(workers[1]!.programs).toEqual(['pass']);
  });

  it('replaces the worker after a result that asks for it', async () => {
    const { sandbox, workers } = fakePool();
    expect(await sandbox.run('dirty', { timeoutMs: 1000 })).toMatchObject({ status: 'passed' });
    expect(workers[0]!.terminated).toBe(true);
    expect(workers).toHaveLength(2);
  });

  it('reports a worker that dies under a program as an error and replaces it', async () => {
    const { sandbox, workers } = fakePool();
    const result = await sandbox.run('crash', { timeoutMs: 1000 });
    expect(result.status).toBe('error');
    expect(result.detail).toContain('boom');
    expect(workers[0]!.terminated).toBe(true);
    expect(await sandbox.run('pass', { timeoutMs: 1000 })).toMatchObject({ status: 'passed' });
  });

  it('fails START_FAILED when Pyodide does not start, without respawning in a loop', async () => {
    for (const start of ['fail', 'crash'] as const) {
      const { sandbox, workers } = fakePool({ start });
      const error = await rejection(sandbox.run('pass', { timeoutMs: 1000 }));
      expect(error).toBeInstanceOf(SandboxError);
      expect((error as SandboxError).code).toBe('START_FAILED');
      await tick(30);
      expect(workers).toHaveLength(1);
      expect(workers[0]!.terminated).toBe(true);
      // The next run tries a new worker.
      await rejection(sandbox.run('pass', { timeoutMs: 1000 }));
      expect(workers).toHaveLength(2);
    }
  });

  it('fails START_TIMEOUT when Pyodide takes too long to load', async () => {
    const { sandbox, workers } = fakePool({ start: 'never' }, 30);
    const error = await rejection(sandbox.run('pass', { timeoutMs: 1000 }));
    expect((error as SandboxError).code).toBe('START_TIMEOUT');
    expect(workers[0]!.terminated).toBe(true);
  });

  it('rejects bad time limits with BAD_OPTIONS', async () => {
    const { sandbox, workers } = fakePool();
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await rejection(sandbox.run('pass', { timeoutMs }));
      expect((error as SandboxError).code).toBe('BAD_OPTIONS');
    }
    expect(workers).toHaveLength(0);
  });

  it('DISPOSED: rejects runs in flight and later runs, and terminates every worker', async () => {
    const { sandbox, workers } = fakePool();
    const inFlight = rejection(sandbox.run('hang', { timeoutMs: 10_000 }));
    await tick(20);
    await sandbox.dispose();
    expect(((await inFlight) as SandboxError).code).toBe('DISPOSED');
    expect(workers.every((w) => w.terminated)).toBe(true);
    expect(((await rejection(sandbox.run('pass', { timeoutMs: 1000 }))) as SandboxError).code).toBe('DISPOSED');
  });

  it('an abort terminates the running program and rejects with the reason', async () => {
    const { sandbox, workers } = fakePool();
    const controller = new AbortController();
    const running = rejection(sandbox.run('hang', { timeoutMs: 10_000, signal: controller.signal }));
    await tick(20);
    const reason = new Error('stop');
    controller.abort(reason);
    expect(await running).toBe(reason);
    expect(workers[0]!.terminated).toBe(true);
    expect(await rejection(sandbox.run('pass', { timeoutMs: 1000, signal: AbortSignal.abort(reason) }))).toBe(reason);
    expect(await sandbox.run('pass', { timeoutMs: 1000 })).toMatchObject({ status: 'passed' });
  });
});

describe('createWorkerSandbox with a spare worker', () => {
  it('loads a spare once the first worker is ready, and a timed-out worker is replaced by it at once', async () => {
    const { sandbox, workers } = fakePool({}, undefined, true);
    await sandbox.run('pass', { timeoutMs: 1000 });
    expect(workers).toHaveLength(2);
    await tick(20); // the spare is ready
    expect((await sandbox.run('hang', { timeoutMs: 30 })).status).toBe('timeout');
    expect(workers[0]!.terminated).toBe(true);
    expect(workers).toHaveLength(3); // the spare took over; a new spare is loading
    expect(await sandbox.run('pass', { timeoutMs: 1000 })).toMatchObject({ status: 'passed' });
    expect(workers[1]!.programs).toEqual(['pass']);
    expect(workers[2]!.programs).toEqual([]);
    await sandbox.dispose();
    expect(workers.every((w) => w.terminated)).toBe(true);
  });

  it('a second concurrent run takes the spare', async () => {
    const { sandbox, workers } = fakePool({}, undefined, true);
    await sandbox.run('pass', { timeoutMs: 1000 });
    await tick(20);
    await sandbox.runAll(['slow:20', 'slow:20'], { timeoutMs: 1000, concurrency: 2 });
    expect(workers[0]!.programs).toEqual(['pass', 'slow:20']);
    expect(workers[1]!.programs).toEqual(['slow:20']);
    expect(workers).toHaveLength(3);
  });

  it('no spare is started while no worker has started', async () => {
    const { sandbox, workers } = fakePool({ start: 'fail' }, undefined, true);
    await rejection(sandbox.run('pass', { timeoutMs: 1000 }));
    await tick(30);
    expect(workers).toHaveLength(1);
  });
});

describe('runAll', () => {
  it('keeps program order, reports each result, and runs `concurrency` programs at once', async () => {
    const { sandbox, workers } = fakePool();
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
    expect(workers).toHaveLength(3);
    expect(workers.flatMap((w) => w.programs).sort()).toEqual([...programs].sort());
  });

  it('an infinite loop in a batch fails only its own program', async () => {
    const { sandbox } = fakePool();
    const results = await sandbox.runAll(['pass', 'hang', 'pass'], { timeoutMs: 40 });
    expect(results.map((r) => r.status)).toEqual(['passed', 'timeout', 'passed']);
  });

  it('stops scheduling when aborted', async () => {
    const { sandbox, workers } = fakePool();
    const controller = new AbortController();
    const batch = rejection(
      sandbox.runAll(['slow:20', 'slow:20', 'hang', 'pass', 'pass'], {
        timeoutMs: 10_000,
        signal: controller.signal,
        onResult: (i) => {
          if (i === 1) setTimeout(() => controller.abort(new Error('cancelled')), 5);
        },
      }),
    );
    expect(((await batch) as Error).message).toBe('cancelled');
    expect(workers.flatMap((w) => w.programs)).toEqual(['slow:20', 'slow:20', 'hang']);
  });

  it('stops the batch when the sandbox cannot start', async () => {
    const { sandbox } = fakePool({ start: 'fail' });
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
