/**
 * "Load from Hugging Face": a repo id and revision per slot (presets fill them, and stay editable),
 * a download into the OPFS cache with progress and Cancel, then each folder opens in its slot
 * through the store's `openSlot`, exactly like a local folder. Below, the cached models, to open
 * again without the network, or delete. The token lives in this component's state only.
 *
 * The Hub endpoint is https://huggingface.co unless the page's URL says `?hub=<endpoint>` (the
 * browser tests point it at a local server), and can be changed under "Advanced"; the setting is
 * shared with the Evaluate panel's datasets (../../browser/hub-endpoint.ts).
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { DownloadProgress } from '../../core/hub/download.ts';
import { checkRepoId } from '../../core/hub/models.ts';
import type { SlotId } from '../../browser/shared/engine-api.ts';
import { opfsHubCache, type CachedModel, type HubCache } from '../../browser/page/hub-cache.ts';
import { effectiveHubEndpoint, hubEndpoint, hubFetch, setHubEndpoint, subscribeHubEndpoint } from '../../browser/page/hub-endpoint.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { formatBytes } from '../format.ts';
import { errorLine, isCancelled } from '../store/jobs.ts';
import { isBusy, slotName, visibleSlots } from '../store/state.ts';
import { ErrorLine } from './ErrorLine.tsx';
import './HubPresets.css';

type HubSlot = 'sft' | 'grpo' | 'target';
type Fields = Record<HubSlot, { repo: string; revision: string }>;

export interface HubPreset {
  readonly label: string;
  readonly repos: Readonly<Record<HubSlot, string>>;
}

/** The paper's checkpoints (the names its authors' merge configs use). */
export const HUB_PRESETS: readonly HubPreset[] = [
  {
    label: 'Paper preset (Qwen2.5-Math-1.5B GSM8K)',
    repos: { sft: 'michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-SFT', grpo: 'michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-GRPO', target: 'Qwen/Qwen2.5-Math-1.5B' },
  },
];

const SHORT: Record<HubSlot, string> = { sft: 'SFT', grpo: 'GRPO', target: 'Target' };
const HUB_SLOTS: readonly HubSlot[] = ['sft', 'grpo', 'target'];
const emptyFields = (): Fields => ({ sft: { repo: '', revision: 'main' }, grpo: { repo: '', revision: 'main' }, target: { repo: '', revision: 'main' } });

type Run =
  | { readonly status: 'idle' }
  | { readonly status: 'running'; readonly progress: DownloadProgress | null; readonly repo: string }
  | { readonly status: 'done' | 'cancelled' | 'error'; readonly message: string };

