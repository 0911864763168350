import { describe, expect, it } from "vitest";
import { formatOverhead, measureOverhead } from "../../bench/ort-overhead.js";

// Keeps bench/ort-overhead.ts from rotting: a few runs of each graph, small GEMMs, and the table.

describe("onnxruntime overhead benchmark", () => {
  it("times the I/O graphs and the GEMM graph on 1 and 2 threads and prints the table", async () => {
    const result = await measureOverhead({ runs: 3, warmup: 1, batch: 64 });
    expect(result.rows.map((r) => `${r.graph} ${r.threads}`)).toEqual([
      "250 inputs + 150 outputs of 500 floats 1",
      "4 inputs + 2 outputs of 37,500 floats 1",
      "MSSM's 6 step GEMMs, batch 64 1",
      "250 inputs + 150 outputs of 500 floats 2",
      "4 inputs + 2 outputs of 37,500 floats 2",
      "MSSM's 6 step GEMMs, batch 64 2",
    ]);
    for (const r of result.rows) expect(r.p10).toBeLessThanOrEqual(r.median);
    const lines = formatOverhead(result);
    expect(lines[0]).toBe("| graph | threads | median ms | p10 ms |");
    expect(lines.at(-1)).toMatch(/^one more input or output: -?\d+\.\d\d µs a run \(2 thread\(s\)/);
  });
});
