/**
 * How the studio sweeps the demo family (src/browser/worker/demo.ts; src/app/store/evaluation.ts's
 * DEMO_EVAL_SETTINGS): zero-shot gsm8k on a seeded subset of its held-out items, generations long
 * enough for a worked answer. `effectAlpha`: where the accuracy differs from α = 0 by more than its
 * standard error on these items (measured: README.md, "The demo family" — the vector lowers
 * accuracy; checked by src/node/demo-files.test.ts and e2e/demo.spec.ts).
 */
export const DEMO_SWEEP = { alphas: [0, 1, 8], limit: 24, maxNewTokens: 32, effectAlpha: 8 } as const;
