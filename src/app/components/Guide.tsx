import { useStudio } from '../StoreProvider.tsx';
import { GUIDE_STEPS, nextStep, type GuideStep } from '../store/guide.ts';

const ORDER: readonly GuideStep[] = ['extract', 'merge', 'tryIt', 'sweep'];

/** Whether `step` is the guide's next one (its panel is highlighted). */
export function useIsNext(step: GuideStep): boolean {
  return useStudio((s) => nextStep(s) === step);
}

/** The panel's class and marker when it holds the next step. */
export function nextProps(isNext: boolean, step: GuideStep): { className: string; 'data-next-step'?: string } {
  return isNext ? { className: 'panel panel-next', 'data-next-step': step } : { className: 'panel' };
}

/** "Next step" and what to do, inside the highlighted panel. */
export function NextStepHint({ step }: { step: GuideStep }) {
  const isNext = useIsNext(step);
  if (!isNext) return null;
  return (
    <p className="next-hint" data-testid="next-hint">
      <span className="next-badge">Next step</span> {GUIDE_STEPS[step].hint}
    </p>
  );
}

/** Extract → Merge → Try it → Run sweep, the next one marked, once checkpoints are loaded. */
export function GuideBar() {
  const next = useStudio(nextStep);
  if (next === null) return null;
  const at = ORDER.indexOf(next);
  return (
    <nav className="guide" aria-label="Next steps">
      <ol>
        {ORDER.map((step, i) => (
          <li key={step} className={i < at ? 'guide-done' : i === at ? 'guide-next' : undefined} aria-current={i === at ? 'step' : undefined}>
            {GUIDE_STEPS[step].label}
          </li>
        ))}
      </ol>
    </nav>
  );
}
