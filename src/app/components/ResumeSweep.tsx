import { useActions, useStudio } from '../StoreProvider.tsx';
import { isBusy, mergeBlocker } from '../store/state.ts';

/** "Resume sweep": continues a sweep that stopped (cancelled, or a lost device) where it stopped. */
export function ResumeSweep() {
  const resumable = useStudio((s) => s.resumable);
  const busy = useStudio(isBusy);
  const blocked = useStudio((s) => mergeBlocker(s) !== null);
  const { resumeSweep } = useActions();
  if (!resumable) return null;
  const samples = resumable.runs.reduce((n, r) => n + r.samples.length, 0);
  return (
    <>
      <button type="button" onClick={() => void resumeSweep()} disabled={busy || blocked}>
        Resume sweep
      </button>
      <span className="muted small" data-testid="resumable" data-samples={samples}>
        The stopped sweep has {samples} item{samples === 1 ? '' : 's'} done; resuming keeps them and runs the rest.
      </span>
    </>
  );
}
