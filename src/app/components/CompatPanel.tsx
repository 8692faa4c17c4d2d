import { useState } from 'react';
import type { CompatIssue } from '../../core/checkpoint/compat.ts';
import { useStudio } from '../StoreProvider.tsx';
import { roleName, slotName } from '../store/state.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { printable } from '../../core/text/printable.ts';

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;
const SHOWN = 200;

export function CompatPanel() {
  const compat = useStudio((s) => s.compat.merge);
  const analysis = useStudio((s) => s.compat.analysis);
  const useVector = useStudio((s) => s.useVector);
  const [showAll, setShowAll] = useState(false);

  // The merge's report covers every slot; until the target is loaded, show the pair's.
  const shown = compat.result?.report ? compat : analysis.result?.report ? analysis : compat;
  const result = shown.result;
  const report = result?.report ?? null;
  const issues = report ? [...report.issues].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]) : [];
  const errors = issues.filter((i) => i.severity === 'error').length;

  let status: string;
  let tone: 'ok' | 'blocked' | 'pending';
  if (!result) {
    status = compat.status === 'checking' ? 'Checking…' : 'Load checkpoints to check them.';
    tone = 'pending';
  } else if (!report) {
    status = `Load ${result.missing.map(slotName).join(', ')} to check compatibility.`;
    tone = 'pending';
  } else if (report.ok) {
    const pending = shown === analysis && compat.result && compat.result.missing.length > 0 ? ` Load ${compat.result.missing.map(slotName).join(', ')} to check the merge.` : '';
    status = `Compatible: ${report.roles.map(roleName).join(', ')} line up tensor by tensor.${pending}`;
    tone = 'ok';
  } else {
    status = `Blocked: ${errors} problem${errors === 1 ? '' : 's'}. The ${shown === analysis ? 'vector' : 'merge'} cannot run until they are fixed.`;
    tone = 'blocked';
  }

  return (
    <section className="panel" aria-labelledby="compat-heading">
      <header className="panel-head">
        <h2 id="compat-heading">Compatibility</h2>
      </header>
      <p className={`compat-status compat-${tone}`} role="status" data-testid="compat-status" data-state={tone}>
        {status}
      </p>
      <ErrorLine>{shown.error}</ErrorLine>
      {issues.length > 0 && (
        <>
          <div className="issues-scroll">
            <table className="issues" aria-label={useVector ? 'Compatibility issues (target and vector)' : 'Compatibility issues'}>
              <thead>
                <tr>
                  <th scope="col">Severity</th>
                  <th scope="col">Tensor or field</th>
                  <th scope="col">Problem</th>
                </tr>
              </thead>
              <tbody>
                {(showAll ? issues : issues.slice(0, SHOWN)).map((issue, i) => (
                  <IssueRow key={i} issue={issue} />
                ))}
              </tbody>
            </table>
          </div>
          {issues.length > SHOWN && (
            <button type="button" className="link" onClick={() => setShowAll(!showAll)}>
              {showAll ? 'Show fewer' : `Show all ${issues.length}`}
            </button>
          )}
        </>
      )}
    </section>
  );
}

function IssueRow({ issue }: { issue: CompatIssue }) {
  const what = issue.tensor ?? (issue.field ? `config.json: ${issue.field}` : issue.kind);
  // Messages start with the tensor's name, already in its own column.
  const message = issue.tensor && issue.message.startsWith(`${issue.tensor}: `) ? issue.message.slice(issue.tensor.length + 2) : issue.message;
  return (
    <tr className={`issue-${issue.severity}`}>
      <td>{issue.severity === 'error' ? 'blocks' : issue.severity}</td>
      <td className="mono tensor-name">{printable(what)}</td>
      <td>{printable(message)}</td>
    </tr>
  );
}
