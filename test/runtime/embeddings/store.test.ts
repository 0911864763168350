import { describe, expect, it } from "vitest";
import { Random } from "../../../base/random.js";
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from "../../../runtime/checkpoint.js";
import { EmbeddingStore, INIT_RANGE, packTable, unpackTable, type TableColumns } from "../../../runtime/embeddings/store.js";
import { initialState } from "../../../runtime/train.js";
import { compiled, smallData, smallSpec } from "../helpers.js";
import { UserError } from "../../../base/user-error.js";

// The store keeps each row's values and optimizer state in one interleaved record; these tests
// check it against the layout it replaced: one [rows, dim] array for the values and one per state.

/** A fresh store for the small spec (field "c": 5 rows of dim 4, Adam state m and v). */
async function fixture(): Promise<{ store: EmbeddingStore; checkpoint: Checkpoint }> {
  const spec = smallSpec();
  const { manifest } = compiled(spec);
  const data = await smallData(spec);
  const state = initialState(manifest, data.preprocessing, 5);
  return { store: state.store, checkpoint: { specHash: manifest.spec_hash, seed: 5, preprocessing: data.preprocessing, state } };
}

/** `n` distinct floats starting at `from`. */
const ramp = (n: number, from: number) => Float32Array.from({ length: n }, (_, i) => from + i);

/** Every row id of a table. */
const allIds = (rows: number) => Int32Array.from({ length: rows }, (_, i) => i);

/** The raw float32 blocks of a checkpoint by tensor name, read by hand from the file layout. */
function fileBlocks(bytes: Buffer): Map<string, Float32Array> {
  const headerLength = bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.toString("utf8", 12, 12 + headerLength)) as { tensors: { name: string; shape: number[] }[] };
  const out = new Map<string, Float32Array>();
  let at = 12 + headerLength;
  for (const t of header.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    out.set(t.name, new Float32Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + n * 4)));
    at += n * 4;
  }
  return out;
}

