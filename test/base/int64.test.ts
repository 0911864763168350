import { describe, expect, it } from "vitest";
import { int64Of } from "../../base/int64.js";

describe("int64Of", () => {
  it("writes non-negative numbers below 2^31 as the int64 values BigInt gives", () => {
    const values = [0, 1, 2, 255, 256, 65_535, 65_536, 1_234_567, 2 ** 31 - 1];
    expect(Array.from(int64Of(values))).toEqual(values.map(BigInt));
    expect(Array.from(int64Of(Int32Array.of(7, 0, 3)))).toEqual([7n, 0n, 3n]);
    expect(int64Of([]).length).toBe(0);
  });
});
