/**
 * `rvs`: the studio's core, headless. Exit 0 on success, 2 for bad usage or bad input, 1 for
 * other failures, 130 when interrupted. Errors are one line on stderr; `--debug` adds the stack.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CheckpointError, closeCheckpoint, openCheckpoint, parameterCount, type Checkpoint } from '../core/checkpoint/checkpoint.ts';
import { notAVectorReason, vectorOrigin } from '../core/checkpoint/vector-origin.ts';
import { parseFloatDtype } from '../core/dtype.ts';
import { executePlan } from '../core/merge/execute.ts';
import { MergeError, planMerge } from '../core/merge/plan.ts';
import { applyRecipe, composeRecipe, extractRecipe, mergeRecipe, type Recipe, type Rule } from '../core/merge/recipe.ts';
import { mergeToFolder } from '../core/merge/run.ts';
import { DEFAULT_SHARD_SIZE } from '../core/safetensors/writer.ts';
import { BACKEND_CHOICES, cpuBackend, selectBackend, type BackendChoice } from '../node/backend.ts';
import { createOutputFolder, openFolder } from '../node/fs-folder.ts';
import { composition, configRecipe, termCollectors } from './compose.ts';
import { stageFile, type StagedFile } from '../node/staging.ts';
import { outcomeOf, UsageError } from './errors.ts';
import { noteStaleRemoved, printable } from './text.ts';
import { formatBytes, formatCount } from '../core/format.ts';
import { progressBar } from './progress.ts';
import { registerEvalCommands } from './eval-commands.ts';
import { registerExport } from './export-command.ts';
import { registerModelCommands } from './model-commands.ts';
import { registerScore } from './score.ts';

const packageJson = JSON.parse(await readFile(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string };

function parseAlpha(text: string): number {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError('not a finite number');
  return x;
}

function parseSeed(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 0xffffffff) throw new InvalidArgumentError('expected an integer from 0 to 4294967295');
  return n;
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?$/i.exec(text.trim());
  if (!m) throw new InvalidArgumentError('expected a size such as 2GB, 500MB or 1048576');
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 }[unit]!;
  const n = Math.floor(Number(m[1]) * factor);
  if (n <= 0) throw new InvalidArgumentError('must be positive');
  return n;
}

function parseDtype(text: string) {
  const d = parseFloatDtype(text);
  if (!d) throw new InvalidArgumentError('expected f32, bf16 or f16');
  return d;
}

function collectRule(kind: 'exclude' | 'alpha') {
  return (text: string, previous: Rule[]): Rule[] => {
    if (kind === 'exclude') return [...previous, { pattern: text, exclude: true }];
    const at = text.lastIndexOf('=');
    if (at <= 0) throw new InvalidArgumentError('expected PATTERN=ALPHA, e.g. "*.mlp.*=0.5"');
    return [...previous, { pattern: text.slice(0, at), alpha: parseAlpha(text.slice(at + 1)) }];
  };
}

async function openRoles(dirs: Record<string, string>): Promise<Map<string, Checkpoint>> {
  const roles = new Map<string, Checkpoint>();
  try {
    for (const [role, dir] of Object.entries(dirs)) roles.set(role, await openCheckpoint(await openFolder(dir)));
  } catch (e) {
    await Promise.all([...roles.values()].map(closeCheckpoint));
    throw e;
  }
  return roles;
}

/** Compatibility problems name checkpoints by role ("target", "sft"); add which folder is which. */
function withFolders(e: unknown, dirs: Record<string, string>): unknown {
  if (!(e instanceof MergeError) || e.code !== 'INCOMPATIBLE') return e;
  const legend = Object.entries(dirs).map(([role, dir]) => `${role} = ${dir}`).join(', ');
  return new MergeError(e.code, `${e.message} (${legend})`, e.report);
}

interface WriteOptions {
  out: string;
  dtype?: 'BF16' | 'F16' | 'F32';
  backend: BackendChoice;
  shardSize: number;
  exclude: Rule[];
  alphaFor: Rule[];
  statsJson?: string;
}