describe("EmbeddingStore", () => {
  it("starts from the same values as separate arrays did: U(-0.05, 0.05) row-major from emb/<field>/rows, states at their init", async () => {
    const { store } = await fixture();
    const table = store.table("c");
    expect([table.rows, table.dim, table.stateKinds]).toEqual([5, 4, ["adam_m", "adam_v"]]);
    const rng = Random.derive(5, "emb/c/rows");
    const expected = Float32Array.from({ length: 5 * 4 }, () => rng.uniformIn(-INIT_RANGE, INIT_RANGE));
    const columns = unpackTable(table);
    expect(Array.from(columns.values)).toEqual(Array.from(expected));
    expect(Array.from(store.valueTables().get("c")!.data)).toEqual(Array.from(expected));
    expect([...columns.states.values()].map((s) => Array.from(s))).toEqual([new Array(20).fill(0), new Array(20).fill(0)]);
  });

  it("lays row r out as [values | m | v], and packs and unpacks separate arrays exactly", () => {
    const columns: TableColumns = { field: "f", rows: 3, dim: 2, values: ramp(6, 0), states: new Map([["adam_m", ramp(6, 100)], ["adam_v", ramp(6, 200)]]) };
    const table = packTable(columns);
    expect(Array.from(table.slab)).toEqual([0, 1, 100, 101, 200, 201, 2, 3, 102, 103, 202, 203, 4, 5, 104, 105, 204, 205]);
    expect(unpackTable(table)).toEqual(columns);
  });

  it("gathers and scatters only the rows asked for, with their optimizer state", async () => {
    const { store } = await fixture();
    const before = unpackTable(store.table("c"));
    const ids = Int32Array.of(1, 3);
    const g = store.gather("c", ids);
    expect(Array.from(g.rows)).toEqual([...before.values.subarray(4, 8), ...before.values.subarray(12, 16)]);
    expect(store.gather("c", ids, false).states).toEqual([]);
    expect(() => store.gather("c", Int32Array.of(1, 5))).toThrow('row 5 is outside the table of field "c" (5 rows)');
    expect(() => store.scatter("c", Int32Array.of(-1), ramp(4, 0), [ramp(4, 0), ramp(4, 0)])).toThrow('row -1 is outside the table of field "c" (5 rows)');
    store.scatter("c", ids, ramp(8, 10), [ramp(8, 20), ramp(8, 30)]);
    const after = unpackTable(store.table("c"));
    const expectRows = (a: Float32Array, b: Float32Array, row1: number[], row3: number[]) => {
      const expected = Array.from(b);
      expected.splice(4, 4, ...row1);
      expected.splice(12, 4, ...row3);
      expect(Array.from(a)).toEqual(expected);
    };
    expectRows(after.values, before.values, [10, 11, 12, 13], [14, 15, 16, 17]);
    expectRows(after.states.get("adam_m")!, before.states.get("adam_m")!, [20, 21, 22, 23], [24, 25, 26, 27]);
    expectRows(after.states.get("adam_v")!, before.states.get("adam_v")!, [30, 31, 32, 33], [34, 35, 36, 37]);
    // A gather of what was scattered gives it back, block by block.
    const back = store.gather("c", ids);
    expect([back.rows, ...back.states].map((b) => Array.from(b))).toEqual([ramp(8, 10), ramp(8, 20), ramp(8, 30)].map((b) => Array.from(b)));
  });

  it("clones deeply: writes to the clone or the original do not reach the other", async () => {
    const { store } = await fixture();
    const original = unpackTable(store.table("c"));
    const copy = store.clone();
    copy.scatter("c", Int32Array.of(2), ramp(4, 1), [ramp(4, 2), ramp(4, 3)]);
    expect(unpackTable(store.table("c"))).toEqual(original);
    const copied = unpackTable(copy.table("c"));
    store.scatter("c", Int32Array.of(0, 2), ramp(8, 9), [ramp(8, 8), ramp(8, 7)]);
    expect(unpackTable(copy.table("c"))).toEqual(copied);
    expect(Array.from(copied.values.subarray(8, 12))).toEqual([1, 2, 3, 4]);
  });

  it("keeps the checkpoint format: values and each state as their own [rows, dim] block, decoded back into the same store", async () => {
    const { store, checkpoint } = await fixture();
    const ids = allIds(5);
    store.scatter("c", ids, ramp(20, 1), [ramp(20, 100), ramp(20, 200)]);
    const bytes = encodeCheckpoint(checkpoint);
    const blocks = fileBlocks(bytes);
    expect(Array.from(blocks.get("emb/c")!)).toEqual(Array.from(ramp(20, 1)));
    expect(Array.from(blocks.get("emb/c/adam_m")!)).toEqual(Array.from(ramp(20, 100)));
    expect(Array.from(blocks.get("emb/c/adam_v")!)).toEqual(Array.from(ramp(20, 200)));
    const back = decodeCheckpoint(bytes, "c.ckpt").state.store;
    expect(back.table("c")).toEqual(store.table("c"));
    const [g, h] = [store.gather("c", ids), back.gather("c", ids)];
    expect([h.rows, ...h.states]).toEqual([g.rows, ...g.states]);
    expect(encodeCheckpoint({ ...checkpoint, state: { ...checkpoint.state, store: back } }).equals(bytes)).toBe(true);
  });
});

describe("a table too large for one array", () => {
  it("is refused with a user error naming the field and what to change, before any memory is taken", () => {
    const manifest = { tables: [{ field: "item", dim: 32, rows: "emb/item/rows", index: "emb/item/index" }], graphs: { train: { inputs: ["adam_m", "adam_v"].map((s) => ({ name: `emb/item/rows/${s}`, role: "state", of: "emb/item/rows", state: s, init: 0 })) } } };
    const preprocessing = { fields: { item: { kind: "categorical", vocab: { kind: "hash", hash: "murmur3-32-utf8", buckets: 50_000_000 } } } };
    let error: unknown;
    try {
      EmbeddingStore.initial(manifest as never, preprocessing as never, 1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/^the embedding table of field "item" needs 50,000,000 rows × dim 32 × 3 \(values and optimizer state\) = 4,800,000,000 numbers \(17\.9 GiB\), more than one array can hold/);
    expect((error as UserError).message).toContain("use fewer hash_buckets, a smaller dim");
  });
});
