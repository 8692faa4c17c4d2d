// The sandbox's attack corpus (src/core/eval/sandbox/attacks.ts) through `rvs score --task
// humaneval`, as a user would run it: every attack fails or times out, the correct and wrong
// controls after each get their right verdicts, no marker file appears on the host, the listener
// on 127.0.0.1 sees no connection, and the rvs process itself stays small (its peak RSS, read from
// /proc while it runs).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackItems } from '../core/eval/sandbox/attacks.ts';
import { HUMANEVAL } from '../core/eval/humaneval.ts';
import { truncateAtStops } from '../core/eval/filters.ts';
import { ROOT } from './testing.ts';

let dir: string;
let markerDir: string;
let secretFile: string;
let server: Server;
let port: number;
let connections = 0;
const sockets = new Set<import('node:net').Socket>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rvs-attacks-'));
  markerDir = join(dir, 'markers');
  secretFile = join(dir, 'secret.txt');
  writeFileSync(secretFile, 'host secret');
  await import('node:fs').then((fs) => fs.mkdirSync(markerDir));
  server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.end('HTTP/1.0 200 OK\r\n\r\nreached');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `node bin/rvs.mjs …`, sampling its peak RSS (VmHWM) from /proc until it exits. */
function rvsWithPeak(args: string[]): Promise<{ code: number | null; stderr: string; peakKiB: number }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/rvs.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let peakKiB = 0;
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const sample = () => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
    } catch {
      // exited between two samples
    }
  };
  const timer = setInterval(sample, 100);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, stderr, peakKiB });
    });
  });
}

describe('the attack corpus through rvs score --task humaneval', () => {
  it('every attack fails, every control gets its verdict, nothing reaches the host', async () => {
    const { problems, completions, attacks } = attackItems({ markerDir, secretFile, port });
    for (const c of completions) expect(truncateAtStops(c, HUMANEVAL.until)).toBe(c); // rvs score runs them whole
    const data = join(dir, 'attacks.jsonl');
    const predictions = join(dir, 'predictions.jsonl');
    const out = join(dir, 'report.json');
    writeFileSync(data, problems.map((p) => JSON.stringify(p)).join('\n') + '\n');
    writeFileSync(predictions, completions.map((output, doc_id) => JSON.stringify({ doc_id, output })).join('\n') + '\n');

    const run = await rvsWithPeak(['score', '--task', 'humaneval', '--data', data, '--predictions', predictions, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { runs: { samples: { doc_id: number; scores: Record<string, number>; result: string }[] }[] };
    const samples = report.runs[0]!.samples;
    expect(samples).toHaveLength(attacks.length * 3);
    const verdicts = attacks.map((attack, i) => {
      const [hit, right, wrong] = [0, 1, 2].map((k) => samples[i * 3 + k]!);
      return { name: `${attack.category}: ${attack.name}`, attack: hit!.result, right: right!.result, wrong: wrong!.result.split(':')[0] };
    });
    for (const [i, v] of verdicts.entries()) {
      expect(v.attack, v.name).not.toBe('passed');
      if (attacks[i]!.expect) expect(v.attack, v.name).toMatch(attacks[i]!.expect!);
      expect(v.right, v.name).toBe('passed');
      expect(v.wrong, v.name).toBe('failed');
    }
    // The Python-level blocks answer first where they exist: these fail as errors in the program.
    const byName = new Map(verdicts.map((v) => [v.name, v.attack]));
    console.log(verdicts.map((v) => `${v.name}: ${v.attack}`.slice(0, 200)).join('\n'));
    for (const name of ['os.system', 'os.popen', 'subprocess', 'subprocess.Popen', 'os.execv', 'pty.spawn']) {
      expect(byName.get(`host commands: ${name}`), name).toMatch(/^failed: PermissionError: .* is disabled in the sandbox/);
    }
    // With the Python layer bypassed (ctypes), Emscripten's system() meets the permission model.
    expect(byName.get('host commands: libc system() through ctypes, import blocker removed')).toMatch(/^error: the interpreter died: .*(Access to this API has been restricted|ERR_ACCESS_DENIED)/);
    expect(byName.get('host files: open')).toMatch(/^failed: FileNotFoundError/);

    expect(readdirSync(markerDir)).toEqual([]);
    await new Promise((r) => setTimeout(r, 300)); // a connection in flight would land by now
    expect(connections).toBe(0);
    expect(run.peakKiB).toBeGreaterThan(0);
    expect(run.peakKiB).toBeLessThan(1024 * 1024); // the rvs process: under 1 GiB while a program asked for unbounded memory
  }, 600_000);

  it('the listener counts connections (the check above can fail)', async () => {
    const before = connections;
    await new Promise<void>((resolve, reject) => {
      import('node:net').then(({ connect }) => connect(port, '127.0.0.1').on('connect', resolve).on('error', reject));
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(connections).toBe(before + 1);
  });
});
