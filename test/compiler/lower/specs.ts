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
  select fields per group
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
