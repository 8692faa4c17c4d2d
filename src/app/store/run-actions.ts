/**
 * The store's saved runs: listing, opening one or several (the first shown, the others overlaid),
 * rename, delete, the report of one for export, keeping every opened report — and the recorder a
 * sweep writes through as it goes (status `partial`; its final status when it ends), so a reload
 * mid-sweep keeps the runs finished so far. All storage work is here, over a `RunStore`
 * (IndexedDB in the browser: ../../browser/page/run-store.ts); components only call these actions.
 */
import { parseReport, type Report } from '../../core/report/schema.ts';
import { errorLine } from './jobs.ts';
import { recordOf, sameReport, summarize, sweepName, type RunRecord, type RunStore } from './runs.ts';
import type { RunStatus } from './scores.ts';
import type { ShownReport, StudioActions, StudioState } from './state.ts';

type RunActions = Pick<StudioActions, 'loadRuns' | 'openRun' | 'compareRuns' | 'renameRun' | 'deleteRun' | 'runReport'>;

/** The report with `status` set. */
export function withStatus(report: Report, status: RunStatus): Report {
  return { ...report, status };
}

/** Writes of a running sweep: at once when a run finishes, else at most every `intervalMs`. */
export interface SweepRecorder {
  /** The live report changed (the sweep is running). */
  update(report: Report): void;
  /** The sweep ended: its last report with its final status; resolves once written. */
  finish(report: Report | null, status: RunStatus): Promise<void>;
  /** The run's id once it has been saved (null before its first run). */
  readonly id: string | null;
}

const newId = (): string => globalThis.crypto?.randomUUID?.() ?? `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
const finished = (report: Report) => report.runs.filter((r) => Object.keys(r.metrics).length > 0).length;

export function runActions(store: RunStore | undefined, set: (partial: Partial<StudioState>) => void, get: () => StudioState, now: () => Date = () => new Date()) {
  /** Runs the user deleted (a running sweep's recorder stops writing its run). */
  const deleted = new Set<string>();
  const failed = (what: string) => (e: unknown) => set({ runs: { ...get().runs, error: `${what}: ${errorLine(e)}` } });
  /** The records, newest report first. */
  const setRecords = (records: readonly RunRecord[]) => {
    const sorted = [...records].sort((a, b) => b.summary.createdAt.localeCompare(a.summary.createdAt) || b.savedAt.localeCompare(a.savedAt));
    set({ runs: { ...get().runs, records: sorted } });
  };
  const upsert = (record: RunRecord) => setRecords([record, ...get().runs.records.filter((r) => r.id !== record.id)]);

  const save = async (record: RunRecord, report: Report): Promise<void> => {
    if (!store) return;
    await store.put(record, withStatus(report, record.status));
    upsert(record);
  };

  /** A stored run's report, validated, with the record's status; or a one-line error in `runs.error`. */
  const readRun = async (id: string): Promise<{ record: RunRecord; report: Report } | null> => {
    const record = get().runs.records.find((r) => r.id === id);
    if (!store || !record) return null;
    try {
      const report = parseReport(await store.report(id));
      return { record, report: withStatus(report, record.status) };
    } catch (e) {
      failed(`${record.name}`)(e);
      return null;
    }
  };
  const shownOf = (run: { record: RunRecord; report: Report }): ShownReport => ({ name: run.record.name, origin: 'file', report: run.report, runId: run.record.id });

  const actions: RunActions = {
    async loadRuns() {
      if (!store) return set({ runs: { status: 'unavailable', records: [], error: null } });
      try {
        const records = await store.list();
        set({ runs: { status: 'ready', records: [], error: null } });
        setRecords(records);
      } catch (e) {
        set({ runs: { status: 'unavailable', records: [], error: `Saved runs could not be read: ${errorLine(e)}` } });
      }
    },
    async openRun(id) {
      await get().compareRuns([id]);
    },
    async compareRuns(ids) {
      const read = [];
      for (const id of ids) {
        const run = await readRun(id);
        if (!run) return;
        read.push(run);
      }
      const [first, ...rest] = read;
      if (!first) return;
      set({ shown: shownOf(first), overlays: rest.map(shownOf), reportError: null, runs: { ...get().runs, error: null } });
    },
    async renameRun(id, name) {
      const record = get().runs.records.find((r) => r.id === id);
      const trimmed = name.trim();
      if (!store || !record || trimmed === '' || trimmed === record.name) return;
      const renamed = { ...record, name: trimmed };
      try {
        await store.put(renamed);
        upsert(renamed);
        const rename = (s: ShownReport) => (s.runId === id ? { ...s, name: trimmed } : s);
        const { shown, overlays } = get();
        set({ shown: shown && rename(shown), overlays: overlays.map(rename) });
      } catch (e) {
        failed(`Could not rename ${record.name}`)(e);
      }
    },
    async deleteRun(id) {
      const record = get().runs.records.find((r) => r.id === id);
      if (!store || !record) return;
      try {
        deleted.add(id);
        await store.remove(id);
        setRecords(get().runs.records.filter((r) => r.id !== id));
        // What is on screen stays (it is in memory); it is no longer a saved run.
        const unlink = (s: ShownReport): ShownReport => (s.runId === id ? { ...s, runId: null } : s);
        const { shown, overlays } = get();
        set({ shown: shown && unlink(shown), overlays: overlays.map(unlink) });
      } catch (e) {
        failed(`Could not delete ${record.name}`)(e);
      }
    },
    async runReport(id) {
      return (await readRun(id))?.report ?? null;
    },
  };

  /** An opened report is kept as a run too (once: the same report opened again is the same run). */
  const keepOpened = async (name: string, report: Report): Promise<string | null> => {
    if (!store) return null;
    const summary = summarize(report);
    const same = get().runs.records.find((r) => sameReport(r.summary, summary));
    if (same) return same.id;
    const record = recordOf(newId(), name, 'file', report, now());
    try {
      await save(record, report);
      return record.id;
    } catch (e) {
      failed(`${name} is shown but could not be saved`)(e);
      return null;
    }
  };

  const sweepRecorder = (intervalMs = 1000): SweepRecorder => {
    let id: string | null = null;
    /** Names this recorder gave the run (any other is the user's). */
    const autoNames = new Set<string>();
    let latest: Report | null = null;
    let writtenFinished = -1;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let chain = Promise.resolve();
    const write = (report: Report, status: RunStatus) => {
      if (!store || (id !== null && deleted.has(id))) return;
      id ??= newId();
      const runId = id;
      const current = get().runs.records.find((r) => r.id === runId);
      // The user may rename it while it runs: their name stays.
      const renamed = current !== undefined && !autoNames.has(current.name);
      const name = renamed ? current.name : sweepName(report);
      autoNames.add(name);
      writtenFinished = finished(report);
      chain = chain.then(() => save(recordOf(runId, name, 'sweep', withStatus(report, status), now()), report).catch(failed('The sweep could not be saved')));
    };
    return {
      get id() {
        return id;
      },
      update(report) {
        latest = report;
        if (report.runs.length === 0) return;
        if (finished(report) > writtenFinished) {
          if (timer !== null) clearTimeout(timer);
          timer = null;
          write(report, 'partial');
        } else {
          timer ??= setTimeout(() => {
            timer = null;
            if (latest) write(latest, 'partial');
          }, intervalMs);
        }
      },
      async finish(report, status) {
        if (timer !== null) clearTimeout(timer);
        timer = null;
        const last = report ?? latest;
        if (last && last.runs.length > 0) write(last, status);
        await chain;
      },
    };
  };

  return { actions, keepOpened, sweepRecorder };
}
