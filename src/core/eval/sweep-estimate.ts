/**
 * How long the rest of a sweep will take, from what it measured: each task's seconds per item
 * (its runs at earlier α included), applied to every item still to do in the whole plan, plus the
 * measured cost of switching α for each α still to come. Tasks cost very differently per item
 * (HumanEval's generations and programs against SciQ's log-likelihoods), so one rate for all items
 * — or elapsed time over the fraction done — jumps whenever the sweep moves to another task.
 *
 * A task not measured yet is taken at the mean rate of the items measured so far: the estimate
 * settles once each task has run once (after the first α).
 */

/** One (α, task) run of the plan, in the order the sweep runs them. */
export interface PlannedRun {
  readonly alpha: number | null;
  readonly task: string;
  /** Items the run evaluates (after the limit). */
  readonly items: number;
}

export class SweepEstimate {
  private readonly done: number[];
  private readonly seconds: number[];
  private readonly switches: number[] = [];

  constructor(private readonly plan: readonly PlannedRun[]) {
    this.done = plan.map(() => 0);
    this.seconds = plan.map(() => 0);
  }

  /** Run `run` has done `done` items in `seconds` (both so far, for that run). */
  update(run: number, done: number, seconds: number): void {
    if (run < 0 || run >= this.plan.length) return;
    this.done[run] = Math.min(done, this.plan[run]!.items);
    this.seconds[run] = seconds;
  }

  /** Applying an α of the plan to the weights (once per α, the first included) took `seconds`. */
  alphaSwitched(seconds: number): void {
    this.switches.push(seconds);
  }

  get itemsTotal(): number {
    return this.plan.reduce((n, r) => n + r.items, 0);
  }

  get itemsDone(): number {
    return this.done.reduce((n, d) => n + d, 0);
  }

  /** Seconds the rest of the plan should take; null until an item has been measured. */
  remainingSeconds(): number | null {
    const perTask = new Map<string, { items: number; seconds: number }>();
    let items = 0;
    let seconds = 0;
    this.plan.forEach((r, i) => {
      if (this.done[i] === 0) return;
      const t = perTask.get(r.task) ?? { items: 0, seconds: 0 };
      t.items += this.done[i]!;
      t.seconds += this.seconds[i]!;
      perTask.set(r.task, t);
      items += this.done[i]!;
      seconds += this.seconds[i]!;
    });
    if (items === 0) return null;
    const meanRate = seconds / items;
    let left = 0;
    this.plan.forEach((r, i) => {
      const todo = r.items - this.done[i]!;
      if (todo <= 0) return;
      const t = perTask.get(r.task);
      left += todo * (t ? t.seconds / t.items : meanRate);
    });
    // α switches still to come: one per α of the plan, less those made.
    let segments = 0;
    this.plan.forEach((r, i) => {
      if (i === 0 || r.alpha !== this.plan[i - 1]!.alpha) segments++;
    });
    const switches = Math.max(0, segments - this.switches.length);
    const switchCost = this.switches.length > 0 ? this.switches.reduce((a, b) => a + b, 0) / this.switches.length : 0;
    return left + switches * switchCost;
  }
}

/** The plan of a sweep: every task at each α, α the outer loop (as core's `runSweep` runs them). */
export function sweepPlan(alphas: readonly (number | null)[], tasks: readonly { readonly task: string; readonly items: number }[]): PlannedRun[] {
  return alphas.flatMap((alpha) => tasks.map((t) => ({ alpha, task: t.task, items: t.items })));
}
