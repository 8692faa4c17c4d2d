/**
 * Text the CLI prints that may come from files (tensor names, paths, messages quoting them):
 * `printable` shows control characters escaped, so that one message is one line and a crafted file
 * cannot drive the terminal (ANSI escapes, carriage returns, bidirectional overrides).
 */
import type { OnStaleRemoved } from '../node/staging.ts';

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/**
 * `text` with control characters shown escaped: C0 (CR, LF, ESC, …), DEL, C1, and the Unicode
 * line/paragraph separators and bidirectional overrides, which could rewrite what a terminal shows.
 * A backslash is doubled only when the text has something to escape (so that plain paths stay as
 * they are, and escaped text stays unambiguous).
 */
export function printable(text: string): string {
  const unsafe = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  if (!unsafe.test(text)) return text;
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\\]/g, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const hex = c.charCodeAt(0).toString(16);
    return c.charCodeAt(0) <= 0xff ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
  });
}

/** The note on stderr when a staging leftover of a killed process is removed. */
export const noteStaleRemoved: OnStaleRemoved = (path, pid) => {
  process.stderr.write(`rvs: removed ${printable(path)}, left by process ${pid}, which is no longer running\n`);
};
