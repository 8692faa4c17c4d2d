import { useId, useState, type ChangeEvent, type DragEvent } from 'react';
import { readDrop } from '../../browser/page/drop.ts';
import type { SlotId, SlotSummary } from '../../browser/shared/engine-api.ts';
import type { FileLike } from '../../browser/shared/fs-access.ts';
import { asDirectory, canPickFolders, pickFolder } from '../../browser/page/pickers.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { formatBytes, formatCount } from '../format.ts';
import { errorLine } from '../store/jobs.ts';
import { isBusy, slotName } from '../store/state.ts';
import { printable } from '../../core/text/printable.ts';
import { ErrorLine } from './ErrorLine.tsx';

/** `webkitdirectory` is not in React's input attributes. */
const DIRECTORY_INPUT = { webkitdirectory: '', directory: '' } as Record<string, string>;

function Summary({ s }: { s: SlotSummary }) {
  const dtype = s.dtypes.map((d) => (s.dtypes.length > 1 ? `${d.dtype} (${d.tensors})` : d.dtype)).join(', ') || '—';
  const shape = [s.layers !== null ? `${s.layers} layers` : null, s.hiddenSize !== null ? `hidden ${s.hiddenSize}` : null, s.vocabSize !== null ? `vocab ${s.vocabSize}` : null].filter(Boolean).join(', ');
  return (
    <dl className="summary">
      <dt>Architecture</dt>
      <dd>
        {s.architecture ?? (s.hasConfig ? 'unknown' : 'no config.json')}
        {shape && <span className="muted"> · {shape}</span>}
      </dd>
      <dt>Parameters</dt>
      <dd>
        {formatCount(s.parameters)} <span className="muted">in {s.tensors} tensors</span>
      </dd>
      <dt>Dtype</dt>
      <dd>{dtype}</dd>
      <dt>Shards</dt>
      <dd>{s.shards}</dd>
      <dt>Size</dt>
      <dd>{formatBytes(s.bytes)}</dd>
      <dt>Tied embeddings</dt>
      <dd>{s.tiedEmbeddings ? 'yes' : 'no'}</dd>
      <dt>Tokenizer</dt>
      <dd>{s.tokenizer.length > 0 ? s.tokenizer.join(', ') : 'none'}</dd>
    </dl>
  );
}

/** Whether the vector slot's checkpoint is a stored vector (core's `vectorOrigin`), and the confirmation an unmarked one needs. */
function VectorOrigin({ summary }: { summary: SlotSummary }) {
  const confirmed = useStudio((s) => s.vectorConfirmed);
  const busy = useStudio(isBusy);
  const { confirmVector } = useActions();
  const { kind, reason, recipe } = summary.vector;
  if (kind === 'vector') {
    return (
      <p className="vector-origin small" data-testid="vector-origin" data-kind={kind} title={recipe ? printable(recipe) : undefined}>
        A reasoning vector written by rvs extract (its recipe is recorded).
      </p>
    );
  }
  return (
    <div className="vector-origin" data-testid="vector-origin" data-kind={kind}>
      <p className={kind === 'unmarked' ? 'warning-line' : 'error-line'} role="alert">
        {kind === 'unmarked' ? 'Check: ' : 'Refused: '}“{printable(summary.name)}” {printable(reason ?? '')}.
      </p>
      {kind === 'unmarked' && (
        <label className="toggle">
          <input type="checkbox" checked={confirmed} disabled={busy} onChange={(e) => confirmVector(e.target.checked)} />
          It is a vector (θ_GRPO − θ_SFT, from another tool): merge and evaluate with it
        </label>
      )}
    </div>
  );
}

