import { printable } from '../../core/text/printable.ts';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { VectorSummary } from '../../core/merge/vector-stats.ts';
import { formatValue } from '../format.ts';
import { metricOf, moduleLabel } from './VectorHeatmap.tsx';

function Bars({ title, data, metric }: { title: string; data: { name: string; value: number }[]; metric: string }) {
  return (
    <figure className="bars" aria-label={title}>
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={180} initialDimension={{ width: 480, height: 180 }}>
        <BarChart data={data} margin={{ top: 4, right: 8, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="var(--grid)" />
          <XAxis dataKey="name" tick={{ fontSize: 11, fill: 'var(--muted)' }} interval="preserveStartEnd" />
          <YAxis tickFormatter={formatValue} tick={{ fontSize: 11, fill: 'var(--muted)' }} width={56} />
          <Tooltip formatter={(v) => [formatValue(Number(v)), metric]} contentStyle={{ background: 'var(--bg)', border: '1px solid var(--border)' }} />
          <Bar dataKey="value" fill="var(--accent)" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** Bars of the metric per layer and per module. */
export function VectorBars({ summary }: { summary: VectorSummary }) {
  const metric = metricOf(summary);
  const perLayer = summary.layers.map((layer, i) => ({ name: String(layer), value: metric.value(summary.perLayer[i]!) }));
  const perModule = summary.modules.map((m, j) => ({ name: moduleLabel(m), value: metric.value(summary.perModule[j]!) }));
  const other = summary.other.map((o) => ({ name: printable(o.name.replace(/^model\./, '').replace(/\.weight$/, '')), value: metric.value(o) }));
  return (
    <div className="bars-row">
      <Bars title={`${metric.label} per layer`} data={perLayer} metric={metric.label} />
      <Bars title={`${metric.label} per module`} data={[...perModule, ...other]} metric={metric.label} />
    </div>
  );
}
