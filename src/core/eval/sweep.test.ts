// A sweep over α ∈ {0, 1} on a tiny family, end to end: a valid report whose α = 0 runs equal the
// target evaluated alone, and a sweep stopped half way that resumes to the same report.
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.ts';
import { TINY_QWEN2_CHAT, writeFamilyMember, type FamilyMember } from '../checkpoint/synthetic.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { createCpuBackend } from '../merge/cpu-kernel.ts';
import { mergeRecipe } from '../merge/recipe.ts';
import { mergeToFolder } from '../merge/run.ts';
import { parseDecoderConfig } from '../model/config.ts';
import { buildDecoderGraph } from '../model/graph.ts';
import { OnnxLanguageModel } from '../model/onnx-lm.ts';
import { checkpointShapes, readAllWeightsF32 } from '../model/weights.ts';
import { parseReport, type Report } from '../report/schema.ts';
import { loadTokenizerFromFolder } from '../text/tokenizer.ts';
import type { Gsm8kDoc, SciqDoc } from './datasets.ts';
import { evaluateTask, type EvalModel } from './evaluate.ts';
import { runSweep, SweepCancelledError, type SweepModel, type SweepTask } from './sweep.ts';
import { gsm8k } from './tasks/gsm8k.ts';
import { sciq } from './tasks/sciq.ts';

ort.env.wasm.numThreads = 1;
const SHAPE = { ...TINY_QWEN2_CHAT, maxPositionEmbeddings: 512 };
const roles = new Map<string, Checkpoint>();

async function member(m: FamilyMember): Promise<Checkpoint> {
  const folder = new MemoryFolder(m);
  await writeFamilyMember({ shape: SHAPE, dtype: 'BF16', member: m, out: folder, tokenizer: true });
  return openCheckpoint(folder);
}

async function load(checkpoint: Checkpoint): Promise<EvalModel> {
  const config = parseDecoderConfig(checkpoint.config);
  const f32 = await readAllWeightsF32(checkpoint);
  const graph = buildDecoderGraph(config, { ops: 'plain', weights: { kind: 'inline', values: (k) => f32.get(k)! }, shapes: checkpointShapes(checkpoint), logitsToKeep: true });
  const tokenizer = await loadTokenizerFromFolder(checkpoint.folder);
  return { tokenizer, lm: new OnnxLanguageModel({ ort, session: await ort.InferenceSession.create(graph.model), config, batchSize: 2, padTokenId: tokenizer.padTokenId }) };
}

async function modelFor(alpha: number | null): Promise<SweepModel> {
  const out = new MemoryFolder(`merged-${alpha}`);
  await mergeToFolder({ recipe: mergeRecipe(alpha ?? 0), roles, backend: createCpuBackend(), out });
  const model = await load(await openCheckpoint(out));
  return { model, release: () => model.lm.dispose() };
}

const GSM: Gsm8kDoc[] = [
  { question: 'Tom has 3 apples and buys 4 more. How many?', answer: '3 + 4 = 7\n#### 7' },
  { question: 'What is 6 times 7?', answer: '6 * 7 = 42\n#### 42' },
  { question: 'Half of 10?', answer: '10 / 2 = 5\n#### 5' },
];
const SCIQ: SciqDoc[] = [
  { question: 'What gas do plants absorb?', distractor1: 'oxygen', distractor2: 'helium', distractor3: 'neon', correct_answer: 'carbon dioxide', support: 'Plants take in CO2.' },
  { question: 'Water boils at?', distractor1: '50 C', distractor2: '0 C', distractor3: '10 C', correct_answer: '100 C', support: '' },
];
const TASKS: SweepTask[] = [
  { task: gsm8k as SweepTask['task'], docs: GSM, material: { docs: GSM }, data: 'gsm.jsonl', settings: { numFewshot: 1, limit: 2, maxNewTokens: 6, batchSize: 2 } },
  { task: sciq as SweepTask['task'], docs: SCIQ, data: 'sciq.jsonl', settings: {} },
];
const header = {
  createdAt: '2026-11-26T07:00:00Z',
  app: { name: 'rvs', version: 'test' },
  environment: { backend: 'wasm' },
  checkpoints: { target: { name: 'target' }, sft: { name: 'sft' }, grpo: { name: 'grpo' } },
  recipe: null,
};

beforeAll(async () => {
  for (const m of ['target', 'sft', 'grpo'] as const) roles.set(m, await member(m));
});

