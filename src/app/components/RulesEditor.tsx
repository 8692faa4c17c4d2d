import type { SlotSummary } from '../../browser/shared/engine-api.ts';
import { TENSOR_GROUPS } from '../../core/merge/recipe.ts';
import { printable } from '../../core/text/printable.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { GROUP_IDS, GROUP_LABELS, patternMatches, type RuleMode } from '../store/settings.ts';
import { isBusy, type StudioState } from '../store/state.ts';
import { NumberField } from './NumberField.tsx';

const MODE_LABELS: Record<RuleMode, string> = { inherit: 'use α', alpha: 'own α', exclude: 'exclude (keep target)' };

/** The checkpoint whose tensor names rules are matched against: the target (the merge's base), else another loaded one. */
function namesSource(s: StudioState): { readonly role: string; readonly names: readonly string[] } | null {
  for (const [slot, role] of [['target', 'the target'], ['sft', 'SFT'], ['grpo', 'GRPO'], ['vector', 'the vector']] as const) {
    const state = s.slots[slot];
    if (state.status === 'ready') return { role, names: (state.summary as SlotSummary).tensorNames };
  }
  return null;
}

/** How many tensors a rule's patterns match, with a preview; "matches nothing" said plainly. */
function Matches({ patterns, label }: { patterns: readonly string[]; label: string }) {
  const source = useStudio(namesSource);
  if (!source || patterns.every((p) => p.trim() === '')) return null;
  const { count, preview } = patternMatches(patterns, source.names);
  if (count === 0) {
    return (
      <span className="warning-line small" data-testid="pattern-matches" data-count={0} role="status" aria-label={`${label} matches`}>
        matches no tensor of {source.role}
      </span>
    );
  }
  return (
    <details className="matches small" data-testid="pattern-matches" data-count={count}>
      <summary aria-label={`${label} matches`}>
        matches {count} of {source.names.length} tensors of {source.role}
      </summary>
      <ul className="mono">
        {preview.map((n) => (
          <li key={n}>{printable(n)}</li>
        ))}
        {count > preview.length && <li className="muted">… and {count - preview.length} more</li>}
      </ul>
    </details>
  );
}

/** Per-group α overrides and exclusions, then patterns; the last matching rule wins. Locked while a job runs. */
export function RulesEditor() {
  const groups = useStudio((s) => s.settings.groups);
  const patterns = useStudio((s) => s.settings.patterns);
  const busy = useStudio(isBusy);
  const { setGroup, addPattern, updatePattern, removePattern } = useActions();
  return (
    <fieldset className="rules" disabled={busy}>
      <legend>Per-group α and exclusions</legend>
      <table>
        <tbody>
          {GROUP_IDS.map((group) => {
            const g = groups[group];
            const label = GROUP_LABELS[group];
            return (
              <tr key={group}>
                <th scope="row" title={TENSOR_GROUPS[group].join(', ')}>
                  {label}
                </th>
                <td>
                  <select aria-label={`${label} rule`} value={g.mode} onChange={(e) => setGroup(group, { mode: e.target.value as RuleMode })}>
                    {(['inherit', 'alpha', 'exclude'] as const).map((m) => (
                      <option key={m} value={m}>
                        {MODE_LABELS[m]}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{g.mode === 'alpha' && <NumberField label={`${label} α`} value={g.alpha} step={0.01} onChange={(alpha) => setGroup(group, { alpha })} />}</td>
                <td className="mono muted">
                  {TENSOR_GROUPS[group].join('  ')} <Matches patterns={TENSOR_GROUPS[group]} label={label} />
                </td>
              </tr>
            );
          })}
          {patterns.map((p, i) => {
            const label = `Pattern ${i + 1}`;
            return (
              <tr key={p.id}>
                <th scope="row">
                  <input type="text" aria-label={label} placeholder="model.layers.1?.mlp.*" value={p.pattern} spellCheck={false} onChange={(e) => updatePattern(p.id, { pattern: e.target.value })} />
                </th>
                <td>
                  <select aria-label={`${label} rule`} value={p.mode} onChange={(e) => updatePattern(p.id, { mode: e.target.value as 'alpha' | 'exclude' })}>
                    <option value="alpha">{MODE_LABELS.alpha}</option>
                    <option value="exclude">{MODE_LABELS.exclude}</option>
                  </select>
                </td>
                <td>{p.mode === 'alpha' && <NumberField label={`${label} α`} value={p.alpha} step={0.01} onChange={(alpha) => updatePattern(p.id, { alpha })} />}</td>
                <td>
                  <Matches patterns={[p.pattern]} label={label} />{' '}
                  <button type="button" className="link" aria-label={`Remove pattern ${i + 1}`} onClick={() => removePattern(p.id)}>
                    Remove
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <button type="button" onClick={addPattern}>
        Add pattern
      </button>
      <span className="muted small"> Glob on tensor names: * any characters (dots included), ? one. Later rows win. A new pattern’s own α starts at the current α.</span>
    </fieldset>
  );
}
