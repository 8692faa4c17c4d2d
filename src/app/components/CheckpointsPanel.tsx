import { useActions, useStudio } from '../StoreProvider.tsx';
import { isBusy, visibleSlots } from '../store/state.ts';
import { CheckpointSlot } from './CheckpointSlot.tsx';
import { HubPresets } from './HubPresets.tsx';

export function CheckpointsPanel() {
  const useVector = useStudio((s) => s.useVector);
  const busy = useStudio(isBusy);
  const { setUseVector } = useActions();
  return (
    <section className="panel" aria-labelledby="checkpoints-heading">
      <header className="panel-head">
        <h2 id="checkpoints-heading">Checkpoints</h2>
        <label className="toggle">
          <input type="checkbox" checked={useVector} disabled={busy} onChange={(e) => setUseVector(e.target.checked)} />
          Use a saved reasoning vector instead of SFT + GRPO
        </label>
      </header>
      <p className="panel-help">
        {useVector
          ? 'θ = θ_target + α·v, with v saved earlier by “Save vector…” (or rvs extract).'
          : 'v = θ_GRPO − θ_SFT is added to the target: θ = θ_target + α·v. Folders are read in place; nothing is uploaded.'}
      </p>
      <div className="slots">
        {visibleSlots(useVector).map((slot) => (
          <CheckpointSlot key={slot} slot={slot} />
        ))}
      </div>
      <HubPresets />
    </section>
  );
}
