// Python `re` → JS translation, checked on the patterns of lm-evaluation-harness's task YAML
// (lm_eval/tasks/gsm8k/gsm8k.yaml, gsm8k-cot.yaml, bbh/cot_fewshot/_cot_fewshot_template_yaml).
// Expected values are what CPython's re.findall / re.sub return for the same inputs.
import { describe, expect, it } from 'vitest';
import { EvalError } from './errors.ts';
import { compilePythonRegex, findall, groupCount, pyStrip, removeAll } from './pyregex.ts';

describe('compilePythonRegex', () => {
  it('compiles every pattern the tasks use (the u flag rejects the raw \\- and \\,)', () => {
    for (const p of ['#### (\\-?[0-9\\.\\,]+)', 'The answer is (\\-?[0-9\\.\\,]+).', '(-?[$0-9.,]{2,})|(-?[0-9]+)', '(?<=the answer is )(.*)(?=.)', ',', '\\$', '(?s).*#### ', '\\.$']) {
      expect(() => compilePythonRegex(p)).not.toThrow();
    }
  });

  it('(?s) lets . cross newlines; without it . stops only at \\n', () => {
    expect(removeAll(compilePythonRegex('(?s).*#### '), 'a\nb #### c\n#### 72')).toBe('72');
    expect(removeAll(compilePythonRegex('.*#### '), 'a\nb #### 72')).toBe('a\n72');
    // Python's . matches \r; JS's does not.
    expect(findall(compilePythonRegex('a.b'), 'a\rb a\nb')).toEqual(['a\rb']);
  });

  it('$ also matches before a final newline, as Python without MULTILINE', () => {
    expect(removeAll(compilePythonRegex('\\.$'), '18.\n')).toBe('18\n');
    expect(removeAll(compilePythonRegex('\\.$'), '18.')).toBe('18');
    expect(removeAll(compilePythonRegex('\\.$'), '1.5.\nx')).toBe('1.5.\nx');
  });

  it('counts groups like Python and returns findall shapes', () => {
    expect(groupCount(compilePythonRegex('(a)|(b)'))).toBe(2);
    expect(findall(compilePythonRegex('(-?[$0-9.,]{2,})|(-?[0-9]+)'), 'x 7 and $1,000.')).toEqual([
      ['', '7'],
      ['$1,000.', ''],
    ]);
    expect(findall(compilePythonRegex('[0-9]+'), 'a1b22')).toEqual(['1', '22']);
  });

  it('treats a { that is no quantifier as a literal and keeps {,n}', () => {
    expect(findall(compilePythonRegex('a{b}'), 'a{b}')).toEqual(['a{b}']);
    expect(findall(compilePythonRegex('x{,2}y'), 'xxy')).toEqual(['xxy']);
  });

  it('rejects escapes whose meaning differs between Python and JS', () => {
    for (const p of ['\\d+', '\\w', '(?x)a', '(?P=n)']) {
      const e = (() => {
        try {
          compilePythonRegex(p);
        } catch (err) {
          return err;
        }
        return null;
      })();
      expect(e).toBeInstanceOf(EvalError);
      expect((e as EvalError).code).toBe('UNSUPPORTED_REGEX');
    }
  });
});

describe('pyStrip', () => {
  it('strips what str.strip() strips (not U+FEFF, but U+001C and U+0085)', () => {
    expect(pyStrip(' \t\n 42 \r\n')).toBe('42');
    expect(pyStrip('\x1c42\x85')).toBe('42');
    expect(pyStrip('\ufeff42')).toBe('\ufeff42');
  });
});
