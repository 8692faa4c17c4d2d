import { useEffect, useState } from 'react';
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

/** Progress bar, bytes, ETA and "Cancel" of a running job; its outcome once finished. */
export function JobProgress<R>({ job, jobKey, label, done }: { job: JobState<R>; jobKey: JobKey; label: string; done?: (result: R) => string }) {
  const { cancel } = useActions();
  const running = job.status === 'running';
  const elapsed = useElapsed(job.startedAt, running);
  if (job.status === 'idle') return null;
  const p = job.progress;
  const fraction = p && p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0;
  const left = p ? eta(p.bytesDone, p.bytesTotal, elapsed) : null;
  return (
    <div className="job">
      {running && (
        <div className="job-running">
          <progress aria-label={label} max={1} value={fraction} />
          <span className="job-detail" role="status">
            {p ? `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)} · ${p.tensorsDone}/${p.tensorsTotal} tensors` : 'Starting…'}
            {left !== null ? ` · about ${formatSeconds(left)} left` : ''}
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
          Cancelled — nothing was kept.
        </p>
      )}
      <ErrorLine>{job.status === 'error' ? job.error : null}</ErrorLine>
    </div>
  );
}
