/** Benchmark data from a fake Hub: which splits a run needs, and shards read as one split. */
import { describe, expect, it } from 'vitest';
import type { HubFetch } from '../../core/hub/http.ts';
import { getTask } from '../../core/eval/tasks/index.ts';
import type { Task } from '../../core/eval/tasks/types.ts';
import { writeParquet } from '../../core/testing/parquet-writer.ts';
import { DataRegistry } from '../worker/eval-data.ts';
import { fetchHubSplit, hubSplits } from './hub-datasets.ts';

const task = (id: string) => getTask(id) as Task<unknown>;
const splitsOf = (id: string, numFewshot: number | null) => hubSplits(task(id), numFewshot).map((s) => `${s.role}:${s.split}`);

describe('hubSplits', () => {
  it('asks for the few-shot split only when the run samples shots from it', () => {
    // gsm8k.yaml: 5 shots from train; gsm8k-cot.yaml: 8 examples written in the task;
    // gsm8k-cot-zeroshot.yaml and sciq.yaml: none unless the run asks; HumanEval: none.
    expect(splitsOf('gsm8k', null)).toEqual(['test:test', 'fewshot:train']);
    expect(splitsOf('gsm8k', 0)).toEqual(['test:test']);
    expect(splitsOf('gsm8k_cot', null)).toEqual(['test:test']);
    expect(splitsOf('gsm8k_cot', 3)).toEqual(['test:test']);
    expect(splitsOf('gsm8k_cot_zeroshot', null)).toEqual(['test:test']);
    expect(splitsOf('gsm8k_cot_zeroshot', 2)).toEqual(['test:test', 'fewshot:train']);
    expect(splitsOf('sciq', null)).toEqual(['test:test']);
    expect(splitsOf('sciq', 1)).toEqual(['test:test', 'fewshot:train']);
    expect(splitsOf('humaneval', 4)).toEqual(['test:test']);
  });
});

describe('fetchHubSplit', () => {
  it('gives each shard of a split as a data file; the registry reads the shards as one split, in order', async () => {
    const sciq = (question: string, answer: string) => ({ question: [question], distractor1: ['a'], distractor2: ['b'], distractor3: ['c'], correct_answer: [answer], support: [''] });
    const shards = [writeParquet(sciq('What is the unit of force?', 'newton'), 'SNAPPY'), writeParquet(sciq('What is the unit of energy?', 'joule'))];
    const base = 'http://127.0.0.1:9/api/datasets/allenai/sciq/parquet/default/test';
    const requests: string[] = [];
    const fetch: HubFetch = async (url) => {
      requests.push(url);
      if (url === base) return new Response(JSON.stringify([`${base}/0.parquet`, `${base}/1.parquet`]));
      const n = ['0', '1'].indexOf(/\/(\d)\.parquet$/.exec(url)?.[1] ?? '');
      return n >= 0 ? new Response(shards[n]!.slice()) : new Response('', { status: 404 });
    };
    const files = await fetchHubSplit(task('sciq').dataset!, 'test', { fetch, endpoint: 'http://127.0.0.1:9' });
    expect(requests).toEqual([base, `${base}/0.parquet`, `${base}/1.parquet`]);
    expect(files.map((f) => f.name)).toEqual(['allenai/sciq/default/test/0.parquet', 'allenai/sciq/default/test/1.parquet']);

    const registry = new DataRegistry();
    const summary = await registry.set('sciq', 'test', files);
    expect(summary.tasks).toEqual([{ task: 'sciq', items: 2, data: 'allenai/sciq/default/test/0.parquet + allenai/sciq/default/test/1.parquet', fewshot: null }]);
    expect(summary.ignored).toEqual([]);
    expect(registry.tasks('sciq')[0]!.docs!.map((d) => (d as { correct_answer: string }).correct_answer)).toEqual(['newton', 'joule']);
  });

  it('still reads only the first of several files that are not all Parquet', async () => {
    const line = (q: string) => `${JSON.stringify({ question: q, answer: '#### 1' })}\n`;
    const registry = new DataRegistry();
    const summary = await registry.set('gsm8k', 'test', [
      { name: 'a.jsonl', blob: new Blob([line('one?')]) },
      { name: 'b.parquet', blob: new Blob([writeParquet({ question: ['two?'], answer: ['#### 2'] })]) },
    ]);
    expect(summary.items).toBe(1);
    expect(summary.ignored).toEqual(['b.parquet']);
  });
});
