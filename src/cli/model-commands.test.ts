/**
 * `rvs logits | generate | export-onnx` end to end: the real CLI on a tiny checkpoint with a
 * synthetic tokenizer, checked against the float64 reference; the export loaded by onnxruntime.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCheckpoint, openCheckpoint } from '../core/checkpoint/checkpoint.ts';
import { TINY_QWEN2_CHAT, writeFamilyMember } from '../core/checkpoint/synthetic.ts';
import { parseDecoderConfig } from '../core/model/config.ts';
import { OnnxLanguageModel } from '../core/model/onnx-lm.ts';
import { loadWeights, referenceLogits } from '../core/model/reference.ts';
import { referenceGreedy, relError, type TinyModel } from '../core/testing/model.ts';
import { tensorValues } from '../core/testing/reference.ts';
import { loadTokenizerFromFolder } from '../core/text/tokenizer.ts';
import { createOutputFolder, openFolder } from '../node/fs-folder.ts';
import { rvs } from './testing.ts';
import { readAllWeightsF32 } from '../core/model/weights.ts';

ort.env.wasm.numThreads = 1;

let tmp = '';
let modelDir = '';
let m: TinyModel;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rvs-model-cli-'));
  modelDir = join(tmp, 'model');
  const out = await createOutputFolder(modelDir);
  await writeFamilyMember({ shape: { ...TINY_QWEN2_CHAT, tiedEmbeddings: false }, dtype: 'F16', member: 'target', out, tokenizer: true });
  const checkpoint = await openCheckpoint(await openFolder(modelDir));
  m = { checkpoint, config: parseDecoderConfig(checkpoint.config), reference: await loadWeights(checkpoint), f32: await readAllWeightsF32(checkpoint) };
});
afterAll(async () => {
  await closeCheckpoint(m.checkpoint);
  await rm(tmp, { recursive: true, force: true });
});

describe('rvs logits', () => {
  it('writes [tokens, vocab] float32 logits matching the reference', async () => {
    const ids = [5, 77, 300, 12, 9];
    const file = join(tmp, 'logits.safetensors');
    const r = await rvs('logits', '--model', modelDir, '--ids', ids.join(','), '--out', file);
    expect(r.code, r.stderr).toBe(0);
    const folder = await openFolder(tmp);
    const saved = await openCheckpoint({ ...folder, list: async () => ['logits.safetensors'] });
    const loc = saved.tensors.get('logits')!;
    expect(loc.info.dtype).toBe('F32');
    expect(loc.info.shape).toEqual([ids.length, m.config.vocabSize]);
    const values = await tensorValues(saved, 'logits');
    await closeCheckpoint(saved);
    referenceLogits(m.reference, m.config, ids).forEach((row, p) => {
      expect(relError(values.subarray(p * m.config.vocabSize, (p + 1) * m.config.vocabSize), row)).toBeLessThanOrEqual(1e-4);
    });
  });

  it('rejects a token id outside the vocabulary with exit 2 and one line', async () => {
    const r = await rvs('logits', '--model', modelDir, '--ids', `1,${m.config.vocabSize}`, '--out', join(tmp, 'bad.safetensors'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rvs: .*token id 320 is outside \[0, 320\)\n$/);
    expect(await readdir(tmp)).not.toContain('bad.safetensors');
  });
});

describe('rvs generate', () => {
  it('--ids --json: the reference greedy tokens on the last line', async () => {
    const ids = [40, 41, 42, 43];
    const r = await rvs('generate', '--model', modelDir, '--ids', ids.join(','), '--max-new-tokens', '6', '--json');
    expect(r.code, r.stderr).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ids: number[]; text: string };
    const want = referenceGreedy(m, ids, 6);
    const eos = (await loadTokenizerFromFolder(await openFolder(modelDir))).eosTokenIds;
    const stop = want.findIndex((id) => eos.includes(id));
    expect(last.ids).toEqual(stop >= 0 ? want.slice(0, stop + 1) : want);
  });

  it('--prompt --chat: the chat template, then greedy decoding, text decoded', async () => {
    const tok = await loadTokenizerFromFolder(await openFolder(modelDir));
    const prompt = tok.encode(tok.applyChatTemplate([{ role: 'user', content: 'What is 2+2?' }], { addGenerationPrompt: true }));
    const r = await rvs('generate', '--model', modelDir, '--prompt', 'What is 2+2?', '--chat', '--max-new-tokens', '5', '--json');
    expect(r.code, r.stderr).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ids: number[]; text: string };
    const want = referenceGreedy(m, prompt, 5);
    const stop = want.findIndex((id) => tok.eosTokenIds.includes(id));
    expect(last.ids).toEqual(stop >= 0 ? want.slice(0, stop + 1) : want);
    expect(last.text).toBe(tok.decode(last.ids, { skipSpecialTokens: true }));
  });

  it('needs exactly one of --prompt and --ids', async () => {
    const r = await rvs('generate', '--model', modelDir, '--max-new-tokens', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('rvs: give exactly one of --prompt and --ids\n');
  });
});

describe('rvs export-onnx', () => {
  it.each(['f32', 'f16'] as const)('--dtype %s: a transformers.js folder whose model gives the reference logits', async (dtype) => {
    const out = join(tmp, `onnx-${dtype}`);
    const r = await rvs('export-onnx', '--model', modelDir, '--out', out, '--dtype', dtype);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['config.json', 'generation_config.json', 'onnx', 'tokenizer.json', 'tokenizer_config.json']);
    expect((await readdir(join(out, 'onnx'))).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config['transformers.js_config']).toMatchObject({ use_external_data_format: true });
    const session = await ort.InferenceSession.create(new Uint8Array(await readFile(join(out, 'onnx/model.onnx'))), {
      externalData: [{ path: 'model.onnx_data', data: new Uint8Array(await readFile(join(out, 'onnx/model.onnx_data'))) }],
    });
    expect(session.inputNames).not.toContain('num_logits_to_keep');
    // The checkpoint is float16, so a float16 export loses nothing.
    const lm = new OnnxLanguageModel({ ort, session, config: m.config, batchSize: 1, padTokenId: 0 });
    const ids = [3, 1, 4, 1, 5];
    const logits = await lmLogits(lm, ids);
    referenceLogits(m.reference, m.config, ids).forEach((row, p) => {
      expect(relError(logits.subarray(p * m.config.vocabSize, (p + 1) * m.config.vocabSize), row)).toBeLessThanOrEqual(1e-4);
    });
  });
});

/** Logits through a session without `num_logits_to_keep` (an export): every position is returned. */
async function lmLogits(lm: OnnxLanguageModel, ids: number[]): Promise<Float32Array> {
  return lm.logits(ids);
}
