import { useState } from 'react';
import { asDirectory, canPickFolders, pickFolder } from '../../browser/page/pickers.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { NextStepHint, nextProps, useIsNext } from './Guide.tsx';
import { formatAlpha, formatBytes, formatSeconds } from '../format.ts';
import { errorLine } from '../store/jobs.ts';
import { ALPHA_MAX, ALPHA_MIN, ALPHA_STEP, formulaOf, OUTPUT_DTYPES, type OutputDtype } from '../store/settings.ts';
import { ALPHA_BOUND, alphaProblem } from '../../core/merge/alphas.ts';
import { isBusy, mergeBlocker } from '../store/state.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { JobProgress } from './JobProgress.tsx';
import { NumberField } from './NumberField.tsx';
import { RulesEditor } from './RulesEditor.tsx';

/**
 * θ = θ_target + α·v, then what each rule does to the tensors it matches (the last match wins), as
 * the recipe applies them.
 */
function Formula() {
  const settings = useStudio((s) => s.settings);
  const useVector = useStudio((s) => s.useVector);
  const v = useVector ? 'v' : '(θ_GRPO − θ_SFT)';
  const { alpha, rules } = formulaOf(settings);
  return (
    <div className="panel-help formula" data-testid="merge-formula">
      <p>
        θ = θ_target {formatAlpha(alpha)}·{v}
        {rules.length > 0 ? ', except (the last matching rule wins):' : ''}
      </p>
      {rules.length > 0 && (
        <ul>
          {rules.map((r, i) => (
            <li key={i}>
              <span className="mono">{r.patterns.join(', ')}</span>: {r.alpha === null ? 'θ = θ_target (excluded)' : `θ = θ_target ${formatAlpha(r.alpha)}·${v}`}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function AlphaControl() {
  const alpha = useStudio((s) => s.settings.alpha);
  const busy = useStudio(isBusy);
  const { setAlpha } = useActions();
  const problem = alphaProblem(alpha);
  return (
    <div className="alpha" title={busy ? 'Locked while a job runs: it uses the α it started with.' : undefined}>
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
        disabled={busy}
        onChange={(e) => setAlpha(Number(e.target.value))}
      />
      <NumberField label="Alpha value" value={alpha} onChange={setAlpha} step={ALPHA_STEP} disabled={busy} invalid={problem !== null} />
      <span className="muted small">
        {busy ? 'Locked while a job runs.' : `The slider spans ${ALPHA_MIN} to ${ALPHA_MAX}; type any α from −${ALPHA_BOUND} to ${ALPHA_BOUND}.`}
      </span>
    </div>
  );
}

export function MergePanel() {
  const isNext = useIsNext('merge');
  const settings = useStudio((s) => s.settings);
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
    <section {...nextProps(isNext, 'merge')} aria-labelledby="merge-heading">
      <header className="panel-head">
        <h2 id="merge-heading">Merge</h2>
      </header>
      <NextStepHint step="merge" />
      <Formula />
      <AlphaControl />
      <RulesEditor />
      <fieldset className="merge-output" disabled={busy}>
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
      </fieldset>
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
