/**
 * A checkpoint is a folder: config.json, generation_config.json, tokenizer files, and the weights
 * as one `model.safetensors` or shards named by `model.safetensors.index.json`.
 */
import type { ByteSource, FolderSource } from '../io/bytes.ts';
import { readText } from '../io/bytes.ts';
import { SafetensorsError } from '../safetensors/errors.ts';
import { readHeader, type SafetensorsHeader, type TensorInfo } from '../safetensors/header.ts';
import { INDEX_FILE, SINGLE_FILE } from '../safetensors/writer.ts';
import { tokenizerIdCount, type TokenizerIds } from './tokenizer-ids.ts';

export type CheckpointErrorCode = 'NO_WEIGHTS' | 'CONFIG_INVALID' | 'NOT_A_VECTOR';

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}${message}`);
  }
}

/** Files a merged model carries over from its target (besides the weights). */
export const SIDE_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'chat_template.jinja',
] as const;

export interface Shard {
  readonly file: string;
  readonly source: ByteSource;
  readonly header: SafetensorsHeader;
}

export interface TensorLocation {
  readonly shard: Shard;
  readonly info: TensorInfo;
}

export interface Checkpoint {
  readonly name: string;
  readonly folder: FolderSource;
  readonly files: readonly string[];
  readonly config: Readonly<Record<string, unknown>> | null;
  readonly shards: readonly Shard[];
  /** Tensors by name, in file order (shard by shard, ascending offsets). */
  readonly tensors: ReadonlyMap<string, TensorLocation>;
  /** `tie_word_embeddings` in config.json, or no `lm_head.weight` beside `model.embed_tokens.weight`. */
  readonly tiedEmbeddings: boolean;
  /** The ids tokenizer.json can produce (null without tokenizer.json), for the compatibility report. */
  readonly tokenizer: TokenizerIds | null;
}

export async function openCheckpoint(folder: FolderSource): Promise<Checkpoint> {
  const files = await folder.list();
  const has = new Set(files);
  const config = has.has('config.json') ? await readConfig(folder) : null;

  let shardFiles: string[];
  let weightMap: Map<string, string> | null = null;
  if (has.has(INDEX_FILE)) {
    weightMap = await readIndex(folder);
    shardFiles = [...new Set(weightMap.values())];
    for (const f of shardFiles) {
      if (!has.has(f)) {
        const tensor = [...weightMap].find(([, file]) => file === f)![0];
        throw new SafetensorsError('INDEX_MISSING_SHARD', `names shard "${f}" (for tensor "${tensor}"), which is not in the folder`, `${folder.name}/${INDEX_FILE}`);
      }
    }
  } else if (has.has(SINGLE_FILE)) {
    shardFiles = [SINGLE_FILE];
  } else {
    shardFiles = files.filter((f) => f.endsWith('.safetensors') && !f.includes('/'));
    if (shardFiles.length === 0) {
      throw new CheckpointError('NO_WEIGHTS', `no ${SINGLE_FILE}, ${INDEX_FILE} or other .safetensors file`, folder.name);
    }
  }

  const shards: Shard[] = [];
  const tensors = new Map<string, TensorLocation>();
  try {
    for (const file of shardFiles) {
      const source = await folder.open(file);
      // Close this file too when its header is bad (it is not in `shards` yet).
      const header = await readHeader(source).catch(async (e: unknown) => {
        await source.close?.();
        throw e;
      });
      const shard = { file, source, header };
      shards.push(shard);
      for (const info of shard.header.tensors) {
        const previous = tensors.get(info.name);
        if (previous) {
          throw new SafetensorsError('INDEX_DUPLICATE_TENSOR', `is in both ${previous.shard.file} and ${file}`, folder.name, info.name);
        }
        if (weightMap && weightMap.get(info.name) !== file) {
          const listed = weightMap.get(info.name);
          throw new SafetensorsError(
            'INDEX_MISMATCH',
            listed ? `is in ${file} but the index puts it in ${listed}` : `is in ${file} but not in the index`,
            `${folder.name}/${INDEX_FILE}`,
            info.name,
          );
        }
        tensors.set(info.name, { shard, info });
      }
    }
    if (weightMap) {
      for (const [name, file] of weightMap) {
        if (!tensors.has(name)) {
          throw new SafetensorsError('INDEX_MISMATCH', `is listed in the index for ${file} but that shard does not hold it`, `${folder.name}/${INDEX_FILE}`, name);
        }
      }
    }
  } catch (e) {
    await Promise.all(shards.map((s) => s.source.close?.()));
    throw e;
  }

  const tieConfig = config?.['tie_word_embeddings'];
  const tiedEmbeddings =
    typeof tieConfig === 'boolean' ? tieConfig && !tensors.has('lm_head.weight') : tensors.has('model.embed_tokens.weight') && !tensors.has('lm_head.weight');
  const tokenizer = has.has(TOKENIZER_FILE) ? await readTokenizerIds(folder) : null;
  return { name: folder.name, folder, files, config, shards, tensors, tiedEmbeddings, tokenizer };
}

const TOKENIZER_FILE = 'tokenizer.json';

/** Never fails: a tokenizer.json that cannot be read is reported by the compatibility check, and by the tokenizer when used. */
async function readTokenizerIds(folder: FolderSource): Promise<TokenizerIds> {
  const file = `${folder.name}/${TOKENIZER_FILE}`;
  try {
    return { file, idCount: tokenizerIdCount(JSON.parse(await readText(folder, TOKENIZER_FILE))) };
  } catch (e) {
    return { file, idCount: null, problem: (e as Error).message };
  }
}

export async function closeCheckpoint(checkpoint: Checkpoint): Promise<void> {
  await Promise.all(checkpoint.shards.map((s) => s.source.close?.()));
}

async function readConfig(folder: FolderSource): Promise<Record<string, unknown>> {
  const file = `${folder.name}/config.json`;
  let json: unknown;
  try {
    json = JSON.parse(await readText(folder, 'config.json'));
  } catch (e) {
    throw new CheckpointError('CONFIG_INVALID', `not valid JSON (${(e as Error).message})`, file);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CheckpointError('CONFIG_INVALID', 'not a JSON object', file);
  }
  return json as Record<string, unknown>;
}

async function readIndex(folder: FolderSource): Promise<Map<string, string>> {
  const file = `${folder.name}/${INDEX_FILE}`;
  let json: unknown;
  try {
    json = JSON.parse(await readText(folder, INDEX_FILE));
  } catch (e) {
    throw new SafetensorsError('INDEX_INVALID', `not valid JSON (${(e as Error).message})`, file);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new SafetensorsError('INDEX_INVALID', 'has no "weight_map" object', file);
  }
  const out = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\') || !shard.endsWith('.safetensors')) {
      throw new SafetensorsError('INDEX_INVALID', `weight_map entry is not a .safetensors file name in this folder`, file, tensor);
    }
    out.set(tensor, shard);
  }
  return out;
}

/** Parameter count (elements of every tensor). */
export function parameterCount(checkpoint: Checkpoint): number {
  let n = 0;
  for (const { info } of checkpoint.tensors.values()) n += info.shape.reduce((a, d) => a * d, 1);
  return n;
}
