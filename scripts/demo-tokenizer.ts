/**
 * The TypeScript half of scripts/train-demo.py: the project's own tokenizer and side files, so that
 * training and the studio tokenize identically (the Python script never reimplements the BPE).
 *
 *   npx tsx scripts/demo-tokenizer.ts side-files < shape.json   → {"files": {name: text}}
 *   npx tsx scripts/demo-tokenizer.ts encode < texts.json       → [[ids…], …]
 *
 * shape.json is a Qwen2Shape (src/core/checkpoint/synthetic.ts) with a "dtype"; `encode` takes
 * {"vocabSize": n, "texts": [...]} and encodes each text as the evaluator does (no special tokens
 * added; special-token text such as <|im_end|> becomes its id).
 */
import { qwen2SideFiles, type Qwen2Shape } from '../src/core/checkpoint/synthetic.ts';
import type { FloatDtype } from '../src/core/dtype.ts';
import { syntheticTokenizerFiles } from '../src/core/text/synthetic-tokenizer.ts';
import { loadTokenizer } from '../src/core/text/tokenizer.ts';

async function stdin(): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const mode = process.argv[2];
if (mode === 'side-files') {
  const { dtype, ...shape } = (await stdin()) as Qwen2Shape & { dtype: FloatDtype };
  process.stdout.write(JSON.stringify({ files: qwen2SideFiles(shape, dtype, true) }));
} else if (mode === 'encode') {
  const { vocabSize, texts } = (await stdin()) as { vocabSize: number; texts: string[] };
  const files = syntheticTokenizerFiles({ vocabSize });
  const tokenizer = loadTokenizer({ tokenizerJson: files['tokenizer.json'], tokenizerConfig: files['tokenizer_config.json'] });
  process.stdout.write(JSON.stringify(texts.map((t) => tokenizer.encode(t))));
} else {
  console.error('usage: demo-tokenizer.ts side-files|encode < input.json');
  process.exit(2);
}
