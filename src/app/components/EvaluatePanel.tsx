import type { WeightArithmetic } from '../../core/eval/run-evaluation.ts';
import { useEffect, useState, type ChangeEvent } from 'react';
import { BENCHMARKS, type Benchmark } from '../../browser/shared/benchmarks.ts';
import type { DataFile, DataRole, SweepSnapshot } from '../../browser/shared/engine-api.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { NextStepHint, nextProps, useIsNext } from './Guide.tsx';
import { formatAlpha, formatBytes, formatSeconds } from '../format.ts';
import { DEFAULT_EVAL_SETTINGS, evalSettingsProblem, fieldProblem, parseAlphas, sweepBlocker } from '../store/evaluation.ts';
import type { Report } from '../../core/report/schema.ts';
import { printable } from '../../core/text/printable.ts';
import { isBusy, mergeBlocker } from '../store/state.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { HubDataButton, HubDataStatus } from './HubData.tsx';
import { JobProgress, type Measure } from './JobProgress.tsx';
import { ResumeSweep } from './ResumeSweep.tsx';
import { sweepThroughput, throughputLine } from '../sweep-throughput.ts';

/** `webkitdirectory` is not in React's input attributes. */
const DIRECTORY_INPUT = { webkitdirectory: '', directory: '' } as Record<string, string>;

function measure(p: SweepSnapshot): Measure {
  if (p.phase === 'loading') return { done: p.loadBytesDone, total: p.loadBytesTotal, detail: `Loading the model: ${formatBytes(p.loadBytesDone)} of ${formatBytes(p.loadBytesTotal)} to the GPU` };
  const rate = p.evalSeconds > 0 ? p.newTokens / p.evalSeconds : 0;
  const where = p.task === null ? 'starting' : `α ${formatAlpha(p.alpha ?? 0)} · ${p.task} ${p.done}/${p.total}`;
  const items = p.itemsTotal !== undefined ? ` · ${p.itemsDone ?? 0}/${p.itemsTotal} items in all` : '';
  // The estimate comes from the engine (measured item times over the whole remaining plan), not from elapsed time.
  return { done: p.fraction, total: 1, eta: p.etaSeconds ?? null, detail: `Run ${Math.min(p.run + 1, p.runs)}/${p.runs}: ${where}${items} · ${rate.toFixed(1)} tokens/s` };
}

/** "12 runs (3 α × 4 tasks)": the (α, task) runs the progress counted; a group's aggregate (BBH) is not a run of its own. */
export function runsLine(report: Report): string {
  const runs = report.runs.filter((r) => r.config['group'] !== true);
  const alphas = new Set(runs.map((r) => r.alpha)).size;
  const tasks = new Set(runs.map((r) => r.task)).size;
  const groups = report.runs.length - runs.length;
  return `${runs.length} run${runs.length === 1 ? '' : 's'} (${alphas} α × ${tasks} task${tasks === 1 ? '' : 's'})${groups > 0 ? ` and ${groups} group score${groups === 1 ? '' : 's'}` : ''}`;
}

function dataFiles(event: ChangeEvent<HTMLInputElement>): DataFile[] {
  const files = [...(event.target.files ?? [])];
  event.target.value = '';
  return files.map((f) => ({ name: f.webkitRelativePath || f.name, blob: f }));
}

function FileInput({ label, text, onFiles, multiple, directory, disabled }: { label: string; text: string; onFiles: (files: DataFile[]) => void; multiple?: boolean; directory?: boolean; disabled: boolean }) {
  return (
    <label className={`button file-button small${disabled ? ' disabled' : ''}`}>
      {text}
      <input
        className="visually-hidden"
        type="file"
        aria-label={label}
        multiple={multiple}
        {...(directory ? DIRECTORY_INPUT : {})}
        disabled={disabled}
        onChange={(e) => {
          const files = dataFiles(e);
          if (files.length > 0) onFiles(files);
        }}
      />
    </label>
  );
}

