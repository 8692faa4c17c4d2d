/**
 * Prompt assembly as lm-evaluation-harness's `fewshot_context`: description, then each shot as
 * `docToText(shot) + targetDelimiter + docToTarget(shot)` joined by `fewshotDelimiter`, the
 * delimiter once more, then `docToText(doc)`. BBH puts the cot-prompts exemplars in the text.
 *
 * Train-split shots are the first `numFewshot` training documents. The harness instead samples
 * them with `random.Random(1234)`, so those prompts are not the harness's; scoring does not depend
 * on the prompt.
 */
import { parseCotPrompt } from './tasks/bbh.ts';
import type { FewshotMaterial, GenerateTask } from './tasks/types.ts';

export function buildPrompt<D>(task: GenerateTask<D>, doc: D, material?: FewshotMaterial<D>): string | null {
  if (task.fewshot === 'cot-prompt') {
    if (material === undefined || !('text' in material)) return null;
    const { description, exemplars } = parseCotPrompt(material.text);
    return `${description}\n\n${exemplars}${task.fewshotDelimiter}${task.docToText(doc)}`;
  }
  let shots: readonly D[];
  if (task.fewshot === 'fixed') shots = task.fixedShots ?? [];
  else if (material !== undefined && 'docs' in material) shots = material.docs.slice(0, task.numFewshot);
  else return null;
  const labeled = shots.map((s) => `${task.docToText(s)}${task.targetDelimiter}${task.docToTarget(s)}`);
  const context = labeled.length === 0 ? '' : labeled.join(task.fewshotDelimiter) + task.fewshotDelimiter;
  return `${task.description}${context}${task.docToText(doc)}`;
}
