// Tiny specs written for the lowering tests: two fields, two tasks, widths of a few units.

/** MMoE: a numeric and a categorical field; a binary and a multiclass task; two shared experts. */
export const TINY_MMOE = `fields {
  age  numeric(dim: 2)
  job  categorical(dim: 3)
}
tasks {
  click  binary(label: y1)
  kind   multiclass(3, label: y2)
}
model tiny_mmoe {
  groups shared
  level 1 { experts: 2 x mlp[4] relu }
  towers { tower: mlp[2] relu, connect: softmax_gate }
  regularize { l2: 1e-5 }
  train { seed: 3 }
}
`;

/** MSSM: a numeric and a multi_hot field; a binary and a regression task; FSCM and cell gates. */
export const TINY_MSSM = `fields {
  age   numeric(dim: 2)
  tags  multi_hot(dim: 3, pooling: mean)
}
tasks {
  click  binary(label: y1)
  stay   regression(label: y2)
}
model tiny_mssm {
  groups click, stay, shared
  select fields per group(form: tanh)
  level 1 { experts: mlp[4] relu, connect: cssm }
  level 2 {
    experts { click: mlp[2] relu, stay: mlp[2] relu }
    connect: cssm
  }
  towers { tower: mlp[2] relu }
  regularize { l0: 1e-4, l2: 1e-5 }
  gates { init_drop: 0.3 }
  train { seed: 3 }
}
`;

// Corners the zoo does not reach (test/compiler/lower/variants.test.ts; the compiled-step test too).
const VARIANT_TASKS = `tasks {
  a  binary(label: ya)
  r  regression(label: yr, weight: 0.5)
  k  multiclass(4, label: yk)
}`;

export const VARIANTS: Record<string, string> = {
  "categorical fields only, gated towers without hidden layers": `fields { c categorical(dim: 3), d categorical(dim: 2) }
${VARIANT_TASKS}
model m {
  groups shared
  level 1 { experts: 2 x mlp[4, 3] elu }
  towers { tower: mlp[], connect: cssm(granularity: weight) }
  regularize { l0: 0.1 }
}`,
  "one numeric field, no levels, field selection read by the towers": `fields { x numeric(dim: 3) }
${VARIANT_TASKS}
model m {
  groups a, r, k
  select fields per group
  towers { tower: mlp[2] gelu, connect: dense }
}`,
  "multi_hot with sum pooling, l0_average and softmax at the towers": `fields { t multi_hot(dim: 2, pooling: sum), x numeric(dim: 2), y numeric(dim: 1) }
${VARIANT_TASKS}
model m {
  groups a, shared
  level 1 { experts: mlp[3] leaky_relu, connect: softmax_gate }
  level 2 { experts { a: mlp[3] tanh, shared: 2 x mlp[3] sigmoid }, connect: l0_average }
  towers { tower: mlp[2] linear, connect: softmax_gate }
  regularize { l0: 0.01, l2: 0.01 }
}`,
  "cross-stitch and block gates at the towers": `fields { c categorical(dim: 2), x numeric(dim: 2) }
${VARIANT_TASKS}
model m {
  groups a, r, k
  level 1 { experts: mlp[3] relu }
  level 2 { experts: mlp[3] relu, connect: cross_stitch }
  towers { tower: mlp[2] relu, connect: cssm(granularity: block, sources: all) }
  regularize { l0: 0.01 }
}`,
};
