/**
 * `rvs eval` (one model) and `rvs sweep` (α values on a checkpoint triple, merged on the fly): tasks
 * run as lm-evaluation-harness runs them, written as an `rvs-report/1` that is saved after every
 * chunk of documents, so that `--resume` picks an interrupted sweep up where it stopped.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { closeCheckpoint, openCheckpoint, type Checkpoint } from '../core/checkpoint/checkpoint.ts';
import { summarizeCheckpoint, type CheckpointSummary } from '../core/checkpoint/fingerprint.ts';
import { HARNESS_VERSION, HARNESS_VERSIONS, type HarnessVersion } from '../core/eval/harness.ts';
import { runEvaluation, WEIGHT_ARITHMETICS, type MergeSpec, type WeightArithmetic } from '../core/eval/run-evaluation.ts';
import type { CodeSandbox } from '../core/eval/sandbox/types.ts';
import { SweepCancelledError, type RunSettings, type SweepTask } from '../core/eval/sweep.ts';
import { addTaskFiles, isGroup, sweepTasks as coreSweepTasks, taskIdsOf, tasksWithDocs, type DataFile, type FewshotHint, type TaskData } from '../core/eval/task-data.ts';
import { getTask } from '../core/eval/tasks/index.ts';
import { AlphaListError, parseAlphaList } from '../core/merge/alphas.ts';
import type { Rule } from '../core/merge/recipe.ts';
import { parseReport, type Report } from '../core/report/schema.ts';
import { openFolder } from '../node/fs-folder.ts';
import { RUNTIMES, type Runtime } from '../node/model.ts';
import { createNodeSandbox } from '../node/sandbox-node.ts';
import { nodeModels } from '../node/sweep.ts';
import { CommandCancelled, UsageError } from './errors.ts';
import { writeFileAtomic } from './score.ts';

interface EvalOptions {
  task: string[];
  data: string[];
  fewshotData: string[];
  limit?: number;
  first?: boolean;
  fewshot?: number;
  chat?: boolean;
  multiturn?: boolean;
  prefix?: string;
  batch: number;
  maxNewTokens?: number;
  runtime: Runtime;
  out: string;
  resume?: boolean;
  harness: HarnessVersion;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function nonNegativeInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function positiveInt(text: string): number {
  const n = nonNegativeInt(text);
  if (n === 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** `--alphas`: core's α list (numbers and start:stop:step ranges, each |α| ≤ 100), shared with the studio. */
