/**
 * The Hugging Face Hub over HTTP, platform-neutral: `fetch` is passed in (the browser's, Node's, a
 * test's), every request takes an `AbortSignal`, and every failure is one `HubError` with a code.
 * models.ts (model listings), download.ts (checkpoint files into a folder) and datasets.ts (dataset
 * files and the Parquet conversion) build on it.
 */

export type HubErrorCode =
  | 'BAD_REPO_ID' // not "owner/name" (letters, digits, ".", "_", "-")
  | 'NOT_FOUND' // 404, or the Hub's RepoNotFound/RevisionNotFound: no such repository (or a private one without a token), revision or file
  | 'UNAUTHORIZED' // 401/403: gated or private; accept the terms on the Hub and give a token
  | 'HTTP' // any other non-2xx status
  | 'NETWORK' // the request failed, or the body ended early (a partial download is kept)
  | 'CANCELLED' // the signal was aborted (a partial download is kept)
  | 'BAD_RESPONSE' // a listing or index that is not the expected JSON
  | 'NO_WEIGHTS' // no .safetensors file at the top of a model repository
  | 'SIZE_MISMATCH'; // more bytes arrived than the listing gives for the file

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

export const HF_ENDPOINT = 'https://huggingface.co';

/** What every request needs. */
export interface HubRequestOptions {
  readonly fetch: HubFetch;
  /** A Hugging Face access token (gated or private repositories), sent as a Bearer token. */
  readonly token?: string;
  readonly signal?: AbortSignal;
}

export const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

/** The endpoint without trailing slashes (default https://huggingface.co). */
export const trimEndpoint = (endpoint: string | undefined): string => (endpoint ?? HF_ENDPOINT).replace(/\/+$/, '');

export const cancelledError = (repo: string, file: string): HubError => new HubError('CANCELLED', `${repo}: downloading ${file} was cancelled`, repo, file);

/** The repository kind names the hint of an access error. */
export interface StatusContext {
  readonly kind: 'model' | 'dataset';
  readonly repo: string;
  readonly file: string;
  readonly url: string;
  /** For the Hub's RevisionNotFound. */
  readonly revision?: string;
  /** Whether a token was sent (the hints differ). */
  readonly token: boolean;
}

/** A non-2xx response as a HubError, read with the Hub's `x-error-code`. */
export function statusError(response: HubResponse, c: StatusContext): HubError {
  const { status } = response;
  const { repo, file, url } = c;
  const hubCode = response.headers.get('x-error-code');
  const detail = `${status}${response.statusText ? ` ${response.statusText}` : ''}${hubCode ? `, ${hubCode}` : ''}`;
  // Model listings: the Hub's codes name what is missing (for datasets' Parquet listings a missing
  // config or split answers RepoNotFound too, so there the file is named instead).
  if (hubCode === 'RepoNotFound' && c.kind === 'model') {
    const hint = c.token ? 'check the id and that the token can read it' : 'check the id, or give an access token if it is private';
    return new HubError('NOT_FOUND', `${repo}: repository not found (${detail}): ${hint}`, repo, file, status);
  }
  if (hubCode === 'RevisionNotFound' && c.kind === 'model' && c.revision !== undefined) return new HubError('NOT_FOUND', `${repo}: revision "${c.revision}" not found (${detail})`, repo, file, status);
  if (status === 404) return new HubError('NOT_FOUND', `${repo}: ${file} not found (${detail}; ${url})`, repo, file, status);
  if (status === 401 || status === 403) {
    const hint = c.token ? `the token given has no access; accept the ${c.kind}’s terms on the Hub with that account` : 'accept its terms on the Hub and give an access token';
    return new HubError('UNAUTHORIZED', `${repo}: ${file}: access denied (${detail}): the ${c.kind} is gated or private; ${hint}`, repo, file, status);
  }
  return new HubError('HTTP', `${repo}: ${file}: the Hub answered ${detail} (${url})`, repo, file, status);
}

/** GET `url` (`file` of `repo` names it in errors): CANCELLED when the signal fires, NETWORK when the request fails. */
export async function hubRequest(url: string, repo: string, file: string, options: HubRequestOptions, headers: Record<string, string> = {}): Promise<HubResponse> {
  if (options.signal?.aborted) throw cancelledError(repo, file);
  const all = options.token ? { ...headers, authorization: `Bearer ${options.token}` } : headers;
  try {
    return await options.fetch(url, { headers: all, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (e) {
    if (options.signal?.aborted) throw cancelledError(repo, file);
    throw new HubError('NETWORK', `${repo}: cannot fetch ${file} from ${url} (${(e as Error).message})`, repo, file);
  }
}
