import { weightArithmeticOf } from '../../core/eval/run-evaluation.ts';
import { Fragment, useState, type ChangeEvent, type DragEvent } from 'react';
import type { Report } from '../../core/report/schema.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { formatSeconds } from '../format.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { ItemsTable } from './ItemsTable.tsx';
import { ScoresTable, SweepChart } from './SweepChart.tsx';

/** Downloads the report as JSON (a Blob URL, revoked once the download has started). */
function download(report: Report): void {
  const blob = new Blob([`${JSON.stringify(report, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `rvs-report-${report.createdAt.replace(/[:.]/g, '-')}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function readFile(event: ChangeEvent<HTMLInputElement>): Promise<{ text: string; name: string } | null> {
  const file = event.target.files?.[0];
  event.target.value = '';
  return file ? { text: await file.text(), name: file.name } : null;
}

/** Where the report comes from, as text only (a report is untrusted input). */
function Provenance({ report }: { report: Report }) {
  const c = report.checkpoints;
  const roles = (['target', 'sft', 'grpo'] as const).filter((r) => c[r]);
  const recipe = report.recipe;
  const rules = recipe?.rules.length ?? 0;
  return (
    <dl className="summary provenance">
      <dt>Created</dt>
      <dd>
        {report.createdAt} by {report.app.name} {report.app.version}
      </dd>
      <dt>Backend</dt>
      <dd>
        {report.environment.backend}
        {report.environment.adapter ? ` · ${report.environment.adapter}` : ''}
      </dd>
      {roles.map((r) => (
        <Fragment key={r}>
          <dt>{r}</dt>
          <dd className="mono">
            {c[r]!.name} {c[r]!.fingerprint ?? ''}
          </dd>
        </Fragment>
      ))}
      <dt>Recipe</dt>
      <dd data-testid="report-recipe">
        {recipe
          ? `${recipe.method}${rules > 0 ? `, ${rules} rule${rules === 1 ? '' : 's'}` : ''} · ${weightArithmeticOf(recipe) === 'f32' ? 'exact float32 weights' : `weights in the ${recipe.dtype === 'auto' ? 'checkpoint’s' : recipe.dtype} dtype`}`
          : 'none (the model as it is, or predictions made elsewhere)'}
      </dd>
      <dt>Time</dt>
      <dd>{report.timings['totalSeconds'] !== undefined ? formatSeconds(report.timings['totalSeconds']) : '—'}</dd>
    </dl>
  );
}

export function ReportPanel() {
  const shown = useStudio((s) => s.shown);
  const overlay = useStudio((s) => s.overlay);
  const reportError = useStudio((s) => s.reportError);
  const sweeping = useStudio((s) => s.sweep.status === 'running');
  const { openReport, clearOverlay } = useActions();
  const [dragging, setDragging] = useState(false);

  const open = (as: 'shown' | 'overlay') => async (event: ChangeEvent<HTMLInputElement>) => {
    const file = await readFile(event);
    if (file) openReport(file.text, file.name, as);
  };
  const onDrop = async (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) openReport(await file.text(), file.name, shown ? 'overlay' : 'shown');
  };
  const exportable = shown !== null && !(shown.origin === 'sweep' && sweeping);

  return (
    <section
      className={`panel${dragging ? ' panel-dragging' : ''}`}
      aria-labelledby="report-heading"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => void onDrop(e)}
    >
      <header className="panel-head">
        <h2 id="report-heading">Report</h2>
      </header>
      <p className="panel-help">
        A sweep’s results, or an rvs-report/1 file (open it, or drop it here; a second one is overlaid). Reports are validated and shown as text.
      </p>
      <div className="actions">
        <button type="button" className="primary" disabled={!exportable} onClick={() => shown && download(shown.report)}>
          Export report
        </button>
        <label className="button file-button">
          Open report
          <input className="visually-hidden" type="file" accept=".json,application/json" aria-label="Open report" onChange={(e) => void open('shown')(e)} />
        </label>
        <label className={`button file-button${shown ? '' : ' disabled'}`}>
          Overlay a report
          <input className="visually-hidden" type="file" accept=".json,application/json" aria-label="Overlay a report" disabled={!shown} onChange={(e) => void open('overlay')(e)} />
        </label>
        {overlay && (
          <button type="button" className="link" onClick={clearOverlay}>
            Remove overlay ({overlay.name})
          </button>
        )}
      </div>
      <ErrorLine>{reportError}</ErrorLine>
      {shown ? (
        <div className="report-view" data-origin={shown.origin}>
          <p className="muted small" data-testid="report-name">
            Showing {shown.origin === 'sweep' ? (sweeping ? 'this sweep (running)' : 'this sweep') : shown.name}
            {overlay ? `, overlaid with ${overlay.name}` : ''}
          </p>
          <SweepChart report={shown.report} overlay={overlay?.report ?? null} overlayName={overlay?.name ?? null} />
          <ScoresTable report={shown.report} />
          <Provenance report={shown.report} />
          <ItemsTable report={shown.report} />
        </div>
      ) : (
        <p className="muted">Run a sweep, or open a report.</p>
      )}
    </section>
  );
}
