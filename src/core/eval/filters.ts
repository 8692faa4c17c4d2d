/**
 * Answer-extraction filters of lm-evaluation-harness (`lm_eval/filters/extraction.py`,
 * `lm_eval/filters/selection.py`), reimplemented. A pipeline maps the model's responses for one
 * document (one response per repeat) to a list; `take_first` keeps the first.
 */
import { EvalError } from './errors.ts';
import { compilePythonRegex, findall, pyStrip } from './pyregex.ts';

export const INVALID = '[invalid]';

export type FilterStep =
  | {
      readonly fn: 'regex';
      /** A Python `re` pattern, as written in the harness's task YAML. */
      readonly pattern: string;
      /** Which match of `re.findall`: 0 the first (default), -1 the last. */
      readonly groupSelect?: number;
      /** Returned when nothing matches (default "[invalid]"). */
      readonly fallback?: string;
    }
  | { readonly fn: 'take_first' };

/** A named filter chain: its name is the part after the comma in "exact_match,strict-match". */
export interface FilterPipeline {
  readonly name: string;
  readonly steps: readonly FilterStep[];
}

/**
 * RegexFilter: `re.findall`; none → fallback; else the `groupSelect`-th match (negative counts from
 * the end, as Python indexing); a tuple (several groups) → its first non-empty group; then strip.
 */
export function regexExtract(response: string, step: Extract<FilterStep, { fn: 'regex' }>): string {
  const matches = findall(compilePythonRegex(step.pattern), response);
  if (matches.length === 0) return step.fallback ?? INVALID;
  const index = step.groupSelect ?? 0;
  const match = matches[index < 0 ? matches.length + index : index];
  if (match === undefined) return step.fallback ?? INVALID; // Python raises IndexError; unreachable for 0 / -1
  let text: string;
  if (typeof match === 'string') text = match;
  else {
    const first = match.find((g) => g !== '');
    if (first === undefined) {
      throw new EvalError('EMPTY_MATCH', `regex ${JSON.stringify(step.pattern)} matched with every group empty`);
    }
    text = first;
  }
  return pyStrip(text);
}

export function applyFilterStep(responses: readonly string[], step: FilterStep): string[] {
  switch (step.fn) {
    case 'regex':
      return responses.map((r) => regexExtract(r, step));
    case 'take_first':
      return responses.slice(0, 1);
  }
}

/** The pipeline's result for one document: the first remaining response. */
export function applyFilters(responses: readonly string[], pipeline: FilterPipeline): string {
  let current: string[] = [...responses];
  for (const step of pipeline.steps) current = applyFilterStep(current, step);
  return current[0] ?? INVALID;
}

/**
 * `generate_until` post-processing: the text before the first occurrence of each stop string, in
 * order (the harness's `s.split(term)[0]` for each `until` term). Idempotent, so predictions that
 * were already cut at the stop strings are unchanged.
 */
export function truncateAtStops(output: string, until: readonly string[]): string {
  let s = output;
  for (const term of until) {
    const at = s.indexOf(term);
    if (at >= 0) s = s.slice(0, at);
  }
  return s;
}