/**
 * A write command: the output folder and the `--stats-json` file are both staged and checked before
 * any work, and appear together at the end (the folder's commit deferred until the statistics are
 * written), so that any failure leaves neither.
 */
async function runWrite(recipe: Recipe, dirs: Record<string, string>, opts: WriteOptions, signal: AbortSignal, check?: (roles: Map<string, Checkpoint>) => void): Promise<void> {
  const roles = await openRoles(dirs);
  try {
    check?.(roles);
    // Validate the output places before any work, so that bad input never leaves a trace.
    const out = await createOutputFolder(opts.out, Object.values(dirs), { onStaleRemoved: noteStaleRemoved });
    let statsFile: StagedFile | undefined;
    let committed = false;
    try {
      statsFile = opts.statsJson === undefined ? undefined : await stageFile(opts.statsJson, noteStaleRemoved);
      const { backend, description } = await selectBackend(opts.backend, { onNoise: (text) => debugLog(text) });
      const bar = progressBar(`merging (${description})`);
      try {
        const result = await mergeToFolder({
          recipe,
          roles,
          backend,
          out: { ...out, commit: async () => {} }, // committed below, with the statistics
          shardSize: opts.shardSize,
          stats: statsFile !== undefined,
          signal,
          onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, p.tensor),
        }).catch((e: unknown) => {
          throw withFolders(e, dirs);
        });
        bar.stop();
        await statsFile?.write(`${JSON.stringify({ tensors: result.stats }, null, 2)}\n`);
        await out.commit();
        committed = true;
        await statsFile?.commit();
        const files = result.layout.shards.length;
        process.stderr.write(
          `wrote ${opts.out}: ${result.plan.tensors.length} tensors, ${formatBytes(result.layout.totalSize)} in ${files} file${files === 1 ? '' : 's'} (${result.seconds.toFixed(1)} s, ${description})\n`,
        );
      } finally {
        bar.stop();
        await backend.dispose();
      }
    } catch (e) {
      if (!committed) await out.abort();
      await statsFile?.abort();
      throw e;
    }
  } finally {
    await Promise.all([...roles.values()].map(closeCheckpoint));
  }
}

function addWriteOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--out <dir>', 'output folder (must not exist; written atomically)')
    .option('--dtype <dtype>', 'output dtype: f32, bf16 or f16', parseDtype)
    .addOption(
      new Option('--backend <backend>', 'kernel backend: auto (a hardware GPU if there is one, else cpu), webgpu, cpu (WebAssembly SIMD) or cpu-ts (the TypeScript reference)')
        .choices(BACKEND_CHOICES)
        .default('auto'),
    )
    .option('--shard-size <size>', 'largest shard, e.g. 2GB or 500MB', parseSize, DEFAULT_SHARD_SIZE)
    .option('--exclude <pattern>', 'keep tensors matching this glob at the target\'s values (repeatable)', collectRule('exclude'), [])
    .option('--stats-json <file>', 'also write per-tensor statistics of the vector (same pass) to this JSON file')
    .option('--alpha-for <pattern=alpha>', 'α for tensors matching a glob (repeatable; the last match wins)', collectRule('alpha'), []);
}

/** A full checkpoint given as a vector would add α·θ: refuse what is not marked as a vector. */
function checkVector(checkpoint: Checkpoint, dir: string, allowUnmarked: boolean): void {
  const origin = vectorOrigin(checkpoint);
  const reason = notAVectorReason(origin);
  if (reason === null || (origin.kind === 'unmarked' && allowUnmarked)) return;
  throw new CheckpointError('NOT_A_VECTOR', `${reason}${origin.kind === 'unmarked' ? '; pass --allow-unmarked-vector if it is a vector from another tool' : ''}`, dir);
}

function rulesOf(opts: Pick<WriteOptions, 'alphaFor' | 'exclude'>): Rule[] {
  return [...opts.alphaFor, ...opts.exclude];
}

