/**
 * Text that came from files — tensor names, file and folder names, metadata, messages quoting
 * them — is untrusted: a carriage return splits a one-line message, ANSI escapes (ESC …) drive a
 * terminal, bidirectional overrides reorder what a reader sees. `printable` shows such characters
 * escaped; the CLI's messages and the studio's displays both go through it.
 */

/** C0 controls, DEL, C1 controls, line/paragraph separators and the bidirectional marks, overrides and isolates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_OR_BACKSLASH = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\\]/g;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/** Whether `text` holds a character `printable` would escape. */
export function hasControlCharacters(text: string): boolean {
  return UNSAFE.test(text);
}

/**
 * `text` with its control characters escaped (`\n`, `\r`, `\t`, `\x1b`, `\u202e`). Text without
 * any is returned as it is; in text with some, backslashes are doubled too, so that an escape
 * cannot be confused with a backslash the name really has.
 */
export function printable(text: string): string {
  if (!hasControlCharacters(text)) return text;
  return text.replace(UNSAFE_OR_BACKSLASH, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
