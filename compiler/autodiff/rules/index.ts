// The gradient rules, one per op kind, in an exhaustive record: adding an op kind to
// compiler/ir/ops.ts without deciding its gradient fails to compile here.
// Comparisons have bool outputs and LabelEncoder int64 ones, so no gradient flows through them.

import type { OpKind } from "../../ir/ops.js";
import type { RuleEntry } from "../rule.js";
import { Abs } from "./Abs.js";
import { Add } from "./Add.js";
import { Call } from "./Call.js";
import { Cast } from "./Cast.js";
import { Clip } from "./Clip.js";
import { Concat } from "./Concat.js";
import { Div } from "./Div.js";
import { Elu } from "./Elu.js";
import { Erf } from "./Erf.js";
import { Exp } from "./Exp.js";
import { Expand } from "./Expand.js";
import { Gather } from "./Gather.js";
import { Identity } from "./Identity.js";
import { LeakyRelu } from "./LeakyRelu.js";
import { Log } from "./Log.js";
import { LogSoftmax } from "./LogSoftmax.js";
import { MatMul } from "./MatMul.js";
import { Max } from "./Max.js";
import { Min } from "./Min.js";
import { Mul } from "./Mul.js";
import { Neg } from "./Neg.js";
import { Pow } from "./Pow.js";
import { ReduceMax } from "./ReduceMax.js";
import { ReduceMean } from "./ReduceMean.js";
import { ReduceSum } from "./ReduceSum.js";
import { Relu } from "./Relu.js";
import { Reshape } from "./Reshape.js";
import { ScatterAdd } from "./ScatterAdd.js";
import { Sigmoid } from "./Sigmoid.js";
import { Slice } from "./Slice.js";
import { Softmax } from "./Softmax.js";
import { Split } from "./Split.js";
import { Sqrt } from "./Sqrt.js";
import { Squeeze } from "./Squeeze.js";
import { Sub } from "./Sub.js";
import { Tanh } from "./Tanh.js";
import { Transpose } from "./Transpose.js";
import { Unsqueeze } from "./Unsqueeze.js";
import { Where } from "./Where.js";

/** Every op kind's gradient rule, or "not-differentiable". */
export const GRAD_RULES: { readonly [K in OpKind]: RuleEntry<K> } = {
  Neg,
  Exp,
  Log,
  Sqrt,
  Abs,
  Relu,
  LeakyRelu,
  Elu,
  Sigmoid,
  Tanh,
  Erf,
  Pow,
  Clip,
  Identity,
  Cast,
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Min,
  Greater: "not-differentiable",
  Less: "not-differentiable",
  Equal: "not-differentiable",
  Where,
  MatMul,
  ReduceSum,
  ReduceMean,
  ReduceMax,
  Softmax,
  LogSoftmax,
  Concat,
  Slice,
  Split,
  Reshape,
  Transpose,
  Unsqueeze,
  Squeeze,
  Expand,
  Gather,
  ScatterAdd,
  LabelEncoder: "not-differentiable",
  StringHash: "not-differentiable",
  Call,
};
