/**
 * HumanEval, after lm-evaluation-harness `lm_eval/tasks/humaneval/humaneval.yaml` (metadata.version
 * 1.0: greedy, pass@1, `create_test` filter) and its `utils.py`, which score with Hugging Face
 * `evaluate`'s `code_eval` (human-eval's `check_correctness`, 3 s per program by default).
 *
 *   prompt ─► model ─► cut at `until` ─► completion
 *   program = prompt + completion + "\n" + test + "\n" + "check(" + entry_point + ")"
 *   pass@1 = share of programs that run to the end
 */
import { decodeText, parseJsonl } from './datasets.ts';
import { EvalError, located } from './errors.ts';
import { truncateAtStops } from './filters.ts';
import { gunzip } from './load.ts';

/** One row of `openai/openai_humaneval` (HumanEval.jsonl.gz). */
export interface HumanEvalProblem {
  readonly task_id: string;
  /** Imports, signature and docstring: the model continues it. */
  readonly prompt: string;
  readonly canonical_solution: string;
  /** Defines `check(candidate)`. */
  readonly test: string;
  /** Name of the function under test. */
  readonly entry_point: string;
}

/** The task as the harness defines it. */
export const HUMANEVAL = {
  id: 'humaneval',
  version: '1.0',
  source: 'lm_eval/tasks/humaneval/humaneval.yaml',
  /** `doc_to_text: "{{prompt}}"`, zero-shot. */
  docToText: (problem: HumanEvalProblem): string => problem.prompt,
  /** `generation_kwargs.until`. */
  until: ['\nclass', '\ndef', '\n#', '\nif', '\nprint'] as readonly string[],
  maxGenToks: 1024,
  /** The filter's name in the harness's metric key `pass@1,create_test`. */
  filter: 'create_test',
  metric: 'pass@1',
  /** `code_eval`'s default per-program limit, in milliseconds. */
  timeoutMs: 3000,
} as const;

/** A generation cut the way `generate_until` cuts it (before the first of each stop string). */
export function humanevalCompletion(generated: string): string {
  return truncateAtStops(generated, HUMANEVAL.until);
}

/**
 * The program pass@1 executes: utils.build_predictions makes `prompt + completion`, the target is
 * `test + "\ncheck(" + entry_point + ")"`, and code_eval joins the two with "\n" (the same string
 * human-eval's check_correctness builds).
 */
export function humanevalProgram(problem: HumanEvalProblem, completion: string): string {
  return `${problem.prompt}${completion}\n${problem.test}\ncheck(${problem.entry_point})`;
}

const FIELDS = ['task_id', 'prompt', 'canonical_solution', 'test', 'entry_point'] as const;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A record of a data file (datasets.ts's rows: a JSONL line, a JSON entry, a Parquet row). */
export interface HumanEvalRow {
  readonly value: unknown;
  /** 1-based line (JSONL), or undefined where `where` names the entry. */
  readonly line: number | undefined;
  readonly where: string;
}

function badRow(file: string, row: HumanEvalRow, message: string): EvalError {
  const text = row.line === undefined ? `${row.where}: ${message}` : message;
  return new EvalError('BAD_ROW', located(file, row.line, text), file, row.line);
}

/** Problems from rows: the five fields strings, task ids unique, entry points Python identifiers. */
export function humanevalFromRows(rows: readonly HumanEvalRow[], file: string): HumanEvalProblem[] {
  const seen = new Map<string, string>();
  const problems = rows.map((row) => {
    const { value } = row;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRow(file, row, 'expected an object');
    const record = value as Record<string, unknown>;
    for (const key of FIELDS) {
      if (typeof record[key] !== 'string') {
        throw badRow(file, row, `"${key}" ${record[key] === undefined ? 'is missing' : 'must be a string'}`);
      }
    }
    const problem = Object.fromEntries(FIELDS.map((k) => [k, record[k]])) as unknown as HumanEvalProblem;
    if (!IDENTIFIER.test(problem.entry_point)) {
      throw badRow(file, row, `"entry_point" must be a Python identifier, not ${JSON.stringify(problem.entry_point)}`);
    }
    const before = seen.get(problem.task_id);
    if (before !== undefined) throw badRow(file, row, `task_id ${JSON.stringify(problem.task_id)} already on ${before}`);
    seen.set(problem.task_id, row.where);
    return problem;
  });
  if (problems.length === 0) throw new EvalError('EMPTY_DATA', located(file, undefined, 'no problems'), file);
  return problems;
}

/** HumanEval JSONL text, one problem a line. */
export function parseHumanEval(text: string, file: string): HumanEvalProblem[] {
  return humanevalFromRows(parseJsonl(text, file), file);
}

/** HumanEval from a file's bytes: `.jsonl`, or gzip-compressed (`.jsonl.gz`, told by its magic bytes). */
export async function loadHumanEval(bytes: Uint8Array, file: string): Promise<HumanEvalProblem[]> {
  const raw = isGzip(bytes) ? await gunzip(bytes, file) : bytes;
  return parseHumanEval(decodeText(raw, file), file);
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}
