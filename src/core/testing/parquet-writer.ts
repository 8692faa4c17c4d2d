/**
 * A minimal Parquet writer for tests, written from the format specification (apache/parquet-format's
 * parquet.thrift and the Thrift compact protocol), independent of hyparquet: one row group, one
 * v1 data page a column, required UTF-8 BYTE_ARRAY columns, PLAIN encoding, either uncompressed or
 * Snappy (literal-only Snappy blocks, which every Snappy decoder must accept). Used by
 * eval/parquet.test.ts and by the browser tests that serve Parquet files (e2e/hub-datasets.spec.ts).
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
