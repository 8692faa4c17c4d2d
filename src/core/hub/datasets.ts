/**
 * Dataset files from the Hugging Face Hub, platform-neutral: `fetch` is passed in, a byte cache is
 * pluggable (OPFS in the browser, a folder in Node, memory in tests), progress is reported per file
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

export type HubErrorCode =
  | 'NOT_FOUND' // 404: no such repository, revision or file
  | 'UNAUTHORIZED' // 401/403: gated or private; accept the terms on the Hub and pass a token
  | 'HTTP' // any other non-2xx status
  | 'NETWORK' // the request or the body transfer failed
  | 'ABORTED' // the signal was aborted
  | 'BAD_RESPONSE'; // a listing that is not the expected JSON

export class HubError extends Error {
  override readonly name = 'HubError';
  constructor(
    readonly code: HubErrorCode,
    message: string,
    readonly repo: string,
    readonly file?: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The subset of the platform's `Response` used here. */
export interface HubResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  readonly body: { getReader(): { read(): Promise<{ readonly done: boolean; readonly value?: Uint8Array }> } } | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The platform's `fetch` (or anything shaped like it). */
export type HubFetch = (url: string, init: { headers: Record<string, string>; signal?: AbortSignal }) => Promise<HubResponse>;

/** Where fetched files are kept: OPFS, a folder, memory. */
export interface ByteCache {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

export class MemoryCache implements ByteCache {
  readonly entries = new Map<string, Uint8Array>();
  async get(key: string): Promise<Uint8Array | undefined> {
    return this.entries.get(key);
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.entries.set(key, bytes);
  }
}

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

export const HF_ENDPOINT = 'https://huggingface.co';

const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

function endpointOf(options: HubOptions): string {
  return (options.endpoint ?? HF_ENDPOINT).replace(/\/+$/, '');
}

/** `{endpoint}/datasets/{repo}/resolve/{revision}/{path}`, the revision as one segment (`refs%2Fconvert%2Fparquet`). */
export function resolveUrl(endpoint: string, repo: string, revision: string, path: string): string {
  return `${endpoint.replace(/\/+$/, '')}/datasets/${encodePath(repo)}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}

/** `{endpoint}/api/datasets/{repo}/parquet/{config}/{split}`. */
export function parquetListingUrl(endpoint: string, repo: string, config: string, split: string): string {
  return `${endpoint.replace(/\/+$/, '')}/api/datasets/${encodePath(repo)}/parquet/${encodeURIComponent(config)}/${encodeURIComponent(split)}`;
}

function aborted(options: HubOptions, repo: string, file: string): HubError {
  return new HubError('ABORTED', `${repo}: fetching ${file} was aborted`, repo, file);
}

function statusError(response: HubResponse, repo: string, file: string, url: string): HubError {
  const status = response.status;
  const hubCode = response.headers.get('x-error-code');
  const detail = `${status}${response.statusText ? ` ${response.statusText}` : ''}${hubCode ? `, ${hubCode}` : ''}`;
  if (status === 404) return new HubError('NOT_FOUND', `${repo}: ${file} not found (${detail}; ${url})`, repo, file, status);
  if (status === 401 || status === 403) {
    return new HubError('UNAUTHORIZED', `${repo}: ${file}: access denied (${detail}): the dataset is gated or private; accept its terms on the Hub and give an access token`, repo, file, status);
  }
  return new HubError('HTTP', `${repo}: ${file}: the Hub answered ${detail} (${url})`, repo, file, status);
}

/** GET `url` into bytes, through the cache, reporting progress; `file` names it in errors. */
async function download(url: string, repo: string, file: string, options: HubOptions): Promise<Uint8Array> {
  const endpoint = endpointOf(options);
  const key = url.startsWith(endpoint) ? url.slice(endpoint.length + 1) : url;
  const cached = await options.cache?.get(key);
  if (cached !== undefined) return cached;
  if (options.signal?.aborted) throw aborted(options, repo, file);
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  let response: HubResponse;
  try {
    response = await options.fetch(url, { headers, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (e) {
    if (options.signal?.aborted) throw aborted(options, repo, file);
    throw new HubError('NETWORK', `${repo}: cannot fetch ${file} from ${url} (${(e as Error).message})`, repo, file);
  }
  if (!response.ok) throw statusError(response, repo, file, url);
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
        if (options.signal?.aborted) throw aborted(options, repo, file);
        if (value === undefined || value.byteLength === 0) continue;
        chunks.push(value);
        received += value.byteLength;
        options.onProgress?.({ file, received, total });
      }
    }
  } catch (e) {
    if (e instanceof HubError) throw e;
    if (options.signal?.aborted) throw aborted(options, repo, file);
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
