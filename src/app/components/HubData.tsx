/**
 * "From Hugging Face" for a benchmark of the Evaluate panel: its task's splits (the few-shot split
 * only when the run's settings use shots) fetched through the Hub's Parquet conversion into the OPFS
 * cache (../../browser/dataset-cache.ts), with progress and Cancel, then read by the store's
 * `setData` exactly like chosen files. The endpoint is the page's Hub setting, shared with "Load
 * from Hugging Face" (../../browser/hub-endpoint.ts).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Benchmark } from '../../browser/shared/benchmarks.ts';
import { opfsDatasetCache } from '../../browser/page/dataset-cache.ts';
import type { DataFile, DataRole } from '../../browser/shared/engine-api.ts';
import { effectiveHubEndpoint, hubFetch } from '../../browser/page/hub-endpoint.ts';
import { configOf, fetchHubSplit, hubSplits } from '../../browser/page/hub-datasets.ts';
import type { HubProgress } from '../../core/hub/datasets.ts';
import { getTask } from '../../core/eval/tasks/index.ts';
import type { Task } from '../../core/eval/tasks/types.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { formatBytes } from '../format.ts';
import { errorLine, isCancelled } from '../store/jobs.ts';
import { ErrorLine } from './ErrorLine.tsx';

export type HubFetchState =
  | { readonly status: 'idle' }
  | { readonly status: 'running'; readonly repo: string; readonly progress: HubProgress | null }
  | { readonly status: 'done' | 'cancelled' | 'error'; readonly message: string };

export interface HubData {
  readonly state: HubFetchState;
  /** Fetches (or takes from the cache) what a run needs, then loads it. */
  start(): Promise<void>;
  cancel(): void;
  /** Forgets the last outcome (the data was cleared). */
  reset(): void;
}

export function useHubData(b: Benchmark): HubData {
  const numFewshot = useStudio((s) => s.evalSettings.numFewshot);
  const { setData } = useActions();
  const [state, setState] = useState<HubFetchState>({ status: 'idle' });
  const controller = useRef<AbortController | null>(null);
  const cache = useMemo(() => opfsDatasetCache(), []);
  useEffect(() => () => controller.current?.abort(), []);

  const start = async () => {
    const task = getTask(b.tasks[0]!) as Task<unknown>;
    const dataset = task.dataset;
    if (b.notOnHub !== null || !dataset || controller.current) return;
    const abort = new AbortController();
    controller.current = abort;
    const received = new Map<string, number>();
    let latest: HubProgress | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    setState({ status: 'running', repo: dataset.repo, progress: null });
    try {
      const splits = hubSplits(task, numFewshot);
      const got: { role: DataRole; files: DataFile[] }[] = [];
      for (const { role, split } of splits) {
        const files = await fetchHubSplit(dataset, split, {
          fetch: hubFetch,
          endpoint: effectiveHubEndpoint(),
          ...(cache ? { cache } : {}),
          signal: abort.signal,
          onProgress: (progress) => {
            // At most ten updates a second, the latest always shown.
            received.set(progress.file, progress.received);
            latest = progress;
            timer ??= setTimeout(() => {
              timer = null;
              if (controller.current === abort) setState({ status: 'running', repo: dataset.repo, progress: latest });
            }, 100);
          },
        });
        got.push({ role, files });
      }
      controller.current = null;
      for (const { role, files } of got) await setData(b.id, role, files);
      const fetched = [...received.values()].reduce((a, n) => a + n, 0);
      const from = `${dataset.repo} (${configOf(dataset)}: ${splits.map((x) => x.split).join(' and ')})`;
      setState({ status: 'done', message: received.size > 0 ? `${from}: ${formatBytes(fetched)} fetched from Hugging Face.` : `${from}: from this browser’s cache.` });
    } catch (e) {
      const cancelled = abort.signal.aborted || isCancelled(e);
      setState(cancelled ? { status: 'cancelled', message: 'Cancelled — nothing was loaded.' } : { status: 'error', message: errorLine(e) });
    } finally {
      if (controller.current === abort) controller.current = null;
    }
  };

  return { state, start, cancel: () => controller.current?.abort(), reset: () => setState({ status: 'idle' }) };
}

/** The button beside the file inputs. */
export function HubDataButton({ b, hub, disabled }: { b: Benchmark; hub: HubData; disabled: boolean }) {
  const dataset = b.tasks.length === 1 ? getTask(b.tasks[0]!).dataset : undefined;
  if (b.notOnHub !== null || !dataset) return null;
  return (
    <button
      type="button"
      className="button small"
      aria-label={`${b.label} from Hugging Face`}
      title={`${dataset.repo} (${configOf(dataset)}) through the Hub’s Parquet conversion; kept in this browser’s storage`}
      disabled={disabled || hub.state.status === 'running'}
      onClick={() => void hub.start()}
    >
      From Hugging Face
    </button>
  );
}

/** Progress and Cancel while fetching; the outcome after. */
export function HubDataStatus({ b, hub }: { b: Benchmark; hub: HubData }) {
  const s = hub.state;
  if (s.status === 'idle') return null;
  if (s.status === 'error') return <ErrorLine>{s.message}</ErrorLine>;
  if (s.status !== 'running') {
    return (
      <p className={`small ${s.status === 'done' ? 'muted' : 'job-cancelled'}`} role="status">
        {s.message}
      </p>
    );
  }
  const p = s.progress;
  return (
    <div className="job-running">
      <progress aria-label={`${b.label}: download progress`} max={p?.total ?? 1} value={p && p.total !== null ? p.received : undefined} />
      <span className="job-detail" role="status">
        {p ? `${s.repo} · ${p.file} · ${formatBytes(p.received)}${p.total !== null ? ` of ${formatBytes(p.total)}` : ''}` : `${s.repo}: asking the Hub…`}
      </span>
      <button type="button" aria-label={`Cancel fetching ${b.label}`} onClick={hub.cancel}>
        Cancel
      </button>
    </div>
  );
}
