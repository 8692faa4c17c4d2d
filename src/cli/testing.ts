/** Test helper: runs the real `node bin/rvs.mjs …` and collects its exit code and output. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RvsResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function rvs(...args: string[]): Promise<RvsResult> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/rvs.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
