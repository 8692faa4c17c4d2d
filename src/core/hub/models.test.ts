/**
 * hub.ts and hub-download.ts against a local HTTP server on 127.0.0.1 that answers the Hub's model
 * paths (listing, resolve with a CDN redirect and byte ranges) for synthetic checkpoints; never the
 * network. Sizes and content ids in the listings are computed here with node:crypto.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryFolder } from '../io/bytes.ts';
import { openCheckpoint } from '../checkpoint/checkpoint.ts';
import { HubError } from './http.ts';
import { checkRepoId, listModelFiles, modelFileUrl, modelInfoUrl, selectCheckpointFiles, type RepoFile } from './models.ts';
import { downloadCheckpoint, memoryTarget, partialName, type DownloadOptions, type DownloadProgress, type DownloadRecord } from './download.ts';
import { TINY_QWEN2, TINY_QWEN2_CHAT, writeFamilyMember } from '../checkpoint/synthetic.ts';
import { startLocalServer, type LocalServer } from '../../node/testing/local-server.ts';

const SHA = 'a'.repeat(40);

interface FakeRepo {
  readonly files: Map<string, Uint8Array>;
  /** Listing without sizes and content ids. */
  readonly bare?: boolean;
  /** Sizes the listing claims instead of the real ones. */
  readonly claim?: Record<string, number>;
  /** Files answered 401 GatedRepo without the right token. */
  readonly gated?: boolean;
  /** Files the listing names but resolve answers 404. */
  readonly vanished?: readonly string[];
}

const repos = new Map<string, FakeRepo>();
/** Per path: send this many bytes of the body, then cut the connection (once). */
const cutOnce = new Map<string, number>();
/** Per path: send this many bytes, then stall. */
const stall = new Map<string, number>();
/** Answer ranged requests with the whole file (200). */
let ignoreRanges = false;
const hits: { url: string; range: string | undefined }[] = [];
let local: LocalServer;
let base = '';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const gitBlobId = (b: Uint8Array) => createHash('sha1').update(`blob ${b.byteLength}\0`).update(b).digest('hex');

