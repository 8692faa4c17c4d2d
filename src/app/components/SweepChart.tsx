import { useMemo, useRef, useState } from 'react';
import { Area, CartesianGrid, ComposedChart, ErrorBar, LabelList, Line, ReferenceArea, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { chartSvg, svgToPng, type LegendEntry } from '../chart-export.ts';
import { downloadBlob } from '../download.ts';
import { formatPercent } from '../format.ts';
import { seriesOf, type Point, type Series } from '../store/report-view.ts';
import { alphaDecimals, alphaTicks, baselineOf, formatAlphaAt, measuredAlphas, type NamedReport } from '../store/scores.ts';
import './Report.css';

const COLORS = ['#2f5fd0', '#d0562f', '#2f9d58', '#8a3fd0', '#c9a227', '#1f9db0', '#c23f86', '#6b7280'];
/** Per report (the shown one first, then each overlay): a dash pattern and a marker, so overlapping series stay apart. */
const DASHES = [undefined, '7 4', '2 3', '10 3 2 3'];
const SYMBOLS = ['circle', 'square', 'triangle', 'diamond'] as const;
/** Markers, error bars and Δ labels only while the points stay apart; more α: a ± stderr band. */
const MAX_MARKED = 40;
const MAX_LABELLED = 12;

interface Drawn {
  readonly key: string;
  /** Stable across renders: report name and benchmark. */
  readonly id: string;
  readonly name: string;
  readonly color: string;
  readonly dash: string | undefined;
  readonly symbol: (typeof SYMBOLS)[number];
  readonly overlay: boolean;
  readonly series: Series;
  readonly base: Point | null;
}

/** Rows by α for recharts: `<key>` the value, `<key>e` its stderr, `<key>b` the ± stderr band, `<key>d` Δ from α = 0 (none at α = 0). */
function rowsOf(drawn: readonly Drawn[], alphas: readonly number[]): Record<string, number | [number, number] | null>[] {
  return alphas.map((alpha) => {
    const row: Record<string, number | [number, number] | null> = { alpha };
    for (const d of drawn) {
      const p = d.series.points.find((q) => q.alpha === alpha);
      if (!p) continue;
      const e = p.stderr ?? 0;
      row[d.key] = p.value;
      row[`${d.key}e`] = e;
      row[`${d.key}b`] = [p.value - e, p.value + e];
      row[`${d.key}d`] = d.base && p !== d.base ? p.value - d.base.value : null;
    }
    return row;
  });
}

/** "+2.1 pp", "−0.4 pp": a difference of two proportions in percentage points. */
export function formatDelta(delta: number): string {
  const pp = delta * 100;
  return `${pp < 0 && pp.toFixed(1) !== '-0.0' ? '−' : '+'}${Math.abs(pp).toFixed(1)} pp`;
}

/** A marker centred on (x, y): the report's shape, filled for the shown report, hollow for overlays. */
function Marker({ d, x, y, size = 4, className }: { d: Drawn; x: number; y: number; size?: number; className?: string }) {
  const r = size;
  const paint = { fill: d.overlay ? 'var(--panel)' : d.color, stroke: d.color, strokeWidth: 1.5, className };
  switch (d.symbol) {
    case 'square':
      return <rect x={x - r * 0.9} y={y - r * 0.9} width={r * 1.8} height={r * 1.8} {...paint} />;
    case 'triangle':
      return <path d={`M${x} ${y - r * 1.1} L${x + r} ${y + r * 0.8} L${x - r} ${y + r * 0.8} Z`} {...paint} />;
    case 'diamond':
      return <path d={`M${x} ${y - r * 1.2} L${x + r * 1.1} ${y} L${x} ${y + r * 1.2} L${x - r * 1.1} ${y} Z`} {...paint} />;
    default:
      return <circle cx={x} cy={y} r={r} {...paint} />;
  }
}

function Swatch({ d }: { d: Drawn }) {
  return (
    <svg width="36" height="12" aria-hidden="true" className="swatch">
      <line x1="1" y1="6" x2="35" y2="6" stroke={d.color} strokeWidth="2" strokeDasharray={d.dash} />
      <Marker d={d} x={18} y={6} size={3.5} />
    </svg>
  );
}

/**
 * The markers of one series. Where several visible series have the same value at an α (two
 * benchmarks both at 0%, a report overlaid on itself), their markers are set a few pixels apart
 * side by side, in legend order, so that each stays visible; the line and the error bar stay at α.
 */
function dotsOf(d: Drawn, visible: readonly Drawn[], tolerance: number) {
  return (props: { cx?: number; cy?: number; index?: number; payload?: Record<string, unknown> }) => {
    const { cx, cy, payload, index } = props;
    const v = payload?.[d.key];
    if (cx === undefined || cy === undefined || typeof v !== 'number') return <g key={`${d.key}-${index}`} />;
    const same = visible.filter((o) => typeof payload?.[o.key] === 'number' && Math.abs((payload[o.key] as number) - v) <= tolerance);
    const dx = (same.indexOf(d) - (same.length - 1) / 2) * 7;
    return <Marker key={`${d.key}-${index}`} d={d} x={cx + dx} y={cy} className="recharts-line-dot" />;
  };
}

function ChartTooltip({ active, label, drawn, decimals, baseline }: { active: boolean; label: unknown; drawn: readonly Drawn[]; decimals: number; baseline: boolean }) {
  if (!active || typeof label !== 'number') return null;
  const lines = drawn.flatMap((d) => {
    const p = d.series.points.find((q) => q.alpha === label);
    return p ? [{ d, p }] : [];
  });
  return (
    <div className="chart-tooltip" data-testid="chart-tooltip">
      <p className="mono">α {formatAlphaAt(label, decimals)}</p>
      <table>
        <tbody>
          {lines.map(({ d, p }) => (
            <tr key={d.key} data-series={d.name}>
              <th scope="row">
                <Swatch d={d} /> {d.name}
              </th>
              <td className="mono" data-value={p.value} data-stderr={p.stderr ?? ''} data-n={p.n}>
                {formatPercent(p.value)} ± {p.stderr === null ? 'n/a' : formatPercent(p.stderr)} (n={p.n}){p.partial ? ' · running' : ''}
                {baseline && d.base ? ` · Δ ${formatDelta(p.value - d.base.value)}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AlphaSelect({ label, text, value, alphas, decimals, onChange }: { label: string; text: string; value: number | undefined; alphas: readonly number[]; decimals: number; onChange: (alpha: number) => void }) {
  return (
    <label>
      {text}{' '}
      <select aria-label={label} value={String(value ?? '')} onChange={(e) => onChange(Number(e.target.value))}>
        {alphas.map((a) => (
          <option key={a} value={String(a)}>
            {formatAlphaAt(a, decimals)}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Each benchmark's headline metric vs α with ± 1 standard error, for the shown report and those
 * overlaid (same benchmark, same colour; each report its own dash and marker). The legend toggles
 * series; the tooltip gives value, stderr and n; ticks sit at measured α; drag across the chart
 * (or pick a range) to zoom on α; `baseline` draws each benchmark's α = 0 line and Δ labels.
 */
export function SweepChart({ reports, baseline }: { reports: readonly NamedReport[]; baseline: boolean }) {
  const all = useMemo(() => reports.map((r) => seriesOf(r.report)), [reports]);
  const tasks = [...new Set(all.flat().map((s) => s.task))];
  const drawn: Drawn[] = all.flatMap((list, r) =>
    list.map((s, i) => ({
      key: `r${r}s${i}`,
      id: `${reports[r]!.name}\u0000${s.task}`,
      name: reports.length > 1 ? `${s.task} — ${reports[r]!.name}` : `${s.task} (${s.metric})`,
      color: COLORS[tasks.indexOf(s.task) % COLORS.length]!,
      dash: DASHES[r % DASHES.length],
      symbol: SYMBOLS[r % SYMBOLS.length]!,
      overlay: r > 0,
      series: s,
      base: baselineOf(s),
    })),
  );
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [zoom, setZoom] = useState<readonly [number, number] | null>(null);
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const [fitY, setFitY] = useState(false);
  const figure = useRef<HTMLElement>(null);

  const visible = drawn.filter((d) => !hidden.has(d.id));
  const alphas = measuredAlphas(drawn.map((d) => d.series));
  const decimals = alphaDecimals(alphas);
  const range = zoom && alphas.includes(zoom[0]) && alphas.includes(zoom[1]) ? zoom : null;
  const shownAlphas = range ? alphas.filter((a) => a >= range[0] && a <= range[1]) : alphas;
  const rows = rowsOf(visible, shownAlphas);
  const marked = shownAlphas.length <= MAX_MARKED;
  const labelled = baseline && shownAlphas.length <= MAX_LABELLED && visible.length <= 3;
  const values = visible.flatMap((d) => d.series.points.filter((p) => shownAlphas.includes(p.alpha)).flatMap((p) => [p.value - (p.stderr ?? 0), p.value + (p.stderr ?? 0)]));
  const outside = values.some((v) => v < 0 || v > 1);
  const yDomain: [number | string, number | string] = fitY || outside ? ['auto', 'auto'] : [0, 1];
  /** Values this close draw as one point (a pixel or two at the chart's height). */
  const tolerance = fitY || outside ? 0.004 * Math.max(1e-9, Math.max(...values) - Math.min(...values)) : 0.004;
  const lo = shownAlphas[0] ?? 0;
  const hi = shownAlphas.at(-1) ?? 0;

  const toggle = (id: string) => setHidden((h) => (h.has(id) ? new Set([...h].filter((x) => x !== id)) : new Set([...h, id])));
  const exported = async (kind: 'svg' | 'png') => {
    const svg = figure.current?.querySelector<SVGSVGElement>('svg.recharts-surface');
    if (!svg) return;
    const legend: LegendEntry[] = visible.map((d) => ({ name: d.name, color: d.color, dash: d.dash }));
    const image = chartSvg(svg, `Accuracy vs α (± 1 standard error)${reports[0] ? ` — ${reports[0].name}` : ''}`, legend);
    const blob = kind === 'svg' ? new Blob([image.text], { type: 'image/svg+xml' }) : await svgToPng(image);
    downloadBlob(blob, `rvs-chart.${kind}`);
  };
  const endDrag = () => {
    if (drag && drag.from !== drag.to) setZoom([Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)]);
    setDrag(null);
  };

  return (
    <figure className="sweep-chart" aria-label="Accuracy vs α" ref={figure}>
      <figcaption>
        Accuracy vs α (± 1 standard error){' '}
        <span className="hint">
          {baseline ? 'dotted: each benchmark at α = 0, labels: Δ from it in points; ' : ''}
          {marked ? 'equal values: markers side by side; ' : 'band: ± 1 standard error; '}drag across the chart to zoom on α
        </span>
      </figcaption>
      <ul className="chart-legend" aria-label="Series">
        {drawn.map((d) => (
          <li key={d.key}>
            <button type="button" className="legend-item" aria-pressed={!hidden.has(d.id)} onClick={() => toggle(d.id)} title={hidden.has(d.id) ? 'Show this series' : 'Hide this series'}>
              <Swatch d={d} /> {d.name}
            </button>
          </li>
        ))}
      </ul>
      <ResponsiveContainer width="100%" height={300} initialDimension={{ width: 640, height: 300 }}>
        <ComposedChart
          data={rows}
          margin={{ top: 16, right: labelled ? 44 : 24, bottom: 8, left: 8 }}
          onMouseDown={(s) => typeof s.activeLabel === 'number' && setDrag({ from: s.activeLabel, to: s.activeLabel })}
          onMouseMove={(s) => drag && typeof s.activeLabel === 'number' && setDrag({ ...drag, to: s.activeLabel })}
          onMouseUp={endDrag}
          onMouseLeave={() => setDrag(null)}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
          <XAxis
            dataKey="alpha"
            type="number"
            domain={lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi]}
            ticks={alphaTicks(shownAlphas)}
            interval={0}
            padding={{ left: 14, right: 14 }}
            tickFormatter={(a: number) => formatAlphaAt(a, decimals)}
            tick={{ fontSize: 11, fill: 'var(--muted)' }}
            label={{ value: 'α', position: 'insideBottomRight', offset: -2, fontSize: 12, fill: 'var(--muted)' }}
          />
          <YAxis domain={yDomain} tickFormatter={(v: number) => formatPercent(v)} tick={{ fontSize: 11, fill: 'var(--muted)' }} width={56} />
          <Tooltip content={(p) => <ChartTooltip active={p.active} label={p.label} drawn={visible} decimals={decimals} baseline={baseline} />} isAnimationActive={false} />
          {baseline &&
            visible.map((d) => (d.base ? <ReferenceLine key={`${d.key}-base`} y={d.base.value} stroke={d.color} strokeDasharray="1 3" strokeWidth={1.5} ifOverflow="extendDomain" /> : null))}
          {!marked && visible.map((d) => <Area key={`${d.key}-band`} dataKey={`${d.key}b`} stroke="none" fill={d.color} fillOpacity={0.15} isAnimationActive={false} connectNulls legendType="none" tooltipType="none" />)}
          {visible.map((d) => (
            <Line
              key={d.key}
              dataKey={d.key}
              name={d.name}
              stroke={d.color}
              strokeWidth={2}
              strokeDasharray={d.dash}
              dot={marked ? dotsOf(d, visible, tolerance) : false}
              activeDot={{ symbol: d.symbol, r: 6 }}
              isAnimationActive={false}
              connectNulls
            >
              {marked && <ErrorBar dataKey={`${d.key}e`} width={6} stroke={d.color} direction="y" />}
              {labelled && d.base && (
                <LabelList
                  dataKey={`${d.key}d`}
                  position="right"
                  offset={9}
                  fontSize={10}
                  fill={d.color}
                  stroke="var(--panel)"
                  strokeWidth={3}
                  paintOrder="stroke"
                  formatter={(v: unknown) => (typeof v === 'number' ? formatDelta(v).replace(' pp', '') : '')}
                />
              )}
            </Line>
          ))}
          {drag && drag.from !== drag.to && <ReferenceArea x1={drag.from} x2={drag.to} fill="var(--accent)" fillOpacity={0.12} />}
        </ComposedChart>
      </ResponsiveContainer>
      <div className="chart-controls">
        <AlphaSelect label="Zoom α from" text="Zoom α from" value={range?.[0] ?? alphas[0]} alphas={alphas} decimals={decimals} onChange={(a) => setZoom([a, Math.max(a, range?.[1] ?? alphas.at(-1)!)])} />
        <AlphaSelect label="Zoom α to" text="to" value={range?.[1] ?? alphas.at(-1)} alphas={alphas} decimals={decimals} onChange={(a) => setZoom([Math.min(a, range?.[0] ?? alphas[0]!), a])} />
        <button type="button" className="button small" disabled={range === null} onClick={() => setZoom(null)}>
          Reset zoom
        </button>
        <label className="toggle">
          <input type="checkbox" checked={fitY} onChange={(e) => setFitY(e.target.checked)} />
          Fit the y-axis to the data
        </label>
        <span className="spacer" />
        <button type="button" className="button small" onClick={() => void exported('png')}>
          Export chart as PNG
        </button>
        <button type="button" className="button small" onClick={() => void exported('svg')}>
          Export chart as SVG
        </button>
      </div>
    </figure>
  );
}
