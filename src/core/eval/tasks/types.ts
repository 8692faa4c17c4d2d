/**
 * An evaluation task as data, after lm-evaluation-harness's task YAML: where the documents live,
 * the prompt template as typed functions, the few-shot layout, and either generation settings
 * (stop strings, filter pipelines, the metric) or multiple-choice settings (choices, gold index).
 * A task is one or the other: the union `Task<D>`, told apart by `kind` (the harness's
 * `output_type`).
 */
import type { DataRow } from '../datasets.ts';
import type { FilterPipeline } from '../filters.ts';
import type { ExactMatchOptions } from '../metrics.ts';

/**
 * Where the few-shot examples come from:
 *   - `train-split`: the caller's few-shot-split documents (`FewshotMaterial.docs`), drawn as the
 *     harness's default sampler does (`random.Random(1234).sample`, one draw per evaluated
 *     document, in evaluation order: see `fewshot.ts`);
 *   - `fixed`: `fixedShots`, written in the task, the first `numFewshot` of them (the harness's
 *     `fewshot_config.samples` with sampler `first_n`);
 *   - `cot-prompt`: a BBH cot-prompts text (`FewshotMaterial.text`): description, then exemplars,
 *     the first `numFewshot` of them.
 */
export type FewshotKind = 'train-split' | 'fixed' | 'cot-prompt';

export type FewshotMaterial<D> = { readonly docs: readonly D[] } | { readonly text: string };

/** The harness's `dataset_path`, `dataset_name` and splits. */
export interface TaskDataset {
  /** Hugging Face Hub dataset repository (`dataset_path`). */
  readonly repo: string;
  /** `dataset_name`; null where the YAML has none (the Hub's parquet listing calls that config "default"). */
  readonly config: string | null;
  /** The split evaluated (`test_split`). */
  readonly evalSplit: string;
  /** Where few-shot documents come from (`fewshot_split`, else `training_split`); null: none. */
  readonly fewshotSplit: string | null;
}

/**
 * How a task's documents are read from generic rows (a JSONL line, a JSON entry, a Parquet row):
 * the columns it needs and a checked conversion that names the file and row of a bad one.
 */
export interface DocLayout<D> {
  /** The Hugging Face layout these columns follow, e.g. "openai/gsm8k". */
  readonly name: string;
  /** The columns read; a Parquet read fetches only these. */
  readonly columns: readonly string[];
  fromRows(rows: readonly DataRow[], file: string): D[];
}

interface TaskBase<D> {
  /** The harness's task name. */
  readonly id: string;
  /** Group this task's scores aggregate into (size-weighted), if any. */
  readonly group?: string;
  /** The harness's `metadata.version` of the definition this follows. */
  readonly version: string;
  /** The harness file this definition follows. */
  readonly source: string;
  readonly dataset?: TaskDataset;
  readonly layout: DocLayout<D>;
  /** Reads the task's documents from a JSONL / JSON text (see `load.ts` for bytes and Parquet). */
  parseDocs(text: string, file: string): D[];
  docToText(doc: D): string;
  /** The target text of a few-shot example (multiple choice: the gold choice). */
  docToTarget(doc: D): string;
  readonly description: string;
  readonly targetDelimiter: string;
  readonly fewshotDelimiter: string;
  /** `num_fewshot`; a run may override it. */
  readonly numFewshot: number;
  readonly fewshot: FewshotKind;
  readonly fixedShots?: readonly D[];
}

/** `output_type: generate_until`. */
export interface GenerateTask<D> extends TaskBase<D> {
  readonly kind: 'generate';
  /** `generation_kwargs.until`. */
  readonly until: readonly string[];
  /** `generation_kwargs.max_gen_toks`, else the harness's default of 256. */
  readonly maxGenToks: number;
  readonly filters: readonly FilterPipeline[];
  readonly metric: { readonly name: 'exact_match'; readonly options: ExactMatchOptions };
}

export type ChoiceMetric = 'acc' | 'acc_norm';

/** `output_type: multiple_choice`: one log-likelihood per choice, scored by `scoreMultipleChoice`. */
export interface MultipleChoiceTask<D> extends TaskBase<D> {
  readonly kind: 'multiple_choice';
  /** `doc_to_choice`. */
  docToChoices(doc: D): readonly string[];
  /** `doc_to_target` as an index into the choices. */
  docToGold(doc: D): number;
  readonly metrics: readonly ChoiceMetric[];
}

/**
 * Generation scored by running code (HumanEval): the completion, cut at `until`, is put into a
 * program with the task's tests and run in a sandbox; `pass@1` is the share that run to the end.
 */
export interface CodeTask<D> extends TaskBase<D> {
  readonly kind: 'code';
  readonly until: readonly string[];
  readonly maxGenToks: number;
  /** The program a completion is judged by. */
  program(doc: D, completion: string): string;
  /** Time limit per program, milliseconds. */
  readonly timeoutMs: number;
  /** The harness's metric key, e.g. `pass@1,create_test`. */
  readonly metricKey: string;
}

export type Task<D> = GenerateTask<D> | MultipleChoiceTask<D> | CodeTask<D>;
