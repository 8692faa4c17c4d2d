import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../core/checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember } from '../../core/checkpoint/synthetic.ts';
import { MemoryFolder } from '../../core/io/bytes.ts';
import { tensorBytes } from '../../core/testing/reference.ts';
import { directoryFolderSource, fileListFolderSource } from './folder-source.ts';
import { BrowserIoError, type FileLike } from './fs-access.ts';
import { MemoryDirectoryHandle } from '../testing/memory-handles.ts';

async function family(shardSize?: number): Promise<MemoryFolder> {
  const folder = new MemoryFolder('tiny');
  await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: 'sft', out: folder, ...(shardSize ? { shardSize } : {}) });
  return folder;
}

const file = (path: string, bytes: Uint8Array, relative = true): FileLike =>
  Object.assign(new Blob([bytes.slice()]), { name: path.split('/').at(-1)!, webkitRelativePath: relative ? path : '' }) as FileLike;

async function sameTensors(a: MemoryFolder, source: Parameters<typeof openCheckpoint>[0]): Promise<void> {
  const [want, got] = await Promise.all([openCheckpoint(a), openCheckpoint(source)]);
  expect([...got.tensors.keys()]).toEqual([...want.tensors.keys()]);
  expect(got.shards.length).toBe(want.shards.length);
  for (const name of want.tensors.keys()) expect(await tensorBytes(got, name)).toEqual(await tensorBytes(want, name));
}

describe('directoryFolderSource', () => {
  it('opens a checkpoint through a directory handle, byte for byte', async () => {
    const folder = await family(20000);
    const dir = new MemoryDirectoryHandle('ckpt');
    for (const [name, bytes] of folder.files) dir.put(name, bytes);
    await (await dir.getDirectoryHandle('sub', { create: true })).getFileHandle('ignored.safetensors', { create: true });
    const source = directoryFolderSource(dir);
    expect(source.name).toBe('ckpt');
    expect(await source.list()).toEqual([...folder.files.keys()].sort());
    await sameTensors(folder, source);
  });

  it('names the folder and file when a file is missing', async () => {
    const source = directoryFolderSource(new MemoryDirectoryHandle('empty'));
    await expect(source.open('config.json')).rejects.toMatchObject({ name: 'BrowserIoError', code: 'NOT_FOUND', message: 'empty/config.json: no such file' });
  });
});

describe('fileListFolderSource', () => {
  it('drops the common folder segment of a directory input', async () => {
    const folder = await family();
    const files = [...folder.files].map(([name, bytes]) => file(`Tiny-Qwen2/${name}`, bytes));
    files.push(file('Tiny-Qwen2/extra/notes.txt', new Uint8Array([1])));
    const source = fileListFolderSource(files);
    expect(source.name).toBe('Tiny-Qwen2');
    expect(await source.list()).toEqual([...[...folder.files.keys()], 'extra/notes.txt'].sort());
    await sameTensors(folder, source);
  });

  it('keeps bare names of a plain multi-file selection', async () => {
    const folder = await family();
    const source = fileListFolderSource([...folder.files].map(([name, bytes]) => file(name, bytes, false)), 'dropped');
    expect(source.name).toBe('dropped');
    await sameTensors(folder, source);
  });

  it('rejects an empty list and duplicate paths', () => {
    expect(() => fileListFolderSource([])).toThrow(BrowserIoError);
    expect(() => fileListFolderSource([])).toThrow(expect.objectContaining({ code: 'NO_FILES' }));
    const one = new Uint8Array([1]);
    expect(() => fileListFolderSource([file('a.json', one, false), file('a.json', one, false)])).toThrow(expect.objectContaining({ code: 'DUPLICATE_FILE' }));
  });

  it('rejects reads of files that are not in the list', async () => {
    const source = fileListFolderSource([file('d/a.json', new Uint8Array([1]))]);
    await expect(source.open('b.json')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
