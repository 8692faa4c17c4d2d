/** The OPFS dataset cache over in-memory folder handles, driven by core's Hub client and a fake Hub. */
import { describe, expect, it } from 'vitest';
import { fetchParquetSplit } from '../../core/hub/datasets.ts';
import type { HubFetch } from '../../core/hub/http.ts';
import { createDatasetCache, datasetCachePath } from './dataset-cache.ts';
import { MemoryDirectoryHandle, MemoryFileHandle } from '../testing/memory-handles.ts';

const ENDPOINT = 'http://127.0.0.1:9';
const SHARDS = new Map([
  ['0.parquet', new Uint8Array([80, 65, 82, 49, 1, 2, 3, 80, 65, 82, 49])],
  ['1.parquet', new Uint8Array([80, 65, 82, 49, 4, 5, 80, 65, 82, 49])],
]);

/** Answers the parquet listing of test-org/mini (config main, split test) and its two shards. */
function fakeHub() {
  const requests: string[] = [];
  const base = `${ENDPOINT}/api/datasets/test-org/mini/parquet/main/test`;
  const fetch: HubFetch = async (url) => {
    requests.push(url);
    if (url === base) return new Response(JSON.stringify([...SHARDS.keys()].map((n) => `${base}/${n}`)));
    const bytes = url.startsWith(`${base}/`) ? SHARDS.get(url.slice(base.length + 1)) : undefined;
    return bytes ? new Response(bytes.slice()) : new Response('not found', { status: 404 });
  };
  return { requests, fetch };
}

function folderAt(root: MemoryDirectoryHandle, path: readonly string[]): MemoryDirectoryHandle {
  let dir = root;
  for (const p of path) {
    const next = dir.entries.get(p);
    if (next?.kind !== 'directory') throw new Error(`no folder ${path.join('/')}`);
    dir = next;
  }
  return dir;
}

describe('datasetCachePath', () => {
  it('places listings and shards by repo, config and split', () => {
    expect(datasetCachePath('api/datasets/openai/gsm8k/parquet/main/test')).toEqual(['openai', 'gsm8k', 'main', 'test', 'parquet-files.json']);
    expect(datasetCachePath('api/datasets/openai/gsm8k/parquet/main/train/0.parquet')).toEqual(['openai', 'gsm8k', 'main', 'train', '0.parquet']);
    // A shard on another host (its key is then the full URL), a repo without owner, an encoded segment.
    expect(datasetCachePath('https://huggingface.co/api/datasets/allenai/sciq/parquet/default/test/0.parquet')).toEqual(['allenai', 'sciq', 'default', 'test', '0.parquet']);
    expect(datasetCachePath('api/datasets/squad/parquet/plain%20text/validation')).toEqual(['squad', 'plain%20text', 'validation', 'parquet-files.json']);
    // A repo named "parquet" is still told apart from the path's own "parquet".
    expect(datasetCachePath('api/datasets/acme/parquet/parquet/main/test/0.parquet')).toEqual(['acme', 'parquet', 'main', 'test', '0.parquet']);
  });

  it('caches nothing else', () => {
    for (const key of [
      'datasets/openai/gsm8k/resolve/main/main/test-00000-of-00001.parquet',
      'api/datasets/openai/gsm8k/parquet/main/test/notes.txt',
      'api/datasets/openai/gsm8k/parquet/main/test/0.parquet?download=1',
      'api/datasets/a/b/c/parquet/main/test',
      'api/datasets/openai/gsm8k/parquet/../test',
      'api/datasets/openai/gsm8k/parquet/main/..',
    ]) {
      expect(datasetCachePath(key), key).toBeNull();
    }
  });
});

describe('createDatasetCache', () => {
  it('keeps a fetched split under hub-datasets/<repo>/<config>/<split>/ and serves it again without a request', async () => {
    const root = new MemoryDirectoryHandle('opfs');
    const hub = fakeHub();
    const first = await fetchParquetSplit('test-org/mini', 'main', 'test', { fetch: hub.fetch, endpoint: ENDPOINT, cache: createDatasetCache(async () => root) });
    expect(first.map((f) => f.name)).toEqual(['0.parquet', '1.parquet']);
    expect(hub.requests).toHaveLength(3);
    expect(root.paths()).toEqual([
      'hub-datasets/test-org/mini/main/test/0.parquet',
      'hub-datasets/test-org/mini/main/test/1.parquet',
      'hub-datasets/test-org/mini/main/test/parquet-files.json',
    ]);
    const split = folderAt(root, ['hub-datasets', 'test-org', 'mini', 'main', 'test']);
    for (const [name, bytes] of SHARDS) expect((split.entries.get(name) as MemoryFileHandle).bytes).toEqual(bytes);

    hub.requests.length = 0;
    const again = await fetchParquetSplit('test-org/mini', 'main', 'test', { fetch: hub.fetch, endpoint: ENDPOINT, cache: createDatasetCache(async () => root) });
    expect(hub.requests).toEqual([]);
    expect(again.map((f) => [f.name, f.bytes])).toEqual([...SHARDS]);
  });

  it('counts an empty file (a write that never closed) as absent, and fetches that shard again', async () => {
    const root = new MemoryDirectoryHandle('opfs');
    const cache = createDatasetCache(async () => root);
    const hub = fakeHub();
    await fetchParquetSplit('test-org/mini', 'main', 'test', { fetch: hub.fetch, endpoint: ENDPOINT, cache });
    const split = folderAt(root, ['hub-datasets', 'test-org', 'mini', 'main', 'test']);
    (split.entries.get('1.parquet') as MemoryFileHandle).bytes = new Uint8Array(0);
    hub.requests.length = 0;
    const again = await fetchParquetSplit('test-org/mini', 'main', 'test', { fetch: hub.fetch, endpoint: ENDPOINT, cache });
    expect(hub.requests).toEqual([`${ENDPOINT}/api/datasets/test-org/mini/parquet/main/test/1.parquet`]);
    expect(again[1]!.bytes).toEqual(SHARDS.get('1.parquet'));
  });

  it('misses, and keeps nothing, for keys outside its layout', async () => {
    const root = new MemoryDirectoryHandle('opfs');
    const cache = createDatasetCache(async () => root);
    await cache.put('datasets/openai/gsm8k/resolve/main/README.md', new Uint8Array([1]));
    expect(await cache.get('datasets/openai/gsm8k/resolve/main/README.md')).toBeUndefined();
    expect(await cache.get('api/datasets/openai/gsm8k/parquet/main/test')).toBeUndefined();
    expect(root.paths()).toEqual([]);
  });
});
