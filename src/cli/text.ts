/**
 * Text the CLI prints that may come from files (tensor names, paths, messages quoting them):
 * `printable` (core's, shared with the studio) shows control characters escaped, so that one
 * message is one line and a crafted file cannot drive the terminal (ANSI escapes, carriage returns,
 * bidirectional overrides).
 */
import { printable } from '../core/text/printable.ts';
import type { OnStaleRemoved } from '../node/staging.ts';

export { printable };

/** The note on stderr when a staging leftover of a killed process is removed. */
export const noteStaleRemoved: OnStaleRemoved = (path, pid) => {
  process.stderr.write(`rvs: removed ${printable(path)}, left by process ${pid}, which is no longer running\n`);
};
