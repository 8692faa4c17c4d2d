/**
 * "From Hugging Face" for a benchmark of the Evaluate panel: the button starts the store's
 * `hubData` job (store/hub-actions.ts: the task's splits — the few-shot split only when the run's
 * settings use shots — through the Hub's Parquet conversion into the OPFS cache, then loaded like
 * chosen files); the status line shows its progress and Cancel, then the outcome.
 */
import type { Benchmark } from '../../browser/shared/benchmarks.ts';
import { configOf } from '../../core/hub/datasets.ts';
import { getTask } from '../../core/eval/tasks/index.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { formatBytes } from '../format.ts';
import { ErrorLine } from './ErrorLine.tsx';

/** The button beside the file inputs. */
export function HubDataButton({ b, disabled }: { b: Benchmark; disabled: boolean }) {
  const { fetchHubData } = useActions();
  const dataset = b.tasks.length === 1 ? getTask(b.tasks[0]!).dataset : undefined;
  if (b.notOnHub !== null || !dataset) return null;
  return (
    <button
      type="button"
      className="button small"
      aria-label={`${b.label} from Hugging Face`}
      title={`${dataset.repo} (${configOf(dataset)}) through the Hub’s Parquet conversion; kept in this browser’s storage`}
      disabled={disabled}
      onClick={() => void fetchHubData(b.id)}
    >
      From Hugging Face
    </button>
  );
}

/** Progress and Cancel while fetching this benchmark's data; the outcome after. */
export function HubDataStatus({ b }: { b: Benchmark }) {
  const job = useStudio((s) => (s.hubDataFor === b.id ? s.hubData : null));
  const { cancel } = useActions();
  if (!job || job.status === 'idle') return null;
  if (job.status === 'error') return <ErrorLine>{job.error}</ErrorLine>;
  if (job.status !== 'running') {
    return (
      <p className={`small ${job.status === 'done' ? 'muted' : 'job-cancelled'}`} role="status">
        {job.status === 'done' ? job.result?.message : 'Cancelled — nothing was loaded.'}
      </p>
    );
  }
  const repo = job.progress?.repo ?? '';
  const p = job.progress?.fetch ?? null;
  return (
    <div className="job-running">
      <progress aria-label={`${b.label}: download progress`} max={p?.total ?? 1} value={p && p.total !== null ? p.received : undefined} />
      <span className="job-detail" role="status">
        {p ? `${repo} · ${p.file} · ${formatBytes(p.received)}${p.total !== null ? ` of ${formatBytes(p.total)}` : ''}` : `${repo || 'Hugging Face'}: asking the Hub…`}
      </span>
      <button type="button" aria-label={`Cancel fetching ${b.label}`} onClick={() => cancel('hubData')}>
        Cancel
      </button>
    </div>
  );
}
