import { describe, expect, it } from 'vitest';
import { addTaskFiles, isGroup, sweepTasks, taskIdsOf, tasksWithDocs, type DataFile } from './task-data.ts';
import { BBH_GROUP, BBH_SUBTASKS } from './tasks/bbh.ts';
import { asyncEvalError, evalError } from './testing.ts';

const file = (name: string, text: string): DataFile => ({ name, open: async () => new TextEncoder().encode(text) });
const gsm = (q: string, a: number) => JSON.stringify({ question: q, answer: `${a}\n#### ${a}` });
const HINT = { give: (what: string) => `[${what}]`, zero: '[zero]' };

describe('task resolution', () => {
  it('names tasks and groups (bbh is BIG-Bench Hard); an unknown id fails', () => {
    expect(taskIdsOf('gsm8k')).toEqual(['gsm8k']);
    expect(taskIdsOf('bbh')).toEqual(BBH_SUBTASKS.map((s) => `${BBH_GROUP}_${s}`));
    expect(taskIdsOf(BBH_GROUP)).toEqual(taskIdsOf('bbh'));
    expect([isGroup('bbh'), isGroup(BBH_GROUP), isGroup('gsm8k'), isGroup(`${BBH_GROUP}_navigate`)]).toEqual([true, true, false, false]);
    expect(evalError(() => taskIdsOf('gsm9k')).code).toBe('UNKNOWN_TASK');
  });

  it('a task: test documents and its few-shot source; then the sweep task carries both', async () => {
    let { data } = await addTaskFiles('gsm8k', 'test', [file('test.jsonl', `${gsm('a', 1)}\n${gsm('b', 2)}\n`)]);
    expect(evalError(() => sweepTasks(tasksWithDocs('gsm8k', data), {}, HINT))).toMatchObject({ code: 'NO_FEWSHOT', message: 'gsm8k uses 5 few-shot examples: give [its train split] or [zero]' });
    expect(sweepTasks(tasksWithDocs('gsm8k', data), { numFewshot: 0 }, HINT)).toHaveLength(1);
    ({ data } = await addTaskFiles('gsm8k', 'fewshot', [file('train.jsonl', gsm('c', 3))], data));
    const [t] = sweepTasks(tasksWithDocs('gsm8k', data), { limit: 1 }, HINT);
    expect(t).toMatchObject({ data: 'test.jsonl', docs: [{ question: 'a' }, { question: 'b' }], material: { docs: [{ question: 'c' }] }, settings: { limit: 1 } });
    await expect(addTaskFiles('gsm8k_cot', 'fewshot', [file('x.jsonl', gsm('c', 3))])).rejects.toMatchObject({ code: 'BAD_OPTION' });
    expect((await asyncEvalError(addTaskFiles('gsm8k', 'test', []))).code).toBe('EMPTY_DATA');
  });

  it('a group: files matched by base name, documents and cot-prompts; others ignored', async () => {
    const { data, ignored } = await addTaskFiles('bbh', 'test', [
      file('BBH/tasks/navigate.json', JSON.stringify({ examples: [{ input: 'i', target: 'Yes' }] })),
      file('BBH/cot-prompts/navigate.txt', 'Navigate.\n\nQ: q\nA: a. So the answer is Yes.'),
      file('BBH/README.md', '#'),
    ]);
    expect(ignored).toEqual(['BBH/README.md']);
    expect(tasksWithDocs('bbh', data).map((t) => [t.task.id, t.data, t.fewshotData])).toEqual([[`${BBH_GROUP}_navigate`, 'BBH/tasks/navigate.json', 'BBH/cot-prompts/navigate.txt']]);
    expect(sweepTasks(tasksWithDocs('bbh', data), {}, HINT)[0]!.material).toEqual({ text: 'Navigate.\n\nQ: q\nA: a. So the answer is Yes.' });
    expect((await asyncEvalError(addTaskFiles('bbh', 'test', [file('notes.txt', 'x')]))).code).toBe('EMPTY_DATA');
  });
});
