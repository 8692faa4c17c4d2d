// The engine's evaluation in Node: the wasm fallback of ModelHost (no WebGPU here), data loading,
// sweeps against an independent path (each α merged to disk and loaded as the CLI loads models),
// the "try it" box, ONNX export, and events that rebuild the final report.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../core/checkpoint/checkpoint.ts';
import { loadDocs } from '../../core/eval/load.ts';
import { runSweep, type SweepTask } from '../../core/eval/sweep.ts';
import { getTask } from '../../core/eval/tasks/index.ts';
import type { Task } from '../../core/eval/tasks/types.ts';
import { MemoryFolder } from '../../core/io/bytes.ts';
import { createCpuBackend } from '../../core/merge/cpu-kernel.ts';
import { mergeRecipe } from '../../core/merge/recipe.ts';
import { mergeToFolder } from '../../core/merge/run.ts';
import { parseDecoderConfig } from '../../core/model/config.ts';
import { exportOnnx } from '../../core/model/export.ts';
import { parseReport, type ReportRun } from '../../core/report/schema.ts';
import { createOutputFolder } from '../../node/fs-folder.ts';
import { openModel } from '../../node/model.ts';
import { createNodeSandbox } from '../../node/sandbox-node.ts';
import { buildDemoFamily, DEMO_GSM8K_TEST, DEMO_MEMBERS } from './demo.ts';
import { readDemoFile } from '../../node/demo-files.ts';
import { DEMO_DATA } from './demo-data.ts';
import { Engine, type EngineOptions } from './engine.ts';
import type { RunUpdate, SweepEvent, SweepRequest } from './evaluation.ts';
import type { OrtModule } from './ort-types.ts';
import { memoryScratch } from './scratch.ts';
import { MemoryDirectoryHandle } from '../testing/memory-handles.ts';

const sandboxes: { dispose(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of sandboxes) await s.dispose();
});

function engine(extra: Partial<EngineOptions> = {}): Engine {
  return new Engine({
    demoFiles: readDemoFile,
    getDevice: async () => ({ device: null, reason: 'no GPU in this test' }),
    shaders: { merge: '' },
    loadOrt: async () => {
      const ort = (await import('onnxruntime-web')) as unknown as OrtModule;
      ort.env.wasm.numThreads = 1;
      return ort;
    },
    sandbox: async () => {
      const s = await createNodeSandbox();
      sandboxes.push(s);
      return s;
    },
    app: { name: 'test', version: '1' },
    ...extra,
  });
}

/** The demo's gsm8k (the demo family's held-out items), sciq and BBH items read straight with core's loaders, zero-shot. */
async function referenceTasks(): Promise<SweepTask[]> {
  const demo = (b: string) => DEMO_DATA.find((d) => d.benchmark === b)!;
  const bytes = (text: string) => new TextEncoder().encode(text);
  const runSettings = { limit: 2, numFewshot: 0, maxNewTokens: 4, batchSize: 2 };
  const gsm8k = getTask('gsm8k') as Task<unknown>;
  const sciq = getTask('sciq') as Task<unknown>;
  const bbh = getTask('bbh_cot_fewshot_boolean_expressions') as Task<unknown>;
  const gTest = { name: DEMO_GSM8K_TEST, text: new TextDecoder().decode(await readDemoFile(DEMO_GSM8K_TEST)) };
  const [bTest, bCot] = demo('bbh_cot_fewshot').test;
  const sTest = demo('sciq').test[0]!;
  return [
    { task: gsm8k, docs: await loadDocs(gsm8k, bytes(gTest.text), gTest.name), data: gTest.name, settings: runSettings },
    { task: sciq, docs: await loadDocs(sciq, bytes(sTest.text), sTest.name), data: sTest.name, settings: runSettings },
    { task: bbh, docs: await loadDocs(bbh, bytes(bTest!.text), bTest!.name), material: { text: bCot!.text }, data: bTest!.name, settings: runSettings },
  ];
}

