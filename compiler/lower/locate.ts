// Spec locations for node docs: a JSON pointer -> `file.mssm:line` through the SourceMap that
// loadSpec returns. Kept apart so the lowering itself never touches files.

import { basename } from "node:path";
import { lineColumn, type SourceFile } from "../../base/source/source-file.js";
import type { SourceMap } from "../load/source-map.js";
import type { Locate } from "./context.js";

/** `mssm.mssm:12` for the pointer's value (or its nearest located ancestor); "" when unknown. */
export function sourceLocator(map: SourceMap, files: ReadonlyMap<string, SourceFile>): Locate {
  return (pointer) => {
    const origin = map.locate(pointer);
    const file = origin && files.get(origin.file);
    if (!origin || !file) return "";
    return `${basename(origin.file)}:${lineColumn(file, origin.span.start).line}`;
  };
}
