import { describe, expect, it } from 'vitest';
import { decodeText, parseBbh, parseGsm8k, parsePredictions, parseSciq, SCIQ_LAYOUT } from './datasets.ts';
import { evalError as failure } from './testing.ts';


describe('loaders', () => {
  it('read GSM8K JSONL and JSON arrays, and BBH {"examples": [...]}', () => {
    const row = { question: 'q?', answer: 'a\n#### 1' };
    expect(parseGsm8k(`${JSON.stringify(row)}\n\n${JSON.stringify(row)}\r\n`, 'g.jsonl')).toEqual([row, row]);
    expect(parseGsm8k(JSON.stringify([row]), 'g.json')).toEqual([row]);
    const bbh = { canary: 'x', examples: [{ input: 'i', target: '(A)' }] };
    expect(parseBbh(JSON.stringify(bbh), 'b.json')).toEqual([{ input: 'i', target: '(A)' }]);
    expect(parseBbh(JSON.stringify(bbh, null, 2), 'b.json')).toEqual([{ input: 'i', target: '(A)' }]);
  });

  it('name the file and line of a bad row', () => {
    const e = failure(() => parseGsm8k('{"question":"q","answer":"a"}\n{"question":"q"}\n', 'train.jsonl'));
    expect([e.code, e.message]).toEqual(['BAD_ROW', 'train.jsonl:2: "answer" is missing']);
    expect(failure(() => parseGsm8k('{"question":"q","answer":"a"}\n{oops\n', 'd.jsonl')).message).toMatch(/^d\.jsonl:2: not JSON/);
    expect(failure(() => parseBbh('{"examples":[{"input":"i","target":3}]}', 'b.json')).message).toBe('b.json: examples[0]: "target" must be a string');
    expect(failure(() => parseGsm8k('\n', 'e.jsonl')).code).toBe('EMPTY_DATA');
    expect(failure(() => decodeText(new Uint8Array([0xff, 0xfe, 0x00]), 'x.jsonl')).code).toBe('BAD_ENCODING');
  });

  it('read SciQ rows; a bad Parquet-style row is named by its position', () => {
    const row = { question: 'q?', distractor1: 'a', distractor2: 'b', distractor3: 'c', correct_answer: 'd', support: '' };
    expect(parseSciq(JSON.stringify([row]), 's.json')).toEqual([row]);
    expect(failure(() => parseSciq(JSON.stringify({ ...row, support: undefined }), 's.jsonl')).message).toBe('s.jsonl:1: "support" is missing');
    const rows = [
      { value: row, line: undefined, where: 'row 0' },
      { value: { ...row, distractor2: null }, line: undefined, where: 'row 1' },
    ];
    expect(failure(() => SCIQ_LAYOUT.fromRows(rows, 'test.parquet')).message).toBe('test.parquet: row 1: "distractor2" must be a string');
  });

  it('read predictions and reject bad ids and duplicates', () => {
    expect(parsePredictions('{"doc_id":1,"output":"b"}\n{"doc_id":0,"output":"a"}\n', 'p.jsonl')).toEqual([
      { doc_id: 1, output: 'b', line: 1 },
      { doc_id: 0, output: 'a', line: 2 },
    ]);
    expect(failure(() => parsePredictions('{"doc_id":-1,"output":"a"}', 'p.jsonl')).message).toBe('p.jsonl:1: "doc_id" must be a non-negative integer');
    expect(failure(() => parsePredictions('{"doc_id":0}', 'p.jsonl')).message).toBe('p.jsonl:1: "output" is missing');
    const dup = failure(() => parsePredictions('{"doc_id":0,"output":"a"}\n{"doc_id":0,"output":"b"}', 'p.jsonl'));
    expect([dup.code, dup.message]).toEqual(['DUPLICATE_PREDICTION', 'p.jsonl:2: doc_id 0 already predicted on line 1']);
  });
});
