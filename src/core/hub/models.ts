/**
 * Model repositories on the Hugging Face Hub, platform-neutral (`fetch` is passed in, as in
 * ../eval/hub.ts): the file listing, and which files a checkpoint needs. hub-download.ts streams
 * them into a folder.
 *
 *   listing: {endpoint}/api/models/{repo}/revision/{revision}?blobs=true
 *            → { sha, siblings: [{ rfilename, size, blobId, lfs?: { sha256, size, pointerSize } }] }
 *   file:    {endpoint}/{repo}/resolve/{revision}/{path}   (LFS files redirect to a CDN)
 *
 * The Hub answers 401 with `x-error-code: RepoNotFound` for a repository that does not exist or
 * that the caller may not see, and `GatedRepo` for one whose terms were not accepted.
 */
import { HF_ENDPOINT, type HubFetch, type HubResponse } from './datasets.ts';
import { INDEX_FILE, SINGLE_FILE } from '../safetensors/writer.ts';
import { SIDE_FILES } from '../checkpoint/checkpoint.ts';

export type ModelHubErrorCode =
  | 'BAD_REPO_ID' // not "owner/name" (letters, digits, ".", "_", "-")
  | 'NOT_FOUND' // no such repository (or a private one without a token), revision or file
  | 'UNAUTHORIZED' // 401/403: gated or private; accept the terms on the Hub and give a token
  | 'HTTP' // any other non-2xx status
  | 'NETWORK' // the request failed, or the body ended early (the partial file is kept)
  | 'ABORTED' // the signal was aborted (the partial file is kept)
  | 'BAD_RESPONSE' // a listing or index that is not the expected JSON
  | 'NO_WEIGHTS' // no .safetensors file at the repository's top level
  | 'SIZE_MISMATCH'; // more bytes arrived than the listing gives for the file

export class ModelHubError extends Error {
  override readonly name = 'ModelHubError';
  constructor(
    readonly code: ModelHubErrorCode,
    message: string,
    readonly repo: string,
    readonly file?: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ModelHubOptions {
  readonly fetch: HubFetch;
  /** Default https://huggingface.co. */
  readonly endpoint?: string;
  /** Branch, tag or commit; default "main". */
  readonly revision?: string;
  /** A Hugging Face access token (gated or private models), sent as a Bearer token. */
  readonly token?: string;
  readonly signal?: AbortSignal;
}

export interface RepoFile {
  readonly path: string;
  /** Bytes (the LFS object's size for LFS files); null when the listing has none. */
  readonly size: number | null;
  /** Content id: the LFS sha256, else the git blob id; null when unknown. */
  readonly oid: string | null;
}

export interface RepoListing {
  readonly repo: string;
  readonly revision: string;
  /** The commit the revision points at; null when the server gives none. */
  readonly sha: string | null;
  readonly files: readonly RepoFile[];
}

const REPO_PART = /^[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9_])?$/;
const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');
const trimEndpoint = (endpoint: string | undefined): string => (endpoint ?? HF_ENDPOINT).replace(/\/+$/, '');

/** Throws BAD_REPO_ID unless `repo` is "owner/name" or a bare "name" as the Hub spells them. */
export function checkRepoId(repo: string): void {
  const parts = repo.split('/');
  const ok = parts.length <= 2 && parts.every((p) => REPO_PART.test(p) && !p.includes('..') && !p.includes('--'));
  if (!ok) throw new ModelHubError('BAD_REPO_ID', `"${repo}" is not a Hugging Face repo id (owner/name)`, repo);
}

export function modelInfoUrl(endpoint: string | undefined, repo: string, revision: string): string {
  return `${trimEndpoint(endpoint)}/api/models/${encodePath(repo)}/revision/${encodeURIComponent(revision)}?blobs=true`;
}

export function modelFileUrl(endpoint: string | undefined, repo: string, revision: string, path: string): string {
  return `${trimEndpoint(endpoint)}/${encodePath(repo)}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}

export function statusError(response: HubResponse, repo: string, revision: string, file: string, url: string, token: boolean): ModelHubError {
  const { status } = response;
  const hubCode = response.headers.get('x-error-code');
  const detail = `${status}${response.statusText ? ` ${response.statusText}` : ''}${hubCode ? `, ${hubCode}` : ''}`;
  if (hubCode === 'RepoNotFound') {
    const hint = token ? 'check the id and that the token can read it' : 'check the id, or give an access token if it is private';
    return new ModelHubError('NOT_FOUND', `${repo}: repository not found (${detail}): ${hint}`, repo, file, status);
  }
  if (hubCode === 'RevisionNotFound') return new ModelHubError('NOT_FOUND', `${repo}: revision "${revision}" not found (${detail})`, repo, file, status);
  if (status === 404) return new ModelHubError('NOT_FOUND', `${repo}: ${file} not found (${detail}; ${url})`, repo, file, status);
  if (status === 401 || status === 403) {
    const hint = token ? 'the token given has no access; accept the model’s terms on the Hub with that account' : 'accept its terms on the Hub and give an access token';
    return new ModelHubError('UNAUTHORIZED', `${repo}: ${file}: access denied (${detail}): the model is gated or private; ${hint}`, repo, file, status);
  }
  return new ModelHubError('HTTP', `${repo}: ${file}: the Hub answered ${detail} (${url})`, repo, file, status);
}

export const abortedError = (repo: string, file: string) => new ModelHubError('ABORTED', `${repo}: downloading ${file} was cancelled`, repo, file);

export async function request(url: string, repo: string, file: string, options: ModelHubOptions, headers: Record<string, string> = {}): Promise<HubResponse> {
  if (options.signal?.aborted) throw abortedError(repo, file);
  const all = options.token ? { ...headers, authorization: `Bearer ${options.token}` } : headers;
  try {
    return await options.fetch(url, { headers: all, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (e) {
    if (options.signal?.aborted) throw abortedError(repo, file);
    throw new ModelHubError('NETWORK', `${repo}: cannot fetch ${file} from ${url} (${(e as Error).message})`, repo, file);
  }
}

function badListing(repo: string, what: string): ModelHubError {
  return new ModelHubError('BAD_RESPONSE', `${repo}: the file listing is not the Hub's model info (${what})`, repo, 'file listing');
}

/** The repository's files at a revision, with sizes and content ids. */
export async function listModelFiles(repo: string, options: ModelHubOptions): Promise<RepoListing> {
  checkRepoId(repo);
  const revision = options.revision || 'main';
  const url = modelInfoUrl(options.endpoint, repo, revision);
  const response = await request(url, repo, 'file listing', options);
  if (!response.ok) throw statusError(response, repo, revision, 'file listing', url, !!options.token);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(await response.arrayBuffer()));
  } catch (e) {
    if (options.signal?.aborted) throw abortedError(repo, 'file listing');
    throw badListing(repo, `not JSON: ${(e as Error).message}`);
  }
  const info = json as { sha?: unknown; siblings?: unknown } | null;
  if (info === null || typeof info !== 'object' || !Array.isArray(info.siblings)) throw badListing(repo, 'no "siblings" list');
  const files = info.siblings.map((s: unknown): RepoFile => {
    const sib = s as { rfilename?: unknown; size?: unknown; blobId?: unknown; lfs?: { size?: unknown; sha256?: unknown } | null } | null;
    if (typeof sib?.rfilename !== 'string') throw badListing(repo, 'a sibling without "rfilename"');
    const size = typeof sib.lfs?.size === 'number' ? sib.lfs.size : typeof sib.size === 'number' ? sib.size : null;
    const oid = typeof sib.lfs?.sha256 === 'string' ? sib.lfs.sha256 : typeof sib.blobId === 'string' ? sib.blobId : null;
    return { path: sib.rfilename, size, oid };
  });
  return { repo, revision, sha: typeof info.sha === 'string' ? info.sha : null, files };
}

