/**
 * Which lm-evaluation-harness release the prompts follow. The releases differ in one place that
 * matters here, the few-shot draws of single-turn chat prompts (`--apply_chat_template` without
 * `--fewshot_as_multiturn`):
 *   - 0.4.9.2 (`lm_eval/api/samplers.py`): `fewshot_context` calls `get_chat_context`, which draws
 *     `self.sample(n)` and, for one user turn, calls `get_context`, which draws again; the first
 *     draw is never used, so the k-th evaluated document gets draw 2k + 1 of the task's generator;
 *   - 0.4.10 to 0.4.12 (`ContextSampler.sample`, called once by `fewshot_context` whatever the
 *     layout): one draw per document, the k-th document gets draw k, as plain and multi-turn
 *     prompts always did.
 * Everything else the tasks here use (delimiters, system instruction, turns, multiple-choice
 * continuations) is the same in both. The default is the current release.
 */
export const HARNESS_VERSIONS = ['0.4.12', '0.4.9.2'] as const;
export type HarnessVersion = (typeof HARNESS_VERSIONS)[number];

/** The release followed unless told otherwise: the current one. */
export const HARNESS_VERSION: HarnessVersion = '0.4.12';

/** "lm-evaluation-harness 0.4.12", as reports record it. */
export function harnessName(version: HarnessVersion = HARNESS_VERSION): string {
  return `lm-evaluation-harness ${version}`;
}

/** Position in the task's draw sequence of the shots of the k-th evaluated document. */
export function fewshotDrawIndex(position: number, layout: { readonly chat?: boolean; readonly fewshotAsMultiturn?: boolean }, version: HarnessVersion = HARNESS_VERSION): number {
  return version === '0.4.9.2' && layout.chat && !layout.fewshotAsMultiturn ? 2 * position + 1 : position;
}