function listing(repo: FakeRepo): unknown {
  const siblings = [...repo.files].map(([rfilename, bytes]) => {
    if (repo.bare) return { rfilename };
    const size = repo.claim?.[rfilename] ?? bytes.byteLength;
    return rfilename.endsWith('.safetensors')
      ? { rfilename, size, blobId: gitBlobId(new TextEncoder().encode(`pointer ${rfilename}`)), lfs: { size, sha256: sha256(bytes), pointerSize: 134 } }
      : { rfilename, size, blobId: gitBlobId(bytes) };
  });
  return { _id: 'x', id: 'x', sha: SHA, siblings };
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string, bytes: Uint8Array): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  let start = 0;
  if (range && !ignoreRanges) {
    start = Number(range[1]);
    if (start >= bytes.byteLength) {
      res.writeHead(416, { 'content-range': `bytes */${bytes.byteLength}` });
      return void res.end();
    }
  }
  const body = Buffer.from(bytes.subarray(start));
  const headers = { 'content-length': String(body.length), 'accept-ranges': 'bytes' };
  if (start > 0) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${bytes.byteLength - 1}/${bytes.byteLength}` });
  else res.writeHead(200, headers);
  const cut = cutOnce.get(path);
  if (cut !== undefined) {
    cutOnce.delete(path);
    res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 20));
    return;
  }
  const stop = stall.get(path);
  if (stop !== undefined) return void res.write(body.subarray(0, stop));
  res.end(body);
}

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  hits.push({ url, range: req.headers.range });
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  };
  const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/?]+)\?blobs=true$/.exec(url);
  if (api) {
    const repo = repos.get(decodeURIComponent(api[1]!));
    if (api[1] === 'acme/broken') return send(500, 'oops');
    if (api[1] === 'acme/notjson') return send(200, '<html>');
    if (!repo) return send(401, '{"error":"Repository not found"}', { 'x-error-code': 'RepoNotFound' });
    if (api[2] !== 'main' && api[2] !== SHA) return send(404, '{"error":"Invalid rev id"}', { 'x-error-code': 'RevisionNotFound' });
    return send(200, JSON.stringify(listing(repo)), { 'content-type': 'application/json' });
  }
  const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(url);
  if (cdn) {
    const path = decodeURIComponent(cdn[2]!);
    return sendFile(req, res, path, repos.get(cdn[1]!)!.files.get(path)!);
  }
  const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
  const repo = resolve ? repos.get(resolve[1]!) : undefined;
  if (!resolve || !repo) return send(401, 'Repository not found', { 'x-error-code': 'RepoNotFound' });
  const path = decodeURIComponent(resolve[3]!);
  if (repo.gated && req.headers.authorization !== 'Bearer hf_good') return send(401, 'Access restricted', { 'x-error-code': 'GatedRepo' });
  if (resolve[2] !== SHA) return send(404, 'Invalid rev id', { 'x-error-code': 'RevisionNotFound' });
  if (repo.vanished?.includes(path) || !repo.files.has(path)) return send(404, 'Entry not found', { 'x-error-code': 'EntryNotFound' });
  if (path.endsWith('.safetensors')) {
    // LFS files live on a CDN, as on the Hub.
    res.writeHead(302, { location: `/cdn/${resolve[1]}/${resolve[3]}`, 'content-length': '0' });
    return void res.end();
  }
  sendFile(req, res, path, repo.files.get(path)!);
}

async function member(options: { shardSize?: number; tokenizer?: boolean; extra?: Record<string, string> } = {}): Promise<Map<string, Uint8Array>> {
  const folder = new MemoryFolder('m');
  await writeFamilyMember({
    shape: options.tokenizer ? TINY_QWEN2_CHAT : TINY_QWEN2,
    dtype: 'BF16',
    member: 'sft',
    out: folder,
    tokenizer: options.tokenizer ?? false,
    ...(options.shardSize ? { shardSize: options.shardSize } : {}),
  });
  for (const [name, text] of Object.entries(options.extra ?? {})) folder.files.set(name, new TextEncoder().encode(text));
  return folder.files;
}

beforeAll(async () => {
  repos.set('acme/tiny', { files: await member({ tokenizer: true, extra: { 'README.md': '# tiny', 'onnx/model.onnx': 'not a model', '.gitattributes': '*.safetensors filter=lfs' } }) });
  const sharded = await member({ shardSize: 20_000 });
  sharded.set('consolidated.safetensors', new Uint8Array(64)); // not named by the index: never fetched
  repos.set('acme/sharded', { files: sharded });
  repos.set('acme/bare', { files: await member(), bare: true });
  repos.set('acme/gated', { files: await member(), gated: true });
  repos.set('acme/noweights', { files: new Map([['config.json', new TextEncoder().encode('{}')]]) });
  const tiny = repos.get('acme/tiny')!.files;
  repos.set('acme/vanished', { files: tiny, vanished: ['tokenizer.json'] });
  repos.set('acme/liar', { files: tiny, claim: { 'model.safetensors': tiny.get('model.safetensors')!.byteLength - 10 } });
  local = await startLocalServer(route);
  base = local.base;
});
afterAll(() => local.close());
beforeEach(() => {
  hits.length = 0;
  cutOnce.clear();
  stall.clear();
  ignoreRanges = false;
});

const opts = (more: Partial<DownloadOptions> = {}): DownloadOptions => ({ fetch: globalThis.fetch, endpoint: base, ...more });
const fileHits = () => hits.filter((h) => !h.url.startsWith('/api/'));

async function failure(p: Promise<unknown>): Promise<HubError> {
  const e = await p.catch((x: unknown) => x);
  if (e instanceof HubError) return e;
  throw new Error(`expected a HubError, got ${String(e)}`);
}

/** The files a checkpoint needs, by the rule written out here independently of the code. */
function expectedFiles(files: Map<string, Uint8Array>): Map<string, Uint8Array> {
  const wanted = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors.index.json'];
  return new Map([...files].filter(([name]) => wanted.includes(name) || /^model(-\d{5}-of-\d{5})?\.safetensors$/.test(name)));
}

describe('repo ids and URLs', () => {
  it('accepts the Hub’s ids and refuses others', () => {
    for (const id of ['Qwen/Qwen2.5-Math-1.5B', 'michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-SFT', 'gpt2', 'a_b/c.d']) expect(() => checkRepoId(id)).not.toThrow();
    for (const id of ['', 'a/b/c', '/x', 'x/', 'a b/c', 'a/../b', 'a/b--c', '-a/b', 'https://huggingface.co/a/b']) {
      const e = (() => {
        try {
          checkRepoId(id);
        } catch (x) {
          return x as HubError;
        }
        return null;
      })();
      expect(e?.code, id).toBe('BAD_REPO_ID');
    }
  });
  it('builds listing and resolve URLs with the revision as one segment', () => {
    expect(modelInfoUrl(undefined, 'Qwen/Qwen2.5-Math-1.5B', 'main')).toBe('https://huggingface.co/api/models/Qwen/Qwen2.5-Math-1.5B/revision/main?blobs=true');
    expect(modelFileUrl('http://h/', 'o/n', 'refs/pr/1', 'a b.json')).toBe('http://h/o/n/resolve/refs%2Fpr%2F1/a%20b.json');
  });
});

describe('listing and selection', () => {
  it('lists files with sizes (the LFS size for LFS files), content ids and the commit', async () => {
    const listing = await listModelFiles('acme/tiny', opts());
    const files = repos.get('acme/tiny')!.files;
    expect(listing.sha).toBe(SHA);
    expect(listing.revision).toBe('main');
    expect(listing.files.map((f) => f.path).sort()).toEqual([...files.keys()].sort());
    const weights = listing.files.find((f) => f.path === 'model.safetensors')!;
    expect(weights).toEqual({ path: 'model.safetensors', size: files.get('model.safetensors')!.byteLength, oid: sha256(files.get('model.safetensors')!) });
    expect(listing.files.find((f) => f.path === 'config.json')!.oid).toBe(gitBlobId(files.get('config.json')!));
    const bare = await listModelFiles('acme/bare', opts());
    expect(bare.files.every((f) => f.size === null && f.oid === null)).toBe(true);
  });
  it('keeps config, tokenizer files and weights at the top level only', () => {
    const f = (path: string): RepoFile => ({ path, size: 1, oid: null });
    const names = (files: RepoFile[]) => files.map((x) => x.path).sort();
    const all = ['config.json', 'README.md', 'model.safetensors', 'onnx/model.safetensors', 'tokenizer.json', 'merges.txt', 'vocab.json', 'pytorch_model.bin', 'generation_config.json'].map(f);
    expect(names(selectCheckpointFiles('r', all))).toEqual(['config.json', 'generation_config.json', 'merges.txt', 'model.safetensors', 'tokenizer.json', 'vocab.json']);
    const sharded = ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'extra.safetensors'].map(f);
    expect(names(selectCheckpointFiles('r', sharded, new Set(['model-00002-of-00002.safetensors', 'model-00001-of-00002.safetensors'])))).toEqual([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
    const missing = (() => {
      try {
        return selectCheckpointFiles('r', sharded, new Set(['model-00003-of-00003.safetensors']));
      } catch (e) {
        return e as HubError;
      }
    })() as HubError;
    expect([missing.code, missing.file]).toEqual(['NOT_FOUND', 'model-00003-of-00003.safetensors']);
  });
});

describe('downloadCheckpoint', () => {
  it('downloads the checkpoint files into a folder that opens as the same checkpoint, with progress', async () => {
    const folder = new MemoryFolder('tiny');
    const progress: DownloadProgress[] = [];
    const records: DownloadRecord[] = [];
    const result = await downloadCheckpoint('acme/tiny', memoryTarget(folder), opts({ onProgress: (p) => progress.push(p), onRecord: (r) => void records.push(r) }));
    const want = expectedFiles(repos.get('acme/tiny')!.files);
    expect([...folder.files.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [name, bytes] of want) expect(Buffer.compare(folder.files.get(name)!, bytes), name).toBe(0);
    expect((await openCheckpoint(folder)).config?.['architectures']).toEqual(['Qwen2ForCausalLM']);
    // Files come from the listing's commit; nothing outside the plan is requested.
    expect(fileHits().filter((h) => !h.url.startsWith('/cdn/')).every((h) => h.url.startsWith(`/acme/tiny/resolve/${SHA}/`))).toBe(true);
    expect(fileHits().some((h) => /README|onnx|gitattributes/.test(h.url))).toBe(false);

    const total = [...want.values()].reduce((n, b) => n + b.byteLength, 0);
    expect(result.fetchedBytes).toBe(total);
    expect(result.files.every((f) => f.status === 'downloaded')).toBe(true);
    const last = progress.at(-1)!;
    expect([last.bytes, last.totalBytes, last.fetchedBytes, last.index, last.files]).toEqual([total, total, total, want.size - 1, want.size]);
    expect(progress.every((p, i) => i === 0 || p.bytes >= progress[i - 1]!.bytes)).toBe(true);
    expect(progress.every((p) => p.fileSize === want.get(p.file)!.byteLength && p.fileBytes <= p.fileSize!)).toBe(true);
    expect(records.at(-1)).toEqual(result.record);
    expect(result.record.complete).toBe(true);
    expect(result.record.files['model.safetensors']).toEqual({ size: want.get('model.safetensors')!.byteLength, oid: sha256(want.get('model.safetensors')!) });

    // Again: every file is complete, nothing is fetched.
    hits.length = 0;
    const again = await downloadCheckpoint('acme/tiny', memoryTarget(folder), opts({ record: result.record }));
    expect(fileHits()).toEqual([]);
    expect(again.fetchedBytes).toBe(0);
    expect(again.files.every((f) => f.status === 'cached')).toBe(true);
  });

  it('reads the index first and fetches only the shards it names; removes stale files', async () => {
    const folder = new MemoryFolder('sharded');
    folder.files.set('old.safetensors', new Uint8Array(3));
    folder.files.set('model.safetensors.deadbeef.incomplete', new Uint8Array(3));
    await downloadCheckpoint('acme/sharded', memoryTarget(folder), opts());
    const want = expectedFiles(repos.get('acme/sharded')!.files);
    expect(want.size).toBeGreaterThan(3);
    expect([...folder.files.keys()].sort()).toEqual([...want.keys()].sort());
    expect(fileHits().some((h) => h.url.includes('consolidated'))).toBe(false);
    expect(fileHits()[0]!.url).toContain('model.safetensors.index.json');
    expect((await openCheckpoint(folder)).shards.length).toBe(want.size - 2);
  });

  it('resumes a file whose transfer was cut, from the bytes that arrived', async () => {
    const folder = new MemoryFolder('tiny');
    const weights = repos.get('acme/tiny')!.files.get('model.safetensors')!;
    cutOnce.set('model.safetensors', 5000);
    const cut = await failure(downloadCheckpoint('acme/tiny', memoryTarget(folder), opts()));
    expect([cut.code, cut.repo, cut.file]).toEqual(['NETWORK', 'acme/tiny', 'model.safetensors']);
    expect(cut.message).toMatch(/^acme\/tiny: the transfer of model\.safetensors (failed|ended) after \d+ of \d+ bytes.*download again to resume$/);
    const partial = partialName({ path: 'model.safetensors', size: weights.byteLength, oid: sha256(weights) });
    const kept = folder.files.get(partial)!.byteLength;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(5000);
    expect(folder.files.has('model.safetensors')).toBe(false);

    hits.length = 0;
    const result = await downloadCheckpoint('acme/tiny', memoryTarget(folder), opts());
    // The range goes to the resolve URL and follows its redirect to the CDN.
    expect(fileHits().filter((h) => h.range !== undefined)).toEqual([
      { url: `/acme/tiny/resolve/${SHA}/model.safetensors`, range: `bytes=${kept}-` },
      { url: '/cdn/acme/tiny/model.safetensors', range: `bytes=${kept}-` },
    ]);
    expect(result.files.find((f) => f.path === 'model.safetensors')).toEqual({ path: 'model.safetensors', size: weights.byteLength, fetched: weights.byteLength - kept, status: 'resumed' });
    expect(Buffer.compare(folder.files.get('model.safetensors')!, weights)).toBe(0);
    expect(folder.files.has(partial)).toBe(false);
  });

  it('starts a file again when the server ignores the range, or refuses it (416)', async () => {
    const weights = repos.get('acme/tiny')!.files.get('model.safetensors')!;
    const folder = new MemoryFolder('tiny');
    const partial = partialName({ path: 'model.safetensors', size: weights.byteLength, oid: sha256(weights) });
    folder.files.set(partial, weights.slice(0, 100));
    ignoreRanges = true;
    const r = await downloadCheckpoint('acme/tiny', memoryTarget(folder), opts());
    expect(r.files.find((f) => f.path === 'model.safetensors')!.status).toBe('downloaded');
    expect(Buffer.compare(folder.files.get('model.safetensors')!, weights)).toBe(0);

    // Without sizes in the listing, a partial file longer than the file gets 416.
    const bare = new MemoryFolder('bare');
    const bareWeights = repos.get('acme/bare')!.files.get('model.safetensors')!;
    bare.files.set('model.safetensors.incomplete', new Uint8Array(bareWeights.byteLength + 7));
    ignoreRanges = false;
    await downloadCheckpoint('acme/bare', memoryTarget(bare), opts());
    expect(hits.some((h) => h.range === `bytes=${bareWeights.byteLength + 7}-`)).toBe(true);
    expect(Buffer.compare(bare.files.get('model.safetensors')!, bareWeights)).toBe(0);
  });

  it('fetches a file again when its content id changed, even at the same size', async () => {
    const folder = new MemoryFolder('tiny');
    const first = await downloadCheckpoint('acme/tiny', memoryTarget(folder), opts());
    const config = folder.files.get('config.json')!;
    folder.files.set('config.json', new Uint8Array(config.byteLength)); // same size, other bytes
    hits.length = 0;
    const record = { ...first.record, files: { ...first.record.files, 'config.json': { size: config.byteLength, oid: 'f'.repeat(40) } } };
    const again = await downloadCheckpoint('acme/tiny', memoryTarget(folder), opts({ record }));
    expect(fileHits().map((h) => h.url)).toEqual([`/acme/tiny/resolve/${SHA}/config.json`]);
    expect(again.files.find((f) => f.path === 'config.json')!.status).toBe('downloaded');
    expect(Buffer.compare(folder.files.get('config.json')!, config)).toBe(0);
  });

  it('stops with the plan when onPlan throws, before any weights are fetched', async () => {
    const folder = new MemoryFolder('tiny');
    let planned: number | null = -1;
    const e = await downloadCheckpoint('acme/tiny', memoryTarget(folder), opts({ onPlan: (p) => ((planned = p.bytesToFetch), Promise.reject(new Error('no room'))) })).catch((x: Error) => x);
    expect((e as Error).message).toBe('no room');
    expect(planned).toBe([...expectedFiles(repos.get('acme/tiny')!.files).values()].reduce((n, b) => n + b.byteLength, 0));
    expect(fileHits()).toEqual([]);
  });

  it('cancels in the middle of a file, keeping the bytes for the next download', async () => {
    const weights = repos.get('acme/tiny')!.files.get('model.safetensors')!;
    stall.set('model.safetensors', 3000);
    const controller = new AbortController();
    const folder = new MemoryFolder('tiny');
    const e = await failure(
      downloadCheckpoint('acme/tiny', memoryTarget(folder), opts({ signal: controller.signal, onProgress: (p) => p.file === 'model.safetensors' && p.fileBytes > 0 && controller.abort() })),
    );
    expect([e.code, e.message]).toEqual(['CANCELLED', 'acme/tiny: downloading model.safetensors was cancelled']);
    const partial = partialName({ path: 'model.safetensors', size: weights.byteLength, oid: sha256(weights) });
    expect(folder.files.get(partial)!.byteLength).toBeGreaterThan(0);
    const before = new AbortController();
    before.abort();
    expect((await failure(downloadCheckpoint('acme/tiny', memoryTarget(new MemoryFolder('x')), opts({ signal: before.signal })))).code).toBe('CANCELLED');
  });

  it('missing repositories, revisions and files, gated models, bad listings and other statuses', async () => {
    const target = () => memoryTarget(new MemoryFolder('x'));
    const repo = await failure(downloadCheckpoint('nobody/nothing', target(), opts()));
    expect([repo.code, repo.status, repo.repo]).toEqual(['NOT_FOUND', 401, 'nobody/nothing']);
    expect(repo.message).toBe('nobody/nothing: repository not found (401 Unauthorized, RepoNotFound): check the id, or give an access token if it is private');
    const revision = await failure(downloadCheckpoint('acme/tiny', target(), opts({ revision: 'v9' })));
    expect([revision.code, revision.message]).toEqual(['NOT_FOUND', 'acme/tiny: revision "v9" not found (404 Not Found, RevisionNotFound)']);
    const file = await failure(downloadCheckpoint('acme/vanished', target(), opts()));
    expect([file.code, file.file, file.status]).toEqual(['NOT_FOUND', 'tokenizer.json', 404]);
    expect(file.message).toMatch(/^acme\/vanished: tokenizer\.json not found \(404 Not Found, EntryNotFound;/);

    const gated = await failure(downloadCheckpoint('acme/gated', target(), opts()));
    expect([gated.code, gated.status, gated.file]).toEqual(['UNAUTHORIZED', 401, 'config.json']);
    expect(gated.message).toBe(
      'acme/gated: config.json: access denied (401 Unauthorized, GatedRepo): the model is gated or private; accept its terms on the Hub and give an access token',
    );
    const wrongToken = await failure(downloadCheckpoint('acme/gated', target(), opts({ token: 'hf_bad' })));
    expect(wrongToken.message).toMatch(/the token given has no access/);
    const withToken = await downloadCheckpoint('acme/gated', target(), opts({ token: 'hf_good' }));
    expect(withToken.record.complete).toBe(true);

    expect([(await failure(downloadCheckpoint('acme/broken', target(), opts()))).code, (await failure(downloadCheckpoint('acme/broken', target(), opts()))).status]).toEqual(['HTTP', 500]);
    expect((await failure(downloadCheckpoint('acme/notjson', target(), opts()))).code).toBe('BAD_RESPONSE');
    const none = await failure(downloadCheckpoint('acme/noweights', target(), opts()));
    expect([none.code, none.message]).toEqual(['NO_WEIGHTS', 'acme/noweights: no .safetensors weights at the top of the repository']);
    expect((await failure(downloadCheckpoint('not a repo', target(), opts()))).code).toBe('BAD_REPO_ID');
  });

  it('more bytes than the listing says is an error, and the partial file goes', async () => {
    const folder = new MemoryFolder('liar');
    const e = await failure(downloadCheckpoint('acme/liar', memoryTarget(folder), opts()));
    expect([e.code, e.file]).toEqual(['SIZE_MISMATCH', 'model.safetensors']);
    expect([...folder.files.keys()].some((k) => k.startsWith('model.safetensors'))).toBe(false);
  });

  it('a server that cannot be reached is a network error naming the repository', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const e = await failure(downloadCheckpoint('acme/tiny', memoryTarget(new MemoryFolder('x')), opts({ endpoint: `http://127.0.0.1:${port}` })));
    expect([e.code, e.file]).toEqual(['NETWORK', 'file listing']);
    expect(e.message).toMatch(/^acme\/tiny: cannot fetch file listing from http:\/\/127\.0\.0\.1:\d+\/api\/models\/acme\/tiny\/revision\/main\?blobs=true/);
  });
});