function ProgressLine({ run, onCancel }: { run: Extract<Run, { status: 'running' }>; onCancel: () => void }) {
  const p = run.progress;
  const total = p?.totalBytes ?? null;
  return (
    <div className="job-running">
      <progress aria-label="Download progress" max={total ?? 1} value={p && total ? p.bytes : undefined} />
      <span className="job-detail" role="status">
        {p
          ? `${p.repo} · ${p.file} (${p.index + 1}/${p.files}) · ${formatBytes(p.bytes)}${total !== null ? ` of ${formatBytes(total)}` : ''}`
          : `${run.repo}: listing files…`}
      </span>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

function CachedList({ cache, models, usage, onChanged }: { cache: HubCache; models: readonly CachedModel[]; usage: string | null; onChanged: () => void }) {
  const busy = useStudio(isBusy);
  const openNames = useStudio((s) => Object.values(s.slots).flatMap((slot) => (slot.status === 'ready' ? [slot.summary.name] : [])));
  const slots = useStudio((s) => visibleSlots(s.useVector).filter((x): x is HubSlot => x !== 'vector'));
  const { openSlot } = useActions();
  const [error, setError] = useState<string | null>(null);
  const open = async (m: CachedModel, slot: HubSlot) => {
    setError(null);
    try {
      const handle = await cache.open(m.repo, m.revision);
      if (!handle) throw new Error(`${m.repo}@${m.revision} is not completely downloaded; use Download`);
      await openSlot(slot, { kind: 'directory', handle }, 'folder', `${m.repo}@${m.revision}`);
    } catch (e) {
      setError(errorLine(e));
    }
  };
  const remove = async (m: CachedModel) => {
    setError(null);
    await cache.remove(m.repo, m.revision).catch((e: unknown) => setError(errorLine(e)));
    onChanged();
  };
  return (
    <div className="hub-cached">
      <h4>Cached models</h4>
      {usage && <p className="muted small">{usage}</p>}
      {models.length === 0 ? (
        <p className="muted small">None yet: downloads are kept in this browser’s storage.</p>
      ) : (
        <table aria-label="Cached models">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Size</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => {
              const id = `${m.repo}@${m.revision}`;
              const inUse = openNames.includes(m.folder);
              return (
                <tr key={id}>
                  <td className="mono">{id}</td>
                  <td>{formatBytes(m.bytes)}</td>
                  <td>{m.complete ? 'complete' : 'incomplete'}</td>
                  <td className="hub-row-actions">
                    {m.complete &&
                      slots.map((slot) => (
                        <button key={slot} type="button" disabled={busy} aria-label={`Open ${id} in ${slotName(slot)}`} onClick={() => void open(m, slot)}>
                          {SHORT[slot]}
                        </button>
                      ))}
                    <button type="button" className="link" disabled={inUse} title={inUse ? 'Open in a slot: clear the slot first.' : undefined} aria-label={`Delete ${id}`} onClick={() => void remove(m)}>
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <ErrorLine>{error}</ErrorLine>
    </div>
  );
}

export function HubPresets() {
  const busy = useStudio(isBusy);
  const slots = useStudio((s) => visibleSlots(s.useVector).filter((x): x is HubSlot => x !== 'vector'));
  const { openSlot } = useActions();
  const headingId = useId();
  const [fields, setFields] = useState<Fields>(emptyFields);
  const endpoint = useSyncExternalStore(subscribeHubEndpoint, hubEndpoint);
  const [token, setToken] = useState('');
  const [run, setRun] = useState<Run>({ status: 'idle' });
  const [cached, setCached] = useState<{ models: CachedModel[]; usage: string | null }>({ models: [], usage: null });
  const controller = useRef<AbortController | null>(null);
  const cache = useMemo((): HubCache | string => {
    try {
      return opfsHubCache();
    } catch (e) {
      return errorLine(e);
    }
  }, []);

  const refresh = useCallback(async () => {
    if (typeof cache === 'string') return;
    const [models, estimate] = await Promise.all([cache.list().catch(() => []), cache.estimate()]);
    const usage = estimate ? `This site uses ${formatBytes(estimate.usage)} of the ${formatBytes(estimate.quota)} the browser allows it.` : null;
    setCached({ models, usage });
  }, [cache]);
  useEffect(() => void refresh(), [refresh]);
  useEffect(() => () => controller.current?.abort(), []);

  const setField = (slot: HubSlot, patch: Partial<Fields[HubSlot]>) => setFields((f) => ({ ...f, [slot]: { ...f[slot], ...patch } }));
  const running = run.status === 'running';

  const download = async () => {
    if (typeof cache === 'string' || running) return;
    const todo = slots.filter((s) => fields[s].repo.trim() !== '').map((s) => ({ slot: s, repo: fields[s].repo.trim(), revision: fields[s].revision.trim() || 'main' }));
    try {
      if (todo.length === 0) throw new Error('Type a repo id (owner/name) first, or choose a preset.');
      for (const t of todo) checkRepoId(t.repo);
    } catch (e) {
      return setRun({ status: 'error', message: errorLine(e) });
    }
    const abort = new AbortController();
    controller.current = abort;
    let last = 0;
    const notes: string[] = [];
    try {
      for (const t of todo) {
        setRun({ status: 'running', progress: null, repo: t.repo });
        const got = await cache.download(t.repo, {
          fetch: hubFetch,
          endpoint: effectiveHubEndpoint(),
          revision: t.revision,
          ...(token ? { token } : {}),
          signal: abort.signal,
          onProgress: (progress) => {
            const now = performance.now();
            if (now - last < 100 && progress.fileBytes !== progress.fileSize) return;
            last = now;
            setRun({ status: 'running', progress, repo: t.repo });
          },
        });
        const fetched = got.result?.fetchedBytes ?? 0;
        notes.push(got.result === null ? `${t.repo}: the Hub could not be reached; opened the cached copy` : `${t.repo}: ${fetched > 0 ? `${formatBytes(fetched)} downloaded` : 'already cached'}`);
        await openSlot(t.slot, { kind: 'directory', handle: got.handle }, 'folder', `${t.repo}@${t.revision}`);
      }
      setRun({ status: 'done', message: `${notes.join('; ')}.` });
    } catch (e) {
      setRun(abort.signal.aborted || isCancelled(e)
        ? { status: 'cancelled', message: 'Cancelled — what arrived is kept; Download resumes it.' }
        : { status: 'error', message: errorLine(e) });
    } finally {
      controller.current = null;
      void refresh();
    }
  };

  return (
    <section className="hub" aria-labelledby={headingId}>
      <h3 id={headingId}>Load from Hugging Face</h3>
      <div className="hub-presets">
        {HUB_PRESETS.map((preset) => (
          <button
            key={preset.label}
            type="button"
            disabled={running}
            onClick={() => setFields((f) => ({ sft: { ...f.sft, repo: preset.repos.sft }, grpo: { ...f.grpo, repo: preset.repos.grpo }, target: { ...f.target, repo: preset.repos.target } }))}
          >
            {preset.label}
          </button>
        ))}
      </div>
      <div className="hub-fields">
        {slots.map((slot) => (
          <div className="hub-field" key={slot}>
            <label>
              {SHORT[slot]} repo id
              <input type="text" spellCheck={false} placeholder="owner/name" value={fields[slot].repo} disabled={running} onChange={(e) => setField(slot, { repo: e.target.value })} />
            </label>
            <label>
              {SHORT[slot]} revision
              <input type="text" spellCheck={false} value={fields[slot].revision} disabled={running} onChange={(e) => setField(slot, { revision: e.target.value })} />
            </label>
          </div>
        ))}
      </div>
      <details className="hub-advanced">
        <summary>Advanced</summary>
        <label>
          Access token
          <input type="password" autoComplete="off" placeholder="hf_… (gated or private models)" value={token} disabled={running} onChange={(e) => setToken(e.target.value)} />
        </label>
        <label>
          Hub endpoint
          <input type="text" spellCheck={false} value={endpoint} disabled={running} onChange={(e) => setHubEndpoint(e.target.value)} />
        </label>
        <p className="muted small">The token stays in this page’s memory: it is sent only to the Hub endpoint, and forgotten on reload.</p>
      </details>
      <div className="actions">
        <button type="button" className="primary" disabled={running || busy || typeof cache === 'string'} onClick={() => void download()}>
          Download
        </button>
      </div>
      {run.status === 'running' && <ProgressLine run={run} onCancel={() => controller.current?.abort()} />}
      {(run.status === 'done' || run.status === 'cancelled') && (
        <p className={run.status === 'done' ? 'job-done' : 'job-cancelled'} role="status">
          {run.message}
        </p>
      )}
      <ErrorLine>{typeof cache === 'string' ? cache : run.status === 'error' ? run.message : null}</ErrorLine>
      {typeof cache !== 'string' && <CachedList cache={cache} models={cached.models} usage={cached.usage} onChanged={() => void refresh()} />}
    </section>
  );
}
