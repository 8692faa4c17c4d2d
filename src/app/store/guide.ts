/**
 * The studio's guide (pure): once checkpoints are loaded, which step comes next — Extract → Merge →
 * Try it → Run sweep — so that the panel holding it can be highlighted; and what "Try the demo"
 * would replace, so that it can ask first.
 */
import { BENCHMARKS } from '../../browser/shared/benchmarks.ts';
import type { SlotId } from '../../browser/shared/engine-api.ts';
import { DEMO_EVAL_SETTINGS } from './evaluation.ts';
import { analysisBlocker, mergeBlocker, slotName, type StudioData } from './state.ts';

export type GuideStep = 'extract' | 'merge' | 'tryIt' | 'sweep';

export const GUIDE_STEPS: Readonly<Record<GuideStep, { readonly label: string; readonly hint: string }>> = {
  extract: { label: 'Extract', hint: 'Extract the vector: its size per layer and tensor.' },
  merge: { label: 'Merge', hint: 'Choose α (and rules, if any): Try it and the sweep use them; “Save merged model…” writes them.' },
  tryIt: { label: 'Try it', hint: 'Generate from a prompt with this α.' },
  sweep: { label: 'Run sweep', hint: 'Run the benchmarks at each α.' },
};

/** The next step of the guided flow, or null (nothing loaded yet, something blocks, or all done). */
export function nextStep(s: StudioData): GuideStep | null {
  if (mergeBlocker(s) !== null && analysisBlocker(s) !== null) return null;
  if (!s.useVector && s.analysis.status !== 'done' && analysisBlocker(s) === null) return 'extract';
  if (mergeBlocker(s) !== null) return null;
  if (!s.mergeVisited && s.mergeSave.status !== 'done') return 'merge';
  if (s.tryIt.status !== 'done') return 'tryIt';
  if (s.sweep.status !== 'done') return 'sweep';
  return null;
}

const DEMO_SLOTS: readonly SlotId[] = ['sft', 'grpo', 'target'];

/**
 * What of the user's "Try the demo" would replace: checkpoints in the SFT, GRPO and target slots
 * and data of the demo's benchmarks that are not the demo's own. Empty: nothing to ask.
 */
export function demoReplaces(s: StudioData): string[] {
  const replaced: string[] = [];
  for (const slot of DEMO_SLOTS) {
    const state = s.slots[slot];
    if ((state.status === 'ready' && state.origin !== 'demo') || state.status === 'loading') replaced.push(slotName(slot));
  }
  for (const b of BENCHMARKS) {
    const data = s.datasets[b.id];
    if (DEMO_EVAL_SETTINGS.benchmarks[b.id] !== true) continue; // the demo brings no data of its own for it
    if (data && !(data.status === 'ready' && data.demo)) replaced.push(`the ${b.label} data`);
  }
  return replaced;
}
