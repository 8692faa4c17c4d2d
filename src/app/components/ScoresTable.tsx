import { useMemo, useState } from 'react';
import { downloadBlob, fileStem } from '../download.ts';
import { formatPercent } from '../format.ts';
import { alphaDecimals, formatAlphaAt, scoreRows, scoresCsv, type NamedReport, type ScoreRow } from '../store/scores.ts';
import { formatDelta } from './SweepChart.tsx';

/** α as columns up to this many; more are rows (paged), so the table stays readable. */
const MAX_ALPHA_COLUMNS = 7;
const PAGE = 20;

interface Column {
  readonly id: string;
  readonly report: string;
  readonly task: string;
  readonly metric: string;
}

function Cell({ alpha, row, baseline }: { alpha: number; row: ScoreRow | undefined; baseline: boolean }) {
  if (!row) return <td className="muted" data-alpha={alpha}>—</td>;
  return (
    <td data-alpha={row.alpha} data-value={row.value}>
      {`${formatPercent(row.value)} ± ${row.stderr === null ? 'n/a' : formatPercent(row.stderr)}`} <span className="n">{`(n=${row.n})${row.partial ? ' …' : ''}`}</span>
      {baseline && row.delta !== null && row.alpha !== 0 ? <span className="delta"> Δ {formatDelta(row.delta)}</span> : null}
    </td>
  );
}

/**
 * The chart's numbers: value ± stderr (n) per benchmark and α, for the shown report and each one
 * overlaid (partial: still running; `baseline`: Δ from α = 0). α as columns while there are few,
 * else α as rows, a page at a time; "Export table as CSV" gives every number as the report has it.
 */
export function ScoresTable({ reports, baseline }: { reports: readonly NamedReport[]; baseline: boolean }) {
  const rows = useMemo(() => scoreRows(reports), [reports]);
  const alphas = [...new Set(rows.map((r) => r.alpha))].sort((a, b) => a - b);
  const [layout, setLayout] = useState<'auto' | 'columns' | 'rows'>('auto');
  const [page, setPage] = useState(0);
  if (rows.length === 0) return null;

  const decimals = alphaDecimals(alphas);
  const many = reports.length > 1;
  const columns: Column[] = [];
  for (const r of rows) {
    const id = `${r.report}\u0000${r.task}`;
    if (!columns.some((c) => c.id === id)) columns.push({ id, report: r.report, task: r.task, metric: r.metric });
  }
  const index = new Map(rows.map((r) => [`${r.report}\u0000${r.task}\u0000${r.alpha}`, r]));
  const at = (c: Column, alpha: number) => index.get(`${c.id}\u0000${alpha}`);
  const asRows = layout === 'rows' || (layout === 'auto' && alphas.length > MAX_ALPHA_COLUMNS);
  const pages = Math.max(1, Math.ceil(alphas.length / PAGE));
  const current = Math.min(page, pages - 1);
  const pageAlphas = asRows ? alphas.slice(current * PAGE, (current + 1) * PAGE) : alphas;
  const csv = () => downloadBlob(new Blob([scoresCsv(rows)], { type: 'text/csv' }), `${fileStem(reports[0]?.name ?? 'scores')}-scores.csv`);

  return (
    <div className="scores-block">
      <div className="table-controls">
        <span className="muted small">
          {alphas.length} α value{alphas.length === 1 ? '' : 's'} · {columns.length} series
        </span>
        <div className="segmented" role="group" aria-label="Table layout">
          <button type="button" aria-pressed={!asRows} onClick={() => setLayout('columns')}>
            α as columns
          </button>
          <button type="button" aria-pressed={asRows} onClick={() => setLayout('rows')}>
            α as rows
          </button>
        </div>
        <button type="button" className="button small" onClick={csv}>
          Export table as CSV
        </button>
      </div>
      {asRows ? (
        <>
          <div className="scores-scroll">
            <table className="scores" aria-label="Scores by α">
              <thead>
                <tr>
                  <th scope="col">α</th>
                  {columns.map((c) => (
                    <th scope="col" key={c.id} className="mono">
                      {c.task}
                      <span className="muted small"> {many ? c.report : c.metric}</span>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {pageAlphas.map((a) => (
                  <tr key={a}>
                    <th scope="row" className="mono">
                      {formatAlphaAt(a, decimals)}
                    </th>
                    {columns.map((c) => (
                      <Cell key={c.id} alpha={a} row={at(c, a)} baseline={baseline} />
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {pages > 1 && (
            <div className="pager" role="group" aria-label="Table pages">
              <button type="button" className="button small" disabled={current === 0} onClick={() => setPage(current - 1)}>
                Previous
              </button>
              <span data-testid="scores-page">
                α {formatAlphaAt(pageAlphas[0]!, decimals)} … {formatAlphaAt(pageAlphas.at(-1)!, decimals)} · rows {current * PAGE + 1}–{current * PAGE + pageAlphas.length} of {alphas.length}
              </span>
              <button type="button" className="button small" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
                Next
              </button>
            </div>
          )}
        </>
      ) : (
        <div className="scores-scroll">
          <table className="scores scores-cols" aria-label="Scores by α">
            <thead>
              <tr>
                {many && <th scope="col">Report</th>}
                <th scope="col">Benchmark</th>
                <th scope="col">Metric</th>
                {alphas.map((a) => (
                  <th scope="col" key={a} className="mono">
                    α {formatAlphaAt(a, decimals)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {columns.map((c) => (
                <tr key={c.id}>
                  {many && <td>{c.report}</td>}
                  <th scope="row" className="mono">
                    {c.task}
                  </th>
                  <td className="mono">{c.metric}</td>
                  {alphas.map((a) => (
                    <Cell key={a} alpha={a} row={at(c, a)} baseline={baseline} />
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
