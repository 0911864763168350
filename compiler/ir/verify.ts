// The verifier: run after every pass (the checks themselves are in validity.ts).
//
// A graph is verified once: `Builder.finish` verifies the frozen graph it returns and remembers
// it, and `assertValid` remembers any frozen graph it passed, so later calls (emission, ...) skip
// it. A whole training step of the 500-field spec has ~130k nodes and takes ~0.3 s to verify.

import { invariant } from "../../base/source/diagnostic.js";
import { instantiate, type Graph } from "./graph.js";
import { graphProblems, isFrozenGraph, isKnownValid, rememberValid } from "./validity.js";

/** Problems of a graph, one sentence each; empty when it is valid. */
export function verifyGraph(graph: Graph): string[] {
  return graphProblems(graph, instantiate);
}

/**
 * Fails with an internal error listing every problem when a graph is not valid (`pass` names who
 * made it). A graph `Builder.finish` returned was verified then and is not verified again.
 */
export function assertValid(graph: Graph, pass: string): void {
  if (isKnownValid(graph)) return;
  const problems = verifyGraph(graph);
  invariant(problems.length === 0, `After ${pass}, graph ${graph.name} is not valid:\n  ${problems.join("\n  ")}`);
  // A pass that freezes the graph it returns (Object.freeze on it and its lists) gets it verified once.
  if (isFrozenGraph(graph)) rememberValid(graph);
}