const settings = { limit: 2, numFewshot: 0, chat: false, systemInstruction: '', maxNewTokens: 4, batchSize: 2 } as const;

/** The runs as the page rebuilds them from events. */
function replay(events: readonly SweepEvent[]): ReportRun[] {
  const runs: ReportRun[] = [];
  for (const e of events) {
    if (e.type !== 'runs') continue;
    for (const u of e.updates as RunUpdate[]) {
      const before = runs[u.index];
      runs[u.index] = { alpha: u.alpha, task: u.task, config: u.config, metrics: u.metrics, samples: [...(before?.samples ?? []), ...u.samples] };
    }
  }
  return runs;
}

describe('evaluation in the engine (wasm fallback)', () => {
  it('loads the demo items of every benchmark format', async () => {
    const e = engine();
    const summaries = await e.loadDemoData();
    const demoGsm8kItems = new TextDecoder().decode(await readDemoFile(DEMO_GSM8K_TEST)).trim().split('\n').length;
    expect(summaries.map((s) => [s.benchmark, s.tasks.map((t) => t.task), s.items])).toEqual([
      ['gsm8k', ['gsm8k'], demoGsm8kItems],
      ['bbh_cot_fewshot', ['bbh_cot_fewshot_boolean_expressions'], 3],
      ['sciq', ['sciq'], 3],
      ['humaneval', ['humaneval'], 3],
    ]);
    expect(summaries[0]!.tasks[0]!.fewshot).toBeNull();
    expect(summaries[1]!.tasks[0]!.fewshot).toBe('cot-prompts/boolean_expressions.txt');
  });

  it('matches BBH files by subtask name and says when none match', async () => {
    const e = engine();
    const file = (name: string, text: string) => ({ name, blob: new Blob([text]) });
    const summary = await e.setData('bbh_cot_fewshot', 'test', [
      file('bbh/tasks/navigate.json', JSON.stringify({ examples: [{ input: 'Q?', target: 'Yes' }] })),
      file('bbh/cot-prompts/navigate.txt', 'Given a series of navigation instructions.\n\nQ: x\nA: Let\'s think step by step.\ny. So the answer is Yes.'),
      file('bbh/README.md', '# hi'),
    ]);
    expect(summary.tasks).toEqual([{ task: 'bbh_cot_fewshot_navigate', items: 1, data: 'bbh/tasks/navigate.json', fewshot: 'bbh/cot-prompts/navigate.txt' }]);
    expect(summary.ignored).toEqual(['bbh/README.md']);
    await expect(e.setData('bbh_cot_fewshot', 'test', [file('notes.txt', 'x')])).rejects.toMatchObject({ code: 'EMPTY_DATA' });
  });

  it('refuses a sweep whose few-shot source is missing, naming it', async () => {
    const e = engine();
    await e.loadDemo();
    await e.setData('gsm8k', 'test', [{ name: 'test.jsonl', blob: new Blob(['{"question": "1+1?", "answer": "#### 2"}\n']) }]);
    const request: SweepRequest = { benchmarks: ['gsm8k'], alphas: [1], rules: [], useVector: false, weights: 'f32', settings: { ...settings, numFewshot: null } };
    await expect(e.sweep(request, {})).rejects.toMatchObject({ code: 'NO_FEWSHOT' });
  });

  it('sweeps α on one model and gives what freshly merged models give', async () => {
    const e = engine();
    await e.loadDemo();
    await e.loadDemoData();
    const alphas = [0, 1];
    const request: SweepRequest = { benchmarks: ['gsm8k', 'sciq', 'bbh_cot_fewshot', 'humaneval'], alphas, rules: [{ pattern: '*.mlp.*', alpha: 0.5 }], useVector: false, weights: 'f32', settings };
    const events: SweepEvent[] = [];
    const progress: number[] = [];
    const report = await e.sweep(request, { onEvent: (ev) => events.push(ev), onProgress: (p) => progress.push(p.fraction) });
    expect(parseReport(JSON.parse(JSON.stringify(report)))).toEqual(report);
    expect(report.environment.backend).toBe('onnxruntime-web (wasm, CPU fallback)');
    expect(report.checkpoints.target?.fingerprint).toMatch(/^headers\+samples-fnv1a64:/);
    // Four tasks and BBH's group, per α.
    expect(report.runs.map((r) => [r.alpha, r.task])).toEqual(
      alphas.flatMap((a) => [[a, 'gsm8k'], [a, 'sciq'], [a, 'bbh_cot_fewshot_boolean_expressions'], [a, 'humaneval'], [a, 'bbh_cot_fewshot']]),
    );
    for (const r of report.runs.filter((x) => x.task !== 'bbh_cot_fewshot')) expect(r.samples).toHaveLength(2);
    expect(report.runs.find((r) => r.task === 'humaneval')!.samples[0]!.result).toMatch(/^(passed|failed|timeout|error)/);
    expect(progress.at(-1)).toBe(1);
    // The page's copy, rebuilt from events, is the report.
    expect(replay(events)).toEqual(report.runs);
    expect(events.filter((x) => x.type === 'alpha').map((x) => x.type === 'alpha' && x.alpha)).toEqual(alphas);

    // Reference: each α merged (float32) into a folder on disk and loaded by the CLI's loader.
    const family = await buildDemoFamily(readDemoFile);
    const roles = new Map(await Promise.all(DEMO_MEMBERS.map(async (m) => [m, await openCheckpoint(family[m])] as const)));
    const tmp = await mkdtemp(join(tmpdir(), 'rvs-eval-test-'));
    try {
      for (const alpha of alphas) {
        const dir = join(tmp, `a${alpha}`);
        const out = await createOutputFolder(dir);
        await mergeToFolder({ recipe: mergeRecipe(alpha, { dtype: 'F32', rules: [{ pattern: '*.mlp.*', alpha: 0.5 }] }), roles, backend: createCpuBackend(), out });
        const model = await openModel(dir, { runtime: 'wasm', batchSize: 2 });
        try {
          const tasks = report.runs.filter((r) => r.alpha === alpha && r.task !== 'humaneval' && r.task !== 'bbh_cot_fewshot');
          const theirs = await runSweep({
            alphas: [alpha],
            tasks: await referenceTasks(),
            header: { createdAt: report.createdAt, app: report.app, environment: report.environment, checkpoints: report.checkpoints, recipe: report.recipe },
            modelFor: async () => ({ model: { tokenizer: model.tokenizer!, lm: model.lm }, release: async () => {} }),
          });
          for (const r of tasks) {
            const want = theirs.runs.find((x) => x.task === r.task)!;
            expect(r.samples.map((s) => [s.output, s.scores])).toEqual(want.samples.map((s) => [s.output, s.scores]));
            expect(r.metrics).toEqual(want.metrics);
          }
        } finally {
          await model.close();
        }
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 180_000);

  it('generates from a prompt, timing α → first token; the fallback rebuilds per α and says so', async () => {
    const e = engine();
    await e.loadDemo();
    const snapshots: string[] = [];
    const first = await e.generate({ prompt: 'What is 2 + 3?', chat: true, maxNewTokens: 6, alpha: 1, rules: [], useVector: false, weights: 'f32' }, { onProgress: (p) => snapshots.push(p.text) });
    expect(first.mode).toBe('wasm');
    expect(first.alphaChanged).toBe(true);
    expect(first.tokens).toBeGreaterThan(0);
    expect(first.firstTokenMs).toBeGreaterThan(0);
    expect(first.firstTokenMs).toBeCloseTo(first.applyMs + first.prefillMs, 6);
    expect(snapshots.at(-1)).toBe(first.text);
    // Same α again: nothing to apply.
    const again = await e.generate({ prompt: 'What is 2 + 3?', chat: true, maxNewTokens: 6, alpha: 1, rules: [], useVector: false, weights: 'f32' }, {});
    expect(again).toMatchObject({ alphaChanged: false, applyMs: expect.any(Number), text: first.text });
    expect(again.counters).toEqual(first.counters);
    // A new α on the fallback: a CPU merge (checkpoint reads) and a new session.
    const other = await e.generate({ prompt: 'What is 2 + 3?', chat: true, maxNewTokens: 6, alpha: -1, rules: [], useVector: false, weights: 'f32' }, {});
    expect(other.counters.sessionsCreated).toBe(first.counters.sessionsCreated + 1);
    expect(other.counters.checkpointReads).toBeGreaterThan(first.counters.checkpointReads);
    expect((await e.diagnostics()).model).toEqual({ mode: 'wasm', residentBytes: 0, gpu: null });
  }, 60_000);

  it('exports the merged model as ONNX, byte for byte what merge + exportOnnx write', async () => {
    const e = engine();
    await e.loadDemo();
    const recipe = mergeRecipe(0.5, { rules: [{ pattern: '*.self_attn.*', exclude: true }] });
    const dest = new MemoryDirectoryHandle('onnx-out');
    const progress: number[] = [];
    const result = await e.exportOnnx(recipe, dest, { onProgress: (p) => progress.push(p.bytesDone / p.bytesTotal) });
    expect([...result.files].sort()).toEqual(['config.json', 'generation_config.json', 'onnx/model.onnx', 'onnx/model.onnx_data', 'tokenizer.json', 'tokenizer_config.json']);
    expect(progress.at(-1)).toBeCloseTo(1, 6);

    const family = await buildDemoFamily(readDemoFile);
    const roles = new Map(await Promise.all(DEMO_MEMBERS.map(async (m) => [m, await openCheckpoint(family[m])] as const)));
    const merged = new MemoryFolder('merged');
    await mergeToFolder({ recipe, roles, backend: createCpuBackend(), out: merged });
    const want = new MemoryFolder('want');
    const ckpt = await openCheckpoint(merged);
    await exportOnnx(ckpt, parseDecoderConfig(ckpt.config!), want);
    const onnx = await dest.getDirectoryHandle('onnx');
    for (const file of ['model.onnx', 'model.onnx_data']) {
      const got = new Uint8Array(await (await (await onnx.getFileHandle(file)).getFile()).arrayBuffer());
      expect(got).toEqual(want.files.get(`onnx/${file}`));
    }
  });

  it('leaves nothing behind when an export is cancelled', async () => {
    const e = engine();
    await e.loadDemo();
    const dest = new MemoryDirectoryHandle('onnx-cancel');
    const controller = new AbortController();
    const run = e.exportOnnx(mergeRecipe(1), dest, { signal: controller.signal, onProgress: (p) => p.tensorsDone > 3 && controller.abort() });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    const left: string[] = [];
    for await (const entry of dest.values()) left.push(entry.name);
    expect(left).toEqual([]);
  });

  it('removes its scratch space when the destination is refused', async () => {
    const scratches: { removed: boolean }[] = [];
    const e = engine({
      scratch: async () => {
        const s = await memoryScratch();
        const record = { removed: false };
        scratches.push(record);
        return { ...s, remove: async () => void (record.removed = true) };
      },
    });
    await e.loadDemo();
    const dest = new MemoryDirectoryHandle('busy');
    dest.put('notes.txt', new Uint8Array([1]));
    await expect(e.exportOnnx(mergeRecipe(1), dest, {})).rejects.toMatchObject({ code: 'OUTPUT_NOT_EMPTY' });
    expect(dest.paths()).toEqual(['notes.txt']);
    expect(scratches).toEqual([{ removed: true }]);
  });
});
