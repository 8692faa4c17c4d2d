/**
 * A model's output as the Try-it box shows it: whitespace and control characters visible, so that
 * an output of 24 newlines, or of nothing, reads as what it is rather than as an empty box.
 *
 * - a run of line breaks shows `↵` (or `↵×24`) and keeps at most two real breaks;
 * - a tab shows `⇥`; other control characters show escaped (`\x1b`, core's `printable`);
 * - in an output that is only whitespace, spaces show `·`;
 * - `note` says when the output is empty or only whitespace, counting what it holds.
 */
import { printable } from '../core/text/printable.ts';

export interface VisiblePart {
  readonly text: string;
  /** A sign standing for invisible characters (drawn apart from the text). */
  readonly mark: boolean;
}

export interface VisibleText {
  readonly parts: readonly VisiblePart[];
  readonly note: string | null;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function describeWhitespace(text: string): string {
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  const breaks = count(/\r\n|\n|\r/g);
  const spaces = count(/ /g);
  const tabs = count(/\t/g);
  const other = text.length - spaces - tabs - (text.match(/\n|\r/g) ?? []).length;
  const what = [breaks ? plural(breaks, 'line break', 'line breaks') : '', spaces ? plural(spaces, 'space', 'spaces') : '', tabs ? plural(tabs, 'tab', 'tabs') : '', other ? plural(other, 'other blank character', 'other blank characters') : ''];
  return what.filter(Boolean).join(', ');
}

export function visibleText(text: string): VisibleText {
  if (text === '') return { parts: [], note: 'Empty output: the model generated no text (only special tokens, or none).' };
  const blank = text.trim() === '';
  const parts: VisiblePart[] = [];
  const push = (t: string, mark: boolean) => {
    const last = parts[parts.length - 1];
    if (last && last.mark === mark && !mark) parts[parts.length - 1] = { text: last.text + t, mark };
    else parts.push({ text: t, mark });
  };
  const tokens = text.match(/(?:\r\n|\n|\r)+|\t|[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]| |[^\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\t\n\r ]+/g) ?? [];
  for (const t of tokens) {
    if (/^[\r\n]+$/.test(t)) {
      const n = (t.match(/\r\n|\n|\r/g) ?? []).length;
      push(n === 1 ? '↵' : `↵×${n}`, true);
      push(n === 1 ? '\n' : '\n\n', false);
    } else if (t === '\t') push('⇥', true);
    else if (t === ' ') push(blank ? '·' : ' ', blank);
    else if (t.length === 1 && printable(t) !== t) push(printable(t), true);
    else push(t, false);
  }
  return { parts, note: blank ? `Only whitespace: ${describeWhitespace(text)}.` : null };
}
