import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Report } from '../../core/report/schema.ts';
import { compareRows, isFailure, itemRows, sampleRuns, type CompareRow, type ItemRow } from '../store/report-view.ts';
import { alphaDecimals, formatAlphaAt } from '../store/scores.ts';

/** Model-written text, shown as text: the end of long prompts (what the model continued). */
function Clip({ text, tail }: { text: string | null; tail?: boolean }) {
  if (text === null) return <span className="muted">—</span>;
  const limit = 400;
  if (text.length <= limit) return <span className="pre">{text}</span>;
  return (
    <details>
      <summary className="pre">{tail ? `…${text.slice(-limit)}` : `${text.slice(0, limit)}…`}</summary>
      <span className="pre">{text}</span>
    </details>
  );
}

function Verdict({ row }: { row: ItemRow | null }) {
  if (!row) return <span className="muted">—</span>;
  const ok = row.score === 1;
  return (
    <span className={ok ? 'verdict-ok' : 'verdict-bad'} data-correct={String(ok)}>
      {row.score === null ? 'n/a' : ok ? '✓ correct' : '✗ wrong'}
    </span>
  );
}

const SINGLE = ['Doc', 'Prompt', 'Output', 'Extracted answer', 'Target', 'Correct'];

/**
 * The items of one benchmark at one α — or two α values side by side — virtualised (thousands of
 * rows stay cheap), filterable to failures. Everything from the report renders as text.
 */
export function ItemsTable({ report }: { report: Report }) {
  const runs = useMemo(() => sampleRuns(report), [report]);
  const [task, setTask] = useState<string | null>(null);
  const [alpha, setAlpha] = useState<number | null>(null);
  const [other, setOther] = useState<number | null>(null);
  const [failuresOnly, setFailuresOnly] = useState(false);
  const current = runs.find((r) => r.task === task) ?? runs[0];
  const alphas = current?.alphas ?? [];
  const a = alpha !== null && alphas.includes(alpha) ? alpha : (alphas[0] ?? null);
  const b = other !== null && alphas.includes(other) && other !== a ? other : null;
  // As many decimals as it takes to tell the measured α apart.
  const decimals = alphaDecimals(alphas);
  const formatAlpha = (x: number) => formatAlphaAt(x, decimals);

  const rows: (ItemRow | CompareRow)[] = useMemo(() => {
    if (!current || a === null) return [];
    const all = b === null ? itemRows(report, current.task, a) : compareRows(report, current.task, a, b);
    return failuresOnly ? all.filter(isFailure) : all;
  }, [report, current, a, b, failuresOnly]);

  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => 72, overscan: 6, initialRect: { width: 800, height: 420 } });
  useEffect(() => {
    virtualizer.scrollToOffset(0);
  }, [current?.task, a, b, failuresOnly]);

  if (!current) return <p className="muted">No items in this report.</p>;
  const headers = b === null ? SINGLE : ['Doc', 'Prompt', 'Target', `Output α ${formatAlpha(a!)}`, `Correct α ${formatAlpha(a!)}`, `Output α ${formatAlpha(b)}`, `Correct α ${formatAlpha(b)}`];
  return (
    <div className="items">
      <div className="items-controls">
        <label>
          Benchmark task{' '}
          <select value={current.task} onChange={(e) => setTask(e.target.value)}>
            {runs.map((r) => (
              <option key={r.task} value={r.task}>
                {r.task}
              </option>
            ))}
          </select>
        </label>
        <label>
          Items at α{' '}
          <select value={String(a)} onChange={(e) => setAlpha(Number(e.target.value))}>
            {alphas.map((x) => (
              <option key={x} value={String(x)}>
                {formatAlpha(x)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Compare with α{' '}
          <select value={b === null ? '' : String(b)} onChange={(e) => setOther(e.target.value === '' ? null : Number(e.target.value))}>
            <option value="">none</option>
            {alphas
              .filter((x) => x !== a)
              .map((x) => (
                <option key={x} value={String(x)}>
                  {formatAlpha(x)}
                </option>
              ))}
          </select>
        </label>
        <label className="toggle">
          <input type="checkbox" checked={failuresOnly} onChange={(e) => setFailuresOnly(e.target.checked)} />
          Only failures
        </label>
        <span className="muted" data-testid="items-count">
          {rows.length} item{rows.length === 1 ? '' : 's'}
        </span>
      </div>
      <div role="table" aria-label="Items" aria-rowcount={rows.length + 1} className={`items-table ${b === null ? 'cols-single' : 'cols-compare'}`}>
        <div role="rowgroup">
          <div role="row" className="items-row items-head" aria-rowindex={1}>
            {headers.map((h) => (
              <span role="columnheader" key={h}>
                {h}
              </span>
            ))}
          </div>
        </div>
        <div ref={scroller} className="items-scroll" role="rowgroup">
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((v) => {
              const row = rows[v.index]!;
              return (
                <div
                  role="row"
                  key={v.key}
                  data-index={v.index}
                  aria-rowindex={v.index + 2}
                  ref={virtualizer.measureElement}
                  className="items-row"
                  style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}
                >
                  {'a' in row ? (
                    <>
                      <span role="cell">{row.docId}</span>
                      <span role="cell"><Clip text={row.prompt} tail /></span>
                      <span role="cell"><Clip text={row.target} /></span>
                      <span role="cell"><Clip text={row.a?.output ?? null} /></span>
                      <span role="cell"><Verdict row={row.a} /></span>
                      <span role="cell"><Clip text={row.b?.output ?? null} /></span>
                      <span role="cell"><Verdict row={row.b} /></span>
                    </>
                  ) : (
                    <>
                      <span role="cell">{row.docId}</span>
                      <span role="cell"><Clip text={row.prompt} tail /></span>
                      <span role="cell"><Clip text={row.output} /></span>
                      <span role="cell"><Clip text={row.extracted} /></span>
                      <span role="cell"><Clip text={row.target} /></span>
                      <span role="cell"><Verdict row={row} /></span>
                    </>
                  )}
                </div>
              );
            })}
          </div>
        </div>
      </div>
    </div>
  );
}
