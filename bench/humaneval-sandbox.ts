/**
 * `npm run test:humaneval [-- --data HumanEval.jsonl.gz] [--runs N]`
 *
 * The sandbox against the real HumanEval: writes two prediction files — each problem's canonical
 * solution, and each problem with a `pass` body — and scores both with the CLI, as a user would:
 *
 *   rvs score --task humaneval --data HumanEval.jsonl.gz --predictions P --out report.json
 *
 * Checks that every canonical solution passes and every `pass` body fails, and prints the wall time
 * of each `rvs score` (the whole command: start-up, the snapshot, 164 fresh interpreters, the report)
 * and the CPU seconds it and its sandbox children used, with the machine's core count and load
 * average (on a shared machine, CPU seconds ÷ cores is what the wall time would be if idle). The data file defaults to $RVS_HUMANEVAL, else
 * /work/shared/datasets/humaneval/HumanEval.jsonl.gz.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: process.env['RVS_HUMANEVAL'] ?? '/work/shared/datasets/humaneval/HumanEval.jsonl.gz' },
    runs: { type: 'string', default: '1' },
  },
});
const data = resolve(values.data!);
const root = resolve(import.meta.dirname, '..');

interface Problem {
  readonly task_id: string;
  readonly prompt: string;
  readonly canonical_solution: string;
}

const raw = readFileSync(data);
const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
const problems = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Problem);

/** CPU seconds (user + system) of this process's waited-for descendants: rvs and its sandbox children (Linux). */
function childrenCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

function rvs(args: string[]): Promise<{ code: number | null; stderr: string; seconds: number; cpuSeconds: number }> {
  const t0 = performance.now();
  const cpu0 = childrenCpuSeconds();
  const child = spawn(process.execPath, [join(root, 'bin/rvs.mjs'), ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done({ code, stderr, seconds: (performance.now() - t0) / 1000, cpuSeconds: childrenCpuSeconds() - cpu0 }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'rvs-humaneval-'));
let failures = 0;
try {
  const sets = {
    canonical: { output: (p: Problem) => p.canonical_solution, expect: 1 },
    pass: { output: () => '    pass\n', expect: 0 },
  };
  await rvs(['--help']); // the CLI's bundle is built outside the timing
  console.log(`${problems.length} problems from ${data}; ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (let run = 1; run <= Number(values.runs); run++) {
    for (const [name, set] of Object.entries(sets)) {
      const predictions = join(dir, `${name}.jsonl`);
      const out = join(dir, `${name}.json`);
      writeFileSync(predictions, problems.map((p, i) => JSON.stringify({ doc_id: i, output: set.output(p) })).join('\n') + '\n');
      const r = await rvs(['score', '--task', 'humaneval', '--data', data, '--predictions', predictions, '--out', out]);
      if (r.code !== 0) throw new Error(`rvs score (${name}) exited with ${r.code}: ${r.stderr}`);
      const report = JSON.parse(readFileSync(out, 'utf8')) as { runs: { samples: { doc_id: number; scores: Record<string, number>; result: string }[] }[] };
      const samples = report.runs[0]!.samples;
      const wrong = samples.filter((s) => s.scores['pass@1,create_test'] !== set.expect);
      failures += wrong.length;
      const passed = samples.filter((s) => s.scores['pass@1,create_test'] === 1).length;
      console.log(`run ${run} ${name.padEnd(9)} ${passed}/${samples.length} passed (expected ${set.expect ? samples.length : 0}) in ${r.seconds.toFixed(1)} s wall, ${r.cpuSeconds.toFixed(1)} CPU-s; load average now ${loadavg()[0]!.toFixed(2)}`);
      for (const s of wrong.slice(0, 10)) console.log(`  ${problems[s.doc_id]!.task_id}: ${s.result}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (failures > 0) {
  console.error(`${failures} verdicts differ from the expected ones`);
  process.exit(1);
}
