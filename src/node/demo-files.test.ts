// The shipped demo family (public/demo/, scripts/train-demo.py) evaluated with the core, as
// `rvs sweep` and the studio's demo run it: zero-shot gsm8k on its held-out items, the target
// merged with α·(GRPO − SFT). The vector must move accuracy by more than the standard error.
import { describe, expect, it } from 'vitest';
import { closeCheckpoint, openCheckpoint, type Checkpoint } from '../core/checkpoint/checkpoint.ts';
import { loadDocs } from '../core/eval/load.ts';
import { runEvaluation } from '../core/eval/run-evaluation.ts';
import { getTask } from '../core/eval/tasks/index.ts';
import type { Task } from '../core/eval/tasks/types.ts';
import { MemoryFolder } from '../core/io/bytes.ts';
import { DEMO_SWEEP } from '../browser/shared/demo-sweep.ts';
import { buildDemoFamily, DEMO_GSM8K_TEST, DEMO_MEMBERS } from '../browser/worker/demo.ts';
import { readDemoFile } from './demo-files.ts';
import { nodeModels } from './sweep.ts';

describe('the shipped demo family', () => {
  it('holds three checkpoints of one architecture and held-out GSM8K-format items', async () => {
    const family = await buildDemoFamily(readDemoFile);
    for (const m of DEMO_MEMBERS) expect((family[m] as MemoryFolder).files.get('model.safetensors')!.byteLength).toBeGreaterThan(100_000);
    const gsm8k = getTask('gsm8k') as Task<unknown>;
    const docs = await loadDocs(gsm8k, await readDemoFile(DEMO_GSM8K_TEST), DEMO_GSM8K_TEST);
    expect(docs.length).toBeGreaterThanOrEqual(DEMO_SWEEP.limit);
  });

  it(`changes gsm8k accuracy by more than its standard error between α = 0 and α = ${DEMO_SWEEP.effectAlpha}`, { timeout: 120_000 }, async () => {
    const family = await buildDemoFamily(readDemoFile);
    const roles = new Map<string, Checkpoint>(await Promise.all(DEMO_MEMBERS.map(async (m) => [m, await openCheckpoint(family[m])] as const)));
    const gsm8k = getTask('gsm8k') as Task<unknown>;
    const docs = await loadDocs(gsm8k, await readDemoFile(DEMO_GSM8K_TEST), DEMO_GSM8K_TEST);
    try {
      const report = await runEvaluation({
        alphas: [0, DEMO_SWEEP.effectAlpha],
        tasks: [{ task: gsm8k, docs, data: DEMO_GSM8K_TEST, settings: { numFewshot: 0, limit: DEMO_SWEEP.limit, maxNewTokens: DEMO_SWEEP.maxNewTokens, batchSize: 16 } }],
        header: { createdAt: new Date(0).toISOString(), app: { name: 'test', version: '0' }, environment: { backend: 'onnxruntime-node (cpu)' }, checkpoints: {} },
        merge: { useVector: false, rules: [], weights: 'f32' },
        models: nodeModels({ runtime: 'node', batchSize: 16, roles }),
      });
      const [at0, atA] = report.runs.map((r) => r.metrics['exact_match,strict-match']!);
      expect(report.runs.map((r) => r.samples.length)).toEqual([DEMO_SWEEP.limit, DEMO_SWEEP.limit]);
      // Non-degenerate outputs: the model writes worked answers ending in "#### N".
      expect(report.runs[0]!.samples.filter((s) => /#### \d+/.test(s.output)).length).toBeGreaterThan(DEMO_SWEEP.limit / 2);
      expect(Math.abs(atA!.value - at0!.value)).toBeGreaterThan(Math.max(at0!.stderr!, atA!.stderr!));
    } finally {
      for (const c of roles.values()) await closeCheckpoint(c);
    }
  });
});
