// The hand-written wire encoder (compiler/onnx/wire.ts) against the library's own: the bytes
// emitModel writes, read into the generated messages and written again with toBinary, are the
// same bytes. Field order, proto2 presence (empty strings, zero attributes, empty raw_data and
// shapes), unpacked repeated scalars and nested lengths all take part.

import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { compileSpec } from "../../../compiler/compile.js";
import { Builder } from "../../../compiler/ir/graph.js";
import { BATCH } from "../../../compiler/ir/ops.js";
import { emitModel, toModelProto } from "../../../compiler/onnx/emit.js";
import { AttributeProtoSchema, GraphProtoSchema, ModelProtoSchema } from "../../../compiler/onnx/gen/onnx-subset_pb.js";
import { modelBytes } from "../../../compiler/onnx/wire.js";
import { packageRoot } from "../../../base/package-root.js";
import { loadSpec } from "../../../compiler/load/load.js";
import { InvariantError } from "../../../base/source/diagnostic.js";
import { towerGraph } from "../ir/fixtures.js";
import { gateModel } from "./hard-concrete-model.js";
import { buildCase, CASES } from "./op-cases.js";

/** toBinary(fromBinary(bytes)): what the library writes for the model these bytes hold. */
const rewritten = (bytes: Uint8Array) => toBinary(ModelProtoSchema, fromBinary(ModelProtoSchema, bytes));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("the wire encoder", () => {
  it.each(CASES.map((c) => [c.title, c] as const))("writes what toBinary writes: %s", (_title, c) => {
    const bytes = emitModel(buildCase(c).builder.finish(), { opset: 18 });
    expect(hex(rewritten(bytes))).toBe(hex(bytes));
  });

  it("writes what toBinary writes for initializers, functions with Constant nodes, and every opset", () => {
    for (const opset of [17, 21, 26]) {
      for (const bytes of [emitModel(towerGraph(), { seed: 7, opset }), emitModel(gateModel("float64"), { opset })]) {
        expect(hex(rewritten(bytes))).toBe(hex(bytes));
      }
    }
  });

  it("writes what toBinary writes for a whole zoo artifact (MSSM train.onnx and eval.onnx)", () => {
    const spec = loadSpec(join(packageRoot(), "specs", "zoo", "mssm.mssm")).spec!;
    const { files } = compileSpec(spec);
    for (const name of ["train.onnx", "eval.onnx"] as const) {
      const bytes = files[name];
      expect(bytes.length).toBeGreaterThan(10_000);
      expect(Buffer.from(rewritten(bytes)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it("writes a Constant node's tensor attribute and the empty shape of a scalar output", () => {
    const model = toModelProto(gateModel("float32"));
    const constant = model.functions[0]!.node[0]!;
    expect([constant.opType, constant.name, constant.input, constant.output, constant.attribute.map((a) => [a.name, a.type, a.t!.dataType, a.t!.dims, a.t!.name, hex(a.t!.rawData)])]).toEqual([
      "Constant",
      "const/float32/1",
      [],
      ["const/float32/1"],
      [["value", 4, 1, [], "", "0000803f"]],
    ]);
    const b = new Builder("scalar");
    b.output(b.reduceSum(b.input("x", "float32", [BATCH, 2]), [0, 1], false, "total"));
    const out = toModelProto(b.finish()).graph!.output[0]!;
    expect([out.name, out.type!.value.case, out.type!.value.value!.shape!.dim]).toEqual(["total", "tensorType", []]);
  });

  it("rejects a graph attribute, which mssmc never writes", () => {
    const attribute = create(AttributeProtoSchema, { name: "body", g: create(GraphProtoSchema, {}) });
    const node = { name: "y", opType: "If", inputs: ["c"], outputs: ["y"], attributes: [attribute], domain: "", doc: "" };
    const graph = { name: "g", doc: "", nodes: [node], initializers: [], inputs: [], outputs: [] };
    expect(() => modelBytes({ irVersion: 8, producerName: "mssmc", producerVersion: "0", graph, opsetImport: [], functions: [] })).toThrow(
      new InvariantError("Attribute body: only scalar, string and list attributes are written from messages (a tensor is a TensorAttribute)."),
    );
  });
});
