import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../io/bytes.ts';
import { EvalError } from './errors.ts';
import { loadDocs } from './load.ts';
import { asyncBufferOf, readParquetRows } from './parquet.ts';
import { gsm8k } from './tasks/gsm8k.ts';
import { sciq } from './tasks/sciq.ts';

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

/*
 * A minimal Parquet writer, written from the format specification (apache/parquet-format's
 * parquet.thrift and the Thrift compact protocol), independent of hyparquet: one row group, one
 * v1 data page a column, required UTF-8 BYTE_ARRAY columns, PLAIN encoding, either uncompressed or
 * Snappy (literal-only Snappy blocks, which every Snappy decoder must accept).
 */
class Compact {
  readonly bytes: number[] = [];
  private last: number[] = [0];
  private varint(n: bigint): void {
    let v = n;
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }
  private zigzag(n: number | bigint): void {
    const v = BigInt(n);
    this.varint(v >= 0n ? v << 1n : (-v << 1n) - 1n);
  }
  private header(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1]!;
    this.bytes.push(((delta > 0 && delta <= 15 ? delta : 0) << 4) | type);
    if (!(delta > 0 && delta <= 15)) this.zigzag(id);
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number): this {
    this.header(id, 5);
    this.zigzag(v);
    return this;
  }
  i64(id: number, v: number): this {
    this.header(id, 6);
    this.zigzag(v);
    return this;
  }
  binary(id: number, s: string): this {
    this.header(id, 8);
    const b = new TextEncoder().encode(s);
    this.varint(BigInt(b.length));
    this.bytes.push(...b);
    return this;
  }
  struct(id: number, body: (w: this) => void): this {
    this.header(id, 12);
    this.last.push(0);
    body(this);
    this.bytes.push(0);
    this.last.pop();
    return this;
  }
  /** A list of i32 (type 5), binary (8) or structs (12). */
  list<T>(id: number, elemType: 5 | 8 | 12, items: readonly T[], write: (w: this, item: T) => void): this {
    this.header(id, 9);
    if (items.length < 15) this.bytes.push((items.length << 4) | elemType);
    else {
      this.bytes.push(0xf0 | elemType);
      this.varint(BigInt(items.length));
    }
    for (const item of items) write(this, item);
    return this;
  }
  rawI32(v: number): void {
    this.zigzag(v);
  }
  rawBinary(s: string): void {
    const b = new TextEncoder().encode(s);
    this.varint(BigInt(b.length));
    this.bytes.push(...b);
  }
  rawStruct(body: (w: this) => void): void {
    this.last.push(0);
    body(this);
    this.bytes.push(0);
    this.last.pop();
  }
}

function snappyLiteral(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let n = data.length;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  for (let at = 0; at < data.length; at += 60) {
    const chunk = data.subarray(at, Math.min(at + 60, data.length));
    out.push((chunk.length - 1) << 2, ...chunk);
  }
  return new Uint8Array(out);
}

/** A Parquet file of required string columns. */
export function writeParquet(columns: Record<string, readonly string[]>, codec: 'UNCOMPRESSED' | 'SNAPPY' = 'UNCOMPRESSED'): Uint8Array {
  const names = Object.keys(columns);
  const rows = columns[names[0]!]!.length;
  const file: number[] = [...new TextEncoder().encode('PAR1')];
  const chunks: { name: string; offset: number; size: number; raw: number }[] = [];
  for (const name of names) {
    const plain: number[] = [];
    for (const s of columns[name]!) {
      const b = new TextEncoder().encode(s);
      plain.push(b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
    }
    const data = codec === 'SNAPPY' ? snappyLiteral(new Uint8Array(plain)) : new Uint8Array(plain);
    const page = new Compact();
    page.rawStruct((w) =>
      w
        .i32(1, 0) // DATA_PAGE
        .i32(2, plain.length)
        .i32(3, data.length)
        .struct(5, (d) => d.i32(1, rows).i32(2, 0).i32(3, 3).i32(4, 3)), // PLAIN values, RLE levels
    );
    const offset = file.length;
    file.push(...page.bytes, ...data);
    chunks.push({ name, offset, size: file.length - offset, raw: page.bytes.length + plain.length });
  }
  const meta = new Compact();
  meta.rawStruct((m) =>
    m
      .i32(1, 1)
      .list(2, 12, [null, ...names], (w, name) =>
        w.rawStruct((e) => (name === null ? e.binary(4, 'schema').i32(5, names.length) : e.i32(1, 6).i32(3, 0).binary(4, name).i32(6, 0))),
      )
      .i64(3, rows)
      .list(4, 12, [0], (w) =>
        w.rawStruct((g) =>
          g
            .list(1, 12, chunks, (cw, c) =>
              cw.rawStruct((cc) =>
                cc.i64(2, c.offset).struct(3, (md) =>
                  md
                    .i32(1, 6)
                    .list(2, 5, [0, 3], (lw, e) => lw.rawI32(e))
                    .list(3, 8, [c.name], (lw, p) => lw.rawBinary(p))
                    .i32(4, codec === 'SNAPPY' ? 1 : 0)
                    .i64(5, rows)
                    .i64(6, c.raw)
                    .i64(7, c.size)
                    .i64(9, c.offset),
                ),
              ),
            )
            .i64(2, chunks.reduce((a, c) => a + c.raw, 0))
            .i64(3, rows),
        ),
      ),
  );
  const len = meta.bytes.length;
  file.push(...meta.bytes, len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, len >>> 24, ...new TextEncoder().encode('PAR1'));
  return new Uint8Array(file);
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
