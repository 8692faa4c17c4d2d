import type { NormSummary, VectorSummary } from '../../core/merge/vector-stats.ts';
import { printable } from '../../core/text/printable.ts';
import { formatValue } from '../format.ts';

/** "self_attn.q_proj" → "q_proj"; norms keep their names. */
export function moduleLabel(module: string): string {
  return printable(module.replace(/^(self_attn|mlp|attention|feed_forward)\./, ''));
}

/** The value a chart shows: ‖v‖/‖θ_SFT‖ where θ_SFT is known, else ‖v‖. */
export function metricOf(summary: VectorSummary): { label: string; value: (n: NormSummary) => number } {
  return summary.hasReference ? { label: '‖v‖ / ‖θ_SFT‖', value: (n) => n.relative } : { label: '‖v‖', value: (n) => n.normV };
}

/** Position of x in [lo, hi] on a log scale, 0…1 (0 for zero or below). */
function shade(x: number, lo: number, hi: number): number {
  if (!(x > 0) || !(hi > 0)) return 0;
  if (hi <= lo) return 1;
  return Math.min(1, Math.max(0, (Math.log(x) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))));
}

/** Layer × module table, each cell shaded by its value (log scale between the smallest and largest positive ones). */
export function VectorHeatmap({ summary }: { summary: VectorSummary }) {
  const metric = metricOf(summary);
  const values = summary.cells.flat().flatMap((c) => (c ? [metric.value(c)] : []));
  const positive = values.filter((v) => v > 0);
  const lo = positive.length ? Math.min(...positive) : 0;
  const hi = positive.length ? Math.max(...positive) : 0;
  return (
    <figure className="heatmap">
      <figcaption>
        {metric.label} by layer and module <span className="muted">(log scale: {formatValue(lo)} … {formatValue(hi)})</span>
      </figcaption>
      <div className="heatmap-scroll">
        <table aria-label={`${metric.label} by layer and module`}>
          <thead>
            <tr>
              <th scope="col">Layer</th>
              {summary.modules.map((m) => (
                <th scope="col" key={m} title={m}>
                  {moduleLabel(m)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {summary.layers.map((layer, i) => (
              <tr key={layer}>
                <th scope="row">{layer}</th>
                {summary.cells[i]!.map((cell, j) => {
                  if (!cell) return <td key={j} className="heat-empty" />;
                  const v = metric.value(cell);
                  const t = shade(v, lo, hi);
                  return (
                    <td
                      key={j}
                      className={t > 0.55 ? 'heat-dark' : undefined}
                      style={{ backgroundColor: `color-mix(in oklab, var(--heat-hi) ${Math.round(t * 100)}%, var(--heat-lo))` }}
                      title={`layer ${layer}, ${summary.modules[j]}: ${metric.label} = ${formatValue(v)}`}
                    >
                      {formatValue(v)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
