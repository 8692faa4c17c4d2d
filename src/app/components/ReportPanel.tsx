import { weightArithmeticOf } from '../../core/eval/run-evaluation.ts';
import { Fragment, useMemo, useState, type ChangeEvent, type DragEvent } from 'react';
import type { Report } from '../../core/report/schema.ts';
import { downloadReport } from '../download.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { formatSeconds } from '../format.ts';
import { BASELINE_ALPHA, reportStatus, type NamedReport } from '../store/scores.ts';
import type { ShownReport } from '../store/state.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { ItemsTable } from './ItemsTable.tsx';
import { ScoresTable } from './ScoresTable.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import { SweepChart } from './SweepChart.tsx';

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

/** The shown report and the overlays under names that tell them apart ("a.json", "a.json (2)"). */
function named(shown: ShownReport, overlays: readonly ShownReport[], sweeping: boolean): NamedReport[] {
  const seen = new Map<string, number>();
  return [shown, ...overlays].map((s) => {
    const base = s.origin === 'sweep' ? (sweeping ? 'this sweep (running)' : 'this sweep') : s.name;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { name: n === 1 ? base : `${base} (${n})`, report: s.report };
  });
}

export function ReportPanel() {
  const shown = useStudio((s) => s.shown);
  const overlays = useStudio((s) => s.overlays);
  const reportError = useStudio((s) => s.reportError);
  const sweeping = useStudio((s) => s.sweep.status === 'running');
  const { openReport, clearOverlay } = useActions();
  const [dragging, setDragging] = useState(false);
  const [baseline, setBaseline] = useState(false);
  const reports = useMemo(() => (shown ? named(shown, overlays, sweeping) : []), [shown, overlays, sweeping]);
  const hasBaseline = reports.some((r) => r.report.runs.some((run) => run.alpha === BASELINE_ALPHA));

  const open = (as: 'shown' | 'overlay') => async (event: ChangeEvent<HTMLInputElement>) => {
    const file = await readFile(event);
    if (file) void openReport(file.text, file.name, as);
  };
  const onDrop = async (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) void openReport(await file.text(), file.name, shown ? 'overlay' : 'shown');
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
        <button type="button" className="primary" disabled={!exportable} onClick={() => shown && downloadReport(shown.report)}>
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
        {overlays.length > 1 && (
          <button type="button" className="link" onClick={() => clearOverlay()}>
            Remove the overlays
          </button>
        )}
      </div>
      <ErrorLine>{reportError}</ErrorLine>
      {shown ? (
        <div className="report-view" data-origin={shown.origin}>
          <p className="report-title">
            <span className="muted small" data-testid="report-name">
              Showing {reports[0]!.name}
              {overlays.length > 0 ? `, overlaid with ${reports.slice(1).map((r) => r.name).join(', ')}` : ''}
            </span>{' '}
            <StatusBadge status={sweeping && shown.origin === 'sweep' ? 'partial' : reportStatus(shown.report)} />
          </p>
          {overlays.length > 0 && (
            <ul className="overlays" aria-label="Overlays">
              {reports.slice(1).map((o, i) => (
                <li key={`${i}-${o.name}`}>
                  {o.name} <StatusBadge status={reportStatus(o.report)} />{' '}
                  <button type="button" className="link" onClick={() => clearOverlay(i)}>
                    Remove overlay ({o.name})
                  </button>
                </li>
              ))}
            </ul>
          )}
          <label className="toggle">
            <input type="checkbox" checked={baseline && hasBaseline} disabled={!hasBaseline} onChange={(e) => setBaseline(e.target.checked)} />
            Baseline α = 0 and Δ from it{hasBaseline ? '' : ' (no run at α = 0)'}
          </label>
          <SweepChart reports={reports} baseline={baseline && hasBaseline} />
          <ScoresTable reports={reports} baseline={baseline && hasBaseline} />
          <Provenance report={shown.report} />
          <ItemsTable report={shown.report} />
        </div>
      ) : (
        <p className="muted">Run a sweep, or open a report.</p>
      )}
    </section>
  );
}
