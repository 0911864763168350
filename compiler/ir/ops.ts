// The primitive ops of the model IR. An op has one name everywhere: its IR kind here, its
// gradient rule (compiler/autodiff/rules/<Kind>.ts) and its ONNX lowering (compiler/onnx/lower.ts).
// Composites (BCE with logits, gelu, layer norm, ...) are built from these by later code.
//
// Attributes are stored normalized: every axis is in 0..rank-1 (the builder resolves negative
// axes), so passes never have to.

/** Element types: float64 exists for gradient checks, string for the exported model's raw inputs. */
export type DType = "float32" | "float64" | "int64" | "bool" | "string";

/** A dimension: a size, or the name of a size known only at run time (like "batch"). */
export type Dim = number | string;

/** A tensor shape; [] is a scalar. */
export type Shape = readonly Dim[];

/** The symbolic batch dimension every example-indexed tensor has first. */
export const BATCH = "batch";

/** An op without attributes. */
export type NoAttributes = Record<string, never>;

/** Reductions over `axes` (sorted, distinct); `keepdims` keeps them as size-1 dimensions. */
export interface ReduceAttributes {
  axes: readonly number[];
  keepdims: boolean;
}

/** The attributes of every op kind. The keys of this record are the op kinds. */
export interface OpAttributes {
  // Element-wise, one input: y = f(x).
  Neg: NoAttributes;
  Exp: NoAttributes;
  Log: NoAttributes;
  Sqrt: NoAttributes;
  Abs: NoAttributes;
  Relu: NoAttributes;
  /** y = x if x >= 0 else alpha * x */
  LeakyRelu: { alpha: number };
  /** y = x if x >= 0 else alpha * (exp(x) - 1) */
  Elu: { alpha: number };
  Sigmoid: NoAttributes;
  Tanh: NoAttributes;
  Erf: NoAttributes;
  /** y = x ^ exponent, with a constant exponent. */
  Pow: { exponent: number };
  /** y = min(max(x, min), max); an absent bound does not clip. */
  Clip: { min?: number; max?: number };
  Identity: NoAttributes;
  /** Converts the element type. */
  Cast: { to: DType };

  // Element-wise, two or three inputs, numpy broadcasting.
  Add: NoAttributes;
  Sub: NoAttributes;
  Mul: NoAttributes;
  Div: NoAttributes;
  Max: NoAttributes;
  Min: NoAttributes;
  Greater: NoAttributes;
  Less: NoAttributes;
  Equal: NoAttributes;
  /** y = cond ? a : b (inputs: cond, a, b). */
  Where: NoAttributes;

  /** numpy matmul: [..., m, k] x [..., k, n] -> [..., m, n], leading dims broadcast. */
  MatMul: NoAttributes;

  ReduceSum: ReduceAttributes;
  ReduceMean: ReduceAttributes;
  ReduceMax: ReduceAttributes;
  /** y = exp(x) / sum(exp(x)) along `axis`. */
  Softmax: { axis: number };
  /** y = x - log(sum(exp(x))) along `axis`. */
  LogSoftmax: { axis: number };

  // Structure.
  /** Joins its inputs along `axis`. */
  Concat: { axis: number };
  /** Static slice: for each listed axis, elements start, start+step, ... < end (positive steps, in range). */
  Slice: { starts: readonly number[]; ends: readonly number[]; axes: readonly number[]; steps: readonly number[] };
  /**
   * Cuts `axis` into consecutive pieces of the given sizes; one output per piece. A size may be
   * symbolic (a run-time size), when the axis is the joined size of those symbols (see Concat).
   */
  Split: { axis: number; sizes: readonly Dim[] };
  /** Same elements in a new shape; a symbolic dimension means that run-time size. */
  Reshape: { shape: Shape };
  /** Output dimension i is input dimension perm[i]. */
  Transpose: { perm: readonly number[] };
  /** Inserts size-1 dimensions at these output positions (sorted). */
  Unsqueeze: { axes: readonly number[] };
  /** Removes these size-1 dimensions (sorted). */
  Squeeze: { axes: readonly number[] };
  /** Broadcasts to numpy-broadcast(input shape, shape). */
  Expand: { shape: Shape };
  /** Picks entries of `data` along `axis` by int64 `indices`: out = data.shape[:axis] + indices.shape + data.shape[axis+1:]. */
  Gather: { axis: number };
  /**
   * out = data, then out[indices[p], ...] += updates[p, ...] for every index position p (repeated
   * indices add up). Inputs: data [n, ...rest], int64 indices [...i], updates [...i, ...rest].
   * It is the gradient of Gather along axis 0 (embedding rows).
   */
  ScatterAdd: NoAttributes;

  /**
   * Maps each string of the input to an int64: values[i] where it equals keys[i], else
   * defaultValue (ONNX ai.onnx.ml LabelEncoder; the exported model's vocabulary lookup).
   */
  LabelEncoder: { keys: readonly string[]; values: readonly number[]; defaultValue: number };
  /**
   * Maps each string of the input to an int64 bucket: MurmurHash3 (x86, 32-bit, seed 0) of its
   * UTF-8 bytes, modulo `buckets` (the exported model's hashed vocabulary; runtime/data/vocab.ts).
   */
  StringHash: { buckets: number };

  /** Applies a local function (a FunctionDef, instantiated by compiler/ir/graph.ts) by name to its inputs. */
  Call: { function: string };
}

/** The kind of an op, as it is named in the IR, in gradient rules and in ONNX. */
export type OpKind = keyof OpAttributes;

/** Every op kind, in a fixed order (exhaustive: a missing key fails to compile). */
export const OP_KINDS = Object.keys({
  Neg: 0, Exp: 0, Log: 0, Sqrt: 0, Abs: 0, Relu: 0, LeakyRelu: 0, Elu: 0, Sigmoid: 0, Tanh: 0, Erf: 0,
  Pow: 0, Clip: 0, Identity: 0, Cast: 0,
  Add: 0, Sub: 0, Mul: 0, Div: 0, Max: 0, Min: 0, Greater: 0, Less: 0, Equal: 0, Where: 0,
  MatMul: 0, ReduceSum: 0, ReduceMean: 0, ReduceMax: 0, Softmax: 0, LogSoftmax: 0,
  Concat: 0, Slice: 0, Split: 0, Reshape: 0, Transpose: 0, Unsqueeze: 0, Squeeze: 0, Expand: 0, Gather: 0, ScatterAdd: 0,
  LabelEncoder: 0, StringHash: 0, Call: 0,
} satisfies Record<OpKind, 0>) as OpKind[];

/** True for the floating-point element types. */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** The number of elements of a shape without symbolic dimensions. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** True when every dimension is a number. */
export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === "number");
}

/** Writes a type as in the text form: `float32[batch,32]`. */
export function formatType(dtype: DType, shape: Shape): string {
  return `${dtype}[${shape.join(",")}]`;
}
