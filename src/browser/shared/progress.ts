/**
 * The one progress throttle of the studio's jobs. Progress is a snapshot: each one replaces the
 * last, so it is delivered at most every `intervalMs`; one held back is delivered when the interval
 * is over, and at the latest by `flush()` (called before a job's result, so that nothing trails
 * it). Used on both sides: the worker's side of the wire (fewer messages) and the store's job
 * runner (fewer renders), for engine jobs and page jobs (Hub downloads) alike.
 */

export interface ThrottledProgress<P> {
  push(progress: P): void;
  /** Delivers the snapshot held back, if any; stops the timer. */
  flush(): void;
}

export function throttleProgress<P>(deliver: (progress: P) => void, intervalMs: number, now: () => number = () => performance.now()): ThrottledProgress<P> {
  let last = -Infinity;
  let held: { progress: P } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const post = (progress: P) => {
    last = now();
    held = null;
    deliver(progress);
  };
  const flush = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (held) post(held.progress);
  };
  return {
    push(progress) {
      const wait = last + intervalMs - now();
      if (wait <= 0) {
        if (timer !== null) clearTimeout(timer);
        timer = null;
        post(progress);
        return;
      }
      held = { progress };
      timer ??= setTimeout(flush, wait);
    },
    flush,
  };
}
