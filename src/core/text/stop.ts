/**
 * Stop strings the way lm-evaluation-harness handles `until` in `generate_until`
 * (lm_eval/models/huggingface.py and lm_eval/models/utils.py):
 *  - `handle_stop_sequences`: the task's `until` list plus the decoded eos token, if not already in it;
 *  - during generation, `MultiTokenEOSCriteria`: a row stops once a stop string occurs in the decode
 *    (special tokens kept) of its last `len(encode(stop)) + 2` generated tokens;
 *  - afterwards, the continuation is decoded with special tokens skipped and, for each non-empty
 *    term in `until` order, replaced by `s.split(term)[0]`.
 * The post-hoc cut is not "cut at the earliest stop" when stop strings overlap: with until
 * ["b", "ab"], "xab" becomes "xa" (split on "b" first, and "ab" no longer occurs). `findStop`
 * is the plain earliest occurrence; `cutAtStops` is the harness's cut.
 */
import type { TextTokenizer } from './tokenizer.ts';

/** The earliest index at which any non-empty stop string occurs in `text`, or -1. */
export function findStop(text: string, stops: readonly string[]): number {
  let best = -1;
  for (const stop of stops) {
    if (stop.length === 0) continue;
    const at = text.indexOf(stop);
    if (at >= 0 && (best < 0 || at < best)) best = at;
  }
  return best;
}

/** The harness's post-hoc cut: `s = s.split(term)[0]` for each non-empty term, in order. */
export function cutAtStops(text: string, until: readonly string[]): string {
  let s = text;
  for (const term of until) {
    if (term.length === 0) continue; // the harness skips '' (it would cut everything)
    const at = s.indexOf(term);
    if (at >= 0) s = s.slice(0, at);
  }
  return s;
}

/** The harness's `handle_stop_sequences`: `until` with the eos text appended when missing. */
export function untilWithEos(until: readonly string[], eosText: string | undefined): string[] {
  const out = [...until];
  if (eosText !== undefined && !out.includes(eosText)) out.push(eosText);
  return out;
}

/**
 * One generation request's stop strings, bound to a tokenizer: `shouldStop` for
 * `LanguageModel.generate` and `finish` for the text of a finished row.
 */
export class StopStrings {
  /** Per stop string: how many trailing tokens the harness decodes to look for it. */
  private readonly lookbacks: readonly { readonly stop: string; readonly tokens: number }[];

  /**
   * @param until the request's stop strings, already including the eos text where the harness
   *   would add it (see `untilWithEos`)
   */
  constructor(
    private readonly tokenizer: Pick<TextTokenizer, 'encode' | 'decode'>,
    readonly until: readonly string[],
  ) {
    // An empty stop would end every row at once in the harness's criterion; it is ignored here.
    this.lookbacks = until.filter((s) => s.length > 0).map((stop) => ({ stop, tokens: tokenizer.encode(stop, { addSpecialTokens: false }).length + 2 }));
  }

  /** Whether a stop string has appeared in the row's last tokens (`MultiTokenEOSCriteria`). */
  readonly shouldStop = (_row: number, newIds: readonly number[]): boolean => {
    for (const { stop, tokens } of this.lookbacks) {
      if (this.tokenizer.decode(newIds.slice(-tokens)).includes(stop)) return true;
    }
    return false;
  };

  /** The row's answer: its new ids decoded with special tokens skipped, cut at the stop strings. */
  finish(newIds: readonly number[]): string {
    return cutAtStops(this.tokenizer.decode(newIds, { skipSpecialTokens: true }), this.until);
  }
}
