/**
 * Model repositories on the Hugging Face Hub, platform-neutral (http.ts: `fetch` is passed in): the
 * file listing, and which files a checkpoint needs. download.ts streams them into a folder.
 *
 *   listing: {endpoint}/api/models/{repo}/revision/{revision}?blobs=true
 *            → { sha, siblings: [{ rfilename, size, blobId, lfs?: { sha256, size, pointerSize } }] }
 *   file:    {endpoint}/{repo}/resolve/{revision}/{path}   (LFS files redirect to a CDN)
 *
 * The Hub answers 401 with `x-error-code: RepoNotFound` for a repository that does not exist or
 * that the caller may not see, and `GatedRepo` for one whose terms were not accepted.
 */
import { INDEX_FILE, SINGLE_FILE } from '../safetensors/writer.ts';
import { SIDE_FILES } from '../checkpoint/checkpoint.ts';
import { cancelledError, encodePath, HubError, hubRequest, statusError, trimEndpoint, type HubRequestOptions } from './http.ts';

export interface ModelHubOptions extends HubRequestOptions {
  /** Default https://huggingface.co. */
  readonly endpoint?: string;
  /** Branch, tag or commit; default "main". */
  readonly revision?: string;
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

/** Throws BAD_REPO_ID unless `repo` is "owner/name" or a bare "name" as the Hub spells them. */
export function checkRepoId(repo: string): void {
  const parts = repo.split('/');
  const ok = parts.length <= 2 && parts.every((p) => REPO_PART.test(p) && !p.includes('..') && !p.includes('--'));
  if (!ok) throw new HubError('BAD_REPO_ID', `"${repo}" is not a Hugging Face repo id (owner/name)`, repo);
}

export function modelInfoUrl(endpoint: string | undefined, repo: string, revision: string): string {
  return `${trimEndpoint(endpoint)}/api/models/${encodePath(repo)}/revision/${encodeURIComponent(revision)}?blobs=true`;
}

export function modelFileUrl(endpoint: string | undefined, repo: string, revision: string, path: string): string {
  return `${trimEndpoint(endpoint)}/${encodePath(repo)}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}

function badListing(repo: string, what: string): HubError {
  return new HubError('BAD_RESPONSE', `${repo}: the file listing is not the Hub's model info (${what})`, repo, 'file listing');
}

/** The repository's files at a revision, with sizes and content ids. */
export async function listModelFiles(repo: string, options: ModelHubOptions): Promise<RepoListing> {
  checkRepoId(repo);
  const revision = options.revision || 'main';
  const url = modelInfoUrl(options.endpoint, repo, revision);
  const response = await hubRequest(url, repo, 'file listing', options);
  if (!response.ok) throw statusError(response, { kind: 'model', repo, revision, file: 'file listing', url, token: !!options.token });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(await response.arrayBuffer()));
  } catch (e) {
    if (options.signal?.aborted) throw cancelledError(repo, 'file listing');
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
      if (!f) throw new HubError('NOT_FOUND', `${repo}: ${INDEX_FILE} names shard "${s}", which is not in the repository`, repo, s);
      return f;
    });
  } else if (byPath.has(SINGLE_FILE) && !byPath.has(INDEX_FILE)) {
    weights = [byPath.get(SINGLE_FILE)!];
  } else {
    weights = top.filter((f) => f.path.endsWith('.safetensors'));
  }
  if (weights.length === 0) throw new HubError('NO_WEIGHTS', `${repo}: no .safetensors weights at the top of the repository`, repo);
  const side = top.filter((f) => KEPT_FILES.has(f.path));
  return [...side, ...weights];
}

/** The shard names of an index's `weight_map`. */
export function indexShards(repo: string, bytes: Uint8Array): Set<string> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new HubError('BAD_RESPONSE', `${repo}: ${INDEX_FILE} is not valid JSON (${(e as Error).message})`, repo, INDEX_FILE);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new HubError('BAD_RESPONSE', `${repo}: ${INDEX_FILE} has no "weight_map" object`, repo, INDEX_FILE);
  const shards = new Set<string>();
  for (const file of Object.values(map)) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\') || !file.endsWith('.safetensors')) {
      throw new HubError('BAD_RESPONSE', `${repo}: ${INDEX_FILE} names "${String(file)}", not a .safetensors file of the folder`, repo, INDEX_FILE);
    }
    shards.add(file);
  }
  return shards;
}
