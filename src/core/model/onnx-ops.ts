/**
 * A small ONNX graph builder: one helper per standard op, each returning a typed value handle
 * (name, dtype, shape). Shapes are tracked loosely (symbolic dims are strings) for graph I/O and
 * for readers; ONNX Runtime does its own inference. Default-domain ops only, opset 17.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET = 17;

export type OnnxGraphErrorCode =
  | 'DUPLICATE_NAME' // two nodes or initializers share a name
  | 'SHAPE_MISMATCH'; // a weight is missing or has an unexpected shape

export class OnnxGraphError extends Error {
  override readonly name = 'OnnxGraphError';
  constructor(
    readonly code: OnnxGraphErrorCode,
    message: string,
    readonly tensor?: string,
  ) {
    super(`ONNX graph: ${tensor ? `tensor "${tensor}" ` : ''}${message}`);
  }
}

export type DType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool';
export type Dim = number | string;

export interface Value {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

const ELEM_TYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

type Attr = number | readonly number[] | { readonly tensor: onnxProto.onnx.ITensorProto };

export interface OutSpec {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  readonly name?: string;
}

export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  /** Operator domains used besides the default one (e.g. com.microsoft). */
  readonly domains = new Set<string>();
  private readonly names = new Set<string>();

  /** A float32, float16 (raw bits) or int64 constant stored as an initializer. */
  initializer(name: string, dtype: 'float32' | 'float16' | 'int64', shape: readonly number[], data: Float32Array | Uint16Array | BigInt64Array): Value {
    this.claim(name);
    this.initializers.push({ name, dataType: ELEM_TYPE[dtype], dims: [...shape], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return { name, dtype, shape };
  }

  /** A float initializer whose bytes live in an external file (`location`, at `offset`). */
  externalInitializer(name: string, dtype: 'float32' | 'float16', shape: readonly number[], location: string, offset: number, length: number): Value {
    this.claim(name);
    this.initializers.push({
      name,
      dataType: ELEM_TYPE[dtype],
      dims: [...shape],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
    });
    return { name, dtype, shape };
  }

  /** Constant float32 scalar or int64 vector, named under `scope`. */
  f32(scope: string, value: number): Value {
    return this.initializer(`${scope}/Constant`, 'float32', [], new Float32Array([value]));
  }
  i64(scope: string, values: readonly number[]): Value {
    return this.initializer(`${scope}/Constant`, 'int64', [values.length], BigInt64Array.from(values, BigInt));
  }
  i64Scalar(scope: string, value: number): Value {
    return this.initializer(`${scope}/Scalar`, 'int64', [], BigInt64Array.of(BigInt(value)));
  }

  /** One node; `out` gives its output's dtype, shape and (for graph outputs) name, else `${name}_output_0`. */
  node(opType: string, name: string, inputs: readonly Value[], out: OutSpec, attrs: Record<string, Attr> = {}, domain = ''): Value {
    return this.nodeMulti(opType, name, inputs, [out], attrs, domain)[0]!;
  }

  /**
   * A node with several outputs; a null output spec leaves that optional output unnamed (''), a
   * null input skips an optional input. Returns one handle per output spec (null ones included).
   */
  nodeMulti(opType: string, name: string, inputs: readonly (Value | null)[], outs: readonly (OutSpec | null)[], attrs: Record<string, Attr> = {}, domain = ''): Value[] {
    this.claim(name);
    const outputs = outs.map((o, i) => (o === null ? '' : (o.name ?? `${name}_output_${i}`)));
    const attribute = Object.entries(attrs).map(([key, v]): onnxProto.onnx.IAttributeProto => {
      if (typeof v === 'number') {
        return Number.isInteger(v) ? { name: key, type: onnx.AttributeProto.AttributeType.INT, i: v } : { name: key, type: onnx.AttributeProto.AttributeType.FLOAT, f: v };
      }
      if ('tensor' in v) return { name: key, type: onnx.AttributeProto.AttributeType.TENSOR, t: v.tensor };
      return { name: key, type: onnx.AttributeProto.AttributeType.INTS, ints: [...v] };
    });
    if (domain !== '') this.domains.add(domain);
    this.nodes.push({ name, opType, domain, input: inputs.map((i) => i?.name ?? ''), output: outputs, attribute });
    return outs.map((o, i) => ({ name: outputs[i]!, dtype: o?.dtype ?? 'float32', shape: o?.shape ?? [] }));
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new OnnxGraphError('DUPLICATE_NAME', `"${name}" is defined twice`);
    this.names.add(name);
  }
}

export function valueInfo(v: Value): onnxProto.onnx.IValueInfoProto {
  const dim = v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: ELEM_TYPE[v.dtype], shape: { dim } } } };
}

