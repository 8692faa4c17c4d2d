/**
 * An output folder with one level of subfolders (`onnx/model.onnx`) over the atomic folder sink:
 * files at the top go through `directoryFolderSink(dest)`, files of a subfolder through another
 * atomic sink on that subfolder. The subfolder itself exists from its first file on; `abort`
 * removes it with everything else (the destination was empty, so nothing of the user's is touched).
 */
import type { ByteSink, FolderSink } from '../../core/io/bytes.ts';
import { directoryFolderSink } from './folder-sink.ts';
import { BrowserIoError, type DirectoryHandleLike } from '../shared/fs-access.ts';

export async function nestedFolderSink(dest: DirectoryHandleLike): Promise<FolderSink> {
  const top = await directoryFolderSink(dest);
  const subs = new Map<string, Promise<FolderSink>>();
  const sub = (folder: string): Promise<FolderSink> => {
    let sink = subs.get(folder);
    if (!sink) {
      sink = dest.getDirectoryHandle(folder, { create: true }).then((dir) => directoryFolderSink(dir));
      subs.set(folder, sink);
    }
    return sink;
  };
  const abort = async () => {
    await Promise.allSettled([...subs.values()].map(async (s) => (await s).abort()));
    await top.abort();
    await Promise.allSettled([...subs.keys()].map((folder) => dest.removeEntry(folder, { recursive: true })));
  };
  return {
    name: dest.name,
    async create(file): Promise<ByteSink> {
      const at = file.indexOf('/');
      if (at < 0) return top.create(file);
      const folder = file.slice(0, at);
      if (!folder || folder.startsWith('.') || folder === '..') throw new BrowserIoError('BAD_FILE_NAME', 'is not a plain subfolder', `${dest.name}/${file}`);
      return (await sub(folder)).create(file.slice(at + 1));
    },
    async commit() {
      try {
        for (const sink of subs.values()) await (await sink).commit();
        await top.commit();
      } catch (e) {
        await abort();
        throw e;
      }
    },
    abort,
  };
}
