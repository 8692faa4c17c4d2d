import { useState } from 'react';
import type { GenerateOutcome, GenerateSnapshot } from '../../browser/shared/engine-api.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { NextStepHint, nextProps, useIsNext } from './Guide.tsx';
import { formatAlpha, formatBytes } from '../format.ts';
import { visibleText } from '../visible-text.ts';
import { isBusy, mergeBlocker } from '../store/state.ts';
import { FallbackNote } from './EvaluatePanel.tsx';
import { JobProgress, type Measure } from './JobProgress.tsx';

function measure(p: GenerateSnapshot): Measure {
  if (p.phase === 'loading') return { done: p.loadBytesDone, total: p.loadBytesTotal, detail: `Loading the model: ${formatBytes(p.loadBytesDone)} of ${formatBytes(p.loadBytesTotal)} to the GPU` };
  if (p.phase === 'applying') return { done: 0, total: 0, detail: 'Applying α…' };
  return { done: 0, total: 0, detail: `Generating: ${p.tokens} tokens` };
}

/** The output with whitespace and control characters visible, and a note when it is empty or only whitespace. */
function GeneratedText({ text, show }: { text: string; show: boolean }) {
  const visible = visibleText(text);
  return (
    <>
      <output className="generated" aria-label="Generated text" aria-live="polite" data-raw-length={text.length}>
        {visible.parts.map((p, i) =>
          p.mark ? (
            <span key={i} className="ws-mark" aria-hidden="true">
              {p.text}
            </span>
          ) : (
            p.text
          ),
        )}
      </output>
      {show && visible.note && (
        <p className="muted small" data-testid="output-note">
          {visible.note}
        </p>
      )}
    </>
  );
}

const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;

/** The measured time from the α change to the first token, and what it is made of. */
function Timing({ o }: { o: GenerateOutcome }) {
  return (
    <p className="timing" data-testid="first-token" data-ms={o.firstTokenMs.toFixed(3)} data-apply-ms={o.applyMs.toFixed(3)} data-alpha-changed={String(o.alphaChanged)}>
      α {formatAlpha(o.alpha)} → first token: <strong>{ms(o.firstTokenMs)}</strong>{' '}
      <span className="muted">
        ({o.alphaChanged ? `α applied in ${ms(o.applyMs)}` : 'α unchanged'} + prompt {ms(o.prefillMs)}) · {o.tokens} tokens
        {o.tokensPerSecond > 0 ? `, ${o.tokensPerSecond.toFixed(1)} tokens/s` : ''} · {o.mode === 'webgpu' ? 'WebGPU' : 'wasm (CPU fallback: each α rebuilds the model)'}
      </span>
    </p>
  );
}

/** What the engine has read and built: α changes must leave both unchanged (WebGPU). */
export function EngineCounters() {
  const d = useStudio((s) => s.diagnostics);
  if (!d) return null;
  return (
    <p className="small muted" data-testid="engine-counters" data-reads={d.checkpointReads} data-sessions={d.sessionsCreated}>
      Checkpoint reads: {d.checkpointReads} ({formatBytes(d.checkpointBytes)}) · sessions built: {d.sessionsCreated}
      {d.model ? ` · model on ${d.model.mode === 'webgpu' ? `the GPU (${formatBytes(d.model.residentBytes)} resident)` : 'the CPU (wasm)'}` : ''}
    </p>
  );
}

export function TryItPanel() {
  const isNext = useIsNext('tryIt');
  const tryIt = useStudio((s) => s.tryIt);
  const alpha = useStudio((s) => s.settings.alpha);
  const blocker = useStudio(mergeBlocker);
  const busy = useStudio(isBusy);
  const { generate } = useActions();
  const [prompt, setPrompt] = useState('What is 12 + 30?');
  const [chat, setChat] = useState(true);
  const [maxNewTokens, setMaxNewTokens] = useState(24);
  const running = tryIt.status === 'running';
  const text = running ? (tryIt.progress?.text ?? '') : tryIt.status === 'done' ? (tryIt.result?.text ?? '') : '';

  return (
    <section {...nextProps(isNext, 'tryIt')} aria-labelledby="tryit-heading">
      <header className="panel-head">
        <h2 id="tryit-heading">Try it</h2>
      </header>
      <NextStepHint step="tryIt" />
      <p className="panel-help">Generates from a prompt with the merge panel’s α ({formatAlpha(alpha)}) and rules, greedily. The model stays loaded: a new α re-runs only the merge kernel.</p>
      <FallbackNote />
      <form
        className="tryit"
        onSubmit={(e) => {
          e.preventDefault();
          void generate(prompt, chat, maxNewTokens);
        }}
      >
        <label className="block">
          Prompt
          <textarea value={prompt} rows={3} onChange={(e) => setPrompt(e.target.value)} />
        </label>
        <div className="row">
          <label className="toggle">
            <input type="checkbox" checked={chat} onChange={(e) => setChat(e.target.checked)} />
            Use the chat template
          </label>
          <label>
            Max new tokens{' '}
            <input type="number" min={1} max={512} value={maxNewTokens} onChange={(e) => setMaxNewTokens(Math.max(1, Math.floor(Number(e.target.value)) || 1))} />
          </label>
          <button type="submit" className="primary" disabled={busy || blocker !== null || prompt.trim() === ''}>
            Generate
          </button>
          {blocker && <span className="muted">{blocker}</span>}
        </div>
      </form>
      <JobProgress job={tryIt} jobKey="tryIt" label="Generation progress" measure={measure} cancelled="Cancelled." />
      <GeneratedText text={text} show={tryIt.status === 'done'} />
      {tryIt.status === 'done' && tryIt.result && <Timing o={tryIt.result} />}
      <EngineCounters />
    </section>
  );
}
