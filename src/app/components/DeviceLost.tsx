import { useActions, useStudio } from '../StoreProvider.tsx';
import { isBusy } from '../store/state.ts';

/** After a lost GPU device: what happened, what to change, and a restart that keeps reports and settings (no reload). */
export function DeviceLost() {
  const lost = useStudio((s) => s.diagnostics?.deviceLost ?? null);
  const resumable = useStudio((s) => s.resumable !== null);
  const busy = useStudio(isBusy);
  const { restartGpu } = useActions();
  if (lost === null) return null;
  return (
    <div className="notice" role="alert" data-testid="device-lost">
      <span>
        The GPU device was lost ({lost}). The reports of finished runs stay{resumable ? ', and the stopped sweep can be resumed' : ''}. Restart the GPU to
        load the checkpoints again; if it happens again, lower the GPU memory budget or the batch size, or choose streamed α changes (GPU memory panel).
      </span>
      <button type="button" onClick={() => void restartGpu()} disabled={busy}>
        Restart the GPU
      </button>
    </div>
  );
}
