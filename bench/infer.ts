/**
 * `npm run bench:infer [-- --shape 0.5b|tiny] [--prompt-tokens P] [--new-tokens N] [--runs R]
 *                        [--runtimes node,wasm] [--engines rvs,rvs-on-export,transformers.js,transformers.js-keep]`
 *
 * Greedy generation on a randomly initialised model with the real Qwen2.5-0.5B shapes (BF16
 * checkpoint from the synthetic writer, cached under .cache/), in Node:
 *
 *   rvs                   openModel(): the CLI's path (contrib ops, num_logits_to_keep), onnxruntime-node or -web (wasm)
 *   rvs-on-export         our runner on the folder `rvs export-onnx` writes (plain ops, every position's logits)
 *   transformers.js       AutoModelForCausalLM.from_pretrained(that folder) + generate(), onnxruntime-node CPU
 *   transformers.js-keep  the same on an export with the num_logits_to_keep input (off by default)
 *
 * Each (run, runtime, engine) is a child process of its own, so that its peak RSS
 * (process.resourceUsage().maxRSS: the kernel's high-water mark of the whole child — Node, onnxruntime,
 * weights) is its own. A child loads the model, runs one untimed warm-up (its time to first token is
 * printed as "cold"), then batch 1 and batch 8 with P-token prompts and exactly N new tokens (no stop
 * ids). Time to first token = prefill + first argmax; prefill tokens/s = rows·P / TTFT; decode
 * tokens/s = rows / the median time between two decoding steps (robust to a neighbour's burst on a
 * shared machine; the mean, rows·(N − 1) / (last step − TTFT), is printed beside it). Every run is
 * printed; the summary gives the best run and transformers.js ÷ rvs ratios from this same
 * invocation, and checks that the engines' greedy tokens and last-position logits agree.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { closeCheckpoint, openCheckpoint } from '../src/core/checkpoint/checkpoint.ts';
import { QWEN25_05B, TINY_QWEN2, writeFamilyMember, type Qwen2Shape } from '../src/core/checkpoint/synthetic.ts';
import { parseDecoderConfig } from '../src/core/model/config.ts';
import { exportOnnx, ONNX_MODEL_FILE } from '../src/core/model/export.ts';
import { argmax, OnnxLanguageModel, type OrtApi } from '../src/core/model/onnx-lm.ts';
import { decoderSessionOptions } from '../src/core/model/session.ts';
import { createOutputFolder, openFolder } from '../src/node/fs-folder.ts';
import { openModel, type Runtime } from '../src/node/model.ts';

const ENGINES = ['rvs', 'rvs-on-export', 'transformers.js', 'transformers.js-keep'] as const;
type Engine = (typeof ENGINES)[number];
/** A tiny Qwen2 for smoke runs, with room for the default P + N positions. */
const TINY: Qwen2Shape = { ...TINY_QWEN2, vocabSize: 1000, maxPositionEmbeddings: 4096 };
const SHAPES: Record<string, Qwen2Shape> = { '0.5b': QWEN25_05B, tiny: TINY };

