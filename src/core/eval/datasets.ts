/**
 * Dataset and prediction loaders from text: JSONL (one object a line) or JSON; and the documents'
 * layouts, which read generic rows (from these or from Parquet, see `load.ts`). Every bad row fails
 * with the file and the line (JSONL), entry (JSON) or row (Parquet) named; nothing is skipped.
 */
import { EvalError, located } from './errors.ts';
import type { DocLayout } from './tasks/types.ts';

export interface Gsm8kDoc {
  readonly question: string;
  /** Worked solution ending in "#### <number>". */
  readonly answer: string;
}

export interface BbhDoc {
  readonly input: string;
  readonly target: string;
}

/** `allenai/sciq`: a question, three distractors, the correct answer and a support paragraph. */
export interface SciqDoc {
  readonly question: string;
  readonly distractor1: string;
  readonly distractor2: string;
  readonly distractor3: string;
  readonly correct_answer: string;
  /** May be empty. */
  readonly support: string;
}

export interface Prediction {
  readonly doc_id: number;
  readonly output: string;
  /** 1-based line in the predictions file. */
  readonly line: number;
}

/** UTF-8 bytes → text (a leading BOM dropped); malformed UTF-8 fails. */
export function decodeText(bytes: Uint8Array, file: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new EvalError('BAD_ENCODING', located(file, undefined, 'not valid UTF-8'), file);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** One record of a data file, before it is checked against a layout. */
export interface DataRow {
  readonly value: unknown;
  /** 1-based line (JSONL) or undefined (JSON and Parquet, where `where` names the entry or row). */
  readonly line: number | undefined;
  readonly where: string;
}
type Row = DataRow;

function fail(code: 'BAD_JSON' | 'BAD_ROW' | 'EMPTY_DATA', file: string, line: number | undefined, message: string): EvalError {
  return new EvalError(code, located(file, line, message), file, line);
}

/** The non-blank lines of a JSONL text, parsed. */
export function parseJsonl(text: string, file: string): Row[] {
  const rows: Row[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    try {
      rows.push({ value: JSON.parse(raw), line: i + 1, where: `line ${i + 1}` });
    } catch (e) {
      throw fail('BAD_JSON', file, i + 1, `not JSON (${(e as Error).message})`);
    }
  }
  return rows;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw fail('BAD_JSON', file, undefined, `not JSON (${(e as Error).message})`);
  }
}

/** A JSON array, a JSON `{"examples": [...]}` object, or JSONL: told apart by the first line. */
export function rowsOf(text: string, file: string): Row[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') && looksLikeJsonl(trimmed)) {
    const rows = parseJsonl(text, file);
    const only = rows.length === 1 ? rows[0]!.value : undefined;
    if (!(isObject(only) && 'examples' in only)) return rows;
  } else if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) {
    return parseJsonl(text, file);
  }
  const value = parseJson(text, file);
  if (Array.isArray(value)) return value.map((v, i) => ({ value: v, line: undefined, where: `[${i}]` }));
  if (isObject(value) && Array.isArray(value['examples'])) {
    return (value['examples'] as unknown[]).map((v, i) => ({ value: v, line: undefined, where: `examples[${i}]` }));
  }
  throw fail('BAD_ROW', file, undefined, 'expected JSON lines, a JSON array or an object with an "examples" array');
}

function looksLikeJsonl(text: string): boolean {
  const firstLine = text.trimStart().split('\n', 1)[0]!;
  try {
    JSON.parse(firstLine);
    return true;
  } catch {
    return false;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringFields<K extends string>(row: Row, file: string, keys: readonly K[]): Record<K, string> {
  const prefix = row.line === undefined ? `${row.where}: ` : '';
  if (!isObject(row.value)) throw fail('BAD_ROW', file, row.line, `${prefix}expected an object`);
  const out = {} as Record<K, string>;
  for (const k of keys) {
    const v = row.value[k];
    if (typeof v !== 'string') {
      throw fail('BAD_ROW', file, row.line, `${prefix}"${k}" ${v === undefined ? 'is missing' : 'must be a string'}`);
    }
    out[k] = v;
  }
  return out;
}

function nonEmpty<T>(docs: T[], file: string): T[] {
  if (docs.length === 0) throw fail('EMPTY_DATA', file, undefined, 'no documents');
  return docs;
}

function layout<K extends string>(name: string, columns: readonly K[]): DocLayout<Record<K, string>> {
  return {
    name,
    columns,
    fromRows: (rows, file) => nonEmpty(rows.map((r) => stringFields(r, file, columns)), file),
  };
}

/** `openai/gsm8k` (config "main"): `{"question", "answer"}`. */
export const GSM8K_LAYOUT: DocLayout<Gsm8kDoc> = layout('openai/gsm8k', ['question', 'answer'] as const);

/** BIG-Bench Hard rows `{"input", "target"}`. */
export const BBH_LAYOUT: DocLayout<BbhDoc> = layout('bbh', ['input', 'target'] as const);

/** `allenai/sciq`. */
export const SCIQ_LAYOUT: DocLayout<SciqDoc> = layout('allenai/sciq', [
  'question',
  'distractor1',
  'distractor2',
  'distractor3',
  'correct_answer',
  'support',
] as const);

/** GSM8K rows `{"question", "answer"}` (JSONL as distributed, or a JSON array). */
export function parseGsm8k(text: string, file: string): Gsm8kDoc[] {
  return GSM8K_LAYOUT.fromRows(rowsOf(text, file), file);
}

/** BIG-Bench Hard `{"examples": [{"input", "target"}]}` (or JSONL / an array of such rows). */
export function parseBbh(text: string, file: string): BbhDoc[] {
  return BBH_LAYOUT.fromRows(rowsOf(text, file), file);
}

/** SciQ rows (JSONL or a JSON array, as `allenai/sciq` has them). */
export function parseSciq(text: string, file: string): SciqDoc[] {
  return SCIQ_LAYOUT.fromRows(rowsOf(text, file), file);
}

/** Predictions, one `{"doc_id": N, "output": "..."}` a line; doc_id is the 0-based document position. */
export function parsePredictions(text: string, file: string): Prediction[] {
  const seen = new Map<number, number>();
  return parseJsonl(text, file).map((row) => {
    const v = row.value;
    if (!isObject(v)) throw fail('BAD_ROW', file, row.line, 'expected an object');
    const id = v['doc_id'];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw fail('BAD_ROW', file, row.line, `"doc_id" ${id === undefined ? 'is missing' : 'must be a non-negative integer'}`);
    }
    if (typeof v['output'] !== 'string') {
      throw fail('BAD_ROW', file, row.line, `"output" ${v['output'] === undefined ? 'is missing' : 'must be a string'}`);
    }
    const before = seen.get(id);
    if (before !== undefined) {
      throw new EvalError('DUPLICATE_PREDICTION', located(file, row.line, `doc_id ${id} already predicted on line ${before}`), file, row.line);
    }
    seen.set(id, row.line!);
    return { doc_id: id, output: v['output'], line: row.line! };
  });
}
