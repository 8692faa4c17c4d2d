/**
 * A page for e2e/sandbox.spec.ts (not part of the studio): runs the sandbox's attack corpus through the studio's
 * browser sandbox (src/browser/worker/sandbox.ts: a fresh Worker per program) and reports each verdict, plus
 * what the worker scope looks like after the lock-down.
 */
import { attackItems, type AttackTarget } from '../../src/core/eval/sandbox/attacks.ts';
import { HUMANEVAL, humanevalProgram } from '../../src/core/eval/humaneval.ts';
import { PYODIDE_URL } from '../../src/browser/worker/assets.ts';
import { createBrowserSandbox } from '../../src/browser/worker/sandbox.ts';

export interface CorpusRun {
  readonly attacks: { name: string; category: string; expect: string | null }[];
  /** `passed`, or `<status>: <detail>`, in item order (attack, right control, wrong control, …). */
  readonly results: string[];
  readonly seconds: number;
}

async function runCorpus(target: AttackTarget): Promise<CorpusRun> {
  const t0 = performance.now();
  const { problems, completions, attacks } = attackItems(target);
  const sandbox = createBrowserSandbox({ indexURL: PYODIDE_URL() });
  try {
    const programs = problems.map((p, i) => humanevalProgram(p, completions[i]!));
    const results = await sandbox.runAll(programs, { timeoutMs: HUMANEVAL.timeoutMs, concurrency: 2 });
    return {
      attacks: attacks.map((a) => ({ name: `${a.category}: ${a.name}`, category: a.category, expect: a.expect?.source ?? null })),
      results: results.map((r) => (r.status === 'passed' ? 'passed' : `${r.status}: ${r.detail}`)),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await sandbox.dispose();
  }
}

(window as unknown as { rvsSandbox: unknown }).rvsSandbox = { runCorpus };
document.querySelector('#status')!.textContent = 'ready';