const { values: args } = parseArgs({
  options: {
    shape: { type: 'string', default: '0.5b' },
    'prompt-tokens': { type: 'string', default: '128' },
    'new-tokens': { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    runtimes: { type: 'string', default: 'node' },
    engines: { type: 'string', default: 'rvs,rvs-on-export,transformers.js' },
    child: { type: 'string' }, // internal: one measurement, as JSON
  },
});

interface ChildJob { engine: Engine; runtime: Runtime; checkpoint: string; exportRoot: string; promptTokens: number; newTokens: number; logitsOut: string | null }
/** New ids per row, and when each step's tokens came out (seconds from the call). */
interface Generation { ids: number[][]; steps: number[] }
interface ChildResult {
  engine: Engine; runtime: Runtime; loadSeconds: number; coldTtftSeconds: number; maxRssBytes: number;
  batches: { rows: number; ttft: number; total: number; prefillTokPerS: number; decodeTokPerS: number; decodeMeanTokPerS: number; ids: number[][] }[];
}

/** Deterministic prompt ids in [2, vocab) (a counter hash), row r of 8. */
function promptIds(vocab: number, tokens: number, row: number): number[] {
  return Array.from({ length: tokens }, (_, i) => {
    let x = Math.imul(row * 65537 + i + 1, 0x9e3779b1) >>> 0;
    x = Math.imul(x ^ (x >>> 15), 0x85ebca6b) >>> 0;
    return 2 + (((x ^ (x >>> 13)) >>> 0) % (vocab - 2));
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const exportFolder = (root: string, engine: Engine) => join(root, engine === 'transformers.js-keep' ? 'export-keep' : 'export');

async function runChild(job: ChildJob): Promise<ChildResult> {
  const started = performance.now();
  let generate: (prompts: number[][], n: number) => Promise<Generation>;
  let lastLogits: (prompt: number[]) => Promise<Float32Array>;
  let vocab: number;
  let close = async () => {};
  if (job.engine === 'rvs' || job.engine === 'rvs-on-export') {
    let lm: OnnxLanguageModel;
    if (job.engine === 'rvs') {
      const model = await openModel(job.checkpoint, { runtime: job.runtime, batchSize: 8 });
      lm = model.lm;
      close = () => model.close();
    } else {
      const ort = (await import('onnxruntime-node')) as unknown as OrtApi;
      const dir = exportFolder(job.exportRoot, job.engine);
      const config = parseDecoderConfig(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
      const session = await ort.InferenceSession.create(join(dir, ONNX_MODEL_FILE), decoderSessionOptions(config, 'cpu'));
      lm = new OnnxLanguageModel({ ort, session, config, batchSize: 8, padTokenId: 0 });
      close = () => lm.dispose();
    }
    vocab = lm.vocabSize;
    generate = async (prompts, n) => {
      const t0 = performance.now();
      const steps: number[] = [];
      const out = await lm.generate(prompts, { maxNewTokens: n, onStep: () => void steps.push((performance.now() - t0) / 1000) });
      return { ids: out.map((r) => r.ids), steps };
    };
    lastLogits = async (prompt) => (await lm.logits(prompt)).slice((prompt.length - 1) * vocab);
  } else {
    const tjs = await import('@huggingface/transformers');
    tjs.env.allowRemoteModels = false;
    tjs.env.allowLocalModels = true;
    tjs.env.localModelPath = `${job.exportRoot}/`;
    const name = exportFolder('', job.engine);
    const model = await tjs.AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32', device: 'cpu', local_files_only: true });
    vocab = (model.config as unknown as { vocab_size: number }).vocab_size;
    close = async () => void (await model.dispose());
    const feeds = (prompts: number[][]) => ({
      input_ids: new tjs.Tensor('int64', BigInt64Array.from(prompts.flat(), BigInt), [prompts.length, prompts[0]!.length]),
      attention_mask: new tjs.Tensor('int64', new BigInt64Array(prompts.length * prompts[0]!.length).fill(1n), [prompts.length, prompts[0]!.length]),
    });
    generate = async (prompts, n) => {
      const t0 = performance.now();
      const steps: number[] = [];
      let puts = 0;
      // put() gets the prompt first, then each step's new ids.
      const streamer = { put: () => void (++puts > 1 && steps.push((performance.now() - t0) / 1000)), end: () => {} };
      const out = (await model.generate({ ...feeds(prompts), max_new_tokens: n, do_sample: false, eos_token_id: null, streamer } as never)) as { tolist(): bigint[][] };
      return { ids: out.tolist().map((row) => row.slice(prompts[0]!.length).map(Number)), steps };
    };
    lastLogits = async (prompt) => {
      const out = (await model(feeds([prompt]))) as { logits: { data: Float32Array } };
      return out.logits.data.slice((prompt.length - 1) * vocab);
    };
  }
  const loadSeconds = (performance.now() - started) / 1000;
  const prompts = Array.from({ length: 8 }, (_, r) => promptIds(vocab, job.promptTokens, r));
  const cold = await generate([prompts[0]!], 2);
  const batches: ChildResult['batches'] = [];
  for (const rows of [1, 8]) {
    const g = await generate(prompts.slice(0, rows), job.newTokens);
    if (g.steps.length !== job.newTokens || g.ids.some((r) => r.length !== job.newTokens)) throw new Error(`${job.engine}: expected ${job.newTokens} steps and new tokens per row, got ${g.steps.length} steps, ${g.ids.map((r) => r.length)} tokens`);
    const [ttft, total] = [g.steps[0]!, g.steps.at(-1)!];
    batches.push({
      rows, ttft, total, ids: g.ids,
      prefillTokPerS: (rows * job.promptTokens) / ttft,
      decodeTokPerS: rows / median(g.steps.slice(1).map((t, i) => t - g.steps[i]!)),
      decodeMeanTokPerS: (rows * (job.newTokens - 1)) / (total - ttft),
    });
  }
  if (job.logitsOut) await writeFile(job.logitsOut, await lastLogits(prompts[0]!));
  await close();
  return { engine: job.engine, runtime: job.runtime, loadSeconds, coldTtftSeconds: cold.steps[0]!, maxRssBytes: process.resourceUsage().maxRSS * 1024, batches };
}

if (args.child) {
  const result = await runChild(JSON.parse(args.child) as ChildJob);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0); // onnxruntime-web's wasm threads may keep the loop alive
}

// ---- parent ----
const shape = SHAPES[args.shape!];
if (!shape) throw new Error(`--shape must be one of ${Object.keys(SHAPES).join(', ')}`);
const P = Number(args['prompt-tokens']);
const N = Number(args['new-tokens']);
const runs = Number(args.runs);
const runtimes = args.runtimes!.split(',') as Runtime[];
const engines = args.engines!.split(',') as Engine[];
for (const r of runtimes) if (r !== 'node' && r !== 'wasm') throw new Error(`unknown runtime ${r} (node, wasm)`);
for (const e of engines) if (!ENGINES.includes(e)) throw new Error(`unknown engine ${e} (${ENGINES.join(', ')})`);
if (!(N >= 2 && P >= 1 && runs >= 1)) throw new Error('--new-tokens must be ≥ 2, --prompt-tokens and --runs ≥ 1');

const name = `qwen2.5-${args.shape}-shapes-bf16`;
const root = resolve('.cache/bench-infer', name);
// bench:merge's `target` member is the same kind of checkpoint: reuse it rather than write another GB.
const merged = resolve('.cache/bench-merge', name, 'target');
const checkpointDir = existsSync(join(merged, 'config.json')) ? merged : join(root, 'model');
if (!existsSync(join(checkpointDir, 'config.json'))) {
  process.stderr.write(`generating ${checkpointDir} …\n`);
  await writeFamilyMember({ shape, dtype: 'BF16', member: 'target', out: await createOutputFolder(checkpointDir), chunkElements: 1 << 22 });
}

/** What `rvs export-onnx --model DIR --out OUT` writes (exportOnnx's defaults), re-exported every invocation. */
async function exportModel(dir: string, logitsToKeep: boolean): Promise<number> {
  await rm(dir, { recursive: true, force: true });
  const t0 = performance.now();
  const checkpoint = await openCheckpoint(await openFolder(checkpointDir));
  const out = await createOutputFolder(dir);
  try {
    await exportOnnx(checkpoint, parseDecoderConfig(checkpoint.config), out, logitsToKeep ? { logitsToKeep } : {});
    await out.commit();
  } finally {
    await closeCheckpoint(checkpoint);
  }
  return (performance.now() - t0) / 1000;
}
await mkdir(root, { recursive: true });
for (const keep of [false, true]) {
  const users = engines.filter((e) => e !== 'rvs' && (e === 'transformers.js-keep') === keep);
  if (users.length > 0) process.stderr.write(`exported ${exportFolder(root, users[0]!)} in ${(await exportModel(exportFolder(root, users[0]!), keep)).toFixed(1)} s\n`);
}

const version = (pkg: string) => (JSON.parse(readFileSync(resolve('node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const plan: { runtime: Runtime; engine: Engine }[] = runtimes.flatMap((runtime) =>
  // transformers.js's Node build runs on onnxruntime-node only ('wasm' is not one of its Node devices).
  engines.filter((e) => runtime === 'node' || e === 'rvs').map((engine) => ({ runtime, engine })),
);
const load0 = loadavg();
const results: ChildResult[] = [];
for (let run = 0; run < runs; run++) {
  for (const { runtime, engine } of plan) {
    const job: ChildJob = {
      engine, runtime, checkpoint: checkpointDir, exportRoot: root, promptTokens: P, newTokens: N,
      logitsOut: run === 0 ? join(root, `logits-${runtime}-${engine}.f32`) : null,
    };
    const load1 = loadavg()[0]!;
    const child = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--child', JSON.stringify(job)], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20,
    });
    if (child.status !== 0) throw new Error(`${runtime}/${engine} failed (exit ${child.status ?? child.signal})`);
    const r = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as ChildResult;
    results.push(r);
    const [b1, b8] = r.batches;
    process.stderr.write(
      `run ${run + 1} ${runtime}/${engine} (load average ${load1.toFixed(1)} before): load ${r.loadSeconds.toFixed(2)} s, cold TTFT ${r.coldTtftSeconds.toFixed(2)} s, ` +
        `b1 TTFT ${b1!.ttft.toFixed(3)} s prefill ${b1!.prefillTokPerS.toFixed(1)} tok/s decode ${b1!.decodeTokPerS.toFixed(2)} (mean ${b1!.decodeMeanTokPerS.toFixed(2)}) tok/s, ` +
        `b8 TTFT ${b8!.ttft.toFixed(2)} s prefill ${b8!.prefillTokPerS.toFixed(1)} tok/s decode ${b8!.decodeTokPerS.toFixed(2)} (mean ${b8!.decodeMeanTokPerS.toFixed(2)}) tok/s, peak RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB\n`,
    );
  }
}

// ---- summary ----
const best = (xs: number[], larger: boolean) => (larger ? Math.max(...xs) : Math.min(...xs));
const metrics = [
  ['load (s)', (r: ChildResult) => r.loadSeconds, false],
  ['TTFT b1 (s)', (r: ChildResult) => r.batches[0]!.ttft, false],
  ['prefill b1 (tok/s)', (r: ChildResult) => r.batches[0]!.prefillTokPerS, true],
  ['decode b1 (tok/s)', (r: ChildResult) => r.batches[0]!.decodeTokPerS, true],
  ['TTFT b8 (s)', (r: ChildResult) => r.batches[1]!.ttft, false],
  ['prefill b8 (tok/s)', (r: ChildResult) => r.batches[1]!.prefillTokPerS, true],
  ['decode b8 (tok/s)', (r: ChildResult) => r.batches[1]!.decodeTokPerS, true],
  ['peak RSS (MiB)', (r: ChildResult) => r.maxRssBytes / 2 ** 20, false],
] as const;
const of = (runtime: Runtime, engine: Engine) => results.filter((r) => r.runtime === runtime && r.engine === engine);
const summary = plan.map(({ runtime, engine }) => ({
  runtime, engine,
  ...Object.fromEntries(metrics.map(([label, f, larger]) => [label, { best: best(of(runtime, engine).map(f), larger), median: median(of(runtime, engine).map(f)), runs: of(runtime, engine).map(f) }])),
}));
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const lines = [`Qwen2.5-${args.shape} shapes (random init, float32 compute), P = ${P}, N = ${N}, best of ${runs}`];
lines.push(`| runtime / engine | ${metrics.map(([l]) => l).join(' | ')} |`, `| --- |${metrics.map(() => ' --- |').join('')}`);
for (const s of summary) lines.push(`| ${s.runtime} / ${s.engine} | ${metrics.map(([l]) => fmt((s as unknown as Record<string, { best: number }>)[l]!.best)).join(' | ')} |`);
const base = of('node', 'rvs');
for (const peer of ['transformers.js', 'transformers.js-keep', 'rvs-on-export'] as const) {
  if (base.length === 0 || of('node', peer).length === 0) continue;
  for (const [how, pick] of [['best', (xs: number[], larger: boolean) => best(xs, larger)], ['median', median]] as const) {
    const ratio = ([, f, larger]: (typeof metrics)[number]) => (pick(of('node', peer).map(f), larger) / pick(base.map(f), larger)).toFixed(2);
    lines.push(`${peer} ÷ rvs (node, ${how} vs ${how}): ${metrics.map((m) => `${m[0]} ${ratio(m)}`).join(', ')}`);
  }
}

// Cross-checks: greedy tokens of every run and engine against the first, last-position logits against node/rvs's.
const reference = results[0]!;
for (const r of results) {
  r.batches.forEach((b, i) => {
    const same = b.ids.every((row, k) => row.every((id, j) => id === reference.batches[i]!.ids[k]![j]));
    if (!same) lines.push(`TOKENS DIFFER: ${r.runtime}/${r.engine} batch ${b.rows} vs ${reference.runtime}/${reference.engine}`);
  });
}
const distinct = new Set(reference.batches.flatMap((b) => b.ids.flat())).size;
lines.push(`greedy tokens: ${results.length} runs × (1 + 8 rows) × ${N} tokens compared with ${reference.runtime}/${reference.engine}'s first run (${distinct} distinct ids among them)`);
const readLogits = async (runtime: Runtime, engine: Engine) => new Float32Array((await readFile(join(root, `logits-${runtime}-${engine}.f32`))).buffer.slice(0));
const ref = await readLogits(plan[0]!.runtime, plan[0]!.engine);
const scale = ref.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
for (const { runtime, engine } of plan.slice(1)) {
  const l = await readLogits(runtime, engine);
  const diff = l.reduce((m, x, i) => Math.max(m, Math.abs(x - ref[i]!)), 0);
  lines.push(`last-position logits ${runtime}/${engine} vs ${plan[0]!.runtime}/${plan[0]!.engine}: max |Δ| ${diff.toExponential(2)} (max |logit| ${scale.toFixed(3)}), argmax ${argmax(l) === argmax(ref) ? 'equal' : 'DIFFERENT'}`);
}

const info = {
  command: `npm run bench:infer -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  loadAverage: { start: load0.map((x) => x.toFixed(2)), end: loadavg().map((x) => x.toFixed(2)) },
  versions: { node: process.version, 'onnxruntime-node': version('onnxruntime-node'), 'onnxruntime-web': version('onnxruntime-web'), '@huggingface/transformers': version('@huggingface/transformers') },
  checkpoint: checkpointDir,
};
// The exports are remade by every invocation: do not leave 2 GB each behind.
for (const dir of ['export', 'export-keep']) await rm(join(root, dir), { recursive: true, force: true });
console.log(JSON.stringify({ ...info, summary }, null, 2));
console.log(lines.join('\n'));
