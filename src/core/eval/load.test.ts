import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { blobSource } from '../io/bytes.ts';
import { asyncEvalError as failure } from './testing.ts';
import { dataFormat, gunzip, loadDocs, loadRows } from './load.ts';
import { BBH_TASKS } from './tasks/bbh.ts';
import { gsm8k } from './tasks/gsm8k.ts';
import { sciq } from './tasks/sciq.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const G = { question: 'Tom has 3 apples and buys 4 more. How many?', answer: '3 + 4 = <<3+4=7>>7\n#### 7' };
const S = { question: 'What gas do plants take in?', distractor3: 'neon', distractor1: 'oxygen', distractor2: 'helium', correct_answer: 'carbon dioxide', support: 'Plants use it.', id: 7 };


describe('dataFormat', () => {
  it('routes by extension, case-insensitive', () => {
    expect(dataFormat('main/train-00000-of-00001.parquet')).toEqual({ kind: 'parquet', gzip: false });
    expect(dataFormat('test.JSONL')).toEqual({ kind: 'json', gzip: false });
    expect(dataFormat('snarks.json')).toEqual({ kind: 'json', gzip: false });
    expect(dataFormat('HumanEval.jsonl.gz')).toEqual({ kind: 'json', gzip: true });
    expect(() => dataFormat('data.csv')).toThrow(/data\.csv: unknown data format/);
  });
});

describe('loadDocs', () => {
  it('JSONL and JSON bytes, an ArrayBuffer, a ByteSource; extra columns dropped', async () => {
    const line = `${JSON.stringify(G)}\n`;
    expect(await loadDocs(gsm8k, enc(line + line), 'test.jsonl')).toEqual([G, G]);
    expect(await loadDocs(gsm8k, enc(JSON.stringify([G])).buffer as ArrayBuffer, 'test.json')).toEqual([G]);
    expect(await loadDocs(gsm8k, blobSource(new Blob([line]), 'test.jsonl'), 'test.jsonl')).toEqual([G]);
    const { id: _, ...sciqDoc } = S;
    expect(await loadDocs(sciq, enc(JSON.stringify(S)), 'sciq.jsonl')).toEqual([sciqDoc]);
    expect(await loadDocs(BBH_TASKS[0]!, enc('{"examples":[{"input":"True and False","target":"False"}]}'), 'boolean_expressions.json')).toEqual([
      { input: 'True and False', target: 'False' },
    ]);
  });
  it('.jsonl.gz through DecompressionStream', async () => {
    const rows = [G, { question: 'q2', answer: '#### 2' }];
    const gz = gzipSync(Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')));
    expect(await loadDocs(gsm8k, new Uint8Array(gz), 'test.jsonl.gz')).toEqual(rows);
    expect(new TextDecoder().decode(await gunzip(new Uint8Array(gzipSync(Buffer.alloc(0))), 'e.gz'))).toBe('');
  });
  it('names the file and row of a bad one, and fails on bad gzip and empty data', async () => {
    const bad = await failure(loadDocs(sciq, enc(JSON.stringify({ ...S, correct_answer: null })), 'sciq.jsonl'));
    expect([bad.code, bad.message]).toEqual(['BAD_ROW', 'sciq.jsonl:1: "correct_answer" must be a string']);
    const gz = await failure(loadDocs(gsm8k, enc('not gzip at all'), 'test.jsonl.gz'));
    expect(gz.code).toBe('BAD_GZIP');
    expect(gz.message).toMatch(/^test\.jsonl\.gz: not valid gzip/);
    expect((await failure(loadDocs(gsm8k, enc('\n'), 'e.jsonl'))).code).toBe('EMPTY_DATA');
    expect((await failure(loadDocs(gsm8k, enc('{}'), 'x.txt'))).code).toBe('UNKNOWN_FORMAT');
  });
  it('loadRows keeps rows unchecked for other layouts (humaneval)', async () => {
    const row = { task_id: 'HumanEval/0', prompt: 'def f():\n', canonical_solution: '    return 1\n', test: 'assert f() == 1', entry_point: 'f' };
    const gz = new Uint8Array(gzipSync(Buffer.from(`${JSON.stringify(row)}\n`)));
    expect(await loadRows(gz, 'HumanEval.jsonl.gz')).toEqual([{ value: row, line: 1, where: 'line 1' }]);
  });
});
