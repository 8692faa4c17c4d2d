/**
 * Dataset files from the Hugging Face Hub, platform-neutral (http.ts): `fetch` is passed in, a byte
 * cache is pluggable (cache.ts: OPFS in the browser, a folder in Node, memory in tests), progress is reported per file
 * (bytes received / `content-length`) and every request takes an `AbortSignal`.
 *
 *   file:    {endpoint}/datasets/{repo}/resolve/{revision}/{path}
 *   listing: {endpoint}/api/datasets/{repo}/parquet/{config}/{split}
 *            → JSON array of shard URLs ({endpoint}/api/datasets/{repo}/parquet/{config}/{split}/{n}.parquet,
 *              the Hub's Parquet conversion on the `refs/convert/parquet` branch; datasets with no
 *              `dataset_name` have the config "default")
 *
 * Cache keys are the URL path after the endpoint, so a file is fetched once per revision name; pin a
 * commit hash as the revision to never see a moved branch.
 */

import { type ByteCache } from './cache.ts';
import { cancelledError, encodePath, HubError, hubRequest, statusError, trimEndpoint, type HubFetch } from './http.ts';

/** The Hub's name for a dataset's config: its `dataset_name`, or "default" for a dataset without one. */
export const configOf = (dataset: { readonly config: string | null }): string => dataset.config ?? 'default';

export interface HubProgress {
  /** The file being fetched (repository path, or the shard URL's path). */
  readonly file: string;
  readonly received: number;
  /** From `content-length`; null when the server sends none. */
  readonly total: number | null;
}

export interface HubOptions {
  readonly fetch: HubFetch;
  /** Default https://huggingface.co. */
  readonly endpoint?: string;
  /** A Hugging Face access token, sent as a Bearer token (needed for gated datasets). */
  readonly token?: string;
  readonly cache?: ByteCache;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: HubProgress) => void;
}

function endpointOf(options: HubOptions): string {
  return trimEndpoint(options.endpoint);
}

/** `{endpoint}/datasets/{repo}/resolve/{revision}/{path}`, the revision as one segment (`refs%2Fconvert%2Fparquet`). */
export function resolveUrl(endpoint: string, repo: string, revision: string, path: string): string {
  return `${trimEndpoint(endpoint)}/datasets/${encodePath(repo)}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}

/** `{endpoint}/api/datasets/{repo}/parquet/{config}/{split}`. */
export function parquetListingUrl(endpoint: string, repo: string, config: string, split: string): string {
  return `${trimEndpoint(endpoint)}/api/datasets/${encodePath(repo)}/parquet/${encodeURIComponent(config)}/${encodeURIComponent(split)}`;
}

/** GET `url` into bytes, through the cache, reporting progress; `file` names it in errors. */
async function download(url: string, repo: string, file: string, options: HubOptions): Promise<Uint8Array> {
  const endpoint = endpointOf(options);
  const key = url.startsWith(endpoint) ? url.slice(endpoint.length + 1) : url;
  const cached = await options.cache?.get(key);
  if (cached !== undefined) return cached;
  const response = await hubRequest(url, repo, file, options);
  if (!response.ok) throw statusError(response, { kind: 'dataset', repo, file, url, token: !!options.token });
  const length = response.headers.get('content-length');
  const total = length !== null && /^\d+$/.test(length) ? Number(length) : null;
  const chunks: Uint8Array[] = [];
  let received = 0;
  options.onProgress?.({ file, received, total });
  try {
    if (response.body === null) {
      const all = new Uint8Array(await response.arrayBuffer());
      chunks.push(all);
      received = all.byteLength;
      options.onProgress?.({ file, received, total });
    } else {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (options.signal?.aborted) throw cancelledError(repo, file);
        if (value === undefined || value.byteLength === 0) continue;
        chunks.push(value);
        received += value.byteLength;
        options.onProgress?.({ file, received, total });
      }
    }
  } catch (e) {
    if (e instanceof HubError) throw e;
    if (options.signal?.aborted) throw cancelledError(repo, file);
    throw new HubError('NETWORK', `${repo}: the transfer of ${file} failed after ${received} bytes (${(e as Error).message})`, repo, file);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  await options.cache?.put(key, bytes);
  return bytes;
}

/** One file of a dataset repository at a revision (default "main"). */
export async function fetchDatasetFile(repo: string, path: string, options: HubOptions & { readonly revision?: string }): Promise<Uint8Array> {
  return download(resolveUrl(endpointOf(options), repo, options.revision ?? 'main', path), repo, path, options);
}

/** The shard URLs of a split of the Hub's Parquet conversion. */
export async function listParquetFiles(repo: string, config: string, split: string, options: HubOptions): Promise<string[]> {
  const url = parquetListingUrl(endpointOf(options), repo, config, split);
  const file = `parquet listing ${config}/${split}`;
  const bytes = await download(url, repo, file, options);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HubError('BAD_RESPONSE', `${repo}: the ${file} is not JSON`, repo, file);
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((u) => typeof u === 'string')) {
    throw new HubError('BAD_RESPONSE', `${repo}: the ${file} is not a non-empty list of URLs`, repo, file);
  }
  return value as string[];
}

export interface FetchedFile {
  /** The shard's name, e.g. "0.parquet" (what `loadDocs` routes on). */
  readonly name: string;
  readonly url: string;
  readonly bytes: Uint8Array;
}

/** Every Parquet shard of a split, in listing order. */
export async function fetchParquetSplit(repo: string, config: string, split: string, options: HubOptions): Promise<FetchedFile[]> {
  const urls = await listParquetFiles(repo, config, split, options);
  const files: FetchedFile[] = [];
  for (const url of urls) {
    const name = decodeURIComponent(url.split('?')[0]!.split('/').at(-1)!);
    files.push({ name, url, bytes: await download(url, repo, `${config}/${split}/${name}`, options) });
  }
  return files;
}
