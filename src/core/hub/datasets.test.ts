/** hub.ts against a local HTTP server on 127.0.0.1 that answers the Hub's paths; never the network. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCache } from './cache.ts';
import { fetchDatasetFile, fetchParquetSplit, listParquetFiles, parquetListingUrl, resolveUrl, type HubOptions, type HubProgress } from './datasets.ts';
import { HubError } from './http.ts';
import { startLocalServer, type LocalServer } from '../../node/testing/local-server.ts';

const BIG = new Uint8Array(200_000).map((_, i) => (i * 7) % 251);
const hits: string[] = [];
let local: LocalServer;
let base = '';

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  hits.push(url);
  const send = (status: number, body: Uint8Array | string, headers: Record<string, string> = {}) => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
    res.writeHead(status, { 'content-length': String(bytes.length), ...headers });
    res.end(bytes);
  };
  switch (url) {
    case '/datasets/openai/gsm8k/resolve/main/main/test-00000-of-00001.parquet':
      return send(200, BIG);
    case '/datasets/openai/gsm8k/resolve/refs%2Fconvert%2Fparquet/main/test/0000.parquet':
      return send(200, 'converted');
    case '/datasets/openai/gsm8k/resolve/v1/moved.jsonl':
      res.writeHead(302, { location: '/cdn/moved.jsonl', 'content-length': '0' });
      return void res.end();
    case '/cdn/moved.jsonl':
      return send(200, '{"question":"q","answer":"#### 1"}\n');
    case '/datasets/openai/gsm8k/resolve/main/chunked.jsonl':
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.write('{"a":');
      return void setTimeout(() => res.end('1}\n'), 5);
    case '/datasets/openai/gsm8k/resolve/main/missing.jsonl':
      return send(404, 'Entry not found', { 'x-error-code': 'EntryNotFound' });
    case '/datasets/acme/gated/resolve/main/data.jsonl':
      if (req.headers.authorization === 'Bearer hf_good') return send(200, '{"ok":1}');
      return send(401, 'Access to dataset acme/gated is restricted.', { 'x-error-code': 'GatedRepo' });
    case '/datasets/openai/gsm8k/resolve/main/broken.jsonl':
      return send(500, 'oops');
    case '/datasets/openai/gsm8k/resolve/main/slow.bin':
      res.writeHead(200, { 'content-length': '1000' });
      return void res.write(Buffer.alloc(100));
    case '/api/datasets/allenai/sciq/parquet/default/test':
      return send(200, JSON.stringify([`${base}/api/datasets/allenai/sciq/parquet/default/test/0.parquet`, `${base}/api/datasets/allenai/sciq/parquet/default/test/1.parquet`]), {
        'content-type': 'application/json',
      });
    case '/api/datasets/allenai/sciq/parquet/default/test/0.parquet':
      return send(200, 'shard zero');
    case '/api/datasets/allenai/sciq/parquet/default/test/1.parquet':
      return send(200, 'shard one');
    case '/api/datasets/allenai/sciq/parquet/default/bad':
      return send(200, '{"error":"nope"}');
    default:
      return send(404, 'Repository not found', { 'x-error-code': 'RepoNotFound' });
  }
}

beforeAll(async () => {
  local = await startLocalServer(route);
  base = local.base;
});
afterAll(() => local.close());

const opts = (more: Partial<HubOptions> & { revision?: string } = {}): HubOptions & { revision?: string } => ({ fetch: globalThis.fetch, endpoint: base, ...more });

async function hubFailure(p: Promise<unknown>): Promise<HubError> {
  const e = await p.catch((x: unknown) => x);
  if (e instanceof HubError) return e;
  throw new Error(`expected a HubError, got ${String(e)}`);
}

describe('URLs', () => {
  it('resolve and parquet listing URLs, the revision one segment', () => {
    expect(resolveUrl('https://huggingface.co', 'openai/gsm8k', 'main', 'main/train-00000-of-00001.parquet')).toBe(
      'https://huggingface.co/datasets/openai/gsm8k/resolve/main/main/train-00000-of-00001.parquet',
    );
    expect(resolveUrl('https://huggingface.co/', 'openai/gsm8k', 'refs/convert/parquet', 'main/test/0000.parquet')).toBe(
      'https://huggingface.co/datasets/openai/gsm8k/resolve/refs%2Fconvert%2Fparquet/main/test/0000.parquet',
    );
    expect(parquetListingUrl('https://huggingface.co', 'allenai/sciq', 'default', 'test')).toBe('https://huggingface.co/api/datasets/allenai/sciq/parquet/default/test');
  });
});

describe('fetchDatasetFile', () => {
  it('downloads a file, reporting progress against content-length, and caches it', async () => {
    const progress: HubProgress[] = [];
    const cache = new MemoryCache();
    const bytes = await fetchDatasetFile('openai/gsm8k', 'main/test-00000-of-00001.parquet', opts({ cache, onProgress: (p) => progress.push(p) }));
    expect(Buffer.compare(bytes, BIG)).toBe(0);
    expect(progress[0]).toEqual({ file: 'main/test-00000-of-00001.parquet', received: 0, total: BIG.length });
    expect(progress.at(-1)).toEqual({ file: 'main/test-00000-of-00001.parquet', received: BIG.length, total: BIG.length });
    expect(progress.every((p, i) => i === 0 || p.received >= progress[i - 1]!.received)).toBe(true);
    expect([...cache.entries.keys()]).toEqual(['datasets/openai/gsm8k/resolve/main/main/test-00000-of-00001.parquet']);
    const before = hits.length;
    expect(await fetchDatasetFile('openai/gsm8k', 'main/test-00000-of-00001.parquet', opts({ cache }))).toBe(bytes);
    expect(hits.length).toBe(before);
  });
  it('revisions, redirects and bodies without content-length', async () => {
    expect(new TextDecoder().decode(await fetchDatasetFile('openai/gsm8k', 'main/test/0000.parquet', opts({ revision: 'refs/convert/parquet' })))).toBe('converted');
    expect(new TextDecoder().decode(await fetchDatasetFile('openai/gsm8k', 'moved.jsonl', opts({ revision: 'v1' })))).toBe('{"question":"q","answer":"#### 1"}\n');
    const progress: HubProgress[] = [];
    const bytes = await fetchDatasetFile('openai/gsm8k', 'chunked.jsonl', opts({ onProgress: (p) => progress.push(p) }));
    expect(new TextDecoder().decode(bytes)).toBe('{"a":1}\n');
    expect(progress.every((p) => p.total === null)).toBe(true);
  });
  it('404, gated (401) and other statuses fail naming the repository and file', async () => {
    const missing = await hubFailure(fetchDatasetFile('openai/gsm8k', 'missing.jsonl', opts()));
    expect([missing.code, missing.repo, missing.file, missing.status]).toEqual(['NOT_FOUND', 'openai/gsm8k', 'missing.jsonl', 404]);
    expect(missing.message).toMatch(/^openai\/gsm8k: missing\.jsonl not found \(404 Not Found, EntryNotFound;/);
    const repo = await hubFailure(fetchDatasetFile('nobody/nothing', 'x.jsonl', opts()));
    expect(repo.message).toMatch(/RepoNotFound/);
    const gated = await hubFailure(fetchDatasetFile('acme/gated', 'data.jsonl', opts()));
    expect(gated.code).toBe('UNAUTHORIZED');
    expect(gated.message).toMatch(/^acme\/gated: data\.jsonl: access denied \(401 Unauthorized, GatedRepo\): the dataset is gated or private/);
    expect(new TextDecoder().decode(await fetchDatasetFile('acme/gated', 'data.jsonl', opts({ token: 'hf_good' })))).toBe('{"ok":1}');
    const broken = await hubFailure(fetchDatasetFile('openai/gsm8k', 'broken.jsonl', opts()));
    expect([broken.code, broken.status]).toEqual(['HTTP', 500]);
  });
  it('a server that cannot be reached is a network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const e = await hubFailure(fetchDatasetFile('openai/gsm8k', 'x.jsonl', opts({ endpoint: `http://127.0.0.1:${port}` })));
    expect(e.code).toBe('NETWORK');
    expect(e.message).toMatch(/^openai\/gsm8k: cannot fetch x\.jsonl from http:\/\/127\.0\.0\.1:\d+\/datasets\/openai\/gsm8k\/resolve\/main\/x\.jsonl/);
  });
  it('aborts: before the request and in the middle of a body', async () => {
    const before = new AbortController();
    before.abort();
    expect((await hubFailure(fetchDatasetFile('openai/gsm8k', 'chunked.jsonl', opts({ signal: before.signal })))).code).toBe('CANCELLED');
    const during = new AbortController();
    const p = fetchDatasetFile('openai/gsm8k', 'slow.bin', opts({ signal: during.signal, onProgress: (pr) => pr.received > 0 && during.abort() }));
    const e = await hubFailure(p);
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toBe('openai/gsm8k: downloading slow.bin was cancelled');
  });
});

describe('Parquet conversion listing', () => {
  it('lists the shard URLs of a split and fetches each', async () => {
    const urls = await listParquetFiles('allenai/sciq', 'default', 'test', opts());
    expect(urls).toEqual([`${base}/api/datasets/allenai/sciq/parquet/default/test/0.parquet`, `${base}/api/datasets/allenai/sciq/parquet/default/test/1.parquet`]);
    const files = await fetchParquetSplit('allenai/sciq', 'default', 'test', opts());
    expect(files.map((f) => [f.name, new TextDecoder().decode(f.bytes)])).toEqual([
      ['0.parquet', 'shard zero'],
      ['1.parquet', 'shard one'],
    ]);
  });
  it('a listing that is not a list of URLs, or a missing split, fails', async () => {
    const bad = await hubFailure(listParquetFiles('allenai/sciq', 'default', 'bad', opts()));
    expect([bad.code, bad.message]).toEqual(['BAD_RESPONSE', 'allenai/sciq: the parquet listing default/bad is not a non-empty list of URLs']);
    expect((await hubFailure(listParquetFiles('allenai/sciq', 'default', 'nope', opts()))).code).toBe('NOT_FOUND');
  });
});
