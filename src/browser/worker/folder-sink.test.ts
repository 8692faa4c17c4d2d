import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openCheckpoint, type Checkpoint } from '../../core/checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../../core/checkpoint/synthetic.ts';
import { concatBytes, MemoryFolder } from '../../core/io/bytes.ts';
import { createCpuBackend } from '../../core/merge/cpu-kernel.ts';
import { MergeError } from '../../core/merge/plan.ts';
import { mergeRecipe } from '../../core/merge/recipe.ts';
import { mergeToFolder } from '../../core/merge/run.ts';
import { directoryFolderSink } from './folder-sink.ts';
import { directoryFolderSource } from '../shared/folder-source.ts';
import { MemoryDirectoryHandle, MemoryFileHandle } from '../testing/memory-handles.ts';

async function member(m: FamilyMember): Promise<Checkpoint> {
  const folder = new MemoryFolder(m);
  await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: m, out: folder });
  return openCheckpoint(folder);
}
const roles = async () => new Map(await Promise.all((['target', 'sft', 'grpo'] as const).map(async (m) => [m, await member(m)] as const)));

/** The same merge into a MemoryFolder: what the files must hold. */
async function expected(shardSize?: number): Promise<MemoryFolder> {
  const out = new MemoryFolder('want');
  await mergeToFolder({ recipe: mergeRecipe(1.5), roles: await roles(), backend: createCpuBackend(500), out, ...(shardSize ? { shardSize } : {}) });
  return out;
}

function filesOf(dir: MemoryDirectoryHandle): Map<string, Uint8Array> {
  return new Map([...dir.entries].filter(([, e]) => e.kind === 'file').map(([n, e]) => [n, (e as MemoryFileHandle).bytes]));
}

describe('directoryFolderSink', () => {
  for (const move of [true, false]) {
    it(`commits a merged checkpoint into the chosen folder (${move ? 'move' : 'copy fallback'})`, async () => {
      const dest = new MemoryDirectoryHandle('out', { move });
      const sink = await directoryFolderSink(dest, { bufferBytes: 1000 });
      await mergeToFolder({ recipe: mergeRecipe(1.5), roles: await roles(), backend: createCpuBackend(500), out: sink, shardSize: 9000 });
      const want = await expected(9000);
      expect(dest.paths()).toEqual([...want.files.keys()].sort());
      expect(filesOf(dest)).toEqual(want.files);
      // And it reads back as a checkpoint.
      const back = await openCheckpoint(directoryFolderSource(dest));
      expect(back.shards.length).toBeGreaterThan(1);
    });
  }

  it('leaves nothing behind when the merge is cancelled midway', async () => {
    const dest = new MemoryDirectoryHandle('out');
    const sink = await directoryFolderSink(dest);
    const controller = new AbortController();
    let seen = 0;
    const run = mergeToFolder({
      recipe: mergeRecipe(1),
      roles: await roles(),
      backend: createCpuBackend(200),
      out: sink,
      signal: controller.signal,
      onProgress: () => {
        if (++seen === 5) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(run).rejects.toBeInstanceOf(MergeError);
    expect(seen).toBeGreaterThanOrEqual(5);
    expect(dest.paths()).toEqual([]);
    expect(dest.entries.size).toBe(0);
    await expect(sink.create('late.json')).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });

  it('discards open files on abort', async () => {
    const dest = new MemoryDirectoryHandle('out');
    const sink = await directoryFolderSink(dest, { stagingName: '.staging' });
    const a = await sink.create('a.bin');
    await a.write(new Uint8Array(10));
    const staged = (dest.entries.get('.staging') as MemoryDirectoryHandle).entries.get('a.bin') as MemoryFileHandle;
    expect(staged.openWritables).toBe(1);
    await sink.abort();
    expect(staged.openWritables).toBe(0);
    expect(dest.entries.size).toBe(0);
    await sink.abort(); // idempotent
  });

  it('refuses a folder that already holds visible files, and ignores hidden ones', async () => {
    const full = new MemoryDirectoryHandle('full');
    full.put('config.json', new Uint8Array([1]));
    await expect(directoryFolderSink(full)).rejects.toMatchObject({ code: 'OUTPUT_NOT_EMPTY', message: expect.stringContaining('full: already holds 1 item (config.json)') });
    expect(full.paths()).toEqual(['config.json']);
    const hidden = new MemoryDirectoryHandle('hidden');
    hidden.put('.DS_Store', new Uint8Array([1]));
    const sink = await directoryFolderSink(hidden);
    await sink.commit();
    expect(hidden.paths()).toEqual(['.DS_Store']);
  });

  it('removes the files it already moved when a later move fails', async () => {
    const dest = new MemoryDirectoryHandle('out', { failMoveAt: 2 });
    const sink = await directoryFolderSink(dest);
    for (const name of ['a.bin', 'b.bin', 'c.bin']) {
      const s = await sink.create(name);
      await s.write(new Uint8Array([1, 2, 3]));
      await s.close();
    }
    // move fails, the copy fallback then succeeds for b: a failure needs both to fail, so break the copy too.
    const realGet = dest.getFileHandle.bind(dest);
    dest.getFileHandle = async (name, options) => {
      if (name === 'b.bin') throw new Error('disk full');
      return realGet(name, options);
    };
    await expect(sink.commit()).rejects.toMatchObject({ code: 'COMMIT_FAILED' });
    await sink.abort();
    expect(dest.paths()).toEqual([]);
  });

  it('refuses bad and repeated file names, and commits with files open', async () => {
    const sink = await directoryFolderSink(new MemoryDirectoryHandle('out'));
    for (const bad of ['', '.', '..', 'a/b', 'a\\b']) await expect(sink.create(bad)).rejects.toMatchObject({ code: 'BAD_FILE_NAME' });
    await sink.create('x.json');
    await expect(sink.create('x.json')).rejects.toMatchObject({ code: 'DUPLICATE_FILE' });
    await expect(sink.commit()).rejects.toMatchObject({ code: 'COMMIT_FAILED' });
    await sink.abort();
  });

  it('writes exactly the bytes given, whatever the mix of small and large writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 30 }), fc.integer({ min: 1, max: 64 }), async (parts, bufferBytes) => {
        const dest = new MemoryDirectoryHandle('out');
        const sink = await directoryFolderSink(dest, { bufferBytes });
        const file = await sink.create('f.bin');
        const reused = new Uint8Array(40);
        for (const p of parts) {
          reused.set(p); // the writer reuses its buffers once a write resolves
          await file.write(reused.subarray(0, p.byteLength));
        }
        await file.close();
        await sink.commit();
        expect((dest.entries.get('f.bin') as MemoryFileHandle).bytes).toEqual(concatBytes(parts));
      }),
      { numRuns: 60 },
    );
  });
});