const KEPT_FILES: ReadonlySet<string> = new Set([...SIDE_FILES, INDEX_FILE]);

/**
 * The files a checkpoint needs, at the repository's top level: config, generation config,
 * tokenizer files, the index and the weights — the shards the index names (`shards`, once read),
 * else `model.safetensors`, else every `.safetensors` file.
 */
export function selectCheckpointFiles(repo: string, files: readonly RepoFile[], shards?: ReadonlySet<string>): RepoFile[] {
  const top = files.filter((f) => !f.path.includes('/'));
  const byPath = new Map(top.map((f) => [f.path, f]));
  let weights: RepoFile[];
  if (shards) {
    weights = [...shards].sort().map((s) => {
      const f = byPath.get(s);
      if (!f) throw new ModelHubError('NOT_FOUND', `${repo}: ${INDEX_FILE} names shard "${s}", which is not in the repository`, repo, s);
      return f;
    });
  } else if (byPath.has(SINGLE_FILE) && !byPath.has(INDEX_FILE)) {
    weights = [byPath.get(SINGLE_FILE)!];
  } else {
    weights = top.filter((f) => f.path.endsWith('.safetensors'));
  }
  if (weights.length === 0) throw new ModelHubError('NO_WEIGHTS', `${repo}: no .safetensors weights at the top of the repository`, repo);
  const side = top.filter((f) => KEPT_FILES.has(f.path));
  return [...side, ...weights];
}

/** The shard names of an index's `weight_map`. */
export function indexShards(repo: string, bytes: Uint8Array): Set<string> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ModelHubError('BAD_RESPONSE', `${repo}: ${INDEX_FILE} is not valid JSON (${(e as Error).message})`, repo, INDEX_FILE);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new ModelHubError('BAD_RESPONSE', `${repo}: ${INDEX_FILE} has no "weight_map" object`, repo, INDEX_FILE);
  const shards = new Set<string>();
  for (const file of Object.values(map)) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\') || !file.endsWith('.safetensors')) {
      throw new ModelHubError('BAD_RESPONSE', `${repo}: ${INDEX_FILE} names "${String(file)}", not a .safetensors file of the folder`, repo, INDEX_FILE);
    }
    shards.add(file);
  }
  return shards;
}