function parseAlphas(text: string): number[] {
  try {
    return parseAlphaList(text);
  } catch (e) {
    if (e instanceof AlphaListError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function addEvalOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--task <name>', 'task id (gsm8k, gsm8k_cot, gsm8k_cot_zeroshot, sciq, humaneval, bbh_cot_fewshot_*); repeat for several', collect, [])
    .requiredOption('--data <file>', "the task's documents (.jsonl, .json, .parquet, .jsonl.gz); one per --task", collect, [])
    .option('--fewshot-data <file>', 'few-shot source: the train split (gsm8k, sciq) or the cot-prompts .txt (bbh); TASK=FILE with several tasks', collect, [])
    .option('--limit <n>', 'evaluate n documents: a fixed seeded subset (the same for every α)', positiveInt)
    .option('--first', 'with --limit: the first n documents (the harness\'s --limit) instead of a seeded subset')
    .option('--fewshot <k>', 'few-shot examples per prompt (default: the task\'s)', nonNegativeInt)
    .option('--chat', "render prompts with the checkpoint's chat template")
    .option('--multiturn', 'with --chat: few-shot examples as user/assistant turns')
    .option("--prefix <text>", "reasoning instruction (the harness's --system_instruction): the system message with --chat, else prepended to the prompt as is (end it with a blank line)")
    .option('--batch <n>', 'sequences per forward pass', positiveInt, 1)
    .option('--max-new-tokens <n>', "tokens generated per document at most (default: the task's)", positiveInt)
    .addOption(new Option('--harness <version>', 'the lm-evaluation-harness release whose few-shot sampling to follow (0.4.9.2 drew twice per document for single-turn chat prompts)').choices(HARNESS_VERSIONS).default(HARNESS_VERSION))
    .addOption(new Option('--runtime <name>', 'onnxruntime-node (native CPU) or onnxruntime-web (wasm)').choices(RUNTIMES).default('node'))
    .requiredOption('--out <file>', 'report (JSON), saved after every chunk')
    .option('--resume', 'continue the sweep saved in --out');
}

const FEWSHOT_HINT: FewshotHint = { give: (what) => `--fewshot-data (${what})`, zero: '--fewshot 0' };

/** A file named on the command line: its path is its name (recorded in the report). */
const fileData = (path: string): DataFile => ({ name: path, open: () => readBytes(path) });

/**
 * The CLI's data source for core's task resolution: one file per task and role; a group (bbh,
 * bbh_cot_fewshot) takes a folder in the BIG-Bench Hard layout, every subtask's documents from
 * tasks/<name>.json and its exemplars from cot-prompts/<name>.txt (a missing file fails).
 */
async function sweepTasks(opts: EvalOptions): Promise<SweepTask[]> {
  if (opts.task.length !== opts.data.length) throw new UsageError(`give one --data per --task (${opts.task.length} tasks, ${opts.data.length} data files)`);
  if (opts.multiturn && !opts.chat) throw new UsageError('--multiturn needs --chat');
  const fewshot = new Map<string, string>();
  for (const f of opts.fewshotData) {
    const at = f.indexOf('=');
    if (at > 0 && opts.task.includes(f.slice(0, at))) fewshot.set(f.slice(0, at), f.slice(at + 1));
    else if (opts.task.length === 1) fewshot.set(opts.task[0]!, f);
    else throw new UsageError(`--fewshot-data ${f}: with several tasks write TASK=FILE`);
  }
  const settings: RunSettings = {
    ...(opts.fewshot === undefined ? {} : { numFewshot: opts.fewshot }),
    ...(opts.limit === undefined ? {} : { limit: opts.limit, limitMode: opts.first ? 'first' : 'seeded' }),
    ...(opts.chat ? { chat: true } : {}),
    ...(opts.multiturn ? { fewshotAsMultiturn: true } : {}),
    ...(opts.prefix === undefined ? {} : { systemInstruction: opts.prefix }),
    ...(opts.maxNewTokens === undefined ? {} : { maxNewTokens: opts.maxNewTokens }),
    ...(opts.harness === HARNESS_VERSION ? {} : { harness: opts.harness }),
    batchSize: opts.batch,
  };
  const resolved: TaskData[] = [];
  for (const [i, id] of opts.task.entries()) {
    const root = opts.data[i]!;
    let data: Map<string, TaskData>;
    if (isGroup(id)) {
      if (!(await stat(root).catch(() => null))?.isDirectory()) throw new UsageError(`--task ${id} needs --data to be a BIG-Bench Hard folder (tasks/*.json, cot-prompts/*.txt), not ${root}`);
      const files = taskIdsOf(id).flatMap((taskId) => {
        const subtask = taskId.slice(getTask(taskId).group!.length + 1);
        return [fileData(join(root, 'tasks', `${subtask}.json`)), fileData(join(root, 'cot-prompts', `${subtask}.txt`))];
      });
      ({ data } = await addTaskFiles(id, 'test', files));
    } else {
      ({ data } = await addTaskFiles(id, 'test', [fileData(root)]));
      if (fewshot.has(id)) ({ data } = await addTaskFiles(id, 'fewshot', [fileData(fewshot.get(id)!)], data));
    }
    resolved.push(...tasksWithDocs(id, data));
  }
  return coreSweepTasks(resolved, settings, FEWSHOT_HINT);
}

async function previousReport(opts: EvalOptions): Promise<Report | undefined> {
  if (!opts.resume) {
    if (await stat(opts.out).catch(() => null)) throw new UsageError(`${opts.out}: already exists; continue it with --resume or choose another --out`);
    return undefined;
  }
  let text: string;
  try {
    text = await readFile(opts.out, 'utf8');
  } catch {
    return undefined; // nothing saved yet: start afresh
  }
  return parseReport(text, opts.out);
}

function progressLine(): { update(text: string): void; stop(): void } {
  const tty = process.stderr.isTTY;
  let last = '';
  return {
    update(text) {
      if (tty) process.stderr.write(`\r${text.slice(0, (process.stderr.columns || 100) - 1).padEnd((process.stderr.columns || 100) - 1)}`);
      last = text;
    },
    stop() {
      if (tty && last !== '') process.stderr.write('\n');
    },
  };
}

async function run(program: Command, opts: EvalOptions, alphas: readonly (number | null)[], roles: Map<string, Checkpoint> | null, modelDir: string | undefined, merge: MergeSpec | null, signal: AbortSignal): Promise<void> {
  const tasks = await sweepTasks(opts);
  const resume = await previousReport(opts);
  const line = progressLine();
  const checkpoints: Record<string, CheckpointSummary> = {};
  if (roles) for (const [role, c] of roles) checkpoints[role] = await summarizeCheckpoint(c, c.name);
  else {
    const c = await openCheckpoint(await openFolder(modelDir!));
    checkpoints['target'] = await summarizeCheckpoint(c, modelDir!);
    await closeCheckpoint(c);
  }
  const header = {
    createdAt: resume?.createdAt ?? new Date().toISOString(),
    app: { name: 'rvs', version: program.version() ?? '0.0.0' },
    environment: { backend: opts.runtime === 'node' ? 'onnxruntime-node (cpu)' : 'onnxruntime-web (wasm)', node: process.version, platform: `${process.platform}-${process.arch}` },
    checkpoints,
  };
  let saving = Promise.resolve();
  let saved = resume !== undefined;
  // Model-written code (HumanEval): a fresh Pyodide interpreter per program, in a child process without permissions.
  let sandbox: CodeSandbox | undefined;
  try {
    const report = await runEvaluation({
      sandbox: async () => (sandbox = await createNodeSandbox()),
      alphas,
      tasks,
      merge,
      header,
      signal,
      ...(resume ? { resume } : {}),
      models: nodeModels({
        runtime: opts.runtime, batchSize: opts.batch, roles, ...(modelDir ? { modelDir } : {}), signal,
        onLoadProgress: (p) => line.update(`${p.phase === 'merge' ? 'merging' : 'loading'} ${((100 * p.bytesDone) / Math.max(1, p.bytesTotal)).toFixed(0)}%`),
      }),
      onProgress: (p) => {
        const acc = Object.entries(p.running).map(([k, v]) => `${k} ${(100 * v).toFixed(1)}`).join('  ');
        const rate = p.seconds > 0 ? p.newTokens / p.seconds : 0;
        line.update(`[${p.run + 1}/${p.runs}] α=${p.alpha ?? '-'} ${p.task} ${p.done}/${p.total}  ${rate.toFixed(1)} tok/s  ${acc}`);
      },
      onReport: (partial) => {
        if (partial.runs.length === 0) return saving; // nothing done yet: nothing to keep
        saving = saving.then(async () => {
          await writeFileAtomic(opts.out, `${JSON.stringify(partial)}\n`);
          saved = true;
        });
        return saving;
      },
    });
    await saving;
    await writeFileAtomic(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    line.stop();
    for (const r of report.runs) {
      const metrics = Object.entries(r.metrics).map(([k, v]) => `${k} ${(100 * v.value).toFixed(2)} ± ${v.stderr === null ? 'n/a' : (100 * v.stderr).toFixed(2)}`);
      process.stdout.write(`α=${r.alpha ?? '-'}\t${r.task}\t${metrics.join('\t')}\n`);
    }
    process.stderr.write(`wrote ${opts.out}: ${report.runs.length} runs (status ${report.status})\n`);
  } catch (e) {
    line.stop();
    await saving.catch(() => undefined);
    if (e instanceof SweepCancelledError && saved) {
      const finished = e.report.runs.filter((r) => Object.keys(r.metrics).length > 0).length;
      throw new CommandCancelled(`cancelled; ${opts.out} keeps ${finished} finished run${finished === 1 ? '' : 's'} and the samples done so far (status "cancelled"); continue with --resume`);
    }
    throw e;
  } finally {
    await sandbox?.dispose();
  }
}

export function registerEvalCommands(program: Command, signal: AbortSignal, openRoles: (dirs: Record<string, string>) => Promise<Map<string, Checkpoint>>, rulesOf: (opts: { exclude: Rule[]; alphaFor: Rule[] }) => Rule[], collectRule: (kind: 'exclude' | 'alpha') => (text: string, previous: Rule[]) => Rule[]): void {
  addEvalOptions(program.command('eval').description('evaluate one model on tasks, as lm-evaluation-harness does').requiredOption('--model <dir>', 'checkpoint folder with tokenizer files')).action(
    async (opts: EvalOptions & { model: string }) => {
      await run(program, opts, [null], null, opts.model, null, signal);
    },
  );

  addEvalOptions(
    program
      .command('sweep')
      .description('evaluate θ_target + α·(θ_GRPO − θ_SFT) for several α, merging on the fly (nothing written but the report)')
      .requiredOption('--sft <dir>', 'SFT checkpoint')
      .requiredOption('--grpo <dir>', 'GRPO checkpoint')
      .requiredOption('--target <dir>', 'target checkpoint (with tokenizer files)')
      .requiredOption('--alphas <list>', 'α values, e.g. -1,0,0.5,1 or a range start:stop:step, -1:1:0.25 (|α| ≤ 100)', parseAlphas)
      .option('--exclude <pattern>', 'keep matching tensors at the target (glob on names; repeatable)', collectRule('exclude'), [])
      .option('--alpha-for <pattern=alpha>', 'another α for matching tensors (repeatable)', collectRule('alpha'), [])
      .addOption(
        new Option('--weights <arithmetic>', "the merged weights the model runs: f32 = exact float32 (default); checkpoint = rounded to the target's dtype, as rvs merge saves them (recorded in the report)")
          .choices(WEIGHT_ARITHMETICS)
          .default('f32'),
      ),
  ).action(async (opts: EvalOptions & { sft: string; grpo: string; target: string; alphas: number[]; exclude: Rule[]; alphaFor: Rule[]; weights: WeightArithmetic }) => {
    const roles = await openRoles({ target: opts.target, sft: opts.sft, grpo: opts.grpo });
    try {
      await run(program, opts, opts.alphas, roles, undefined, { useVector: false, rules: rulesOf(opts), weights: opts.weights }, signal);
    } finally {
      await Promise.all([...roles.values()].map(closeCheckpoint));
    }
  });
}
