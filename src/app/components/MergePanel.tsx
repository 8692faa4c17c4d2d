import { useState } from 'react';
import { asDirectory, canPickFolders, pickFolder } from '../../browser/page/pickers.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { formatAlpha, formatBytes, formatSeconds } from '../format.ts';
import { errorLine } from '../store/jobs.ts';
import { ALPHA_MAX, ALPHA_MIN, ALPHA_STEP, OUTPUT_DTYPES, type OutputDtype } from '../store/settings.ts';
import { isBusy, mergeBlocker } from '../store/state.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { JobProgress } from './JobProgress.tsx';
import { NumberField } from './NumberField.tsx';
import { RulesEditor } from './RulesEditor.tsx';

function AlphaControl() {
  const alpha = useStudio((s) => s.settings.alpha);
  const { setAlpha } = useActions();
  return (
    <div className="alpha">
      <label htmlFor="alpha-slider">α</label>
      <input
        id="alpha-slider"
        type="range"
        aria-label="Alpha"
        aria-valuetext={formatAlpha(alpha)}
        min={ALPHA_MIN}
        max={ALPHA_MAX}
        step={ALPHA_STEP}
        value={Math.min(ALPHA_MAX, Math.max(ALPHA_MIN, alpha))}
        onChange={(e) => setAlpha(Number(e.target.value))}
      />
      <NumberField label="Alpha value" value={alpha} onChange={setAlpha} step={ALPHA_STEP} />
    </div>
  );
}

export function MergePanel() {
  const settings = useStudio((s) => s.settings);
  const useVector = useStudio((s) => s.useVector);
  const mergeSave = useStudio((s) => s.mergeSave);
  const onnxExport = useStudio((s) => s.onnxExport);
  const blocker = useStudio(mergeBlocker);
  const busy = useStudio(isBusy);
  const { setDtype, setShardSizeMB, saveMerged, exportOnnx } = useActions();
  const [pickError, setPickError] = useState<string | null>(null);

  const into = (write: (dest: ReturnType<typeof asDirectory>) => Promise<void>) => async () => {
    setPickError(null);
    try {
      const dir = await pickFolder('readwrite', 'rvs-output');
      if (dir) await write(asDirectory(dir));
    } catch (e) {
      setPickError(errorLine(e));
    }
  };
  const onSave = into(saveMerged);
  const onExport = into(exportOnnx);

  return (
    <section className="panel" aria-labelledby="merge-heading">
      <header className="panel-head">
        <h2 id="merge-heading">Merge</h2>
      </header>
      <p className="panel-help">
        θ = θ_target {formatAlpha(settings.alpha)}·{useVector ? 'v' : '(θ_GRPO − θ_SFT)'}
      </p>
      <AlphaControl />
      <RulesEditor />
      <div className="merge-output">
        <label>
          Output dtype
          <select value={settings.dtype} onChange={(e) => setDtype(e.target.value as OutputDtype)}>
            {OUTPUT_DTYPES.map((d) => (
              <option key={d} value={d}>
                {d === 'auto' ? 'auto (as the target)' : d}
              </option>
            ))}
          </select>
        </label>
        <label>
          Shard size (MB)
          <NumberField label="Shard size (MB)" value={settings.shardSizeMB} onChange={setShardSizeMB} min={0.001} step={100} />
        </label>
      </div>
      <div className="actions">
        <button type="button" className="primary" onClick={() => void onSave()} disabled={busy || blocker !== null || !canPickFolders()}>
          Save merged model…
        </button>
        <button type="button" onClick={() => void onExport()} disabled={busy || blocker !== null || !canPickFolders()} title="An ONNX model folder (float32) that transformers.js loads">
          Export ONNX…
        </button>
        {blocker ? (
          <span className="muted" data-testid="merge-blocker">
            {blocker}
          </span>
        ) : (
          !canPickFolders() && <span className="muted">Saving needs a browser that can write folders (Chrome, Edge).</span>
        )}
      </div>
      <ErrorLine>{pickError}</ErrorLine>
      <JobProgress
        job={mergeSave}
        jobKey="mergeSave"
        label="Save progress"
        done={(r) => `Saved ${r.files.length} files (${formatBytes(r.bytes)}) in “${r.folder}”, ${formatSeconds(r.seconds)} on ${r.backend}.`}
      />
      <JobProgress
        job={onnxExport}
        jobKey="onnxExport"
        label="ONNX export progress"
        done={(r) => `Exported ONNX: ${r.files.length} files (${formatBytes(r.bytes)}) in “${r.folder}”, ${formatSeconds(r.seconds)}.`}
      />
    </section>
  );
}
