/**
 * `rvs logits`, `rvs generate` and `rvs export-onnx`: the inference core on a checkpoint folder.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseDecoderConfig } from '../core/model/config.ts';
import { exportOnnx } from '../core/model/export.ts';
import { closeCheckpoint, openCheckpoint, CheckpointError } from '../core/checkpoint/checkpoint.ts';
import { MemoryFolder } from '../core/io/bytes.ts';
import { layoutFiles, SafetensorsWriter, SINGLE_FILE } from '../core/safetensors/writer.ts';
import { StopStrings } from '../core/text/stop.ts';
import { TextStream } from '../core/text/stream.ts';
import { createOutputFolder, openFolder } from '../node/fs-folder.ts';
import { openModel, RUNTIMES, type NodeModel, type Runtime } from '../node/model.ts';
import { UsageError } from './errors.ts';
import { progressBar } from './progress.ts';
import { writeFileAtomic } from './score.ts';
import { noteStaleRemoved } from './text.ts';

function parseIds(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const ids = parts.map(Number);
  if (parts.some((p) => p === '') || ids.some((n) => !Number.isSafeInteger(n) || n < 0)) throw new InvalidArgumentError('expected token ids such as 1,2,3');
  return ids;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const runtimeOption = () => new Option('--runtime <name>', 'onnxruntime-node (native CPU) or onnxruntime-web (wasm)').choices(RUNTIMES).default('node');

async function withModel<T>(dir: string, runtime: Runtime, signal: AbortSignal, body: (m: NodeModel) => Promise<T>): Promise<T> {
  const bar = progressBar('loading');
  let model: NodeModel;
  try {
    model = await openModel(dir, { runtime, signal, onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, p.tensor) });
  } finally {
    bar.stop();
  }
  try {
    return await body(model);
  } finally {
    await model.close();
  }
}

export function registerModelCommands(program: Command, signal: AbortSignal): void {
  program
    .command('logits')
    .description('logits of a token sequence as a safetensors file: one F32 tensor "logits" [tokens, vocab]')
    .requiredOption('--model <dir>', 'checkpoint folder (config.json + safetensors)')
    .requiredOption('--ids <ids>', 'comma-separated token ids', parseIds)
    .requiredOption('--out <file>', 'output .safetensors file')
    .addOption(runtimeOption())
    .action(async (opts: { model: string; ids: number[]; out: string; runtime: Runtime }) => {
      await withModel(opts.model, opts.runtime, signal, async (m) => {
        const logits = await m.lm.logits(opts.ids);
        const layout = layoutFiles([{ name: 'logits', dtype: 'F32', shape: [opts.ids.length, m.config.vocabSize] }]);
        const folder = new MemoryFolder('logits');
        const writer = new SafetensorsWriter(layout, folder);
        await writer.write('logits', new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength));
        await writer.finish();
        await writeFileAtomic(opts.out, folder.files.get(SINGLE_FILE)!);
      });
    });

  program
    .command('generate')
    .description('greedy generation from a prompt or token ids')
    .requiredOption('--model <dir>', 'checkpoint folder (config.json + safetensors, tokenizer files for --prompt)')
    .option('--prompt <text>', 'prompt text (needs tokenizer.json)')
    .option('--chat', "wrap the prompt as a user message with the checkpoint's chat template")
    .option('--ids <ids>', 'prompt as comma-separated token ids', parseIds)
    .requiredOption('--max-new-tokens <n>', 'tokens to generate at most', positiveInt)
    .option('--stop <text...>', 'stop strings (the text is cut before the first)')
    .option('--json', 'last stdout line: {"ids":[…new ids…],"text":"…"}')
    .addOption(runtimeOption())
    .action(async (opts: { model: string; prompt?: string; chat?: boolean; ids?: number[]; maxNewTokens: number; stop?: string[]; json?: boolean; runtime: Runtime }) => {
      if ((opts.prompt === undefined) === (opts.ids === undefined)) throw new UsageError('give exactly one of --prompt and --ids');
      if (opts.chat && opts.prompt === undefined) throw new UsageError('--chat needs --prompt');
      await withModel(opts.model, opts.runtime, signal, async (m) => {
        const tok = m.tokenizer;
        if (!tok && opts.prompt !== undefined) throw new UsageError(`${opts.model}: has no tokenizer.json; use --ids`);
        let ids = opts.ids;
        if (opts.prompt !== undefined) {
          const text = opts.chat ? tok!.applyChatTemplate([{ role: 'user', content: opts.prompt }], { addGenerationPrompt: true }) : opts.prompt;
          ids = tok!.encode(text);
        }
        const stops = tok && opts.stop ? new StopStrings(tok, opts.stop) : null;
        const stream = tok && !opts.json ? new TextStream(tok) : null;
        const [result] = await m.lm.generate([ids!], {
          maxNewTokens: opts.maxNewTokens,
          stopIds: tok?.eosTokenIds ?? [],
          ...(stops ? { shouldStop: stops.shouldStop } : {}),
          signal,
          onStep: (step) => {
            if (stream) for (const s of step) process.stdout.write(stream.push(s.id));
          },
        });
        let text = tok ? tok.decode(result!.ids, { skipSpecialTokens: true }) : '';
        if (stops) text = stops.finish(result!.ids);
        if (opts.json) process.stdout.write(`${JSON.stringify({ ids: result!.ids, text, finish: result!.finish })}\n`);
        else if (stream) process.stdout.write(`${stream.flush()}\n`);
        else process.stdout.write(`${result!.ids.join(',')}\n`);
      });
    });

  program
    .command('export-onnx')
    .description('the checkpoint as an ONNX model folder that transformers.js loads (onnx/model.onnx + external data)')
    .requiredOption('--model <dir>', 'checkpoint folder')
    .requiredOption('--out <dir>', 'output folder (must not exist, or be empty)')
    .addOption(new Option('--dtype <dtype>', 'stored weight dtype (compute is float32)').choices(['f32', 'f16']).default('f32'))
    .action(async (opts: { model: string; out: string; dtype: 'f32' | 'f16' }) => {
      const checkpoint = await openCheckpoint(await openFolder(opts.model));
      const bar = progressBar('exporting');
      try {
        if (checkpoint.config === null) throw new CheckpointError('CONFIG_INVALID', 'has no config.json; export needs one', opts.model);
        const config = parseDecoderConfig(checkpoint.config);
        const out = await createOutputFolder(opts.out, [opts.model], { onStaleRemoved: noteStaleRemoved });
        try {
          await exportOnnx(checkpoint, config, out, { dtype: opts.dtype, signal, onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, p.tensor) });
          await out.commit();
        } catch (e) {
          await out.abort();
          throw e;
        }
      } finally {
        bar.stop();
        await closeCheckpoint(checkpoint);
      }
    });
}
