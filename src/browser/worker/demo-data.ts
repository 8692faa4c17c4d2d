/**
 * The demo's evaluation items, in the real file formats, so that "Try the demo" runs a sweep with
 * no download. They go through the same loaders as a user's files. The files lie under demo-data/
 * (one folder per benchmark, named as the loaders expect them) and are bundled as text, like the
 * shaders.
 *
 * - GSM8K: the first 3 items of openai/gsm8k's test split and the first 5 of its train split
 *   (few-shot source), JSON lines — MIT License, Copyright (c) 2021 OpenAI.
 * - BIG-Bench Hard: the first 3 items of boolean_expressions (tasks/boolean_expressions.json, with
 *   its canary) and its cot-prompts file, from suzgunmirac/BIG-Bench-Hard — MIT License,
 *   Copyright (c) 2022 suzgunmirac.
 * - HumanEval: the first 3 problems of openai/human-eval's HumanEval.jsonl — MIT License,
 *   Copyright (c) 2021 OpenAI.
 * - SciQ: 3 items written for this demo in allenai/sciq's layout (not from the dataset).
 */

import bbhPrompts from './demo-data/bbh_cot_fewshot/cot-prompts/boolean_expressions.txt?raw';
import bbhTasks from './demo-data/bbh_cot_fewshot/tasks/boolean_expressions.json?raw';
import gsm8kTest from './demo-data/gsm8k/gsm8k-test.jsonl?raw';
import gsm8kTrain from './demo-data/gsm8k/gsm8k-train.jsonl?raw';
import humaneval from './demo-data/humaneval/HumanEval-first3.jsonl?raw';
import sciq from './demo-data/sciq/sciq-demo.jsonl?raw';

export interface DemoFile {
  readonly name: string;
  readonly text: string;
}

export interface DemoData {
  readonly benchmark: string;
  readonly test: readonly DemoFile[];
  readonly fewshot?: readonly DemoFile[];
}

export const DEMO_DATA: readonly DemoData[] = [
  { benchmark: 'gsm8k', test: [{ name: 'gsm8k-test.jsonl', text: gsm8kTest }], fewshot: [{ name: 'gsm8k-train.jsonl', text: gsm8kTrain }] },
  {
    benchmark: 'bbh_cot_fewshot',
    test: [
      { name: 'tasks/boolean_expressions.json', text: bbhTasks },
      { name: 'cot-prompts/boolean_expressions.txt', text: bbhPrompts },
    ],
  },
  { benchmark: 'sciq', test: [{ name: 'sciq-demo.jsonl', text: sciq }] },
  { benchmark: 'humaneval', test: [{ name: 'HumanEval-first3.jsonl', text: humaneval }] },
];
