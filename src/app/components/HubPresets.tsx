/**
 * "Load from Hugging Face": a repo id and revision per slot (presets fill them, and stay editable),
 * then Download — the store's `hubModels` job (store/hub-actions.ts): into the OPFS cache with
 * progress and Cancel, each folder then opened in its slot exactly like a local folder. Below, the
 * cached models, to open again without the network, or delete. The token lives in this component's
 * state only and goes with each download's requests.
 *
 * The Hub endpoint (the store's `hubEndpoint`) is https://huggingface.co unless the page's URL says
 * `?hub=<endpoint>`, and can be changed under "Advanced"; the Evaluate panel's datasets use it too.
 */
import { useId, useState } from 'react';
import type { CachedModel } from '../../browser/page/hub-cache.ts';
import type { SlotId } from '../../browser/shared/engine-api.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { formatBytes } from '../format.ts';
import { isBusy, slotName, visibleSlots, type HubModelsProgress } from '../store/state.ts';
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

function ProgressLine({ progress, onCancel }: { progress: HubModelsProgress | null; onCancel: () => void }) {
  const p = progress?.download ?? null;
  const total = p?.totalBytes ?? null;
  return (
    <div className="job-running">
      <progress aria-label="Download progress" max={total ?? 1} value={p && total ? p.bytes : undefined} />
      <span className="job-detail" role="status">
        {p
          ? `${p.repo} · ${p.file} (${p.index + 1}/${p.files}) · ${formatBytes(p.bytes)}${total !== null ? ` of ${formatBytes(total)}` : ''}`
          : `${progress?.repo ?? 'Hugging Face'}: listing files…`}
      </span>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

function CachedList({ models, usage, error }: { models: readonly CachedModel[]; usage: string | null; error: string | null }) {
  const busy = useStudio(isBusy);
  const openNames = useStudio((s) => Object.values(s.slots).flatMap((slot) => (slot.status === 'ready' ? [slot.summary.name] : [])));
  const slots = useStudio((s) => visibleSlots(s.useVector).filter((x): x is HubSlot => x !== 'vector'));
  const { openCachedModel, removeCachedModel } = useActions();
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
                        <button key={slot} type="button" disabled={busy} aria-label={`Open ${id} in ${slotName(slot)}`} onClick={() => void openCachedModel(m.repo, m.revision, slot)}>
                          {SHORT[slot]}
                        </button>
                      ))}
                    <button type="button" className="link" disabled={inUse} title={inUse ? 'Open in a slot: clear the slot first.' : undefined} aria-label={`Delete ${id}`} onClick={() => void removeCachedModel(m.repo, m.revision)}>
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
  const run = useStudio((s) => s.hubModels);
  const endpoint = useStudio((s) => s.hubEndpoint);
  const cache = useStudio((s) => s.hubCache);
  const { downloadModels, cancel, setHubEndpoint } = useActions();
  const headingId = useId();
  const [fields, setFields] = useState<Fields>(emptyFields);
  const [token, setToken] = useState('');
  const setField = (slot: HubSlot, patch: Partial<Fields[HubSlot]>) => setFields((f) => ({ ...f, [slot]: { ...f[slot], ...patch } }));
  const running = run.status === 'running';
  const usage = cache.estimate ? `This site uses ${formatBytes(cache.estimate.usage)} of the ${formatBytes(cache.estimate.quota)} the browser allows it.` : null;
  const download = () => downloadModels(slots.map((slot): { slot: SlotId; repo: string; revision: string } => ({ slot, ...fields[slot] })), token);

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
        <button type="button" className="primary" disabled={busy || !cache.available} onClick={() => void download()}>
          Download
        </button>
      </div>
      {running && <ProgressLine progress={run.progress} onCancel={() => cancel('hubModels')} />}
      {run.status === 'done' && (
        <p className="job-done" role="status">
          {run.result?.message}
        </p>
      )}
      {run.status === 'cancelled' && (
        <p className="job-cancelled" role="status">
          Cancelled — what arrived is kept; Download resumes it.
        </p>
      )}
      <ErrorLine>{!cache.available ? cache.error : run.status === 'error' ? run.error : null}</ErrorLine>
      {cache.available && <CachedList models={cache.models} usage={usage} error={cache.error} />}
    </section>
  );
}
