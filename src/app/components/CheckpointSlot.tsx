import { useId, useState, type ChangeEvent, type DragEvent } from 'react';
import { readDrop } from '../../browser/page/drop.ts';
import type { SlotId, SlotSummary } from '../../browser/shared/engine-api.ts';
import type { FileLike } from '../../browser/shared/fs-access.ts';
import { asDirectory, canPickFolders, pickFolder } from '../../browser/page/pickers.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { formatBytes, formatCount } from '../format.ts';
import { errorLine } from '../store/jobs.ts';
import { isBusy, slotName } from '../store/state.ts';
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

  const onFiles = (event: ChangeEvent<HTMLInputElement>) => {
    setLocalError(null);
    const files = [...(event.target.files ?? [])] as FileLike[];
    event.target.value = '';
    if (files.length > 0) openSlot(slot, { kind: 'files', files }, 'files', `${files.length} files`).catch(fail);
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
          <p className="slot-name" title={state.summary.name}>
            {state.summary.name}
            {state.origin === 'demo' && <span className="badge">demo</span>}
          </p>
          <Summary s={state.summary} />
        </>
      )}
      {state.status === 'loading' && (
        <p className="muted" role="status">
          Reading {state.label}…
        </p>
      )}
      {state.status !== 'ready' && state.status !== 'loading' && <p className="drop-hint">Drop a checkpoint folder here</p>}
      <ErrorLine>{state.status === 'error' ? state.error : localError}</ErrorLine>
      <div className="slot-actions">
        {remembered && (
          <button type="button" onClick={() => void reopenSlot(slot)} disabled={busy}>
            Reopen {remembered}
          </button>
        )}
        <button type="button" onClick={() => void onOpenFolder()} disabled={busy || !canPickFolders()} title={canPickFolders() ? undefined : 'This browser cannot open folders; choose the files instead.'}>
          Open folder…
        </button>
        <label className={`button file-button${busy ? ' disabled' : ''}`}>
          Choose files
          <input className="visually-hidden" type="file" multiple {...DIRECTORY_INPUT} onChange={onFiles} disabled={busy} />
        </label>
      </div>
    </section>
  );
}