describe('runSweep', () => {
  let full: Report;

  it('α ∈ {0, 1} × {gsm8k, sciq}: a valid report; α = 0 is the target itself', async () => {
    const progress: number[] = [];
    full = await runSweep({ alphas: [0, 1], tasks: TASKS, modelFor, header, chunkSize: 1, onProgress: (p) => progress.push(p.run) });
    expect(parseReport(JSON.parse(JSON.stringify(full)))).toEqual(full);
    expect(full.runs.map((r) => [r.alpha, r.task, r.samples.length])).toEqual([[0, 'gsm8k', 2], [0, 'sciq', 2], [1, 'gsm8k', 2], [1, 'sciq', 2]]);
    expect(Object.keys(full.runs[1]!.metrics).sort()).toEqual(['acc,none', 'acc_norm,none']);
    expect(new Set(progress)).toEqual(new Set([0, 1, 2, 3]));
    const target = await load(roles.get('target')!);
    const alone = await evaluateTask(target, TASKS[0]!.task, GSM, { docs: GSM }, TASKS[0]!.settings);
    expect(full.runs[0]!.samples).toEqual(alone.samples);
    expect(full.runs[0]!.config['docIds']).toEqual(alone.docIds);
  });

  it('resumes a sweep stopped half way to the same runs, without redoing finished work', async () => {
    const controller = new AbortController();
    let saved: Report | null = null;
    let reports = 0;
    await expect(
      runSweep({
        alphas: [0, 1], tasks: TASKS, modelFor, header, chunkSize: 1, signal: controller.signal,
        onReport: (r) => {
          saved = JSON.parse(JSON.stringify(r)) as Report;
          if (++reports === 5) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    const partial = parseReport(saved);
    expect(partial.status).toBe('cancelled');
    expect(partial.runs.length).toBeLessThan(4);
    const loaded: (number | null)[] = [];
    const resumed = await runSweep({ alphas: [0, 1], tasks: TASKS, modelFor: (a) => (loaded.push(a), modelFor(a)), header, resume: partial, chunkSize: 1 });
    expect(resumed.runs).toEqual(full.runs);
    // Only the α values with unfinished work are loaded again.
    const complete = (a: number) => partial.runs.filter((r) => r.alpha === a && r.samples.length === (r.config['docIds'] as unknown[]).length).length === TASKS.length;
    expect(loaded).toEqual([0, 1].filter((a) => !complete(a)));
    expect(loaded.length).toBeLessThan(2);
  });

  it('records its status (partial while running, complete at the end) and the harness release followed', async () => {
    const statuses: string[] = [];
    const report = await runSweep({ alphas: [0], tasks: TASKS, modelFor, header, onReport: (r) => void statuses.push(r.status) });
    expect(new Set(statuses)).toEqual(new Set(['partial']));
    expect(report.status).toBe('complete');
    expect(report.harness).toBe('lm-evaluation-harness 0.4.12');
    expect(report.runs.map((r) => r.config['harness'])).toEqual(['0.4.12', '0.4.12']);
    const old = TASKS.map((t) => ({ ...t, settings: { ...t.settings, harness: '0.4.9.2' as const } }));
    expect((await runSweep({ alphas: [0], tasks: old, modelFor, header })).harness).toBe('lm-evaluation-harness 0.4.9.2');
  });

  it('cancelled: the error carries the report of the runs finished so far, status cancelled, also handed to onReport', async () => {
    const controller = new AbortController();
    const reports: Report[] = [];
    const error = await runSweep({
      alphas: [0, 1], tasks: TASKS, modelFor: async (a) => {
        if (a === 1) controller.abort(); // cancelled while the second α loads
        return modelFor(a);
      }, header, signal: controller.signal, onReport: (r) => void reports.push(r),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SweepCancelledError);
    const { report } = error as SweepCancelledError;
    expect(report.status).toBe('cancelled');
    expect(report.runs.map((r) => [r.alpha, r.task, r.samples.length])).toEqual([[0, 'gsm8k', 2], [0, 'sciq', 2]]);
    expect(report.runs.map((r) => r.metrics)).toEqual(full.runs.slice(0, 2).map((r) => r.metrics));
    expect(reports.at(-1)).toEqual(report);
    expect(parseReport(JSON.parse(JSON.stringify(report)))).toEqual(report);
  });

  it('refuses to resume a report of other checkpoints or another recipe', async () => {
    const other = { ...full, checkpoints: { ...full.checkpoints, target: { name: 'other', fingerprint: 'headers-fnv1a64:0000000000000000' } } };
    await expect(runSweep({ alphas: [0], tasks: TASKS, modelFor, header, resume: other })).rejects.toThrow(/target checkpoint \(other\) is not this one/);
    await expect(runSweep({ alphas: [0], tasks: TASKS, modelFor, header, resume: { ...full, recipe: mergeRecipe(1, { dtype: 'F16' }) } })).rejects.toThrow(/recipe differs/);
  });
});
