import { useState } from 'react';
import { downloadReport } from '../download.ts';
import { formatPercent } from '../format.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import type { RunRecord } from '../store/runs.ts';
import { alphaDecimals, formatAlphaAt } from '../store/scores.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import './Report.css';

/** "2026-12-08 02:31" in local time (a report's createdAt is ISO, UTC). */
function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The fingerprint's first 8 hex digits (the whole one in the tooltip). */
function shortFingerprint(fp: string): string {
  const hash = fp.slice(fp.lastIndexOf(':') + 1);
  return hash.slice(0, 8);
}

function Best({ record }: { record: RunRecord }) {
  const { best, alphas } = record.summary;
  if (best.length === 0) return <span className="muted">—</span>;
  const decimals = alphaDecimals(alphas);
  return (
    <ul className="plain">
      {best.map((b) => (
        <li key={b.task}>
          <span className="mono">{b.task}</span>{' '}
          {b.flat ? <span className="muted">flat</span> : b.alphas.map((a) => formatAlphaAt(a, decimals)).join(', ')} ({formatPercent(b.value)})
        </li>
      ))}
    </ul>
  );
}

function NameCell({ record, editing, onDone }: { record: RunRecord; editing: boolean; onDone: () => void }) {
  const { renameRun } = useActions();
  const [name, setName] = useState(record.name);
  if (!editing) return <span className="run-name">{record.name}</span>;
  const save = () => {
    void renameRun(record.id, name);
    onDone();
  };
  return (
    <form
      className="rename"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <input type="text" aria-label={`New name for ${record.name}`} value={name} autoFocus onChange={(e) => setName(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && onDone()} />
      <button type="submit" className="button small">
        Save
      </button>
    </form>
  );
}

function RunRow({ record, selected, onSelect, shownAs }: { record: RunRecord; selected: boolean; onSelect: (on: boolean) => void; shownAs: 'shown' | 'overlay' | null }) {
  const { openRun, deleteRun, runReport } = useActions();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const s = record.summary;
  return (
    <tr data-run-id={record.id} data-shown={shownAs ?? undefined} className={shownAs ? `run-${shownAs}` : undefined}>
      <td>
        <input type="checkbox" aria-label={`Select ${record.name}`} checked={selected} onChange={(e) => onSelect(e.target.checked)} />
      </td>
      <th scope="row">
        <NameCell record={record} editing={editing} onDone={() => setEditing(false)} />
        {shownAs && <span className="muted small"> ({shownAs === 'shown' ? 'shown' : 'overlaid'})</span>}
      </th>
      <td className="nowrap">{formatDate(s.createdAt)}</td>
      <td>
        <ul className="plain">
          {s.checkpoints.map((c) => (
            <li key={c.role} title={`${c.name}${c.fingerprint ? ` · ${c.fingerprint}` : ''}`}>
              {c.role} <span className="mono">{c.fingerprint ? shortFingerprint(c.fingerprint) : c.name}</span>
            </li>
          ))}
          {s.checkpoints.length === 0 && <li className="muted">—</li>}
        </ul>
      </td>
      <td>{s.recipe}</td>
      <td className="mono">
        {s.benchmarks.join(', ') || '—'}
        <div className="muted small">{s.alphas.length} α</div>
      </td>
      <td>
        <Best record={record} />
      </td>
      <td>
        <StatusBadge status={record.status} />
      </td>
      <td className="run-actions">
        <button type="button" className="button small" onClick={() => void openRun(record.id)}>
          Open
        </button>
        <button type="button" className="button small" onClick={() => setEditing(true)} disabled={editing}>
          Rename
        </button>
        <button
          type="button"
          className="button small"
          onClick={async () => {
            const report = await runReport(record.id);
            if (report) downloadReport(report, record.name);
          }}
        >
          Export
        </button>
        {confirming ? (
          <button type="button" className="button small danger" onClick={() => void deleteRun(record.id)} onBlur={() => setConfirming(false)} autoFocus>
            Delete for good
          </button>
        ) : (
          <button type="button" className="button small" onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
      </td>
    </tr>
  );
}

/** Saved sweeps and reports: open one, or select several to draw them together; rename, export, delete. */
export function RunsPanel() {
  const runs = useStudio((s) => s.runs);
  const shownId = useStudio((s) => s.shown?.runId ?? null);
  const overlayIds = useStudio((s) => s.overlays.map((o) => o.runId ?? null));
  const { compareRuns } = useActions();
  const [selected, setSelected] = useState<readonly string[]>([]);
  const chosen = runs.records.filter((r) => selected.includes(r.id)).map((r) => r.id);

  return (
    <section className="panel" aria-labelledby="runs-heading">
      <header className="panel-head">
        <h2 id="runs-heading">Runs</h2>
      </header>
      <p className="panel-help">Every sweep (saved as it runs) and every report opened, kept in this browser. Select several to overlay them in the Report.</p>
      <ErrorLine>{runs.error}</ErrorLine>
      {runs.status === 'unavailable' && !runs.error && <p className="muted">This browser keeps no runs (no IndexedDB).</p>}
      {runs.records.length === 0 ? (
        runs.status === 'ready' && <p className="muted">No runs yet: run a sweep or open a report.</p>
      ) : (
        <>
          <div className="actions">
            <button type="button" className="primary" disabled={chosen.length === 0} onClick={() => void compareRuns(chosen)}>
              {chosen.length > 1 ? `Overlay the ${chosen.length} selected` : 'Show the selected run'}
            </button>
            {chosen.length > 0 && (
              <button type="button" className="link" onClick={() => setSelected([])}>
                Clear selection
              </button>
            )}
          </div>
          <div className="runs-scroll">
            <table className="runs" aria-label="Saved runs">
              <thead>
                <tr>
                  <th scope="col">
                    <span className="visually-hidden">Select</span>
                  </th>
                  <th scope="col">Name</th>
                  <th scope="col">Date</th>
                  <th scope="col">Checkpoints</th>
                  <th scope="col">Recipe</th>
                  <th scope="col">Benchmarks</th>
                  <th scope="col">Best α</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {runs.records.map((r) => (
                  <RunRow
                    key={r.id}
                    record={r}
                    selected={selected.includes(r.id)}
                    onSelect={(on) => setSelected((ids) => (on ? [...ids, r.id] : ids.filter((x) => x !== r.id)))}
                    shownAs={r.id === shownId ? 'shown' : overlayIds.includes(r.id) ? 'overlay' : null}
                  />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