export function buildProgram(signal: AbortSignal): Command {
  const program = new Command('rvs')
    .description('Reasoning Vector Studio: extract reasoning vectors (θ_GRPO − θ_SFT) and merge them into models')
    .version(packageJson.version)
    .option('--debug', 'print stack traces of errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('inspect')
    .description('architecture, parameter count, dtypes, shards and tied embeddings of a checkpoint')
    .argument('<dir>', 'checkpoint folder')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const ckpt = await openCheckpoint(await openFolder(dir));
      try {
        const dtypes: Record<string, number> = {};
        for (const { info } of ckpt.tensors.values()) dtypes[info.dtype] = (dtypes[info.dtype] ?? 0) + 1;
        const summary = {
          path: dir,
          architecture: (ckpt.config?.['architectures'] as string[] | undefined)?.[0] ?? null,
          modelType: (ckpt.config?.['model_type'] as string | undefined) ?? null,
          parameters: parameterCount(ckpt),
          tensors: ckpt.tensors.size,
          dtypes,
          shards: ckpt.shards.map((s) => ({ file: s.file, bytes: s.header.fileSize, tensors: s.header.tensors.length })),
          bytes: ckpt.shards.reduce((n, s) => n + s.header.fileSize, 0),
          tiedEmbeddings: ckpt.tiedEmbeddings,
          tokenizer: ckpt.files.includes('tokenizer.json'),
          config: ckpt.config !== null,
        };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
          return;
        }
        const lines = [
          `checkpoint     ${dir}`,
          `architecture   ${summary.architecture ?? 'unknown (no config.json)'}`,
          `parameters     ${summary.parameters.toLocaleString('en-US')} (${formatCount(summary.parameters)})`,
          `tensors        ${summary.tensors}`,
          `dtypes         ${Object.entries(dtypes).map(([d, n]) => `${d} × ${n}`).join(', ')}`,
          `size           ${formatBytes(summary.bytes)}`,
          `shards         ${summary.shards.map((s) => `${s.file} (${formatBytes(s.bytes)})`).join(', ')}`,
          `tied embedding ${summary.tiedEmbeddings ? 'yes' : 'no'}`,
          `tokenizer      ${summary.tokenizer ? 'tokenizer.json' : 'none'}`,
        ];
        process.stdout.write(`${lines.map(printable).join('\n')}\n`);
      } finally {
        await closeCheckpoint(ckpt);
      }
    });

  addWriteOptions(
    program
      .command('extract')
      .description('write the reasoning vector v = θ_GRPO − θ_SFT as a checkpoint (default dtype f32: exact)')
      .requiredOption('--sft <dir>', 'SFT checkpoint')
      .requiredOption('--grpo <dir>', 'GRPO checkpoint'),
  ).action(async (opts: WriteOptions & { sft: string; grpo: string }) => {
    const recipe = extractRecipe({ rules: rulesOf(opts), dtype: opts.dtype ?? 'F32' });
    await runWrite(recipe, { sft: opts.sft, grpo: opts.grpo }, opts, signal);
  });

  addWriteOptions(
    program
      .command('apply')
      .description('write θ_target + α·v for a stored vector')
      .requiredOption('--target <dir>', 'target checkpoint')
      .requiredOption('--vector <dir>', 'vector written by rvs extract')
      .requiredOption('--alpha <alpha>', 'scale of the vector (negative subtracts it)', parseAlpha)
      .option('--allow-unmarked-vector', 'accept a --vector without the "rvs.recipe" metadata rvs extract writes (a vector from another tool)'),
  ).action(async (opts: WriteOptions & { target: string; vector: string; alpha: number; allowUnmarkedVector?: boolean }) => {
    const recipe = applyRecipe(opts.alpha, { rules: rulesOf(opts), dtype: opts.dtype ?? 'auto' });
    await runWrite(recipe, { target: opts.target, vector: opts.vector }, opts, signal, (roles) => checkVector(roles.get('vector')!, opts.vector, opts.allowUnmarkedVector ?? false));
  });

  const collect = termCollectors();
  addWriteOptions(
    program
      .command('merge')
      .description('write θ_target + α·(θ_GRPO − θ_SFT) in one pass (the vector is never written), θ_target + Σᵢ αᵢ·vᵢ over --pair/--vector terms, or a mergekit config')
      .option('--target <dir>', 'target checkpoint')
      .option('--sft <dir>', 'SFT checkpoint')
      .option('--grpo <dir>', 'GRPO checkpoint')
      .option('--alpha <alpha>', 'scale of the vector (negative subtracts it)', parseAlpha)
      .option('--pair <sft,grpo=alpha>', 'a term α·(θ_GRPO − θ_SFT) (repeatable; terms add in command-line order)', collect.pair)
      .option('--vector <dir=alpha>', 'a term α·v for a vector written by rvs extract (repeatable)', collect.vector)
      .option('--allow-unmarked-vector', 'accept a --vector without the "rvs.recipe" metadata rvs extract writes (a vector from another tool)')
      .option('--config <file>', 'run a mergekit YAML config (linear, task_arithmetic; models are local folders) instead')
      .addOption(new Option('--arith <arith>', "with --config: exact float32 (default) or mergekit's own order of operations and rounding").choices(['float32', 'mergekit']).default('float32'))
      .option('--seed <n>', "with --config: seed of DARE's random drop (default 0)", parseSeed),
  ).action(async (opts: WriteOptions & { sft?: string; grpo?: string; target?: string; alpha?: number; allowUnmarkedVector?: boolean; config?: string; arith: 'float32' | 'mergekit'; seed?: number }) => {
    if (opts.config !== undefined) {
      const given = (['target', 'sft', 'grpo', 'alpha'] as const).filter((k) => opts[k] !== undefined).map((k) => `--${k}`);
      if (collect.terms.length > 0) given.push('--pair/--vector');
      if (given.length > 0) throw new UsageError(`merge: --config names the models itself; drop ${given.join(', ')}`);
      const { recipe, dirs } = await configRecipe(opts.config, opts.arith, rulesOf(opts), opts.dtype, opts.seed ?? 0);
      // mergekit's arithmetic runs on the CPU only; the sparsified methods on the GPU take at most
      // 5 vectors (merge-webgpu.ts), so auto picks the CPU for them.
      if (opts.arith === 'mergekit' && opts.backend === 'webgpu') throw new UsageError('merge: --arith mergekit runs on the CPU (--backend auto, cpu or cpu-ts)');
      const backend = (opts.arith === 'mergekit' || recipe.method !== 'task_arithmetic') && opts.backend === 'auto' ? 'cpu' : opts.backend;
      await runWrite(recipe, dirs, { ...opts, backend }, signal);
      return;
    }
    if (opts.arith !== 'float32' || opts.seed !== undefined) throw new UsageError(`merge: ${opts.seed !== undefined ? '--seed' : '--arith'} applies to --config`);
    if (opts.target === undefined) throw new UsageError('merge: --target is required (or --config)');
    const classic = opts.sft !== undefined || opts.grpo !== undefined || opts.alpha !== undefined;
    if (classic && collect.terms.length > 0) throw new UsageError('merge: give either --sft/--grpo/--alpha or --pair/--vector terms, not both');
    if (classic) {
      const missing = (['sft', 'grpo', 'alpha'] as const).filter((k) => opts[k] === undefined).map((k) => `--${k}`);
      if (missing.length > 0) throw new UsageError(`merge: missing ${missing.join(', ')} (required with --sft/--grpo/--alpha)`);
      const recipe = mergeRecipe(opts.alpha!, { rules: rulesOf(opts), dtype: opts.dtype ?? 'auto' });
      await runWrite(recipe, { target: opts.target, sft: opts.sft!, grpo: opts.grpo! }, opts, signal);
      return;
    }
    const { dirs, vectors, vectorRoles } = composition(opts.target, collect.terms);
    const recipe = composeRecipe('target', vectors, { rules: rulesOf(opts), dtype: opts.dtype ?? 'auto' });
    await runWrite(recipe, dirs, opts, signal, (roles) => {
      for (const role of vectorRoles) checkVector(roles.get(role)!, dirs[role]!, opts.allowUnmarkedVector ?? false);
    });
  });

  program
    .command('stats')
    .description('per-tensor statistics of v = θ_GRPO − θ_SFT: ‖v‖, ‖θ_SFT‖, ‖v‖/‖θ_SFT‖, max |v|, zeros')
    .requiredOption('--sft <dir>', 'SFT checkpoint')
    .requiredOption('--grpo <dir>', 'GRPO checkpoint')
    .option('--json', 'print JSON')
    .option('--top <n>', 'tensors to list, largest relative change first', (t) => Number.parseInt(t, 10), 20)
    .action(async (opts: { sft: string; grpo: string; json?: boolean; top: number }) => {
      const roles = await openRoles({ sft: opts.sft, grpo: opts.grpo });
      const { backend } = await cpuBackend();
      const bar = progressBar('reading');
      try {
        let plan;
        try {
          plan = planMerge(extractRecipe(), roles);
        } catch (e) {
          throw withFolders(e, { sft: opts.sft, grpo: opts.grpo });
        }
        const { stats, seconds } = await executePlan(plan, backend, {
          writer: null,
          stats: true,
          signal,
          onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, p.tensor),
        });
        bar.stop();
        let sumV = 0;
        let sumRef = 0;
        let zeros = 0;
        let count = 0;
        for (const s of stats) {
          const n = s.shape.reduce((a, d) => a * d, 1);
          sumV += s.normV ** 2;
          sumRef += s.normRef ** 2;
          zeros += s.zeroFraction * n;
          count += n;
        }
        const total = { normV: Math.sqrt(sumV), normRef: Math.sqrt(sumRef), relative: Math.sqrt(sumV / sumRef), zeroFraction: count ? zeros / count : 0 };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ total, tensors: stats, seconds }, null, 2)}\n`);
          return;
        }
        const top = [...stats].sort((a, b) => b.relative - a.relative).slice(0, opts.top);
        const rows = top.map((s) =>
          [printable(s.name).padEnd(48), s.normV.toExponential(3).padStart(11), s.normRef.toExponential(3).padStart(11), s.relative.toExponential(3).padStart(11), s.maxAbsV.toExponential(3).padStart(11), (s.zeroFraction * 100).toFixed(2).padStart(7)].join(' '),
        );
        process.stdout.write(
          `${['tensor'.padEnd(48), '‖v‖'.padStart(11), '‖θ_SFT‖'.padStart(11), 'ratio'.padStart(11), 'max|v|'.padStart(11), 'zeros%'.padStart(7)].join(' ')}\n${rows.join('\n')}\n` +
            `total: ‖v‖ = ${total.normV.toExponential(4)}, ‖θ_SFT‖ = ${total.normRef.toExponential(4)}, ratio ${total.relative.toExponential(4)}, zeros ${(total.zeroFraction * 100).toFixed(2)}% (${stats.length} tensors)\n`,
        );
      } finally {
        bar.stop();
        await backend.dispose();
        await Promise.all([...roles.values()].map(closeCheckpoint));
      }
    });
  registerScore(program, signal);
  registerModelCommands(program, signal);
  registerExport(program);
  registerEvalCommands(program, signal, openRoles, rulesOf, collectRule);
  return program;
}

/** With --debug: what native libraries said (e.g. Dawn while probing for a GPU). */
let debugOutput = false;
function debugLog(text: string): void {
  if (debugOutput) process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

export const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface MainOptions {
  /**
   * The listener `bin/rvs.mjs` installs before anything is loaded (a signal during start-up exits
   * 130 with the cancel message); removed here once main's own handlers are in place.
   */
  readonly startupHandler?: (...args: unknown[]) => void;
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\ninterrupted: cleaning up…\n');
    controller.abort();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  if (options.startupHandler) for (const s of SIGNALS) process.off(s, options.startupHandler);
  const debug = argv.includes('--debug');
  debugOutput = debug;
  try {
    await buildProgram(controller.signal).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed the message
    const { exit, message } = outcomeOf(e, interrupted);
    process.stderr.write(`rvs: ${printable(message)}\n`);
    if (debug && exit !== 130) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return exit;
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}
