import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasControlCharacters, printable } from './printable.ts';

describe('printable', () => {
  it('leaves ordinary text as it is, backslashes and non-Latin letters included', () => {
    for (const s of ['model.layers.0.mlp.up_proj.weight', 'C:\\models\\qwen', 'Qwen2.5 · α −1', '数学']) expect(printable(s)).toBe(s);
  });

  it('escapes line breaks, tabs, ESC, DEL, C1 and bidirectional controls', () => {
    expect(printable('a\rb\nc\td')).toBe('a\\rb\\nc\\td');
    expect(printable('\u001b[31mred\u001b[0m')).toBe('\\x1b[31mred\\x1b[0m');
    expect(printable('x\u007fy\u0085z')).toBe('x\\x7fy\\x85z');
    expect(printable('evil\u202etxt.exe')).toBe('evil\\u202etxt.exe');
    expect(printable('a\u2028b')).toBe('a\\u2028b');
    // With something to escape, a real backslash is doubled: "\\n" (two characters) stays apart from a newline.
    expect(printable('a\\n\n')).toBe('a\\\\n\\n');
  });

  it('gives one line with no control characters, for any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const p = printable(s);
        expect(hasControlCharacters(p)).toBe(false);
        expect(p.includes('\n') || p.includes('\r')).toBe(false);
      }),
    );
  });

  it('is reversible where it escaped (property): unescaping gives the text back', () => {
    const unescape = (p: string) =>
      p.replace(/\\(n|r|t|\\|x[0-9a-f]{2}|u[0-9a-f]{4})/g, (_, e: string) =>
        e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === '\\' ? '\\' : String.fromCharCode(parseInt(e.slice(1), 16)),
      );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        if (hasControlCharacters(s)) expect(unescape(printable(s))).toBe(s);
      }),
    );
  });
});
