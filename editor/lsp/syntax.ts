import type * as A from "../../grammar/ast.js";

// Finding the syntax nodes under a cursor. The AST has no parent links; a generic walk over the
// properties of each node yields the chain from the document down to the innermost node, which
// is all hover needs (a kind word's meaning depends on whether it sits in `fields`, `connect`...).

/** Any AST node. */
export type Node = { kind: string; span: { start: number; end: number } };

function isNode(x: unknown): x is Node {
  return typeof x === "object" && x !== null && typeof (x as Node).kind === "string" && typeof (x as Node).span === "object";
}

/** The nodes containing `offset` (end included), outermost first. */
export function nodesAt(document: A.Document, offset: number): Node[] {
  const chain: Node[] = [];
  let current: Node | undefined = document;
  while (current) {
    chain.push(current);
    let next: Node | undefined;
    for (const [key, value] of Object.entries(current)) {
      if (key === "span") continue;
      const candidates: unknown[] = Array.isArray(value) ? value : [value];
      for (const c of candidates) {
        if (isNode(c) && c.span.start <= offset && offset <= c.span.end) {
          next = c;
          break;
        }
      }
      if (next) break;
    }
    current = next;
  }
  return chain;
}
