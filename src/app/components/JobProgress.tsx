import { useEffect, useState } from 'react';
import type { MergeProgress } from '../../core/merge/execute.ts';
import { useActions } from '../StoreProvider.tsx';
import { eta, formatBytes, formatSeconds } from '../format.ts';
import type { JobKey, JobState } from '../store/jobs.ts';
import { ErrorLine } from './ErrorLine.tsx';

/** Elapsed seconds of a running job, ticking. */
function useElapsed(startedAt: number | null, running: boolean): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(performance.now()), 500);
    return () => clearInterval(timer);
  }, [running]);
  return startedAt === null ? 0 : Math.max(0, (running ? now : performance.now()) - startedAt) / 1000;
}

/** Where a job stands: done of total (for the bar and the ETA) and a line of detail. */
export interface Measure {
  readonly done: number;
  readonly total: number;
  readonly detail: string;
  /** Seconds left as the job itself estimates them (a sweep: measured item times over its plan); absent: from elapsed time and done/total. */
  readonly eta?: number | null;
}

function mergeMeasure(p: MergeProgress): Measure {
  return { done: p.bytesDone, total: p.bytesTotal, detail: `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)} · ${p.tensorsDone}/${p.tensorsTotal} tensors` };
}

/**
 * Progress bar, detail, ETA and "Cancel" of a running job; its outcome once finished. `measure`
 * reads the job's progress (default: a merge's bytes and tensors).
 */
export function JobProgress<R, P = MergeProgress>({
  job,
  jobKey,
  label,
  done,
  measure,
  cancelled = 'Cancelled — nothing was kept.',
}: {
  job: JobState<R, P>;
  jobKey: JobKey;
  label: string;
  done?: (result: R) => string;
  measure?: (progress: P) => Measure;
  /** What a cancel leaves behind. */
  cancelled?: string;
}) {
  const { cancel } = useActions();
  const running = job.status === 'running';
  const elapsed = useElapsed(job.startedAt, running);
  if (job.status === 'idle') return null;
  const m = job.progress === null ? null : (measure ?? (mergeMeasure as unknown as (p: P) => Measure))(job.progress);
  const fraction = m && m.total > 0 ? m.done / m.total : 0;
  const left = m ? (m.eta !== undefined ? m.eta : eta(m.done, m.total, elapsed)) : null;
  return (
    <div className="job">
      {running && (
        <div className="job-running">
          <progress aria-label={label} max={1} value={fraction} />
          <span className="job-detail" role="status">
            {m ? m.detail : 'Starting…'}
            {left !== null && left > 0 ? ` · about ${formatSeconds(left)} left` : ''}
          </span>
          <button type="button" onClick={() => cancel(jobKey)}>
            Cancel
          </button>
        </div>
      )}
      {job.status === 'done' && job.result !== null && done && (
        <p className="job-done" role="status">
          {done(job.result)}
        </p>
      )}
      {job.status === 'cancelled' && (
        <p className="job-cancelled" role="status">
          {cancelled}
        </p>
      )}
      <ErrorLine>{job.status === 'error' ? job.error : null}</ErrorLine>
    </div>
  );
}
