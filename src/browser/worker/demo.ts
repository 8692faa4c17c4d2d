/**
 * The demo family: a tiny Qwen2 trained by scripts/train-demo.py on a synthetic multi-step
 * arithmetic task (base → SFT → GRPO, base → instruction-tuned target; the synthetic byte-level
 * tokenizer), shipped under public/demo/ with its held-out GSM8K-format items. The studio fetches
 * them from its own server (src/browser/worker/assets.ts); Node tests read them from disk (src/node/demo-files.ts).
 */
import { MemoryFolder } from '../../core/io/bytes.ts';

export const DEMO_MEMBERS = ['sft', 'grpo', 'target'] as const;
export type DemoMember = (typeof DEMO_MEMBERS)[number];

/** The files of each member's folder the studio loads (public/demo/<member>/). */
export const DEMO_CHECKPOINT_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'] as const;

/** The held-out GSM8K-format test items (public/demo/gsm8k-test.jsonl), never seen in training. */
export const DEMO_GSM8K_TEST = 'gsm8k-test.jsonl';

/** Reads a file of public/demo/ by its path there ("sft/config.json"). */
export type DemoFileReader = (path: string) => Promise<Uint8Array>;

export async function buildDemoFamily(read: DemoFileReader): Promise<Record<DemoMember, MemoryFolder>> {
  const entries = await Promise.all(
    DEMO_MEMBERS.map(async (member) => {
      const folder = new MemoryFolder(`demo-qwen2-${member}`);
      for (const file of DEMO_CHECKPOINT_FILES) folder.files.set(file, await read(`${member}/${file}`));
      return [member, folder] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<DemoMember, MemoryFolder>;
}