export function CheckpointSlot({ slot }: { slot: SlotId }) {
  const state = useStudio((s) => s.slots[slot]);
  const busy = useStudio(isBusy);
  const { openSlot, reopenSlot, clearSlot } = useActions();
  const [dragging, setDragging] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const headingId = useId();
  const name = slotName(slot);

  const fail = (e: unknown) => setLocalError(errorLine(e));

  const onDrop = (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    setDragging(false);
    setLocalError(null);
    if (busy) return;
    // readDrop takes what it needs from the DataTransfer synchronously, before any await.
    readDrop(event.dataTransfer)
      .then((source) => openSlot(slot, source, 'drop', source.kind === 'directory' ? source.handle.name : (source.name ?? 'dropped files')))
      .catch(fail);
  };

  const onOpenFolder = async () => {
    setLocalError(null);
    try {
      const handle = await pickFolder('read', 'rvs-checkpoint');
      if (handle) await openSlot(slot, { kind: 'directory', handle: asDirectory(handle) }, 'folder', handle.name);
    } catch (e) {
      fail(e);
    }
  };

  /** A folder input (its files carry the folder's path) or a plain multi-file input (a checkpoint as a set of files). */
  const onFiles = (event: ChangeEvent<HTMLInputElement>) => {
    setLocalError(null);
    const files = [...(event.target.files ?? [])] as FileLike[];
    event.target.value = '';
    if (files.length > 0) openSlot(slot, { kind: 'files', files, name: 'selected files' }, 'files', `${files.length} file${files.length === 1 ? '' : 's'}`).catch(fail);
  };

  const remembered = state.status === 'empty' || state.status === 'error' ? state.remembered : null;
  return (
    <section
      role="group"
      aria-labelledby={headingId}
      className={`slot slot-${state.status}${dragging ? ' slot-dragging' : ''}`}
      data-slot={slot}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = busy ? 'none' : 'copy';
        setDragging(true);
      }}
      onDragLeave={(e) => {
        // Leaving for a child element is not leaving the slot.
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <header className="slot-head">
        <h3 id={headingId}>{name}</h3>
        {state.status === 'ready' && (
          <button type="button" className="link" onClick={() => void clearSlot(slot)} disabled={busy}>
            Clear
          </button>
        )}
      </header>
      {state.status === 'ready' && (
        <>
          <p className="slot-name" title={printable(state.summary.name)}>
            {printable(state.summary.name)}
            {state.origin === 'demo' && <span className="badge">demo</span>}
          </p>
          <Summary s={state.summary} />
          {slot === 'vector' && <VectorOrigin summary={state.summary} />}
        </>
      )}
      {state.status === 'loading' && (
        <p className="muted" role="status">
          Reading {printable(state.label)}…
        </p>
      )}
      {state.status !== 'ready' && state.status !== 'loading' && <p className="drop-hint">Drop a checkpoint folder (or its files) here</p>}
      <ErrorLine>{state.status === 'error' ? state.error : localError}</ErrorLine>
      {state.status === 'ready' && state.error && !localError && (
        <p className="error-line" role="alert" data-testid="slot-load-error">
          {printable(state.error)} <span className="muted">(“{printable(state.summary.name)}” is still loaded.)</span>
        </p>
      )}
      <div className="slot-actions">
        {remembered && (
          <button type="button" onClick={() => void reopenSlot(slot)} disabled={busy}>
            Reopen {remembered}
          </button>
        )}
        <button type="button" onClick={() => void onOpenFolder()} disabled={busy || !canPickFolders()} title={canPickFolders() ? undefined : 'This browser cannot open folders; choose the files instead.'}>
          Open folder…
        </button>
        <label className={`button file-button${busy ? ' disabled' : ''}`} title="A checkpoint folder, with an input that takes folders">
          Choose folder
          <input className="visually-hidden" type="file" multiple {...DIRECTORY_INPUT} onChange={onFiles} disabled={busy} />
        </label>
        <label className={`button file-button${busy ? ' disabled' : ''}`} title="The checkpoint's files: config.json, the .safetensors shards (and their index), tokenizer files">
          Choose files
          <input className="visually-hidden" type="file" multiple onChange={onFiles} disabled={busy} />
        </label>
      </div>
    </section>
  );
}
