import { describe, expect, it } from 'vitest';
import type { Report, ReportRun } from '../../core/report/schema.ts';
import { alphaDecimals, alphaTicks, bestAlphas, CSV_HEADER, formatAlphaAt, reportStatus, scoreRows, scoresCsv } from './scores.ts';

const EM = 'exact_match,strict-match';
const metric = (value: number, stderr: number | null, n: number) => ({ [EM]: { value, stderr, n } });
const run = (alpha: number, task: string, metrics: ReportRun['metrics'], samples = 0): ReportRun => ({
  alpha,
  task,
  config: {},
  metrics,
  samples: Array.from({ length: samples }, (_, i) => ({ doc_id: i, prompt: null, output: '', target: '', filtered: { 'strict-match': '' }, scores: { [EM]: i % 2 } })),
});
const report = (runs: ReportRun[], extra: Record<string, unknown> = {}): Report =>
  ({ schema: 'rvs-report/1', status: 'complete', createdAt: '2026-01-01T00:00:00Z', app: { name: 't', version: '1' }, environment: { backend: 'b' }, checkpoints: {}, recipe: null, runs, timings: {}, ...extra }) as Report;

/** A minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF), independent of the writer. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return rows;
}

describe('scores', () => {
  const r = report([
    run(0, 'gsm8k', metric(0.25, 0.0625, 48)),
    run(0.5, 'gsm8k', metric(0.3125, 0.0669, 48)),
    run(1, 'gsm8k', metric(0.1, 0.04330127018922193, 48)),
    run(0, 'sciq', { 'acc,none': { value: 2 / 3, stderr: 0.3333333333333333, n: 3 } }),
    run(1, 'sciq', { 'acc,none': { value: 1 / 3, stderr: 0.3333333333333333, n: 3 } }),
  ]);

  it('rows carry every number of the report and the Δ from α = 0', () => {
    const rows = scoreRows([{ name: 'a', report: r }]);
    expect(rows.map((x) => [x.task, x.alpha, x.value, x.stderr, x.n])).toEqual([
      ['gsm8k', 0, 0.25, 0.0625, 48],
      ['gsm8k', 0.5, 0.3125, 0.0669, 48],
      ['gsm8k', 1, 0.1, 0.04330127018922193, 48],
      ['sciq', 0, 2 / 3, 0.3333333333333333, 3],
      ['sciq', 1, 1 / 3, 0.3333333333333333, 3],
    ]);
    expect(rows.map((x) => x.delta)).toEqual([0, 0.3125 - 0.25, 0.1 - 0.25, 0, 1 / 3 - 2 / 3]);
    // Without a run at α = 0 there is no Δ.
    expect(scoreRows([{ name: 'b', report: report([run(1, 'gsm8k', metric(0.5, 0.1, 4))]) }])[0]!.delta).toBeNull();
  });

  it('CSV holds the numbers exactly as the report does, and text safely', () => {
    const other = report([run(0, 'gsm8k', metric(0.5, null, 1))]);
    const csv = scoresCsv(scoreRows([{ name: 'main, "v2"', report: r }, { name: '=HYPERLINK("x")', report: other }]));
    const rows = readCsv(csv);
    expect(rows[0]).toEqual([...CSV_HEADER]);
    expect(rows).toHaveLength(1 + 5 + 1);
    for (const [i, run] of r.runs.entries()) {
      const line = rows[1 + i]!;
      const m = Object.values(run.metrics)[0]!;
      expect(line[0]).toBe('main, "v2"');
      expect(line[1]).toBe(run.task);
      expect([Number(line[3]), Number(line[4]), Number(line[5]), Number(line[6])]).toEqual([run.alpha, m.value, m.stderr, m.n]);
      expect(line[7]).toBe('false');
    }
    // A formula-like name is defused; a missing stderr is empty.
    expect(rows[6]!.slice(0, 2)).toEqual(["'=HYPERLINK(\"x\")", 'gsm8k']);
    expect(rows[6]![5]).toBe('');
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('α labels tell every measured α apart', () => {
    expect(alphaDecimals([-1, 0, 0.5, 1])).toBe(2);
    const many = Array.from({ length: 3001 }, (_, i) => -2 + (4 * i) / 3000);
    const d = alphaDecimals(many);
    expect(new Set(many.map((a) => formatAlphaAt(a, d))).size).toBe(many.length);
    // Steps of 4/3000: two decimals print "−2.00" for the first two values, three tell them apart.
    expect(new Set(many.map((a) => formatAlphaAt(a, 2))).size).toBeLessThan(many.length);
    expect(d).toBe(3);
    expect(formatAlphaAt(-0.5, 2)).toBe('−0.50');
    expect(formatAlphaAt(-0.0001, 2)).toBe('+0.00');
    expect(formatAlphaAt(1, 2)).toBe('+1.00');
  });

  it('ticks are measured α values only, the ends included', () => {
    const few = [-1, 0, 0.25, 0.5, 1];
    expect(alphaTicks(few)).toEqual(few);
    // 0, 0.01, … 1: the measured values on a round step.
    const many = Array.from({ length: 101 }, (_, i) => i / 100);
    expect(alphaTicks(many, 12)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    const wide = Array.from({ length: 3001 }, (_, i) => Number((-2 + (4 * i) / 3000).toFixed(6)));
    expect(alphaTicks(wide, 12)).toEqual([-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2]);
    // No round values measured (irregular α): every k-th, both ends, measured values only.
    const odd = Array.from({ length: 40 }, (_, i) => 0.013 + i * 0.0371 + (i % 3) * 0.0007);
    const ticks = alphaTicks(odd, 12);
    expect(ticks.length).toBeLessThanOrEqual(12);
    expect([ticks[0], ticks.at(-1)]).toEqual([odd[0], odd.at(-1)]);
    for (const t of ticks) expect(odd).toContain(t);
  });

  it('best α per benchmark, ties named, flat said, running points not counted', () => {
    expect(bestAlphas(r)).toEqual([
      { task: 'gsm8k', metric: EM, alphas: [0.5], value: 0.3125, flat: false },
      { task: 'sciq', metric: 'acc,none', alphas: [0], value: 2 / 3, flat: false },
    ]);
    const flat = report([run(0, 'gsm8k', metric(0, 0, 4)), run(1, 'gsm8k', metric(0, 0, 4)), run(2, 'gsm8k', {}, 3)]);
    expect(bestAlphas(flat)).toEqual([{ task: 'gsm8k', metric: EM, alphas: [0, 1], value: 0, flat: true }]);
  });

  it('reads a report’s status defensively', () => {
    expect(reportStatus(r)).toBe('complete');
    expect(reportStatus(report([], { status: 'cancelled' }))).toBe('cancelled');
    expect(reportStatus(report([], { status: 'partial' }))).toBe('partial');
    expect(reportStatus(report([], { status: 'bogus' }))).toBe('complete');
  });
});
