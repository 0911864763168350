// A model with more of its values as graph outputs: onnxruntime returns only graph outputs, so a
// tool that wants an intermediate value (a softmax gate's weights) asks for a copy of the model
// that also outputs it. The rest of the model is left byte for byte as it was.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema, TypeProto_TensorSchema, TypeProtoSchema, ValueInfoProtoSchema } from "./gen/onnx-subset_pb.js";
import { DATA_TYPE } from "./lower.js";

/** `model` with the float32 values `names` added as outputs, or the names no node of its main graph produces. */
export function withFloatOutputs(model: Uint8Array, names: readonly string[]): { bytes: Uint8Array } | { missing: string[] } {
  const proto = fromBinary(ModelProtoSchema, model);
  const graph = proto.graph!;
  const produced = new Set(graph.node.flatMap((n) => n.output));
  const missing = names.filter((n) => !produced.has(n));
  if (missing.length) return { missing };
  const outputs = new Set(graph.output.map((o) => o.name));
  for (const name of names) {
    if (outputs.has(name)) continue;
    const tensor = create(TypeProto_TensorSchema, { elemType: DATA_TYPE.float32 });
    graph.output.push(create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: "tensorType", value: tensor } }) }));
    outputs.add(name);
  }
  return { bytes: toBinary(ModelProtoSchema, proto) };
}
