import type { MonitorTerm, BinaryTask, Connection, Field, Optimizer, OptimizerKind, SelectFields, SelectForm, Spec, Task } from "./types.js";

// Fills every default of a schema-valid canonical spec, so the checker and compiler never ask
// "was this set?". The same defaults are annotated in specs/mssm.schema.json (a test keeps the two
// in agreement) and listed in specs/language.md.

export const DEFAULT_DIM = 8;

/**
 * The form `select fields per group` means when it names none (compiler/load/to-json.ts writes
 * it). Switching the default is this one line; the zoo's canonical JSON then names the new form.
 */
export const DEFAULT_SELECT_FORM: SelectForm = "l0";
export const DEFAULT_GATES = { beta: 2 / 3, gamma: -0.1, zeta: 1.1, init_drop: 0.5, select_offset: 1 } as const;

/**
 * λ0 (cell gates) and λF (field gates) when the spec leaves them unset: chosen by the sweep in
 * specs/language.md ("Choosing the defaults"), so that a spec silent on gates closes what is useless.
 */
export const DEFAULT_REGULARIZE = { l0: 3e-4, l0_fields: 3e-3, l2: 0 } as const;

/** Each optimizer's settings when the spec leaves them unset. */
export const OPTIMIZER_DEFAULTS: Record<OptimizerKind, Omit<Optimizer, "kind">> = {
  adam: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  adamw: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 },
  sgd: { lr: 0.01, momentum: 0, nesterov: false, weight_decay: 0 },
  adagrad: { lr: 0.01, eps: 1e-10, initial_accumulator: 0, weight_decay: 0 },
};

/**
 * The optimizer used for gate parameters when the spec names none: they must move fast to prune,
 * within the epochs after the gate warm-up (specs/language.md, "Choosing the defaults").
 */
export const DEFAULT_GATE_OPTIMIZER: Optimizer = { kind: "adam", lr: 0.2 };

type Loose<T> = { [K in keyof T]?: unknown };

/** Completes an optimizer with its kind's defaults, keeping what the spec set. */
export function normalizeOptimizer(o: Loose<Optimizer>): Optimizer {
  const kind = o.kind as OptimizerKind;
  return { kind, ...OPTIMIZER_DEFAULTS[kind], ...(o as Partial<Optimizer>) };
}

function normalizeConnection(c: Loose<Connection> | undefined): Connection {
  const kind = (c?.kind as Connection["kind"] | undefined) ?? "dense";
  const out: Connection = { kind, sources: (c?.sources as Connection["sources"] | undefined) ?? "auto" };
  if (c?.granularity !== undefined || kind === "cssm") out.granularity = (c?.granularity as Connection["granularity"] | undefined) ?? "cell";
  return out;
}

function normalizeField(f: Loose<Field> & { name: string; kind: Field["kind"] }): Field {
  const kindDefaults = f.kind === "numeric" ? { transform: "none" } : f.kind === "multi_hot" ? { separator: "|", pooling: "mean" } : {};
  return { column: f.name, dim: DEFAULT_DIM, ...kindDefaults, ...f } as Field;
}

/** A binary task's label values, written as a list or as one string (a list of one). */
const valueList = (v: unknown): unknown => (typeof v === "string" ? [v] : v);

function normalizeTask(t: Loose<Task> & { kind: Task["kind"] }): Task {
  if (t.kind !== "binary") return { weight: 1, ...t } as Task;
  const b = t as Loose<BinaryTask>;
  const out: Loose<BinaryTask> = { weight: 1, positive: ["1"], ...b };
  out.positive = valueList(out.positive);
  if (out.negative !== undefined) out.negative = valueList(out.negative);
  return out as BinaryTask;
}

/** Returns the spec with every default filled; the input must be schema-valid. */
export function normalize(input: Record<string, unknown>): Spec {
  const s = input as unknown as Loose<Spec> & { fields: Field[]; tasks: Task[]; levels?: Loose<Spec["levels"][number]>[]; towers: Loose<Spec["towers"]> };
  const train = (s.train ?? {}) as Loose<Spec["train"]>;
  const optimizer = normalizeOptimizer((train.optimizer as Loose<Optimizer> | undefined) ?? { kind: "adam" });
  const embeddingDefault = optimizer.kind === "adamw" ? { kind: "adam" as const, lr: optimizer.lr } : optimizer;
  return {
    mssm: 1,
    model: s.model as string,
    fields: s.fields.map(normalizeField),
    tasks: s.tasks.map(normalizeTask).map((t) => (s.sample_weight !== undefined && t.sample_weight === undefined ? { ...t, sample_weight: s.sample_weight as string } : t)),
    ...(s.sample_weight !== undefined ? { sample_weight: s.sample_weight as string } : {}),
    groups: (s.groups as string[] | undefined) ?? [],
    select_fields: (s.select_fields as SelectFields | undefined) ?? false,
    levels: (s.levels ?? []).map((l) => ({
      experts: Object.fromEntries(
        Object.entries((l.experts ?? {}) as Record<string, Loose<Spec["levels"][number]["experts"][string]>>).map(([g, e]) => [
          g,
          { count: (e.count as number | undefined) ?? 1, widths: e.widths as number[], activation: (e.activation as never) ?? "relu" },
        ]),
      ),
      connect: normalizeConnection(l.connect as Loose<Connection> | undefined),
    })),
    towers: {
      connect: normalizeConnection(s.towers.connect as Loose<Connection> | undefined),
      tasks: Object.fromEntries(
        Object.entries((s.towers.tasks ?? {}) as Record<string, { widths: number[]; activation?: string }>).map(([t, e]) => [
          t,
          { widths: e.widths, activation: (e.activation as never) ?? "relu" },
        ]),
      ),
    },
    regularize: { ...DEFAULT_REGULARIZE, ...(s.regularize as object | undefined) },
    gates: { ...DEFAULT_GATES, ...(s.gates as object | undefined) },
    train: {
      batch: 1024,
      epochs: 10,
      seed: 0,
      schedule: "constant",
      warmup_steps: 0,
      patience: 0,
      ...(train as object),
      optimizer,
      gate_optimizer: normalizeOptimizer((train.gate_optimizer as Loose<Optimizer> | undefined) ?? DEFAULT_GATE_OPTIMIZER),
      embedding_optimizer: train.embedding_optimizer ? normalizeOptimizer(train.embedding_optimizer as Loose<Optimizer>) : embeddingDefault,
      ...(train.monitor ? { monitor: (train.monitor as Loose<MonitorTerm>[]).map((m) => ({ task: m.task as string, metric: m.metric as string, weight: (m.weight as number | undefined) ?? 1 })) } : {}),
    },
  };
}
