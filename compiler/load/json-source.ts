import { error, type Diagnostic } from "../../base/source/diagnostic.js";
import { child, SourceMap } from "./source-map.js";

// A small JSON reader that remembers where every value and key is, so a .json spec gets the same
// line:column diagnostics as a .mssm one. JSON.parse cannot give positions.

/** How deeply arrays and objects may nest: a spec needs 6 levels; the reader recurses per level. */
export const MAX_JSON_DEPTH = 100;

/** Parses JSON text into a value and a source map; syntax errors become diagnostics. */
export function parseJsonSource(text: string, file: string): { value: unknown; map: SourceMap; diagnostics: Diagnostic[] } {
  const map = new SourceMap();
  let i = 0;
  class Stop extends Error {}
  const fail = (message: string, at = i): never => {
    throw Object.assign(new Stop(message), { at });
  };
  const ws = () => {
    while (i < text.length && " \t\r\n\ufeff".includes(text[i]!)) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    let out = "";
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\n") fail("This string has no closing quote.", start);
      if (text[i] === "\\") {
        const e = text[i + 1];
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", '"': '"', "\\": "\\", "/": "/" };
        if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i += 2;
        } else fail("Invalid escape in string.");
      } else out += text[i++];
    }
    if (i >= text.length) fail("This string has no closing quote.", start);
    i++;
    return out;
  };
  const value = (pointer: string, key?: { start: number; end: number }, depth = 0): unknown => {
    ws();
    const start = i;
    if (depth > MAX_JSON_DEPTH) fail(`Arrays and objects nest more than ${MAX_JSON_DEPTH} levels deep here; a spec needs far fewer.`);
    let v: unknown;
    const c = text[i];
    if (c === "{") {
      i++;
      const o: Record<string, unknown> = {};
      ws();
      if (text[i] === "}") i++;
      else {
        for (;;) {
          ws();
          if (text[i] !== '"') fail("Expected a property name in double quotes.");
          const ks = i;
          const k = str();
          const keySpan = { start: ks, end: i };
          ws();
          if (text[i] !== ":") fail("Expected ':' after the property name.");
          i++;
          // A key such as "__proto__" becomes an own property, as JSON.parse makes it, not the prototype.
          Object.defineProperty(o, k, { value: value(child(pointer, k), keySpan, depth + 1), enumerable: true, writable: true, configurable: true });
          ws();
          if (text[i] === ",") i++;
          else if (text[i] === "}") {
            i++;
            break;
          } else fail("Expected ',' or '}' in the object.");
        }
      }
      v = o;
    } else if (c === "[") {
      i++;
      const a: unknown[] = [];
      ws();
      if (text[i] === "]") i++;
      else {
        for (;;) {
          a.push(value(child(pointer, a.length), undefined, depth + 1));
          ws();
          if (text[i] === ",") i++;
          else if (text[i] === "]") {
            i++;
            break;
          } else fail("Expected ',' or ']' in the array.");
        }
      }
      v = a;
    } else if (c === '"') v = str();
    else {
      const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
      if (!m) fail(i >= text.length ? "Unexpected end of the file." : `Unexpected character '${text[i]}'.`);
      v = JSON.parse(m![0]);
      if (typeof v === "number" && !Number.isFinite(v)) fail(`The number ${m![0]} is too large: numbers must fit a 64-bit float (at most about 1.8e308).`);
      i += m![0].length;
    }
    map.set(pointer, key ? { file, span: { start, end: i }, key } : { file, span: { start, end: i } });
    return v;
  };
  try {
    const v = value("");
    ws();
    if (i < text.length) fail("Unexpected text after the JSON value.");
    return { value: v, map, diagnostics: [] };
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const at = (e as Stop & { at: number }).at;
    return { value: undefined, map, diagnostics: [error("syntax-error", e.message, file, { start: at, end: Math.min(text.length, at + 1) })] };
  }
}
