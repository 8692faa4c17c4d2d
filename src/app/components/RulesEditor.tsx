import { TENSOR_GROUPS } from '../../core/merge/recipe.ts';
import { useActions, useStudio } from '../StoreProvider.tsx';
import { GROUP_IDS, GROUP_LABELS, type RuleMode } from '../store/settings.ts';
import { NumberField } from './NumberField.tsx';

const MODE_LABELS: Record<RuleMode, string> = { inherit: 'use α', alpha: 'own α', exclude: 'exclude (keep target)' };

/** Per-group α overrides and exclusions, then patterns; the last matching rule wins. */
export function RulesEditor() {
  const groups = useStudio((s) => s.settings.groups);
  const patterns = useStudio((s) => s.settings.patterns);
  const { setGroup, addPattern, updatePattern, removePattern } = useActions();
  return (
    <fieldset className="rules">
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
                <td className="mono muted">{TENSOR_GROUPS[group].join('  ')}</td>
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
      <span className="muted small"> Glob on tensor names: * any characters, ? one. Later rows win.</span>
    </fieldset>
  );
}
