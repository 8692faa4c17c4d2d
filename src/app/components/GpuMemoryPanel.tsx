import { formatBytes } from '../format.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import type { GpuMode } from '../store/gpu-actions.ts';
import { isBusy } from '../store/state.ts';
import { NumberField } from './NumberField.tsx';

const MODE_LABELS: Record<GpuMode, string> = {
  auto: 'Chosen by the plan',
  resident: 'Resident (inputs on the GPU: a new α is one kernel pass)',
  streamed: 'Streamed (only the weights on the GPU: a new α re-reads the checkpoints)',
};

/** The GPU memory plan for the loaded checkpoints, shown before anything loads, and the bytes held now. */
export function GpuMemoryPanel() {
  const gpu = useStudio((s) => s.gpu);
  const held = useStudio((s) => s.diagnostics?.gpuBytes ?? 0);
  const modelBytes = useStudio((s) => s.diagnostics?.model?.residentBytes);
  const busy = useStudio(isBusy);
  const { setGpuBudget, setGpuMode } = useActions();
  const view = gpu.plan;
  const plan = view?.status === 'planned' ? view.plan : null;
  return (
    <section className="panel" aria-labelledby="gpu-heading">
      <header className="panel-head">
        <h2 id="gpu-heading">GPU memory</h2>
      </header>
      <p className="panel-help">
        What the evaluated model will hold on the GPU, counted from the checkpoints’ headers before anything loads, against your budget. Raise the budget only
        if your card has that much free memory.
      </p>
      <div className="row">
        <label>
          Budget (GB){' '}
          <NumberField label="GPU memory budget in GB" value={gpu.budgetBytes / 1e9} min={0.1} step={0.5} disabled={busy} onChange={(gb) => setGpuBudget(gb * 1e9)} />
        </label>{' '}
        <label>
          α changes{' '}
          <select aria-label="α changes" value={gpu.mode} disabled={busy} onChange={(e) => setGpuMode(e.target.value as GpuMode)}>
            {(Object.keys(MODE_LABELS) as GpuMode[]).map((m) => (
              <option key={m} value={m}>
                {MODE_LABELS[m]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p
        className="small"
        data-testid="gpu-memory"
        data-bytes={held}
        data-model-bytes={modelBytes}
        data-plan-bytes={plan?.bytes.total}
        data-budget={gpu.budgetBytes}
        data-fits={plan ? String(plan.fits) : undefined}
        data-mode={plan?.mode}
        data-precision={plan?.precision}
        data-batch={plan?.batchSize}
      >
        Held on the GPU now: {formatBytes(held)}
        {modelBytes !== undefined ? ` (weights and merge buffers ${formatBytes(modelBytes)}; the rest is onnxruntime’s)` : ''}
        {plan ? ` · planned: ${formatBytes(plan.bytes.total)} of ${formatBytes(plan.budgetBytes)}` : ''}
      </p>
      {view?.status === 'none' && <p className="small muted">No plan: {view.reason}.</p>}
      {plan && (
        <>
          <p className={plan.fits ? 'small' : 'error-line'} role={plan.fits ? undefined : 'alert'}>
            {plan.fits ? 'Fits' : 'Does not fit'}: float{plan.precision === 'f16' ? 16 : 32}, {plan.mode}, batch {plan.batchSize}, context {plan.contextLength} tokens.
          </p>
          <table className="small" data-testid="gpu-plan">
            <tbody>
              <Row name="Weights" bytes={plan.bytes.weights} />
              {plan.mode === 'resident' ? <Row name="Merge inputs (resident)" bytes={plan.bytes.mergeInputs} /> : <Row name="Stream window" bytes={plan.bytes.streamWindow} />}
              <Row name="KV cache" bytes={plan.bytes.kvCache} />
              <Row name="Activations" bytes={plan.bytes.activations} />
              <Row name="Logits" bytes={plan.bytes.logits} />
              <Row name="Rotary caches" bytes={plan.bytes.constants} />
              <Row name="Total" bytes={plan.bytes.total} />
            </tbody>
          </table>
          <ul className="small">
            {plan.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
          {plan.suggestions.length > 0 && (
            <ul className="small" data-testid="gpu-suggestions">
              {plan.suggestions.map((s) => (
                <li key={s}>{s}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function Row({ name, bytes }: { name: string; bytes: number }) {
  return (
    <tr>
      <th scope="row">{name}</th>
      <td>{formatBytes(bytes)}</td>
    </tr>
  );
}
