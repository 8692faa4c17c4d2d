/**
 * The store's Hugging Face actions: checkpoints into the OPFS cache and into their slots, benchmark
 * data through the Hub's Parquet conversion, the cached models' list. The downloads are store jobs
 * (`hubModels`, `hubData`) run by the same runner as the engine's: one progress throttle, one cancel
 * path (`cancel(key)`), one busy state (`isBusy`). Components only render and call these actions.
 *
 * The endpoint is https://huggingface.co unless the page's URL says `?hub=<endpoint>` (the browser
 * tests point it at a local server; main.tsx passes it in), and can be changed under "Advanced"
 * (`setHubEndpoint`); checkpoints and data both use it.
 */
import { getBenchmark } from '../../browser/shared/benchmarks.ts';
import type { DataFile, DataRole, SlotId, SlotSource } from '../../browser/shared/engine-api.ts';
import type { CachedModel, HubCache } from '../../browser/page/hub-cache.ts';
import { fetchHubSplit, hubSplits } from '../../browser/page/hub-datasets.ts';
import { configOf } from '../../core/hub/datasets.ts';
import { getTask } from '../../core/eval/tasks/index.ts';
import type { Task } from '../../core/eval/tasks/types.ts';
import { formatBytes } from '../../core/format.ts';
import type { ByteCache } from '../../core/hub/cache.ts';
import { HF_ENDPOINT, type HubFetch } from '../../core/hub/http.ts';
import { checkRepoId } from '../../core/hub/models.ts';
import { errorLine, type createJobRunner } from './jobs.ts';
import type { SlotOrigin, StudioActions, StudioState } from './state.ts';

type Jobs = ReturnType<typeof createJobRunner<StudioState>>;

/** Where the Hub's bytes come from and go to (the browser: fetch and OPFS; tests: fakes in memory). */
export interface HubDeps {
  readonly fetch: HubFetch;
  /** The checkpoint cache; throws where there is none (no OPFS). */
  readonly models: () => HubCache;
  /** The dataset cache; null: data is fetched each time. */
  readonly datasets: () => ByteCache | null;
}

/** One checkpoint to download into a slot. */
export interface HubModelRequest {
  readonly slot: SlotId;
  readonly repo: string;
  readonly revision: string;
}

type HubActions = Pick<StudioActions, 'setHubEndpoint' | 'downloadModels' | 'refreshHubCache' | 'openCachedModel' | 'removeCachedModel' | 'fetchHubData'>;

/** `open` opens a slot while the job runs (the public `openSlot` refuses while a job runs). */
export function hubActions(
  deps: HubDeps | undefined,
  set: (partial: Partial<StudioState>) => void,
  get: () => StudioState,
  jobs: Jobs,
  open: (slot: SlotId, source: SlotSource, origin: SlotOrigin, label: string) => Promise<void>,
): HubActions {
  let cache: HubCache | string | null = null;
  const modelCache = (): HubCache => {
    if (cache === null) {
      try {
        cache = deps ? deps.models() : 'no Hugging Face cache here';
      } catch (e) {
        cache = errorLine(e);
      }
    }
    if (typeof cache === 'string') throw new Error(cache);
    return cache;
  };
  const endpoint = () => get().hubEndpoint.trim() || HF_ENDPOINT;
  const setCacheError = (error: string | null) => set({ hubCache: { ...get().hubCache, error } });

  return {
    setHubEndpoint(value) {
      set({ hubEndpoint: value });
    },

    async downloadModels(requests, token) {
      const todo = requests.filter((r) => r.repo.trim() !== '').map((r) => ({ slot: r.slot, repo: r.repo.trim(), revision: r.revision.trim() || 'main' }));
      await jobs.run('hubModels', async (job) => {
        if (todo.length === 0) throw new Error('Type a repo id (owner/name) first, or choose a preset.');
        for (const t of todo) checkRepoId(t.repo);
        const hub = modelCache();
        const notes: string[] = [];
        for (const t of todo) {
          job.onProgress?.({ repo: t.repo, download: null });
          const got = await hub.download(t.repo, {
            fetch: deps!.fetch,
            endpoint: endpoint(),
            revision: t.revision,
            ...(token ? { token } : {}),
            ...(job.signal ? { signal: job.signal } : {}),
            onProgress: (download) => job.onProgress?.({ repo: t.repo, download }),
          });
          const fetched = got.result?.fetchedBytes ?? 0;
          notes.push(got.result === null ? `${t.repo}: the Hub could not be reached; opened the cached copy` : `${t.repo}: ${fetched > 0 ? `${formatBytes(fetched)} downloaded` : 'already cached'}`);
          await open(t.slot, { kind: 'directory', handle: got.handle }, 'folder', `${t.repo}@${t.revision}`);
        }
        return { message: `${notes.join('; ')}.` };
      });
      await get().refreshHubCache();
    },

    async refreshHubCache() {
      let hub: HubCache;
      try {
        hub = modelCache();
      } catch (e) {
        return set({ hubCache: { available: false, models: [], estimate: null, error: errorLine(e) } });
      }
      const [models, estimate] = await Promise.all([hub.list().catch((): CachedModel[] => []), hub.estimate()]);
      set({ hubCache: { available: true, models, estimate, error: get().hubCache.error } });
    },

    async openCachedModel(repo, revision, slot) {
      setCacheError(null);
      try {
        const handle = await modelCache().open(repo, revision);
        if (!handle) throw new Error(`${repo}@${revision} is not completely downloaded; use Download`);
        await get().openSlot(slot, { kind: 'directory', handle }, 'folder', `${repo}@${revision}`);
      } catch (e) {
        setCacheError(errorLine(e));
      }
    },

    async removeCachedModel(repo, revision) {
      setCacheError(null);
      await modelCache()
        .remove(repo, revision)
        .catch((e: unknown) => setCacheError(errorLine(e)));
      await get().refreshHubCache();
    },

    async fetchHubData(benchmark) {
      const b = getBenchmark(benchmark);
      const task = getTask(b.tasks[0]!) as Task<unknown>;
      const dataset = task.dataset;
      if (b.notOnHub !== null || !dataset || jobs.running()) return;
      set({ hubDataFor: benchmark });
      await jobs.run('hubData', async (job) => {
        const received = new Map<string, number>();
        const splits = hubSplits(task, get().evalSettings.numFewshot);
        const cache = deps?.datasets() ?? null;
        const got: { role: DataRole; files: DataFile[] }[] = [];
        job.onProgress?.({ repo: dataset.repo, fetch: null });
        for (const { role, split } of splits) {
          if (!deps) throw new Error('no Hugging Face access here');
          const files = await fetchHubSplit(dataset, split, {
            fetch: deps.fetch,
            endpoint: endpoint(),
            ...(cache ? { cache } : {}),
            ...(job.signal ? { signal: job.signal } : {}),
            onProgress: (progress) => {
              received.set(progress.file, progress.received);
              job.onProgress?.({ repo: dataset.repo, fetch: progress });
            },
          });
          got.push({ role, files });
        }
        for (const { role, files } of got) await get().setData(benchmark, role, files);
        const fetched = [...received.values()].reduce((a, n) => a + n, 0);
        const from = `${dataset.repo} (${configOf(dataset)}: ${splits.map((x) => x.split).join(' and ')})`;
        return { message: received.size > 0 ? `${from}: ${formatBytes(fetched)} fetched from Hugging Face.` : `${from}: from this browser’s cache.` };
      });
    },
  };
}
