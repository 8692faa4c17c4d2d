/**
 * What the engine reads and builds, counted, so that the studio can show — and tests can assert —
 * that changing α re-reads no checkpoint and rebuilds no session.
 */
import type { ByteSource, FolderSource } from '../../core/io/bytes.ts';
import type { EngineCounters } from '../shared/engine-api.ts';

export type { EngineCounters };

export class Counters {
  checkpointReads = 0;
  checkpointBytes = 0;
  sessionsCreated = 0;

  snapshot(): EngineCounters {
    return { checkpointReads: this.checkpointReads, checkpointBytes: this.checkpointBytes, sessionsCreated: this.sessionsCreated };
  }

  /** `folder` with every read of its files counted. */
  countReads(folder: FolderSource): FolderSource {
    const counters = this;
    const wrap = (source: ByteSource): ByteSource => ({
      name: source.name,
      size: source.size,
      async read(offset, length, into) {
        counters.checkpointReads++;
        counters.checkpointBytes += length;
        return source.read(offset, length, into);
      },
      ...(source.close ? { close: () => source.close!() } : {}),
    });
    return {
      name: folder.name,
      list: () => folder.list(),
      open: async (file) => wrap(await folder.open(file)),
    };
  }
}
