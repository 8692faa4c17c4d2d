import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../io/bytes.ts';
import { EvalError } from './errors.ts';
import { loadDocs } from './load.ts';
import { asyncBufferOf, readParquetRows } from './parquet.ts';
import { gsm8k } from './tasks/gsm8k.ts';
import { sciq } from './tasks/sciq.ts';
import { writeParquet } from '../testing/parquet-writer.ts';

/** Bytes as a range-read source that records each read. */
function memorySource(bytes: Uint8Array, name: string, reads: [number, number][]): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      reads.push([offset, length]);
      if (offset + length > bytes.length) throw new RangeError('past the end');
      return bytes.slice(offset, offset + length);
    },
  };
}

const GSM8K = {
  question: ['Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?', 'Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she earn?'],
  answer: ['Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72', 'Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\nWorking 50 minutes, she earned 0.2 x 50 = $<<0.2*50=10>>10.\n#### 10'],
};

describe('readParquetRows (hyparquet) on files written from the format specification', () => {
  it('reads the openai/gsm8k layout, uncompressed and Snappy', async () => {
    for (const codec of ['UNCOMPRESSED', 'SNAPPY'] as const) {
      const rows = await readParquetRows(writeParquet(GSM8K, codec), 'train-00000-of-00001.parquet');
      expect(rows).toEqual([
        { value: { question: GSM8K.question[0], answer: GSM8K.answer[0] }, line: undefined, where: 'row 0' },
        { value: { question: GSM8K.question[1], answer: GSM8K.answer[1] }, line: undefined, where: 'row 1' },
      ]);
    }
  });
  it('reads only the columns asked for, from a range-read source', async () => {
    const bytes = writeParquet({ id: ['a', 'b'], question: ['q1', 'q2 — ünïcode'], answer: ['x', 'y'] }, 'SNAPPY');
    const reads: [number, number][] = [];
    const source = memorySource(bytes, 'data.parquet', reads);
    const rows = await readParquetRows(source, 'data.parquet', { columns: ['question'] });
    expect(rows.map((r) => r.value)).toEqual([{ question: 'q1' }, { question: 'q2 — ünïcode' }]);
    expect(reads.length).toBeGreaterThan(0);
  });
  it('fails naming the file: not Parquet, a missing column', async () => {
    await expect(readParquetRows(new TextEncoder().encode('{"question": "q"}\n'), 'oops.parquet')).rejects.toThrow(/^oops\.parquet: not a Parquet file hyparquet can read/);
    const err = await readParquetRows(writeParquet(GSM8K), 'g.parquet', { columns: ['question', 'solution'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvalError);
    expect((err as EvalError).code).toBe('BAD_PARQUET');
    expect((err as EvalError).message).toBe('g.parquet: no column "solution" (columns: question, answer)');
  });
  it('loadDocs routes .parquet to hyparquet and checks the layout (sciq, gsm8k)', async () => {
    const sciqFile = writeParquet({
      question: ['What is the unit of force?'],
      distractor3: ['pascal'],
      distractor1: ['joule'],
      distractor2: ['watt'],
      correct_answer: ['newton'],
      support: [''],
    });
    expect(await loadDocs(sciq, sciqFile, 'test-00000-of-00001.parquet')).toEqual([
      { question: 'What is the unit of force?', distractor1: 'joule', distractor2: 'watt', distractor3: 'pascal', correct_answer: 'newton', support: '' },
    ]);
    expect(await loadDocs(gsm8k, writeParquet(GSM8K, 'SNAPPY').buffer as ArrayBuffer, 'x.PARQUET')).toEqual([
      { question: GSM8K.question[0], answer: GSM8K.answer[0] },
      { question: GSM8K.question[1], answer: GSM8K.answer[1] },
    ]);
    await expect(loadDocs(sciq, writeParquet(GSM8K), 'g.parquet')).rejects.toThrow(/g\.parquet: no column "distractor1", "distractor2", "distractor3", "correct_answer", "support"/);
  });
  it('asyncBufferOf gives exact ArrayBuffers for views into larger buffers', async () => {
    const big = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const view = big.subarray(2, 5);
    const buf = asyncBufferOf(view);
    expect(buf.byteLength).toBe(3);
    expect([...new Uint8Array(await buf.slice(1, 3))]).toEqual([2, 3]);
  });
});
