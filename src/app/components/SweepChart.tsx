import { useMemo } from 'react';
import { CartesianGrid, ErrorBar, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Report } from '../../core/report/schema.ts';
import { formatAlpha, formatPercent } from '../format.ts';
import { seriesOf, type Series } from '../store/report-view.ts';

const COLORS = ['#2f5fd0', '#d0562f', '#2f9d58', '#8a3fd0', '#c9a227', '#1f9db0', '#c23f86', '#6b7280'];

interface Drawn {
  readonly key: string;
  readonly name: string;
  readonly color: string;
  readonly dashed: boolean;
  readonly series: Series;
}

/** Rows by α for recharts: `<key>` the value, `<key>e` its standard error. */
function rowsOf(drawn: readonly Drawn[]): Record<string, number>[] {
  const alphas = [...new Set(drawn.flatMap((d) => d.series.points.map((p) => p.alpha)))].sort((a, b) => a - b);
  return alphas.map((alpha) => {
    const row: Record<string, number> = { alpha };
    for (const d of drawn) {
      const p = d.series.points.find((q) => q.alpha === alpha);
      if (!p) continue;
      row[d.key] = p.value;
      row[`${d.key}e`] = p.stderr ?? 0;
    }
    return row;
  });
}

/** Accuracy (each benchmark's headline metric) vs α with ± 1 standard error; an overlaid report dashed. */
export function SweepChart({ report, overlay, overlayName }: { report: Report; overlay: Report | null; overlayName: string | null }) {
  const mine = useMemo(() => seriesOf(report), [report]);
  const theirs = useMemo(() => (overlay ? seriesOf(overlay) : []), [overlay]);
  const colorOf = (task: string) => COLORS[[...new Set([...mine, ...theirs].map((s) => s.task))].indexOf(task) % COLORS.length]!;
  const drawn: Drawn[] = [
    ...mine.map((s, i) => ({ key: `s${i}`, name: `${s.task} (${s.metric})`, color: colorOf(s.task), dashed: false, series: s })),
    ...theirs.map((s, i) => ({ key: `o${i}`, name: `${s.task} (${s.metric}) — ${overlayName ?? 'overlay'}`, color: colorOf(s.task), dashed: true, series: s })),
  ];
  const rows = rowsOf(drawn);
  return (
    <figure className="sweep-chart" aria-label="Accuracy vs α">
      <figcaption>Accuracy vs α (± 1 standard error)</figcaption>
      <ResponsiveContainer width="100%" height={280} initialDimension={{ width: 640, height: 280 }}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
          <XAxis dataKey="alpha" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(a: number) => formatAlpha(a)} tick={{ fontSize: 11, fill: 'var(--muted)' }} allowDuplicatedCategory={false} />
          <YAxis domain={[0, 1]} tickFormatter={(v: number) => formatPercent(v)} tick={{ fontSize: 11, fill: 'var(--muted)' }} width={52} />
          <Tooltip
            labelFormatter={(a) => `α ${formatAlpha(Number(a))}`}
            formatter={(v, name) => [formatPercent(Number(v)), String(name)]}
            contentStyle={{ background: 'var(--bg)', border: '1px solid var(--border)' }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {drawn.map((d) => (
            <Line key={d.key} dataKey={d.key} name={d.name} stroke={d.color} strokeDasharray={d.dashed ? '6 4' : undefined} dot={{ r: 3 }} isAnimationActive={false} connectNulls>
              <ErrorBar dataKey={`${d.key}e`} width={6} stroke={d.color} direction="y" />
            </Line>
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** The same numbers as a table: value ± stderr per benchmark and α (partial: still running). */
export function ScoresTable({ report }: { report: Report }) {
  const series = useMemo(() => seriesOf(report), [report]);
  const alphas = [...new Set(series.flatMap((s) => s.points.map((p) => p.alpha)))].sort((a, b) => a - b);
  if (series.length === 0) return null;
  return (
    <table className="scores" aria-label="Scores by α">
      <thead>
        <tr>
          <th scope="col">Benchmark</th>
          <th scope="col">Metric</th>
          {alphas.map((a) => (
            <th scope="col" key={a}>
              α {formatAlpha(a)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {series.map((s) => (
          <tr key={s.task}>
            <th scope="row" className="mono">
              {s.task}
            </th>
            <td className="mono">{s.metric}</td>
            {alphas.map((a) => {
              const p = s.points.find((q) => q.alpha === a);
              return (
                <td key={a} data-alpha={a}>
                  {p ? `${formatPercent(p.value)} ± ${p.stderr === null ? 'n/a' : formatPercent(p.stderr)} (n=${p.n})${p.partial ? ' …' : ''}` : '—'}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
