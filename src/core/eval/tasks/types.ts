/**
 * A generation task as data, after lm-evaluation-harness's task YAML: prompt template as typed
 * functions, few-shot layout, stop strings, filter pipelines and the metric.
 */
import type { FilterPipeline } from '../filters.ts';
import type { ExactMatchOptions } from '../metrics.ts';

/**
 * Where the few-shot examples come from:
 *   - `train-split`: the caller's training documents (`FewshotMaterial.docs`), the first `numFewshot`;
 *   - `fixed`: `fixedShots`, written in the task (the harness's `fewshot_config.samples`);
 *   - `cot-prompt`: a BBH cot-prompts text (`FewshotMaterial.text`): description, then exemplars.
 */
export type FewshotKind = 'train-split' | 'fixed' | 'cot-prompt';

export type FewshotMaterial<D> = { readonly docs: readonly D[] } | { readonly text: string };

export interface GenerateTask<D> {
  /** The harness's task name. */
  readonly id: string;
  /** Group this task's scores aggregate into (size-weighted), if any. */
  readonly group?: string;
  /** The harness's `metadata.version` of the definition this follows. */
  readonly version: string;
  /** The harness file this definition follows. */
  readonly source: string;
  /** Reads the task's documents from a data file's text. */
  parseDocs(text: string, file: string): D[];
  docToText(doc: D): string;
  docToTarget(doc: D): string;
  readonly description: string;
  readonly targetDelimiter: string;
  readonly fewshotDelimiter: string;
  readonly numFewshot: number;
  readonly fewshot: FewshotKind;
  readonly fixedShots?: readonly D[];
  /** `generation_kwargs.until`. */
  readonly until: readonly string[];
  readonly filters: readonly FilterPipeline[];
  readonly metric: { readonly name: 'exact_match'; readonly options: ExactMatchOptions };
}
