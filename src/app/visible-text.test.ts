import { describe, expect, it } from 'vitest';
import { visibleText } from './visible-text.ts';

const flat = (text: string) => visibleText(text).parts.map((p) => (p.mark ? `[${p.text}]` : p.text)).join('');

describe('visibleText', () => {
  it('says when the output is empty', () => {
    expect(visibleText('')).toEqual({ parts: [], note: expect.stringMatching(/^Empty output/) });
  });

  it('shows 24 newlines as one counted mark and says the output is only whitespace', () => {
    const v = visibleText('\n'.repeat(24));
    expect(flat('\n'.repeat(24))).toBe('[↵×24]\n\n');
    expect(v.note).toBe('Only whitespace: 24 line breaks.');
    expect(visibleText(' \n\t ').note).toBe('Only whitespace: 1 line break, 2 spaces, 1 tab.');
    expect(flat('  ')).toBe('[·][·]');
  });

  it('keeps ordinary text as it is, with line breaks marked', () => {
    expect(visibleText('The answer is 42.').note).toBeNull();
    expect(flat('The answer is 42.')).toBe('The answer is 42.');
    expect(flat('a\nb\r\n\r\nc')).toBe('a[↵]\nb[↵×2]\n\nc');
    expect(flat('x\ty')).toBe('x[⇥]y');
  });

  it('escapes control characters instead of passing them to the page', () => {
    expect(flat('\u001b[31mred')).toBe('[\\x1b][31mred');
    expect(flat('a\u202eb')).toBe('a[\\u202e]b');
    // Nothing is lost: marks aside, the text is all there.
    const text = 'q: 3+4?\n\nA: 7\u0007';
    expect(visibleText(text).parts.filter((p) => !p.mark).map((p) => p.text).join('')).toBe('q: 3+4?\n\nA: 7');
  });
});
