// IR -> ModelProto: deterministic bytes, initializers, value_info, explicit zero attributes,
// opset-dependent signatures, and models that load in onnxruntime at every supported opset.

import { fromBinary, isFieldSet } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Builder } from "../../../compiler/ir/graph.js";
import { initialValues } from "../../../compiler/ir/init.js";
import { BATCH } from "../../../compiler/ir/ops.js";
import { Random } from "../../../base/random.js";
import { emitModel, IR_VERSION_FOR_OPSET, toModelProto } from "../../../compiler/onnx/emit.js";
import { AttributeProtoSchema, ModelProtoSchema, type ModelProto } from "../../../compiler/onnx/gen/onnx-subset_pb.js";
import { InvariantError } from "../../../base/source/diagnostic.js";
import { towerGraph } from "../ir/fixtures.js";
import { evaluate, refTensor, type RefTensor } from "../ir/reference.js";
import { expectClose } from "./op-cases.js";
import { runModel } from "./ort.js";

function xFeed(batch = 5): RefTensor {
  const rng = Random.derive(0, "x");
  return { dtype: "float32", shape: [batch, 16], data: Array.from({ length: batch * 16 }, () => Math.fround(rng.normal())) };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("emitModel", () => {
  it("gives byte-identical output for the same graph, built twice or emitted twice", () => {
    const a = emitModel(towerGraph(), { seed: 7 });
    expect(hex(emitModel(towerGraph(), { seed: 7 }))).toBe(hex(a));
    const g = towerGraph();
    expect(hex(emitModel(g, { seed: 7 }))).toBe(hex(emitModel(g, { seed: 7 })));
    expect(hex(emitModel(g, { seed: 8 }))).not.toBe(hex(a));
  });

  it("writes params as initializers with their seeded initial values and runs them", async () => {
    const g = towerGraph();
    const bytes = emitModel(g, { seed: 7 });
    const model = fromBinary(ModelProtoSchema, bytes);
    expect(model.graph!.initializer.map((t) => t.name)).toEqual([
      "income/tower/dense0/weight",
      "income/tower/dense0/bias",
      "income/tower/dense0/log_alpha",
      "income/tower/dense1/weight",
      "const/float32/-0.1",
      "const/float32/1.1",
      "const/int64[1]/1",
    ]);
    const x = xFeed();
    const feeds: Record<string, RefTensor> = { x };
    for (const [name, data] of initialValues(g, 7)) feeds[name] = refTensor("float32", g.params.find((p) => p.value.name === name)!.value.shape as number[], data);
    const expected = evaluate(g, feeds).get("income/tower/score")!;
    const actual = await runModel(bytes, { x });
    expectClose(actual["income/tower/score"]!, expected, 1e-5);
  });

  it("takes params as inputs after the declared inputs for a training step", async () => {
    const g = towerGraph();
    const model = toModelProto(g, { params: "inputs" });
    expect(model.graph!.input.map((v) => v.name)).toEqual(["x", ...g.params.map((p) => p.value.name)]);
    expect(model.graph!.initializer.map((t) => t.name)).toEqual(["const/float32/-0.1", "const/float32/1.1", "const/int64[1]/1"]);
    const feeds: Record<string, RefTensor> = { x: xFeed(2) };
    for (const [name, data] of initialValues(g, 3)) feeds[name] = refTensor("float32", g.params.find((p) => p.value.name === name)!.value.shape as number[], data);
    const actual = await runModel(emitModel(g, { params: "inputs" }), feeds);
    expectClose(actual["income/tower/score"]!, evaluate(g, feeds).get("income/tower/score")!, 1e-5);
  });

  it("uses given param values over drawn ones", () => {
    const g = towerGraph();
    const bias = new Float32Array(32).fill(0.25);
    const model = toModelProto(g, { seed: 7, paramValues: new Map([["income/tower/dense0/bias", bias]]) });
    const raw = model.graph!.initializer.find((t) => t.name === "income/tower/dense0/bias")!.rawData;
    expect(hex(raw.slice(0, 8))).toBe("0000803e0000803e");
    expect(() => toModelProto(g)).toThrow(new InvariantError("Param income/tower/dense0/weight has no value and no seed was given to draw one."));
  });

  it("writes raw_data little-endian and value_info with the symbolic batch", () => {
    const model = toModelProto(towerGraph(), { seed: 7 });
    const init = (name: string) => model.graph!.initializer.find((t) => t.name === name)!;
    expect([hex(init("const/float32/1.1").rawData), init("const/float32/1.1").dataType, init("const/float32/1.1").dims]).toEqual(["cdcc8c3f", 1, []]);
    expect([hex(init("const/int64[1]/1").rawData), init("const/int64[1]/1").dataType, init("const/int64[1]/1").dims]).toEqual(["0100000000000000", 7, [1n]]);
    const dims = (v: ModelProto["graph"]) => v!.input[0]!.type!.value.value!.shape!.dim.map((d) => d.value.value);
    expect(dims(model.graph)).toEqual(["batch", 16n]);
    expect(model.graph!.output.map((o) => [o.name, o.type!.value.value!.shape!.dim.map((d) => d.value.value)])).toEqual([["income/tower/score", ["batch"]]]);
    expect([Number(model.irVersion), model.producerName, model.opsetImport.map((o) => `${o.domain || "ai.onnx"}:${o.version}`)]).toEqual([8, "mssmc", ["ai.onnx:17", "ai.mssm:1"]]);
  });

  it("writes attributes whose value is zero (proto2 presence)", () => {
    const b = new Builder("zeros");
    const x = b.input("x", "float32", [BATCH, 4]);
    b.output(b.reduceSum(b.softmax(x, 0), [1], false));
    const model = fromBinary(ModelProtoSchema, emitModel(b.finish()));
    const attrs = model.graph!.node.flatMap((n) => n.attribute.map((a) => [n.opType, a.name, Number(a.i), isFieldSet(a, AttributeProtoSchema.field.i)]));
    expect(attrs).toEqual([
      ["Softmax", "axis", 0, true],
      ["ReduceSum", "keepdims", 0, true],
    ]);
  });

  it("gives ReduceMean its axes as an attribute up to opset 17 and as an input from 18", () => {
    const b = new Builder("mean");
    b.output(b.reduceMean(b.input("x", "float32", [BATCH, 4]), [1], true));
    const g = b.finish();
    const node = (opset: number) => toModelProto(g, { opset }).graph!.node[0]!;
    expect([node(17).input, node(17).attribute.map((a) => `${a.name}=${a.ints.join(",") || a.i}`)]).toEqual([["x"], ["axes=1", "keepdims=1"]]);
    expect([node(18).input, node(18).attribute.map((a) => `${a.name}=${a.i}`)]).toEqual([["x", "const/int64[1]/1"], ["keepdims=1"]]);
  });

  it("reads a moved symbolic dimension's size from the first input that has it", () => {
    const b = new Builder("moved");
    b.output(b.reshape(b.input("x", "float32", [2, BATCH, 3]), [BATCH, 6], "y"));
    const nodes = toModelProto(b.finish()).graph!.node.map((n) => `${n.opType}(${n.input.join(", ")}) -> ${n.output.join(", ")}`);
    expect(nodes).toEqual([
      "Shape(x) -> onnx/size/batch",
      "Concat(onnx/size/batch, const/int64[1]/6) -> y/shape",
      "Reshape(x, y/shape) -> y",
    ]);
  });

  it("rejects opsets outside 17..26", () => {
    expect(() => toModelProto(towerGraph(), { opset: 16, seed: 1 })).toThrow(new InvariantError("Opset 16 is not supported; mssmc emits opsets 17 to 26."));
  });

  for (const opset of Object.keys(IR_VERSION_FOR_OPSET).map(Number)) {
    it(`emits a model onnxruntime loads and runs at opset ${opset} (IR ${IR_VERSION_FOR_OPSET[opset]})`, async () => {
      const g = towerGraph();
      const x = xFeed(3);
      const at17 = await runModel(emitModel(g, { seed: 7 }), { x });
      const actual = await runModel(emitModel(g, { seed: 7, opset }), { x });
      expectClose(actual["income/tower/score"]!, at17["income/tower/score"]!, 0);
    });
  }
});
