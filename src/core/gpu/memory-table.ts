/**
 * The README's GPU memory table for the paper's model sizes, computed by the memory plan
 * (memory-plan.ts) so that it stays true: `npx tsx scripts/gpu-memory-table.ts` prints it, and
 * memory-table.test.ts checks that the README holds exactly this text.
 */
import { QWEN25_05B, QWEN25_15B, qwen2Config, type Qwen2Shape } from '../checkpoint/synthetic.ts';
import { parseDecoderConfig } from '../model/config.ts';
import { checkpointInputs, countGpuBytes, formatBytes, planGpuMemory, type AlphaMode, type MemoryPlanRequest, type WeightsPrecision } from './memory-plan.ts';

export const TABLE_CONTEXT = 2048;
const MODELS: readonly (readonly [string, Qwen2Shape])[] = [['Qwen2.5-0.5B', QWEN25_05B], ['Qwen2.5-1.5B', QWEN25_15B]];
const ADAPTER = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 };

function request(shape: Qwen2Shape, batchSize: number, over: Partial<MemoryPlanRequest> = {}): MemoryPlanRequest {
  const config = parseDecoderConfig(qwen2Config(shape, 'BF16'));
  return { config, mergeInputs: checkpointInputs(config, 'BF16'), batchSize, contextLength: TABLE_CONTEXT, adapter: { ...ADAPTER, shaderF16: true }, ...over };
}

/** Markdown: the table, then what the plan chooses under the default budget and under 8 GB. */
export function gpuMemoryTable(): string {
  const rows = [
    '| model | precision | α changes | weights | merge inputs (resident) / stream window | total, batch 1 | total, batch 8 |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, shape] of MODELS) {
    for (const precision of ['f32', 'f16'] as const satisfies readonly WeightsPrecision[]) {
      for (const mode of ['resident', 'streamed'] as const satisfies readonly AlphaMode[]) {
        const one = countGpuBytes(request(shape, 1), precision, mode, 1);
        const eight = countGpuBytes(request(shape, 8), precision, mode, 8);
        const inputs = mode === 'resident' ? one.mergeInputs : one.streamWindow;
        rows.push(`| ${name} | float${precision === 'f16' ? 16 : 32} | ${mode} | ${formatBytes(one.weights)} | ${formatBytes(inputs)} | ${formatBytes(one.total)} | ${formatBytes(eight.total)} |`);
      }
    }
  }
  const choices: string[] = [];
  for (const [name, shape] of MODELS) {
    for (const budget of [4e9, 8e9]) {
      for (const shaderF16 of [true, false]) {
        const plan = planGpuMemory(request(shape, 8, { budgetBytes: budget, adapter: { ...ADAPTER, shaderF16 } }));
        const what = plan.fits ? `float${plan.precision === 'f16' ? 16 : 32}, ${plan.mode}, batch ${plan.batchSize} (${formatBytes(plan.bytes.total)})` : `does not fit: ${plan.suggestions[0]}`;
        choices.push(`- ${name}, ${formatBytes(budget)} budget, ${shaderF16 ? 'with' : 'without'} shader-f16: ${what}`);
      }
    }
  }
  return [
    `Context ${TABLE_CONTEXT} tokens per row, logits of one position, three BF16 checkpoints (target, SFT, GRPO);`,
    'totals include the KV cache, activations, logits and rotary caches (`src/core/gpu/memory-plan.ts`).',
    '',
    ...rows,
    '',
    'What the plan chooses when batch 8 is asked for:',
    '',
    ...choices,
  ].join('\n');
}
