import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";
import { writtenOptimizers } from "./describe.js";
import { evaluationClosedThreshold } from "../../sparse-step/settings.js";

/** Training settings outside the range where they mean anything. */
export const hyperparameterRange: Rule = {
  code: "hyperparameter-range",
  description: "A learning rate, optimizer constant, regularization weight, task weight or training setting is outside its valid range.",
  appliesToLibraries: true,
  check({ spec, map, report }) {
    const need = (value: number | undefined, ok: (v: number) => boolean, what: string, range: string, pointer: string) => {
      if (value !== undefined && !ok(value)) report("error", `${what} must be ${range}, not ${value}.`, pointer);
    };
    const unit = (v: number) => v >= 0 && v < 1;
    for (const { name, pointer, optimizer: o } of writtenOptimizers(spec, map)) {
      const of = `of '${name}'`;
      need(o.lr, (v) => v > 0, `The learning rate ${of}`, "positive", child(pointer, "lr"));
      need(o.beta1, unit, `beta1 ${of}`, "at least 0 and below 1", child(pointer, "beta1"));
      need(o.beta2, unit, `beta2 ${of}`, "at least 0 and below 1", child(pointer, "beta2"));
      need(o.eps, (v) => v > 0, `eps ${of}`, "positive", child(pointer, "eps"));
      need(o.momentum, unit, `The momentum ${of}`, "at least 0 and below 1", child(pointer, "momentum"));
      need(o.weight_decay, (v) => v >= 0, `The weight_decay ${of}`, "0 or more", child(pointer, "weight_decay"));
      need(o.initial_accumulator, (v) => v >= 0, `The initial_accumulator ${of}`, "0 or more", child(pointer, "initial_accumulator"));
    }
    need(spec.regularize.l0, (v) => v >= 0, "The L0 weight l0", "0 or more", "/regularize/l0");
    need(spec.regularize.l0_fields, (v) => v >= 0, "The field-gate L0 weight l0_fields", "0 or more", "/regularize/l0_fields");
    need(spec.regularize.l2, (v) => v >= 0, "The L2 weight l2", "0 or more", "/regularize/l2");
    spec.tasks.forEach((task, t) => need(task.weight, (v) => v >= 0, `The weight of the task '${task.name}'`, "0 or more", child(child("/tasks", t), "weight")));
    need(spec.train.warmup_steps, (v) => v >= 0, "warmup_steps", "0 or more", "/train/warmup_steps");
    need(spec.train.patience, (v) => v >= 0, "patience", "0 or more", "/train/patience");
    need(spec.train.freeze_threshold, (v) => v > 0 && v < 1, "freeze_threshold", "strictly between 0 and 1", "/train/freeze_threshold");
    need(spec.train.freeze_every, (v) => v >= 1, "freeze_every", "at least 1", "/train/freeze_every");
    // Above this ε freezing closes gates that evaluation still opens (runtime/freeze.ts sets their log α closed).
    const evaluationOpen = evaluationClosedThreshold(spec.gates);
    const threshold = spec.train.freeze_threshold;
    if (threshold !== undefined && threshold > evaluationOpen && threshold < 1) {
      report("warning", `freeze_threshold ${threshold} is above ${evaluationOpen.toFixed(2)}: it freezes gates that are still open in evaluation (P(z > 0) up to ${threshold}), and closes them, which changes the model rather than only what a step costs; the default is 0.05.`, "/train/freeze_threshold");
    }
    need(spec.train.gate_warmup, (v) => v >= 0 && v < spec.train.epochs, "gate_warmup", `0 or more and below epochs (${spec.train.epochs})`, "/train/gate_warmup");
  },
};
