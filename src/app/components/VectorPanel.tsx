import { useState } from 'react';
import { asDirectory, canPickFolders, pickFolder } from '../../browser/page/pickers.ts';
import { largestTensors } from '../../core/merge/vector-stats.ts';
import type { VectorAnalysis } from '../../browser/shared/engine-api.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { NextStepHint, nextProps, useIsNext } from './Guide.tsx';
import { formatBytes, formatPercent, formatSeconds, formatValue } from '../format.ts';
import { errorLine } from '../store/jobs.ts';
import { analysisBlocker, isBusy } from '../store/state.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { printable } from '../../core/text/printable.ts';
import { JobProgress } from './JobProgress.tsx';
import { VectorBars } from './VectorBars.tsx';
import { VectorHeatmap } from './VectorHeatmap.tsx';

const TOP = 12;

function LargestTensors({ analysis }: { analysis: VectorAnalysis }) {
  const top = largestTensors(analysis.tensors, TOP);
  const ref = analysis.summary.hasReference;
  return (
    <table className="top-tensors" aria-label="Largest tensors of v">
      <caption>Largest tensors of v (by ‖v‖)</caption>
      <thead>
        <tr>
          <th scope="col">Tensor</th>
          <th scope="col">‖v‖</th>
          {ref && <th scope="col">‖v‖ / ‖θ_SFT‖</th>}
          <th scope="col">max |v|</th>
          <th scope="col">zeros</th>
        </tr>
      </thead>
      <tbody>
        {top.map((t) => (
          <tr key={t.name}>
            <td className="mono">{printable(t.name)}</td>
            <td>{formatValue(t.normV)}</td>
            {ref && <td>{formatValue(t.relative)}</td>}
            <td>{formatValue(t.maxAbsV)}</td>
            <td>{formatPercent(t.zeroFraction)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function VectorPanel() {
  const isNext = useIsNext('extract');
  const analysis = useStudio((s) => s.analysis);
  const vectorSave = useStudio((s) => s.vectorSave);
  const useVector = useStudio((s) => s.useVector);
  const blocker = useStudio(analysisBlocker);
  const busy = useStudio(isBusy);
  const { extractVector, saveVector } = useActions();
  const [pickError, setPickError] = useState<string | null>(null);
  const result = analysis.status === 'done' ? analysis.result : null;
  const total = result?.summary.total;

  const onSave = async () => {
    setPickError(null);
    try {
      const dir = await pickFolder('readwrite', 'rvs-output');
      if (dir) await saveVector(asDirectory(dir));
    } catch (e) {
      setPickError(errorLine(e));
    }
  };

  return (
    <section {...nextProps(isNext, 'extract')} aria-labelledby="vector-heading">
      <header className="panel-head">
        <h2 id="vector-heading">Vector</h2>
      </header>
      <NextStepHint step="extract" />
      <p className="panel-help">
        {useVector
          ? 'Reads the saved vector once and shows where it is large (‖v‖; ratios need θ_SFT).'
          : 'One pass over SFT and GRPO on the GPU: where v = θ_GRPO − θ_SFT lives, relative to θ_SFT.'}
      </p>
      <div className="actions">
        <button type="button" className="primary" onClick={() => void extractVector()} disabled={busy || blocker !== null}>
          {useVector ? 'Analyse vector' : 'Extract vector'}
        </button>
        {!useVector && (
          <button type="button" onClick={() => void onSave()} disabled={busy || blocker !== null || !canPickFolders()}>
            Save vector…
          </button>
        )}
        {blocker && <span className="muted">{blocker}</span>}
      </div>
      <ErrorLine>{pickError}</ErrorLine>
      <JobProgress job={analysis} jobKey="analysis" label="Extraction progress" />
      <JobProgress
        job={vectorSave}
        jobKey="vectorSave"
        label="Vector save progress"
        done={(r) => `Saved the vector: ${r.files.length} files (${formatBytes(r.bytes)}) in “${r.folder}”, ${formatSeconds(r.seconds)}.`}
      />
      {result && total && (
        <div className="vector-results" data-testid="vector-results">
          <p className="totals" role="status">
            ‖v‖ = {formatValue(total.normV)}
            {result.summary.hasReference && (
              <>
                , ‖θ_SFT‖ = {formatValue(total.normRef)}, ratio {formatValue(total.relative)}
              </>
            )}
            , zeros {formatPercent(total.zeroFraction)} · {result.tensors.length} tensors in {formatSeconds(result.seconds)} on {result.backend}
          </p>
          <VectorHeatmap summary={result.summary} />
          <VectorBars summary={result.summary} />
          <LargestTensors analysis={result} />
        </div>
      )}
    </section>
  );
}
