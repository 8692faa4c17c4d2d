/**
 * Python `re` patterns → JavaScript RegExp, for the constructs lm-evaluation-harness task files use.
 *
 * Python and JavaScript agree on most syntax; the differences that change results are handled:
 *   - a leading inline flag group `(?s)`, `(?i)`, `(?m)` becomes the corresponding behaviour;
 *   - `.` without DOTALL excludes only "\n" in Python (JS also excludes "\r", U+2028, U+2029);
 *   - `$` without MULTILINE also matches before a final "\n" in Python;
 *   - `^`/`$` with MULTILINE break only at "\n" in Python;
 *   - identity escapes of punctuation (`\-`, `\,`) that the JS `u` flag rejects;
 *   - a `{` that is not a quantifier is a literal in Python;
 *   - `(?P<name>…)` named groups.
 * Escapes whose meaning differs (`\d`, `\w`, `\s`, `\b` are Unicode-aware in Python `str` patterns)
 * and constructs JS lacks are rejected with UNSUPPORTED_REGEX rather than translated approximately.
 */
import { EvalError } from './errors.ts';

const SYNTAX = new Set('^$\\.*+?()[]{}|/');
const CONTROL_ESCAPES = new Set('ntrfv');
const END = '(?![\\s\\S])';
const START = '(?<![\\s\\S])';

function unsupported(pattern: string, what: string): EvalError {
  return new EvalError('UNSUPPORTED_REGEX', `regex ${JSON.stringify(pattern)}: ${what} is not supported`);
}

/** A global, Unicode JS RegExp that matches what `re.compile(pattern)` matches. */
export function compilePythonRegex(pattern: string): RegExp {
  let rest = pattern;
  let dotAll = false;
  let multiline = false;
  let ignoreCase = false;
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(rest);
  if (inline) {
    for (const f of inline[1]!) {
      if (f === 's') dotAll = true;
      else if (f === 'm') multiline = true;
      else if (f === 'i') ignoreCase = true;
      else throw unsupported(pattern, `inline flag "${f}"`);
    }
    rest = rest.slice(inline[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '\\') {
      const n = rest[i + 1];
      if (n === undefined) throw unsupported(pattern, 'a trailing backslash');
      i++;
      if (/[0-9A-Za-z]/.test(n)) {
        if (CONTROL_ESCAPES.has(n) || (/[1-9]/.test(n) && !inClass)) out += `\\${n}`;
        else throw unsupported(pattern, `the escape \\${n}`);
      } else if (SYNTAX.has(n) || (n === '-' && inClass)) out += `\\${n}`;
      else out += n;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    switch (c) {
      case '[': {
        inClass = true;
        out += '[';
        if (rest[i + 1] === '^') out += rest[++i];
        if (rest[i + 1] === ']') {
          out += '\\]'; // Python: a "]" first in a class is a literal
          i++;
        }
        break;
      }
      case '.':
        out += dotAll ? '[\\s\\S]' : '[^\\n]';
        break;
      case '$':
        out += multiline ? `(?=\\n|${END})` : `(?=\\n?${END})`;
        break;
      case '^':
        out += multiline ? `(?:${START}|(?<=\\n))` : START;
        break;
      case '{': {
        const q = /^\{(\d*)(,?)(\d*)\}/.exec(rest.slice(i));
        if (q && (q[1] !== '' || (q[2] === ',' && q[3] !== ''))) {
          out += `{${q[1] === '' ? '0' : q[1]}${q[2]}${q[3]}}`;
          i += q[0].length - 1;
        } else out += '\\{';
        break;
      }
      case '}':
        out += '\\}';
        break;
      case '(': {
        const head = rest.slice(i, i + 4);
        if (head.startsWith('(?P<')) {
          out += '(?<';
          i += 3;
        } else if (head.startsWith('(?P') || head.startsWith('(?#') || head.startsWith('(?(') || /^\(\?[a-zA-Z-]/.test(head)) {
          throw unsupported(pattern, `the group ${head}…`);
        } else out += '(';
        break;
      }
      default:
        out += c;
    }
  }
  try {
    return new RegExp(out, `gu${ignoreCase ? 'i' : ''}`);
  } catch (e) {
    throw unsupported(pattern, `its translation (${(e as Error).message})`);
  }
}

/** Capture groups in `re`. */
export function groupCount(re: RegExp): number {
  return new RegExp(`${re.source}|`, re.flags.replace('g', '')).exec('')!.length - 1;
}

/**
 * Python's `re.findall`: the whole match when there are no groups, the group when there is one
 * (`''` if it did not take part), a tuple of all groups (`''` for absent ones) when there are more.
 */
export function findall(re: RegExp, text: string): Array<string | string[]> {
  const groups = groupCount(re);
  const found: Array<string | string[]> = [];
  for (const m of text.matchAll(re)) {
    if (groups === 0) found.push(m[0]);
    else if (groups === 1) found.push(m[1] ?? '');
    else found.push(m.slice(1).map((g) => g ?? ''));
  }
  return found;
}

/** Python's `re.sub(pattern, "", text)`: every match removed. */
export function removeAll(re: RegExp, text: string): string {
  return text.replace(re, '');
}

/** Characters for which Python's `str.isspace()` is true (what `str.strip()` removes). */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/** Python's `str.strip()` (JS `trim()` differs: it strips U+FEFF and keeps U+001C–U+001F, U+0085). */
export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

const PY_RSTRIP = new RegExp(`[${PY_SPACE}]+$`);

/** Python's `str.rstrip()`. */
export function pyRstrip(s: string): string {
  return s.replace(PY_RSTRIP, '');
}
