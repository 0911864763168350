// The zoo's MSSM spec (specs/zoo/mssm.mssm), which the Adult benchmarks train.

import { join } from "node:path";
import { loadSpec, type Spec } from "../compiler/index.js";
import { packageRoot } from "../base/package-root.js";

/** specs/zoo/mssm.mssm, checked; throws if it does not check. */
export function zooMssm(): Spec {
  const loaded = loadSpec(join(packageRoot(), "specs", "zoo", "mssm.mssm"));
  if (!loaded.spec) throw new Error("specs/zoo/mssm.mssm does not check");
  return loaded.spec;
}
