// The Node folder source on a Hugging Face cache snapshot: `snapshots/<revision>/` holds only
// symbolic links into `../../blobs/`, as huggingface_hub lays out ~/.cache/huggingface/hub.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCheckpoint, openCheckpoint } from '../core/checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember } from '../core/checkpoint/synthetic.ts';
import { MemoryFolder, readText } from '../core/io/bytes.ts';
import { FsError, openFolder } from './fs-folder.ts';

let tmp: string;
let snapshot: string;
const original = new MemoryFolder('original');

beforeAll(async () => {
  // Sharded, with tokenizer files: every kind of file a checkpoint folder holds.
  await writeFamilyMember({ shape: { ...TINY_QWEN2, vocabSize: 320 }, dtype: 'BF16', member: 'sft', out: original, shardSize: 20000, tokenizer: true });
  tmp = await mkdtemp(join(tmpdir(), 'rvs-hf-cache-'));
  const repo = join(tmp, 'models--example--tiny');
  const revision = '0123456789abcdef0123456789abcdef01234567';
  snapshot = join(repo, 'snapshots', revision);
  await mkdir(join(repo, 'blobs'), { recursive: true });
  await mkdir(join(repo, 'refs'));
  await mkdir(snapshot, { recursive: true });
  await writeFile(join(repo, 'refs', 'main'), revision);
  for (const [file, bytes] of original.files) {
    const blob = createHash('sha256').update(bytes).digest('hex');
    await writeFile(join(repo, 'blobs', blob), bytes);
    await symlink(join('..', '..', 'blobs', blob), join(snapshot, file));
  }
  await mkdir(join(repo, 'blobs', 'a-folder'));
  await symlink(join('..', '..', 'blobs', 'a-folder'), join(snapshot, 'linked-folder'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('openFolder on a Hugging Face cache snapshot', () => {
  it('lists the linked files (not a linked folder) and opens the checkpoint they make', async () => {
    const folder = await openFolder(snapshot);
    expect(await folder.list()).toEqual([...original.files.keys()].sort());
    const fromCache = await openCheckpoint(folder);
    const fromMemory = await openCheckpoint(original);
    try {
      expect(fromCache.shards.length).toBeGreaterThan(1);
      expect(fromCache.config).toEqual(fromMemory.config);
      expect([...fromCache.tensors.keys()]).toEqual([...fromMemory.tensors.keys()]);
      for (const [name, { shard, info }] of fromCache.tensors) {
        const bytes = new Uint8Array(await shard.source.read(shard.header.dataStart + info.begin, info.end - info.begin));
        const other = fromMemory.tensors.get(name)!;
        expect(bytes, name).toEqual(await other.shard.source.read(other.shard.header.dataStart + other.info.begin, other.info.end - other.info.begin));
      }
      expect(await readText(folder, 'tokenizer.json')).toBe(await readText(original, 'tokenizer.json'));
    } finally {
      await closeCheckpoint(fromCache);
    }
  });

  it('lists a broken link, and opening it names the file and where it points', async () => {
    const broken = join(tmp, 'broken');
    await mkdir(broken);
    await symlink(join('..', 'blobs', 'gone'), join(broken, 'config.json'));
    const folder = await openFolder(broken);
    expect(await folder.list()).toEqual(['config.json']);
    const err = await folder.open('config.json').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FsError);
    expect(err).toMatchObject({ code: 'BROKEN_LINK', message: `${join(broken, 'config.json')}: is a symbolic link to ../blobs/gone, which does not exist` });
  });
});