function BenchmarkRow({ b }: { b: Benchmark }) {
  const chosen = useStudio((s) => s.evalSettings.benchmarks[b.id] === true);
  const data = useStudio((s) => s.datasets[b.id]);
  const busy = useStudio(isBusy);
  const { chooseBenchmark, setData, clearData } = useActions();
  const load = (role: DataRole) => (files: DataFile[]) => void setData(b.id, role, files);
  const summary = data && data.status !== 'loading' ? data.summary : null;
  const fewshot = summary?.tasks.find((t) => t.fewshot !== null)?.fewshot ?? null;
  return (
    <tr data-benchmark={b.id}>
      <td>
        <label className="toggle">
          <input type="checkbox" checked={chosen} onChange={(e) => chooseBenchmark(b.id, e.target.checked)} disabled={busy} />
          {b.label}
        </label>
      </td>
      <td className="data-cell">
        {data?.status === 'loading' && <span role="status">Reading {printable(data.label)}…</span>}
        {summary && (
          <span data-testid={`data-${b.id}`}>
            {summary.items} items
            {b.group ? ` in ${summary.tasks.length} subtask${summary.tasks.length === 1 ? '' : 's'}` : ` from ${printable(summary.tasks[0]?.data ?? '—')}`}
            {fewshot && !b.group ? ` · few-shot: ${printable(fewshot)}` : ''}
            {b.group && summary.tasks.some((t) => t.fewshot === null) ? ` · ${summary.tasks.filter((t) => t.fewshot === null).length} without cot-prompts` : ''}
            {summary.ignored.length > 0 ? ` · ${summary.ignored.length} file${summary.ignored.length === 1 ? '' : 's'} ignored` : ''}
          </span>
        )}
        {!data && <span className="muted">{b.dataHint}</span>}
        {b.notOnHub && <p className="muted small">{b.notOnHub}</p>}
        <HubDataStatus b={b} />
        <ErrorLine>{data?.status === 'error' ? data.error : null}</ErrorLine>
      </td>
      <td className="data-actions">
        {b.group ? (
          <>
            <FileInput label={`${b.label}: folder`} text="Folder…" directory onFiles={load('test')} disabled={busy} />
            <FileInput label={`${b.label}: files`} text="Files…" multiple onFiles={load('test')} disabled={busy} />
          </>
        ) : (
          <>
            <FileInput label={`${b.label}: test data`} text="Test data…" onFiles={load('test')} disabled={busy} />
            {b.fewshotHint && <FileInput label={`${b.label}: few-shot data`} text="Few-shot data…" onFiles={load('fewshot')} disabled={busy} />}
            <HubDataButton b={b} disabled={busy} />
          </>
        )}
        {summary && (
          <button
            type="button"
            className="link"
            onClick={() => void clearData(b.id)}
            disabled={busy}
            aria-label={`Clear ${b.label} data`}
          >
            Clear
          </button>
        )}
      </td>
    </tr>
  );
}

/** A whole-number field: blank is the default (`hint`); what is typed goes to the store as it is, and the store says whether it can be used (`problem`). */
function OptionalNumber({ label, value, onChange, min, hint, problem, help }: { label: string; value: number | null; onChange: (x: number | null) => void; min: number; hint: string; problem: string | null; help?: string }) {
  const [text, setText] = useState(value === null ? '' : String(value));
  const parsed = text.trim() === '' ? null : Number(text);
  useEffect(() => {
    // The value changed elsewhere (the demo's settings): show it.
    if (parsed !== value) setText(value === null ? '' : String(value));
  }, [value]);
  return (
    <label title={problem ?? help}>
      {label}
      <input
        type="number"
        min={min}
        step={1}
        placeholder={hint}
        aria-invalid={problem !== null || undefined}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          onChange(e.target.value.trim() === '' ? null : Number(e.target.value));
        }}
      />
    </label>
  );
}

