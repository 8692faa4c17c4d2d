/**
 * The demo family: a deterministic tiny chat-capable Qwen2 (SFT, GRPO, target; synthetic
 * byte-level tokenizer included) built in memory in the GPU worker, so a newcomer runs the whole
 * flow without downloading anything.
 */
import { TINY_QWEN2_CHAT, writeFamilyMember } from '../../core/checkpoint/synthetic.ts';
import { MemoryFolder } from '../../core/io/bytes.ts';

export const DEMO_MEMBERS = ['sft', 'grpo', 'target'] as const;
export type DemoMember = (typeof DEMO_MEMBERS)[number];
export const DEMO_SHAPE = TINY_QWEN2_CHAT;

export async function buildDemoFamily(): Promise<Record<DemoMember, MemoryFolder>> {
  const entries = await Promise.all(
    DEMO_MEMBERS.map(async (member) => {
      const folder = new MemoryFolder(`demo-qwen2-${member}`);
      await writeFamilyMember({ shape: DEMO_SHAPE, dtype: 'BF16', member, out: folder, seed: 1, tokenizer: true });
      return [member, folder] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<DemoMember, MemoryFolder>;
}
