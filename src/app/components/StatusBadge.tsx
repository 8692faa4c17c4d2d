import type { RunStatus } from '../store/scores.ts';

const TITLES: Record<RunStatus, string> = {
  complete: 'Every run of the sweep finished.',
  partial: 'Saved while the sweep was running (or it stopped on an error): the runs finished so far.',
  cancelled: 'Cancelled: the runs finished before the cancel.',
};

/** A report's status: complete, partial or cancelled. */
export function StatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`badge status-badge status-${status}`} data-testid="status-badge" data-status={status} title={TITLES[status]}>
      {status}
    </span>
  );
}