/** Serialized ModelProto bytes. */
export function encodeModel(g: GraphBuilder, name: string, inputs: readonly Value[], outputs: readonly Value[]): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'reasoning-vector-studio',
    opsetImport: [{ domain: '', version: OPSET }, ...[...g.domains].map((domain) => ({ domain, version: 1 }))],
    graph: { name, node: g.nodes, initializer: g.initializers, input: inputs.map(valueInfo), output: outputs.map(valueInfo) },
  });
  return onnx.ModelProto.encode(model).finish();
}

// --- one helper per op -------------------------------------------------------------------------

function broadcast(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

const binary = (op: string) => (g: GraphBuilder, name: string, a: Value, b: Value): Value =>
  g.node(op, name, [a, b], { dtype: a.dtype, shape: broadcast(a.shape, b.shape) });
const unary = (op: string) => (g: GraphBuilder, name: string, x: Value): Value => g.node(op, name, [x], { dtype: x.dtype, shape: x.shape });

export const add = binary('Add');
export const sub = binary('Sub');
export const mul = binary('Mul');
export const div = binary('Div');
export const pow = binary('Pow');
export const sqrt = unary('Sqrt');
export const neg = unary('Neg');
export const sigmoid = unary('Sigmoid');
export const sin = unary('Sin');
export const cos = unary('Cos');

export function matMul(g: GraphBuilder, name: string, a: Value, b: Value): Value {
  const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return g.node('MatMul', name, [a, b], { dtype: a.dtype, shape: [...batch, a.shape.at(-2)!, b.shape.at(-1)!] });
}

export function gather(g: GraphBuilder, name: string, data: Value, indices: Value): Value {
  return g.node('Gather', name, [data, indices], { dtype: data.dtype, shape: [...indices.shape, ...data.shape.slice(1)] }, { axis: 0 });
}

export function cast(g: GraphBuilder, name: string, x: Value, to: DType): Value {
  return g.node('Cast', name, [x], { dtype: to, shape: x.shape }, { to: ELEM_TYPE[to] });
}

/** Reshape to `dims` (0 copies the input dim, as in ONNX). */
export function reshape(g: GraphBuilder, name: string, x: Value, dims: readonly number[]): Value {
  const shape = dims.map((d, i) => (d === 0 ? x.shape[i]! : d));
  return g.node('Reshape', name, [x, g.i64(name, dims)], { dtype: x.dtype, shape });
}

export function transpose(g: GraphBuilder, name: string, x: Value, perm: readonly number[]): Value {
  return g.node('Transpose', name, [x], { dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }, { perm });
}

export function unsqueeze(g: GraphBuilder, name: string, x: Value, axes: readonly number[]): Value {
  const shape = [...x.shape];
  for (const a of [...axes].sort((p, q) => p - q)) shape.splice(a < 0 ? shape.length + 1 + a : a, 0, 1);
  return g.node('Unsqueeze', name, [x, g.i64(name, axes)], { dtype: x.dtype, shape });
}

export function reduceMean(g: GraphBuilder, name: string, x: Value, axis: number): Value {
  const shape = x.shape.map((d, i) => (i === (axis + x.shape.length) % x.shape.length ? 1 : d));
  return g.node('ReduceMean', name, [x], { dtype: x.dtype, shape }, { axes: [axis], keepdims: 1 });
}

export function softmax(g: GraphBuilder, name: string, x: Value, axis: number): Value {
  return g.node('Softmax', name, [x], { dtype: x.dtype, shape: x.shape }, { axis });
}

/** x[..., start:end] along `axis` (static bounds). */
export function slice(g: GraphBuilder, name: string, x: Value, axis: number, start: number, end: number): Value {
  const ax = (axis + x.shape.length) % x.shape.length;
  const shape = x.shape.map((d, i) => (i === ax ? end - start : d));
  const starts = g.initializer(`${name}/starts`, 'int64', [1], BigInt64Array.of(BigInt(start)));
  const ends = g.initializer(`${name}/ends`, 'int64', [1], BigInt64Array.of(BigInt(end)));
  const axes = g.initializer(`${name}/axes`, 'int64', [1], BigInt64Array.of(BigInt(axis)));
  return g.node('Slice', name, [x, starts, ends, axes], { dtype: x.dtype, shape });
}

export function concat(g: GraphBuilder, name: string, xs: readonly Value[], axis: number): Value {
  const first = xs[0]!;
  const ax = (axis + first.shape.length) % first.shape.length;
  const sizes = xs.map((x) => x.shape[ax]!);
  const total: Dim = sizes.every((s) => typeof s === 'number') ? (sizes as number[]).reduce((p, q) => p + q, 0) : '?';
  return g.node('Concat', name, xs, { dtype: first.dtype, shape: first.shape.map((d, i) => (i === ax ? total : d)) }, { axis });
}

export function shapeOf(g: GraphBuilder, name: string, x: Value): Value {
  return g.node('Shape', name, [x], { dtype: 'int64', shape: [x.shape.length] });
}

/** A float32 tensor of `shape` (an int64 vector value) filled with `value`. */
export function constantOfShape(g: GraphBuilder, name: string, shape: Value, dims: readonly Dim[], value: number): Value {
  const tensor = { dataType: ELEM_TYPE.float32, dims: [1], floatData: [value] };
  return g.node('ConstantOfShape', name, [shape], { dtype: 'float32', shape: dims }, { value: { tensor } });
}

/** y = a·bᵀ (+ c): a [M, K], b [N, K] (the Hugging Face [out, in] layout), c [N]. */
export function gemmTransB(g: GraphBuilder, name: string, a: Value, b: Value, c: Value | null): Value {
  return g.node('Gemm', name, c ? [a, b, c] : [a, b], { dtype: a.dtype, shape: [a.shape[0]!, b.shape[0]!] }, { transB: 1 });
}

/** [start, limit) step 1, int64 scalars in. */
export function range(g: GraphBuilder, name: string, start: Value, limit: Value, size: Dim): Value {
  return g.node('Range', name, [start, limit, g.i64Scalar(name, 1)], { dtype: 'int64', shape: [size] });
}

export function lessOrEqual(g: GraphBuilder, name: string, a: Value, b: Value): Value {
  return g.node('LessOrEqual', name, [a, b], { dtype: 'bool', shape: broadcast(a.shape, b.shape) });
}

export function and(g: GraphBuilder, name: string, a: Value, b: Value): Value {
  return g.node('And', name, [a, b], { dtype: 'bool', shape: broadcast(a.shape, b.shape) });
}

export function where(g: GraphBuilder, name: string, cond: Value, a: Value, b: Value): Value {
  return g.node('Where', name, [cond, a, b], { dtype: a.dtype, shape: broadcast(cond.shape, broadcast(a.shape, b.shape)) });
}

/** Element `index` of a 1-D int64 tensor, as a scalar. */
export function element(g: GraphBuilder, name: string, x: Value, index: number): Value {
  return g.node('Gather', name, [x, g.i64Scalar(name, index)], { dtype: x.dtype, shape: [] }, { axis: 0 });
}

/** Reshape to a shape held in a value (an int64 vector). */
export function reshapeTo(g: GraphBuilder, name: string, x: Value, shape: Value, dims: readonly Dim[]): Value {
  return g.node('Reshape', name, [x, shape], { dtype: x.dtype, shape: dims });
}

/** Lower (upper = 0) or upper triangle of the last two dims. */
export function trilu(g: GraphBuilder, name: string, x: Value, upper: 0 | 1): Value {
  return g.node('Trilu', name, [x], { dtype: x.dtype, shape: x.shape }, { upper });
}