function Settings() {
  const s = useStudio((st) => st.evalSettings);
  const busy = useStudio(isBusy);
  const { setEvalSettings } = useActions();
  const alphas = parseAlphas(s.alphasText);
  const problem = evalSettingsProblem(s);
  return (
    <fieldset className="eval-settings" disabled={busy} title={busy ? 'Locked while a job runs.' : undefined}>
      <legend>Settings</legend>
      <label title="Numbers and ranges start:stop:step, e.g. -1, 0, 0.5, 1 or -1:1:0.25 (each |α| ≤ 100)">
        α values
        <input type="text" value={s.alphasText} aria-invalid={'error' in alphas || undefined} onChange={(e) => setEvalSettings({ alphasText: e.target.value })} />
      </label>
      <span className="muted small" data-testid="alpha-count">
        {'error' in alphas ? '' : `${alphas.alphas.length} α`}
      </span>
      <OptionalNumber
        label="Items per benchmark (BBH: per subtask)"
        value={s.limit}
        min={1}
        hint="all"
        problem={fieldProblem(s, 'limit')}
        help="Counted per task: BIG-Bench Hard takes this many items from each of its subtasks."
        onChange={(limit) => setEvalSettings({ limit })}
      />
      <label>
        Which items
        <select value={s.limitMode} disabled={s.limit === null} onChange={(e) => setEvalSettings({ limitMode: e.target.value as 'seeded' | 'first' })}>
          <option value="seeded">a seeded sample (the same at every α)</option>
          <option value="first">the first N (the harness’s --limit)</option>
        </select>
      </label>
      <OptionalNumber label="Few-shot" value={s.numFewshot} min={0} hint="task’s" problem={fieldProblem(s, 'numFewshot')} onChange={(numFewshot) => setEvalSettings({ numFewshot })} />
      <OptionalNumber label="Max new tokens" value={s.maxNewTokens} min={1} hint="task’s" problem={fieldProblem(s, 'maxNewTokens')} onChange={(maxNewTokens) => setEvalSettings({ maxNewTokens })} />
      <OptionalNumber label="Batch size" value={s.batchSize} min={1} hint="4" problem={fieldProblem(s, 'batchSize')} onChange={(b) => setEvalSettings({ batchSize: b ?? DEFAULT_EVAL_SETTINGS.batchSize })} />
      <label className="toggle">
        <input type="checkbox" checked={s.chat} onChange={(e) => setEvalSettings({ chat: e.target.checked })} />
        Use the chat template
      </label>
      <label title="The merged weights the model runs (recorded in the report's recipe). Exact float32: θ_target + α·v as the merge kernel computes it. Checkpoint dtype: each tensor rounded to the target's dtype, as a saved merge holds it (what rvs sweep --weights checkpoint runs).">
        Weights
        <select value={s.weights} onChange={(e) => setEvalSettings({ weights: e.target.value as WeightArithmetic })}>
          <option value="f32">exact float32</option>
          <option value="checkpoint">checkpoint dtype (as saved)</option>
        </select>
      </label>
      <label className="wide">
        Reasoning prefix
        <input type="text" value={s.prefix} placeholder="none (the harness’s --system_instruction)" onChange={(e) => setEvalSettings({ prefix: e.target.value })} />
      </label>
      {problem && <p className="error-line" data-testid="settings-problem">{problem}</p>}
    </fieldset>
  );
}

/** Without WebGPU evaluation still runs, slowly: said plainly. */
export function FallbackNote() {
  const cpu = useStudio((s) => s.backend.status === 'ready' && s.backend.info.kind === 'cpu');
  if (!cpu) return null;
  return (
    <p className="status status-unavailable" data-testid="eval-fallback">
      No WebGPU: evaluation runs on onnxruntime-web’s wasm backend (CPU). Each α is merged on the CPU and gets a new session — slow beyond small models.
    </p>
  );
}

export function EvaluatePanel() {
  const isNext = useIsNext('sweep');
  const sweep = useStudio((s) => s.sweep);
  const blocker = useStudio((s) => mergeBlocker(s) ?? sweepBlocker(s.evalSettings));
  const busy = useStudio(isBusy);
  const { runSweep } = useActions();
  return (
    <section {...nextProps(isNext, 'sweep')} aria-labelledby="evaluate-heading">
      <header className="panel-head">
        <h2 id="evaluate-heading">Evaluate</h2>
      </header>
      <NextStepHint step="sweep" />
      <p className="panel-help">
        Benchmarks run as lm-evaluation-harness runs them, for each α on one loaded model (the merge panel’s rules apply). Data stays on this machine.
      </p>
      <FallbackNote />
      <table className="benchmarks" aria-label="Benchmarks">
        <thead>
          <tr>
            <th scope="col">Benchmark</th>
            <th scope="col">Data</th>
            <th scope="col">Files</th>
          </tr>
        </thead>
        <tbody>
          {BENCHMARKS.map((b) => (
            <BenchmarkRow key={b.id} b={b} />
          ))}
        </tbody>
      </table>
      <Settings />
      <div className="actions">
        <button type="button" className="primary" onClick={() => void runSweep()} disabled={busy || blocker !== null}>
          Run sweep
        </button>
        <ResumeSweep />
        {blocker && (
          <span className="muted" data-testid="sweep-blocker">
            {blocker}
          </span>
        )}
      </div>
      <JobProgress job={sweep} jobKey="sweep" label="Sweep progress" measure={measure} cancelled="Cancelled — the items done so far stay in the report." done={(r) => `Sweep finished: ${runsLine(r)} in ${formatSeconds(r.timings['totalSeconds'] ?? 0)} (${throughputLine(sweepThroughput(r))}).`} />
    </section>
  );
}
