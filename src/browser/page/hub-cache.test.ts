/** The Hub cache over in-memory folder handles, with a fetch that answers one fake repository. */
import { describe, expect, it } from 'vitest';
import { TINY_QWEN2, writeFamilyMember } from '../../core/checkpoint/synthetic.ts';
import type { HubFetch } from '../../core/hub/http.ts';
import { MemoryFolder } from '../../core/io/bytes.ts';
import { directoryFolderSource } from '../shared/folder-source.ts';
import { openCheckpoint } from '../../core/checkpoint/checkpoint.ts';
import { cachePlace, createHubCache, HubCacheError, type StorageLike } from './hub-cache.ts';
import { MemoryDirectoryHandle } from '../testing/memory-handles.ts';

async function fakeHub() {
  const repo = new MemoryFolder('tiny');
  await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: 'target', out: repo });
  const requests: string[] = [];
  let online = true;
  const fetch: HubFetch = async (url) => {
    requests.push(url);
    if (!online) throw new TypeError('Failed to fetch');
    const path = new URL(url).pathname;
    if (path === '/api/models/acme/tiny/revision/main') {
      return new Response(JSON.stringify({ sha: 'c'.repeat(40), siblings: [...repo.files].map(([rfilename, b]) => ({ rfilename, size: b.byteLength })) }));
    }
    const file = /^\/acme\/tiny\/resolve\/c{40}\/(.+)$/.exec(path)?.[1];
    const bytes = file === undefined ? undefined : repo.files.get(file);
    return bytes ? new Response(bytes.slice()) : new Response('nope', { status: 404, headers: { 'x-error-code': 'EntryNotFound' } });
  };
  return { repo, requests, fetch, setOnline: (v: boolean) => void (online = v) };
}

const storage = (usage: number, quota: number): StorageLike => ({ estimate: async () => ({ usage, quota }) });

describe('the Hub cache', () => {
  it('places repositories by owner, name and revision', () => {
    expect(cachePlace('Qwen/Qwen2.5-Math-1.5B', 'main')).toEqual({ owner: 'Qwen', folder: 'Qwen2.5-Math-1.5B@main' });
    expect(cachePlace('gpt2', 'refs/pr/1')).toEqual({ owner: null, folder: 'gpt2@refs%2Fpr%2F1' });
    expect(() => cachePlace('../x', 'main')).toThrow(/not a Hugging Face repo id/);
  });

  it('downloads into hub/<owner>/<name>@<revision>, lists, reopens offline and deletes', async () => {
    const hub = await fakeHub();
    const root = new MemoryDirectoryHandle('opfs');
    const cache = createHubCache(async () => root, storage(0, 1e9));
    const got = await cache.download('acme/tiny', { fetch: hub.fetch, endpoint: 'http://hub.test' });
    expect(got.folder).toBe('tiny@main');
    expect(root.paths()).toEqual([...[...hub.repo.files.keys()].map((f) => `hub/acme/tiny@main/${f}`), 'hub/acme/tiny@main.json'].sort());
    const checkpoint = await openCheckpoint(directoryFolderSource(got.handle));
    expect(checkpoint.name).toBe('tiny@main');
    expect(checkpoint.tensors.size).toBe((await openCheckpoint(hub.repo)).tensors.size);

    const bytes = [...hub.repo.files.values()].reduce((n, b) => n + b.byteLength, 0);
    expect(await cache.list()).toEqual([{ repo: 'acme/tiny', revision: 'main', sha: 'c'.repeat(40), folder: 'tiny@main', files: hub.repo.files.size, bytes, complete: true }]);
    expect(await cache.estimate()).toEqual({ usage: 0, quota: 1e9 });

    // Offline: the listing fails, the complete copy is used; nothing else is requested.
    hub.setOnline(false);
    hub.requests.length = 0;
    const offline = await cache.download('acme/tiny', { fetch: hub.fetch, endpoint: 'http://hub.test' });
    expect([offline.result, offline.handle]).toEqual([null, got.handle]);
    expect(hub.requests).toHaveLength(1);
    expect(await cache.open('acme/tiny', 'main')).toBe(got.handle);

    await cache.remove('acme/tiny', 'main');
    expect(root.paths()).toEqual([]);
    expect(await cache.list()).toEqual([]);
    expect(await cache.open('acme/tiny', 'main')).toBeNull();
    await expect(cache.download('acme/tiny', { fetch: hub.fetch, endpoint: 'http://hub.test' })).rejects.toMatchObject({ code: 'NETWORK' });
  });

  it('refuses a download that does not fit in the quota, before fetching weights', async () => {
    const hub = await fakeHub();
    const root = new MemoryDirectoryHandle('opfs');
    const cache = createHubCache(async () => root, storage(900, 1000));
    const e = await cache.download('acme/tiny', { fetch: hub.fetch, endpoint: 'http://hub.test' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HubCacheError);
    expect((e as HubCacheError).code).toBe('QUOTA');
    expect((e as HubCacheError).message).toMatch(/^acme\/tiny: needs \d+\.\d MB more, but this browser lets the site store only 0\.0 MB more/);
    expect(hub.requests.filter((u) => u.includes('/resolve/'))).toEqual([]);
    expect((await cache.list()).map((m) => m.complete)).toEqual([false]);
  });
});
