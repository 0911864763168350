import { loadSpec } from "../../compiler/load/load.js";
import type { Spec } from "../../compiler/load/types.js";
import { SMALL_SPEC, writeTemp } from "./helpers.js";

/**
 * The small spec with a second cssm level, so units and blocks close between two gated layers and
 * before the towers; `selectFields`: with field gates per group (select fields per group).
 */
export function twoLevelSpec(train: Partial<Spec["train"]> = {}, closing = false, selectFields = false): Spec {
  let text = SMALL_SPEC.replace("level 1 { experts: mlp[8] relu, connect: cssm }", "level 1 { experts: mlp[8] relu, connect: cssm }\n  level 2 { experts: mlp[6] relu, connect: cssm }");
  if (selectFields) text = text.replace("groups y, shared", "groups y, shared\n  select fields per group");
  // Gates that close within a few epochs: a strong L0 term and a fast gate optimizer.
  if (closing) text = text.replace("train { optimizer: adam(lr: 0.02),", "regularize { l0: 0.05 }\n  train { optimizer: adam(lr: 0.02), gate_optimizer: adam(lr: 0.2),");
  const r = loadSpec(writeTemp("two-level.mssm", text));
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return { ...r.spec, train: { ...r.spec.train, ...train } };
}

/**
 * Settings of a run that freezes early: P(z > 0) starts near 0.832, so ε 0.832 freezes about half
 * the gates at the first check (every 4 steps); no gate warm-up, during which nothing freezes.
 */
export const EARLY_FREEZING = { freeze_threshold: 0.832, freeze_every: 4, epochs: 4, gate_warmup: 0 };
