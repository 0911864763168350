import { describe, expect, it } from "vitest";
import { rules } from "../../../compiler/check/rules/index.js";
import { diagnose, model } from "./helpers.js";

// Each rule: a snippet that breaks it (exact code, severity, message, position and blamed text)
// and a nearby snippet that is clean. `model(body)` puts `body` on line 3 of a model importing
// lib.mssm (fields age, job; binary tasks click on column `clicked`, buy on `bought`).

const error = (code: string, message: string, at: string, text: string) => ({ code, severity: "error", message, at, text });
const warning = (code: string, message: string, at: string, text: string) => ({ code, severity: "warning", message, at, text });

describe("the rule list", () => {
  it("has unique kebab-case codes and a one-sentence description for each rule", () => {
    const codes = rules.map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const r of rules) {
      expect(r.code).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
      expect(r.description).toMatch(/^[A-Z'a-z].*\.$/);
    }
  });
});

describe("duplicate-name", () => {
  it("reports the second of two fields with one name, pointing back at the first", () => {
    expect(diagnose(`fields {\n  a numeric\n  a categorical\n}\n`)).toEqual([error("duplicate-name", "The field 'a' is declared twice.", "3:3", "a")]);
  });
  it("reports a group listed twice", () => {
    expect(diagnose(model(`  groups shared, click, shared\n  level 1 { experts: mlp[8] }\n  towers { tower: mlp[4] }`))).toEqual([
      error("duplicate-name", "The group 'shared' is declared twice.", "3:25", "shared"),
    ]);
  });
  it("accepts a group named like a field", () => {
    expect(diagnose(model(`  groups age, click, buy\n  level 1 { experts: mlp[8] }\n  towers { tower: mlp[4]; connect: dense(sources: all) }`))).toEqual([]);
  });
});

describe("reserved-name", () => {
  it("reports a field, a task and a group named like a property every object has", () => {
    expect(diagnose(`fields {\n  __proto__ numeric\n}\ntasks {\n  constructor binary(label: y)\n}\n`)).toEqual([
      error("reserved-name", "'__proto__' cannot name a field: it is reserved (every JavaScript object has a property of that name); choose another name.", "2:3", "__proto__"),
      error("reserved-name", "'constructor' cannot name a task: it is reserved (every JavaScript object has a property of that name); choose another name.", "5:3", "constructor"),
    ]);
    expect(diagnose(model(`  groups click, buy, toString\n  level 1 { experts: mlp[8] }\n  towers { tower: mlp[4]; connect: dense(sources: all) }`))).toEqual([
      error("reserved-name", "'toString' cannot name a group: it is reserved (every JavaScript object has a property of that name); choose another name.", "3:22", "toString"),
    ]);
  });
  it("accepts names that only contain a reserved one", () => {
    expect(diagnose(`fields {\n  proto numeric\n  constructor_id categorical\n}\n`)).toEqual([]);
  });
});

describe("model-too-large", () => {
  it("reports a model past 500 million dense weights at its largest sub-network, and one with too many experts", () => {
    expect(diagnose(model(`  groups shared\n  level 1 { experts: mlp[100000, 100000] }\n  towers { tower: mlp[4] }`))).toEqual([
      error("model-too-large", "The model would have about 10,002,200,018 dense weights; mssmc trains at most 500,000,000. The experts at level 1 alone hold 10,001,400,000.", "4:22", "mlp[100000, 100000]"),
    ]);
    expect(diagnose(model(`  groups shared\n  level 1 { experts: 5000 x mlp[8] }\n  towers { tower: mlp[4] }`))).toEqual([
      error("model-too-large", "The model has 5,002 sub-networks (experts and towers); mssmc trains at most 4,096.", "4:22", "5000 x mlp[8]"),
    ]);
  });
  it("accepts a large model within the limits", () => {
    expect(diagnose(model(`  groups shared\n  level 1 { experts: 8 x mlp[1024, 1024] }\n  towers { tower: mlp[256] }`))).toEqual([]);
  });
});

describe("unknown-name", () => {
  it("reports experts for undeclared groups, with a suggestion when one is close", () => {
    const text = model(`  groups click, buy, shared
  level 1 { experts { click: mlp[8], buy: mlp[8], sahred: mlp[8], other: mlp[8] } }
  towers { tower: mlp[4] }`);
    expect(diagnose(text)).toEqual([
      warning("unused-group", "The group 'shared' has no experts at any level, so it takes no part in the model; give it experts or remove it from 'groups'.", "3:22", "shared"),
      error("unknown-name", "Unknown group 'sahred' at level 1; did you mean 'shared'?", "4:51", "sahred"),
      error("unknown-name", "Unknown group 'other' at level 1; declare it in 'groups'.", "4:67", "other"),
    ]);
  });
  it("reports a tower given to a name that is not a task of the model", () => {
    expect(diagnose(model(`  towers { tower: mlp[4], clik: mlp[2], zzz: mlp[] }`))).toEqual([
      error("unknown-name", "A tower is given to 'clik', which is not a task of this model; did you mean 'click'?", "3:27", "clik"),
      error("unknown-name", "A tower is given to 'zzz', which is not a task of this model; the model's tasks are 'click' and 'buy'.", "3:41", "zzz"),
    ]);
  });
  it("reports a tower for a declared task that the model does not learn", () => {
    expect(diagnose(model(`  tasks click\n  towers { click: mlp[4], buy: mlp[4] }`))).toEqual([
      error("unknown-name", "A tower is given to 'buy', which is not a task of this model; the model's only task is 'click'.", "4:27", "buy"),
    ]);
  });
  it("accepts experts and towers that name declared groups and tasks", () => {
    expect(diagnose(model(`  groups click, buy\n  level 1 { experts { click: mlp[8], buy: mlp[8] } }\n  towers { click: mlp[4], buy: mlp[] }`))).toEqual([]);
  });
});

describe("no-fields and no-tasks", () => {
  it("reports a model with neither fields nor tasks at its name", () => {
    expect(diagnose(`model m { }\n`)).toEqual([
      error("no-fields", "The model 'm' has no fields; declare them in a fields block or import a file that does.", "1:7", "m"),
      error("no-tasks", "The model 'm' has no tasks; declare them in a tasks block or import a file that does.", "1:7", "m"),
    ]);
  });
  it("accepts a library with only tasks (it is meant to be imported)", () => {
    expect(diagnose(`tasks { t regression(label: y) }\n`)).toEqual([]);
  });
});

describe("label-used-as-field", () => {
  it("reports a field reading a label column, at its name or at its column option", () => {
    const text = `fields { clicked numeric, x categorical(column: bought) }\ntasks { click binary(label: clicked), buy regression(label: bought) }\n`;
    expect(diagnose(text)).toEqual([
      error("label-used-as-field", "The field 'clicked' reads the column 'clicked', which is the label of the task 'click'; a label can never be an input.", "1:10", "clicked"),
      error("label-used-as-field", "The field 'x' reads the column 'bought', which is the label of the task 'buy'; a label can never be an input.", "1:49", "bought"),
    ]);
  });
  it("finds the clash across an import, in the imported file", () => {
    expect(diagnose(model(`  towers { tower: mlp[] }`), { "lib.mssm": `fields { bought numeric }\ntasks { buy binary(label: bought) }\n` })).toEqual([
      error("label-used-as-field", "The field 'bought' reads the column 'bought', which is the label of the task 'buy'; a label can never be an input.", "lib.mssm:1:10", "bought"),
    ]);
  });
  it("accepts two tasks of different kinds on one label column", () => {
    expect(diagnose(`fields { a numeric }\ntasks { t binary(label: y), u regression(label: y) }\n`)).toEqual([]);
  });
});

describe("missing-groups", () => {
  it("reports field selection without groups", () => {
    expect(diagnose(model(`  select fields per group\n  towers { tower: mlp[4] }`))).toEqual([
      error("missing-groups", "'select fields per group' needs groups to select fields for; declare them first, for example 'groups shared'.", "3:3", "select fields per group"),
    ]);
  });
  it("accepts field selection with groups", () => {
    expect(diagnose(model(`  groups click, buy\n  select fields per group\n  towers { tower: mlp[4] }`))).toEqual([]);
  });
});

describe("non-positive-size, multiclass-classes and empty-positive", () => {
  it("reports every size below 1, a one-class multiclass task and an empty positive list", () => {
    const text = `fields { a categorical(dim: 0, hash_buckets: -1), b multi_hot(min_count: 0, vocabulary: []) }
tasks { t multiclass(0, label: y), u multiclass(1, label: z), v binary(label: w, positive: []) }
model m {
  groups shared
  level 1 { experts: 0 x mlp[] }
  level 2 { experts { shared: mlp[0, 4] } }
  towers { tower: mlp[-2], u: mlp[] }
  train { batch: 0, epochs: -1 }
}
`;
    expect(diagnose(text)).toEqual([
      error("non-positive-size", "The dim of the field 'a' must be at least 1, not 0.", "1:29", "0"),
      error("non-positive-size", "The hash_buckets of the field 'a' must be at least 1, not -1.", "1:46", "-1"),
      error("option-not-applicable", "'min_count' does not apply to the field 'b': its vocabulary is given, not built from the data.", "1:63", "min_count"),
      error("non-positive-size", "The min_count of the field 'b' must be at least 1, not 0.", "1:74", "0"),
      error("non-positive-size", "The vocabulary of the field 'b' is empty; list at least one value.", "1:89", "[]"),
      error("non-positive-size", "The number of classes of the task 't' must be at least 1, not 0.", "2:22", "0"),
      error("multiclass-classes", "The multiclass task 'u' has 1 class; it needs at least 2 (for a yes/no label use binary).", "2:49", "1"),
      error("empty-positive", `The binary task 'v' lists no positive value, so every example would be negative; list at least one (the default is ["1"]).`, "2:92", "[]"),
      // `experts:` is written once for every group, so each problem is reported once.
      error("non-positive-size", "The count of the experts at level 1 must be at least 1, not 0.", "5:22", "0"),
      error("non-positive-size", "The experts at level 1 have no layer; an expert needs at least one, for example 'mlp[64]'.", "5:22", "0 x mlp[]"),
      error("non-positive-size", "Every layer width of the experts of 'shared' at level 2 must be at least 1, not 0.", "6:35", "0"),
      error("non-positive-size", "Every layer width of the default tower must be at least 1, not -2.", "7:23", "-2"),
      error("non-positive-size", "The batch size must be at least 1, not 0.", "8:18", "0"),
      error("non-positive-size", "The number of epochs must be at least 1, not -1.", "8:29", "-1"),
    ]);
  });
  it("names the group when experts were given per group", () => {
    expect(diagnose(model(`  groups click, buy\n  level 1 { experts { click: mlp[8], buy: 2 x mlp[] } }\n  towers { tower: mlp[4] }`))).toEqual([
      error("non-positive-size", "The experts of 'buy' at level 1 have no layer; an expert needs at least one, for example 'mlp[64]'.", "4:43", "2 x mlp[]"),
    ]);
  });
  it("accepts positive sizes, a two-class task and an empty tower (a linear head)", () => {
    const text = `fields { a categorical(dim: 1, hash_buckets: 1), b multi_hot(min_count: 1) }
tasks { t multiclass(2, label: y), v binary(label: w, positive: ["yes"]) }
model m {
  groups shared
  level 1 { experts: 1 x mlp[1] }
  towers { tower: mlp[] }
  train { batch: 1, epochs: 1 }
}
`;
    expect(diagnose(text)).toEqual([]);
  });
});

describe("positive on a task that is not binary", () => {
  it("is refused by the schema as an unknown option of that task", () => {
    expect(diagnose(`tasks { y regression(label: y, positive: ["1"]) }\n`)).toEqual([
      error("unknown-option", "'positive' applies only to binary tasks, not to regression ones (task 'y').", "1:32", "positive"),
    ]);
  });
});

describe("hyperparameter-range and gate-constant-range", () => {
  it("reports values outside their ranges", () => {
    const text = model(`  groups shared
  level 1 { experts: mlp[8]; connect: cssm }
  towers { tower: mlp[] }
  regularize { l0: -1, l2: -0.5 }
  gates { gamma: 0, zeta: 1, beta: 0, init_drop: 1, select_offset: -1 }
  train {
    optimizer: adam(lr: 0, beta1: 1, beta2: -0.1, eps: 0)
    gate_optimizer: sgd(lr: 0.5, momentum: 1, weight_decay: -1)
    embedding_optimizer: adagrad(lr: -1, initial_accumulator: -1)
    warmup_steps: -1, patience: -2
  }`);
    expect(diagnose(text)).toEqual([
      error("hyperparameter-range", "The L0 weight l0 must be 0 or more, not -1.", "6:20", "-1"),
      error("hyperparameter-range", "The L2 weight l2 must be 0 or more, not -0.5.", "6:28", "-0.5"),
      error("gate-constant-range", "gamma must be below 0, not 0: the stretched gate could never be exactly 0, so nothing would be pruned.", "7:18", "0"),
      error("gate-constant-range", "zeta must be above 1, not 1: the stretched gate could never be exactly 1.", "7:27", "1"),
      error("gate-constant-range", "beta (the gate temperature) must be positive, not 0.", "7:36", "0"),
      error("gate-constant-range", "init_drop must be above 0 and below 1, not 1.", "7:50", "1"),
      warning("unused-regularizer", "select_offset has no effect: it offsets the field masks of 'select fields per group', which this model does not use.", "7:53", "select_offset"),
      error("gate-constant-range", "select_offset must be 0 or more, not -1: every field mask relu(tanh(g · e + b)) would start at 0 with no gradient, so no group would ever read a field.", "7:68", "-1"),
      error("hyperparameter-range", "The learning rate of 'optimizer' must be positive, not 0.", "9:25", "0"),
      error("hyperparameter-range", "beta1 of 'optimizer' must be at least 0 and below 1, not 1.", "9:35", "1"),
      error("hyperparameter-range", "beta2 of 'optimizer' must be at least 0 and below 1, not -0.1.", "9:45", "-0.1"),
      error("hyperparameter-range", "eps of 'optimizer' must be positive, not 0.", "9:56", "0"),
      error("hyperparameter-range", "The momentum of 'gate_optimizer' must be at least 0 and below 1, not 1.", "10:44", "1"),
      error("hyperparameter-range", "The weight_decay of 'gate_optimizer' must be 0 or more, not -1.", "10:61", "-1"),
      error("hyperparameter-range", "The learning rate of 'embedding_optimizer' must be positive, not -1.", "11:38", "-1"),
      error("hyperparameter-range", "The initial_accumulator of 'embedding_optimizer' must be 0 or more, not -1.", "11:63", "-1"),
      error("hyperparameter-range", "warmup_steps must be 0 or more, not -1.", "12:19", "-1"),
      error("hyperparameter-range", "patience must be 0 or more, not -2.", "12:33", "-2"),
    ]);
  });
  it("reports a negative task weight in a library", () => {
    expect(diagnose(`tasks { t binary(label: y, weight: -1) }\n`)).toEqual([
      error("hyperparameter-range", "The weight of the task 't' must be 0 or more, not -1.", "1:36", "-1"),
    ]);
  });
  it("checks an unset embedding optimizer once, through the optimizer it copies", () => {
    expect(diagnose(model(`  towers { tower: mlp[] }\n  train { optimizer: sgd(lr: -0.1) }`))).toEqual([
      error("hyperparameter-range", "The learning rate of 'optimizer' must be positive, not -0.1.", "4:30", "-0.1"),
    ]);
  });
  it("accepts the edges of each range", () => {
    const text = model(`  groups shared
  level 1 { experts: mlp[8]; connect: cssm }
  towers { tower: mlp[] }
  regularize { l0: 0, l2: 0 }
  gates { gamma: -0.01, zeta: 1.01, beta: 0.1, init_drop: 0.99 }
  train { optimizer: adam(lr: 1, beta1: 0, beta2: 0.9999, eps: 1e-12), gate_optimizer: sgd(momentum: 0, weight_decay: 0), warmup_steps: 0, patience: 0 }`);
    expect(diagnose(text)).toEqual([]);
  });
});

describe("option-not-applicable and embedding-optimizer-kind", () => {
  it("reports options that do not belong where they are given, at their names", () => {
    const text = `fields { a categorical(hash_buckets: 10, min_count: 2, vocabulary: ["x"]) }
tasks { t binary(label: y) }
model m {
  groups shared
  level 1 { experts: mlp[8]; connect: dense(granularity: cell) }
  towers { tower: mlp[]; connect: softmax_gate(granularity: block) }
  train { optimizer: adam(momentum: 0.9, nesterov: true), gate_optimizer: sgd(beta1: 0.5), embedding_optimizer: adamw(lr: 0.01) }
}
`;
    expect(diagnose(text)).toEqual([
      error("option-not-applicable", "'min_count' does not apply to the field 'a': it is hashed into buckets, so no vocabulary is built.", "1:42", "min_count"),
      error("option-not-applicable", "The field 'a' gives both 'hash_buckets' and 'vocabulary'; hashing replaces the vocabulary, so give one.", "1:56", "vocabulary"),
      error("option-not-applicable", "'granularity' applies only to cssm connections, not to dense.", "5:45", "granularity"),
      error("option-not-applicable", "'granularity' applies only to cssm connections, not to softmax_gate.", "6:48", "granularity"),
      error("option-not-applicable", "'momentum' is not a setting of adam (in 'optimizer'); it belongs to sgd.", "7:27", "momentum"),
      error("option-not-applicable", "'nesterov' is not a setting of adam (in 'optimizer'); it belongs to sgd.", "7:42", "nesterov"),
      warning("unused-regularizer", "'gate_optimizer' has no effect: the model has no gates (no cssm or l0_average connection and no 'select fields per group').", "7:59", "gate_optimizer"),
      error("option-not-applicable", "'beta1' is not a setting of sgd (in 'gate_optimizer'); it belongs to adam and adamw.", "7:79", "beta1"),
      error("embedding-optimizer-kind", "'embedding_optimizer' must be adam, adagrad or sgd (the optimizers that update embedding rows one at a time), not adamw.", "7:113", "adamw"),
    ]);
  });
  it("accepts each kind's own settings, and adamw for dense weights", () => {
    const text = model(`  groups shared
  level 1 { experts: mlp[8]; connect: cssm(granularity: block) }
  towers { tower: mlp[] }
  train { optimizer: adamw(weight_decay: 0.1, beta1: 0.8), gate_optimizer: sgd(momentum: 0.9, nesterov: true), embedding_optimizer: adagrad(initial_accumulator: 0.1, eps: 1e-8) }`);
    expect(diagnose(text)).toEqual([]);
  });
});

describe("task-without-tower", () => {
  it("reports one task left without a tower", () => {
    expect(diagnose(model(`  towers { click: mlp[4] }`))).toEqual([
      error("task-without-tower", "The task 'buy' has no tower; add 'buy: mlp[16] relu' (or a default 'tower: ...') to 'towers'.", "3:3", "towers { click: mlp[4] }"),
    ]);
  });
  it("reports a model without towers once, at its name", () => {
    expect(diagnose(model(`  groups shared\n  level 1 { experts: mlp[8] }`))).toEqual([
      error("task-without-tower", "No task has a tower; give every task one with a default in 'towers', for example 'towers { tower: mlp[16] relu }'.", "2:7", "m"),
    ]);
  });
  it("accepts a default tower", () => {
    expect(diagnose(model(`  towers { tower: mlp[4] }`))).toEqual([]);
  });
});

describe("empty-level", () => {
  it("reports a level where no group has experts", () => {
    expect(diagnose(model(`  groups shared\n  level 1 { experts: mlp[8] }\n  level 2 { experts { shared: none } }\n  towers { tower: mlp[4] }`))).toEqual([
      error("empty-level", "No group has experts at level 2, so nothing passes through it; give a group experts or remove the level.", "5:3", "level 2 { experts { shared: none } }"),
    ]);
  });
  it("accepts a level where one group of several has experts", () => {
    expect(diagnose(model(`  groups click, buy, shared\n  level 1 { experts: mlp[8] }\n  level 2 { experts { shared: mlp[4] } }\n  towers { tower: mlp[4] }`))).toEqual([]);
  });
});

describe("no-sources", () => {
  it("reports towers that read only their own group when the task has none at the last level", () => {
    const text = model(`  groups click, shared\n  level 1 { experts: mlp[8] }\n  level 2 { experts { click: mlp[4] } }\n  towers { tower: mlp[4]; connect: dense(sources: own) }`);
    expect(diagnose(text)).toEqual([
      error("no-sources", "The tower of 'buy' reads nothing: with sources 'own' it sees only the outputs of 'buy', and level 2 has none.", "6:51", "own"),
    ]);
  });
  it("reports the tower when the default sources fall back to shared groups and there are none", () => {
    const text = model(`  groups click, buy\n  level 1 { experts: mlp[8] }\n  level 2 { experts { click: mlp[4] } }\n  towers { click: mlp[4], buy: mlp[4] }`);
    expect(diagnose(text)).toEqual([
      error("no-sources", "The tower of 'buy' reads nothing: with sources 'auto' it sees only the outputs of shared groups, and level 2 has none.", "6:27", "buy"),
    ]);
  });
  it("reports experts at a level that read only their own group's missing outputs", () => {
    const text = model(`  groups click, shared\n  level 1 { experts { shared: mlp[8] } }\n  level 2 { experts { click: mlp[4], shared: mlp[4] }; connect: dense(sources: own) }\n  towers { tower: mlp[4] }`);
    expect(diagnose(text)).toEqual([
      error("no-sources", "The experts of 'click' at level 2 read nothing: with sources 'own' they see only the outputs of 'click', and level 1 has none.", "5:80", "own"),
    ]);
  });
  it("accepts towers that fall back to the shared group", () => {
    expect(diagnose(model(`  groups click, shared\n  level 1 { experts: mlp[8] }\n  level 2 { experts { click: mlp[4], shared: mlp[4] } }\n  towers { tower: mlp[4] }`))).toEqual([]);
  });
});

describe("width-mismatch", () => {
  it("reports a softmax gate over experts of unequal width once, naming each source", () => {
    const text = model(`  groups click, buy, shared\n  level 1 { experts { click: mlp[8], buy: mlp[8], shared: 2 x mlp[16] } }\n  towers { tower: mlp[4]; connect: softmax_gate }`);
    expect(diagnose(text)).toEqual([
      error(
        "width-mismatch",
        "The towers' softmax_gate connection mixes outputs of unequal width: 'click' (8 wide), 'buy' (8 wide) and 'shared' (16 wide); softmax_gate needs them equally wide (make their last layers match, or use dense or cssm).",
        "5:36",
        "softmax_gate",
      ),
    ]);
  });
  it("reports cross_stitch and l0_average at levels and towers", () => {
    const text = model(`  groups click, buy\n  level 1 { experts { click: mlp[8], buy: mlp[16] } }\n  level 2 { experts { click: mlp[4], buy: mlp[2] }; connect: cross_stitch }\n  towers { tower: mlp[4]; connect: l0_average(sources: all) }`);
    expect(diagnose(text)).toEqual([
      error(
        "width-mismatch",
        "The cross_stitch connection of level 2 mixes outputs of unequal width: 'click' (8 wide) and 'buy' (16 wide); cross_stitch needs them equally wide (make their last layers match, or use dense or cssm).",
        "5:62",
        "cross_stitch",
      ),
      error(
        "width-mismatch",
        "The towers' l0_average connection mixes outputs of unequal width: 'click' (4 wide) and 'buy' (2 wide); l0_average needs them equally wide (make their last layers match, or use dense or cssm).",
        "6:36",
        "l0_average",
      ),
    ]);
  });
  it("accepts unequal widths where each consumer sees equal ones, and dense or cssm over any widths", () => {
    const text = model(`  groups click, buy
  level 1 { experts { click: mlp[8], buy: mlp[16] } }
  level 2 { experts { click: mlp[4], buy: mlp[4] }; connect: cssm }
  towers { tower: mlp[4]; connect: softmax_gate(sources: own) }`);
    expect(diagnose(text)).toEqual([]);
  });
});

describe("unread-output", () => {
  it("warns about the last level's shared experts when towers read only their own groups", () => {
    const text = model(`  groups click, buy, shared\n  level 1 { experts: mlp[8] relu }\n  towers { tower: mlp[4] }`);
    expect(diagnose(text)).toEqual([
      warning("unread-output", "The experts of 'shared' at level 1 feed nothing: no tower reads them, so they will be removed at compile time.", "4:22", "mlp[8] relu"),
    ]);
  });
  it("warns about a group's field selection that the first level does not read", () => {
    const text = model(`  groups click, buy, shared\n  select fields per group\n  level 1 { experts { click: mlp[8], buy: mlp[8] }; connect: dense(sources: own) }\n  towers { tower: mlp[4] }`);
    expect(diagnose(text)).toEqual([
      warning("unread-output", "The field selection of 'shared' is unused: nothing at level 1 reads it, so it will be removed at compile time.", "3:22", "shared"),
    ]);
  });
  it("treats a group named 'input' as a group, not as the shared input", () => {
    const text = model(`  groups input, click, buy\n  level 1 { experts: mlp[8] }\n  level 2 { experts { click: mlp[4], buy: mlp[4] }; connect: dense(sources: own) }\n  towers { tower: mlp[4] }`);
    expect(diagnose(text)).toEqual([
      warning("unread-output", "The experts of 'input' at level 1 feed nothing: nothing at level 2 reads them, so they will be removed at compile time.", "4:22", "mlp[8]"),
    ]);
  });
  it("accepts CGC: a task's softmax gate at the towers reads its own and the shared experts", () => {
    expect(diagnose(model(`  groups click, buy, shared\n  level 1 { experts: 2 x mlp[8] }\n  towers { tower: mlp[4]; connect: softmax_gate }`))).toEqual([]);
  });
});

describe("unused-group", () => {
  it("warns about a group without experts anywhere", () => {
    expect(diagnose(model(`  groups click, buy, shared\n  level 1 { experts { shared: 4 x mlp[8] } }\n  towers { tower: mlp[4]; connect: softmax_gate }`))).toEqual([
      warning("unused-group", "The group 'click' has no experts at any level, so it takes no part in the model; give it experts or remove it from 'groups'.", "3:10", "click"),
      warning("unused-group", "The group 'buy' has no experts at any level, so it takes no part in the model; give it experts or remove it from 'groups'.", "3:17", "buy"),
    ]);
  });
  it("accepts a group without experts whose field selection the towers read", () => {
    expect(diagnose(model(`  groups click, buy\n  select fields per group\n  towers { tower: mlp[4] }`))).toEqual([]);
  });
});

describe("unused-regularizer", () => {
  it("warns about l0 and gate constants in a model without gates", () => {
    const text = model(`  groups shared\n  level 1 { experts: mlp[8] }\n  towers { tower: mlp[4] }\n  regularize { l0: 1e-4 }\n  gates { init_drop: 0.3 }`);
    expect(diagnose(text)).toEqual([
      warning("unused-regularizer", "l0 has no effect: the model has no L0 gates (no cssm or l0_average connection).", "6:20", "1e-4"),
      warning("unused-regularizer", "The hard-concrete constants of the gates section have no effect: the model has no L0 gates (no cssm or l0_average connection).", "7:3", "gates"),
    ]);
  });
  it("tells select_offset (field selection) from the hard-concrete constants (L0 gates)", () => {
    const base = (gates: string, select: boolean, connect = "") =>
      model(`  groups click, buy\n${select ? "  select fields per group(form: tanh)\n" : ""}  level 1 { experts: mlp[8]${connect} }\n  towers { tower: mlp[4] }\n  gates { ${gates} }`);
    // Field selection without L0 gates (the tanh form): the offset counts, beta does not.
    expect(diagnose(base("select_offset: 0", true))).toEqual([]);
    expect(diagnose(base("beta: 0.5, select_offset: 0", true)).map((d) => d.message)).toEqual([
      "The hard-concrete constants of the gates section have no effect: the model has no L0 gates (no cssm or l0_average connection).",
    ]);
    // L0 gates without field selection: the offset does nothing.
    expect(diagnose(base("init_drop: 0.3, select_offset: 0", false, "; connect: cssm")).map((d) => d.message)).toEqual([
      "select_offset has no effect: it offsets the field masks of 'select fields per group', which this model does not use.",
    ]);
    // Neither: the whole section does nothing.
    expect(diagnose(base("select_offset: 0", false)).map((d) => d.message)).toEqual([
      "The gates section has no effect: the model has no L0 gates (no cssm or l0_average connection) and no 'select fields per group' for select_offset.",
    ]);
  });
  it("accepts a gate optimizer with field selection alone, but not l0", () => {
    const text = model(`  groups click, buy\n  select fields per group(form: tanh)\n  level 1 { experts: mlp[8] }\n  towers { tower: mlp[4] }\n  regularize { l0: 1e-4 }\n  train { gate_optimizer: adam(lr: 0.1) }`);
    expect(diagnose(text)).toEqual([warning("unused-regularizer", "l0 has no effect: the model has no L0 gates (no cssm or l0_average connection).", "7:20", "1e-4")]);
  });
});

describe("single-task-sharing, cross-stitch-on-input and zero-task-weight", () => {
  it("warns about sharing machinery with one task, cross-stitch on the input and a task weight of 0", () => {
    const text = `fields { a numeric }\ntasks { t binary(label: y, weight: 0) }\nmodel m {\n  groups t, shared\n  level 1 { experts: mlp[8]; connect: cross_stitch }\n  towers { tower: mlp[4]; connect: softmax_gate }\n}\n`;
    expect(diagnose(text)).toEqual([
      warning("zero-task-weight", "The task 't' has weight 0, so its loss does not count and it is not trained.", "2:36", "0"),
      warning("cross-stitch-on-input", "cross_stitch at level 1 reads only the shared input, so it has no columns to mix; use dense here and cross_stitch from level 2 on.", "5:39", "cross_stitch"),
      warning(
        "single-task-sharing",
        "The model learns one task ('t'), but the towers' softmax_gate connection shares between several groups; that machinery only helps when there are several tasks.",
        "6:36",
        "softmax_gate",
      ),
    ]);
  });
  it("accepts a one-task mixture of experts within one group, and cross-stitch from level 2", () => {
    const text = `fields { a numeric }\ntasks { t binary(label: y), u binary(label: z) }\nmodel one {\n  tasks t\n  groups shared\n  level 1 { experts: 4 x mlp[8] }\n  towers { tower: mlp[4]; connect: softmax_gate }\n}\n`;
    expect(diagnose(text)).toEqual([]);
    const stitched = model(`  groups click, buy\n  level 1 { experts: mlp[8] }\n  level 2 { experts: mlp[4]; connect: cross_stitch }\n  towers { tower: mlp[4] }`);
    expect(diagnose(stitched)).toEqual([]);
  });
});

describe("large-learning-rate", () => {
  it("warns about a learning rate above 1", () => {
    expect(diagnose(model(`  towers { tower: mlp[] }\n  train { optimizer: adam(lr: 3) }`))).toEqual([
      warning("large-learning-rate", "The learning rate of 'optimizer' is 3, above 1; training will likely diverge.", "4:31", "3"),
    ]);
  });
  it("accepts a learning rate of 1", () => {
    expect(diagnose(model(`  towers { tower: mlp[] }\n  train { optimizer: sgd(lr: 1) }`))).toEqual([]);
  });
});

describe("duplicate-column", () => {
  it("warns about two fields of one kind on one column", () => {
    expect(diagnose(`fields { a numeric(column: c), b numeric(column: c), d categorical(column: c) }\n`)).toEqual([
      warning("duplicate-column", "The fields 'a' and 'b' both read the column 'c' as numeric; one of them is probably a mistake.", "1:50", "c"),
    ]);
  });
  it("accepts one column read as a number and as a category", () => {
    expect(diagnose(`fields { age numeric, age-bucket categorical(column: age) }\n`)).toEqual([]);
  });
});

describe("monitor-metric", () => {
  const towers = `  towers { tower: mlp[4] }\n`;
  it("reports an unknown task with a suggestion, at the task's name", () => {
    expect(diagnose(model(`${towers}  train { monitor: 0.5 * clik.auc + buy.auc }`))).toEqual([
      error("monitor-metric", "The monitor names 'clik', which is not a task of the model; did you mean 'click'?", "4:26", "clik"),
    ]);
  });
  it("reports a metric of another task kind, listing the task's own, and a weight that is not positive", () => {
    expect(diagnose(model(`${towers}  train { monitor: click.rmse + 0 * buy.acu }`))).toEqual([
      error("monitor-metric", "'rmse' is not a metric of the binary task 'click'; its metrics are 'auc', 'logloss'.", "4:26", "rmse"),
      error("monitor-metric", "The monitor weight of 'buy.acu' is 0; a weight must be positive (rmse and logloss are already counted negated).", "4:33", "0"),
      error("monitor-metric", "'acu' is not a metric of the binary task 'buy'; did you mean 'auc'?", "4:41", "acu"),
    ]);
  });
  it("accepts the tasks' own metrics", () => {
    expect(diagnose(model(`${towers}  train { monitor: 0.7 * click.auc + 0.3 * buy.logloss }`))).toEqual([]);
  });
});

describe("sample-weight-column", () => {
  it("reports a model's sample weight column that is a task's label, at the option", () => {
    expect(diagnose(model(`  sample_weight: clicked\n  towers { tower: mlp[4] }`))).toEqual([
      error("sample-weight-column", "The task 'click' takes its sample weights from the column 'clicked', which is the label of the task 'click'; a weight column holds how much each row counts, not a label.", "3:18", "clicked"),
      error("sample-weight-column", "The task 'buy' takes its sample weights from the column 'clicked', which is the label of the task 'click'; a weight column holds how much each row counts, not a label.", "3:18", "clicked"),
    ]);
  });
  it("accepts a column of its own", () => {
    expect(diagnose(model(`  sample_weight: w\n  towers { tower: mlp[4] }`))).toEqual([]);
  });
});
