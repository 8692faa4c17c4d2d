/**
 * The Hub downloads as store jobs, against fake Hubs in memory: a checkpoint is downloaded into the
 * cache and opened in its slot, the store busy meanwhile; Cancel ends it as cancelled through the
 * same path as the engine's jobs; a benchmark's split is fetched and loaded; the cached models list.
 */
import { describe, expect, it } from 'vitest';
import { createHubCache } from '../../browser/page/hub-cache.ts';
import { MemoryDirectoryHandle } from '../../browser/testing/memory-handles.ts';
import { Engine } from '../../browser/worker/engine.ts';
import { readDemoFile } from '../../node/demo-files.ts';
import { TINY_QWEN2, writeFamilyMember } from '../../core/checkpoint/synthetic.ts';
import { MemoryCache } from '../../core/hub/cache.ts';
import type { HubFetch } from '../../core/hub/http.ts';
import { MemoryFolder } from '../../core/io/bytes.ts';
import { writeParquet } from '../../core/testing/parquet-writer.ts';
import { createStudioStore } from './store.ts';
import { isBusy } from './state.ts';

const ENDPOINT = 'http://hub.test';

/** One model repository (acme/tiny) and gsm8k's test split; `stall` holds every weight transfer open until aborted. */
async function fakeHub(options: { stall?: boolean } = {}) {
  const repo = new MemoryFolder('tiny');
  await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: 'target', out: repo });
  const listing = `${ENDPOINT}/api/datasets/openai/gsm8k/parquet/main/test`;
  const shard = writeParquet({ question: ['Tom has 3 apples and buys 4 more. How many apples does he have?'], answer: ['3 + 4 = 7\n#### 7'] });
  const requests: string[] = [];
  const fetch: HubFetch = async (url, init) => {
    requests.push(url);
    const path = new URL(url).pathname;
    if (path === '/api/models/acme/tiny/revision/main') {
      return new Response(JSON.stringify({ sha: 'c'.repeat(40), siblings: [...repo.files].map(([rfilename, b]) => ({ rfilename, size: b.byteLength })) }));
    }
    if (url === listing) return new Response(JSON.stringify([`${listing}/0.parquet`]));
    if (url === `${listing}/0.parquet`) return new Response(shard.slice());
    const file = /^\/acme\/tiny\/resolve\/c{40}\/(.+)$/.exec(path)?.[1];
    const bytes = file === undefined ? undefined : repo.files.get(file);
    if (!bytes) return new Response('nope', { status: 404 });
    if (options.stall && file!.endsWith('.safetensors')) {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, 64));
          init.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return new Response(body, { headers: { 'content-length': String(bytes.byteLength) } });
    }
    return new Response(bytes.slice());
  };
  return { fetch, requests };
}

function setup(fetch: HubFetch) {
  const engine = new Engine({ getDevice: async () => ({ device: null, reason: 'no GPU here' }), shaders: { merge: '' }, demoFiles: readDemoFile });
  const root = new MemoryDirectoryHandle('opfs');
  const datasets = new MemoryCache();
  const store = createStudioStore({ engine, compatDelayMs: 0, hub: { fetch, models: () => createHubCache(async () => root), datasets: () => datasets }, hubEndpoint: ENDPOINT });
  return { store, datasets };
}

describe('Hub jobs in the store', () => {
  it('downloads a checkpoint into the cache and its slot; busy meanwhile; then listed', async () => {
    const hub = await fakeHub();
    const { store } = setup(hub.fetch);
    await store.getState().init();
    const busy: boolean[] = [];
    const unsubscribe = store.subscribe((s) => busy.push(isBusy(s)));
    await store.getState().downloadModels([{ slot: 'target', repo: 'acme/tiny', revision: '' }, { slot: 'sft', repo: ' ', revision: 'main' }], '');
    unsubscribe();
    const s = store.getState();
    expect(s.hubModels.status).toBe('done');
    expect(s.hubModels.result?.message).toMatch(/^acme\/tiny: [\d.]+ KB downloaded\.$/);
    expect(s.slots.target).toMatchObject({ status: 'ready', summary: { name: 'tiny@main', architecture: 'Qwen2ForCausalLM' } });
    expect(busy).toContain(true);
    expect(isBusy(s)).toBe(false);
    expect(s.hubCache.models.map((m) => [m.repo, m.complete])).toEqual([['acme/tiny', true]]);
    // Again: nothing new to fetch.
    await store.getState().downloadModels([{ slot: 'grpo', repo: 'acme/tiny', revision: 'main' }], '');
    expect(store.getState().hubModels.result?.message).toBe('acme/tiny: already cached.');
  });

  it('refuses bad input with one line, before any request', async () => {
    const hub = await fakeHub();
    const { store } = setup(hub.fetch);
    await store.getState().downloadModels([{ slot: 'target', repo: '', revision: 'main' }], '');
    expect(store.getState().hubModels).toMatchObject({ status: 'error', error: 'Type a repo id (owner/name) first, or choose a preset.' });
    await store.getState().downloadModels([{ slot: 'target', repo: 'not a repo id', revision: 'main' }], '');
    expect(store.getState().hubModels.error).toBe('"not a repo id" is not a Hugging Face repo id (owner/name)');
    expect(hub.requests).toEqual([]);
  });

  it('Cancel ends a download as cancelled, through the jobs’ one cancel path', async () => {
    const hub = await fakeHub({ stall: true });
    const { store } = setup(hub.fetch);
    const done = store.getState().downloadModels([{ slot: 'target', repo: 'acme/tiny', revision: 'main' }], '');
    await expect.poll(() => store.getState().hubModels.progress?.download?.file ?? '').toMatch(/\.safetensors$/);
    expect(isBusy(store.getState())).toBe(true);
    // Another job is refused while it runs.
    await store.getState().fetchHubData('gsm8k');
    expect(store.getState().hubData.status).toBe('idle');
    store.getState().cancel('hubModels');
    await done;
    expect(store.getState().hubModels.status).toBe('cancelled');
    expect(store.getState().slots.target.status).toBe('empty');
    expect(store.getState().hubCache.models.map((m) => [m.repo, m.complete])).toEqual([['acme/tiny', false]]);
  });

  it('fetches a benchmark split through the cache and loads it like chosen files', async () => {
    const hub = await fakeHub();
    const { store, datasets } = setup(hub.fetch);
    store.getState().setEvalSettings({ numFewshot: 0 });
    await store.getState().fetchHubData('gsm8k');
    let s = store.getState();
    expect(s.hubDataFor).toBe('gsm8k');
    expect(s.hubData.status).toBe('done');
    expect(s.hubData.result?.message).toMatch(/^openai\/gsm8k \(main: test\): [\d.]+ K?B fetched from Hugging Face\.$/);
    expect(s.datasets.gsm8k).toMatchObject({ status: 'ready', summary: { items: 1 } });
    expect(datasets.entries.size).toBe(2); // the listing and the shard
    await store.getState().fetchHubData('gsm8k');
    expect(store.getState().hubData.result?.message).toBe('openai/gsm8k (main: test): from this browser’s cache.');
    await store.getState().clearData('gsm8k');
    s = store.getState();
    expect([s.hubData.status, s.hubDataFor]).toEqual(['idle', null]);
  });
});
