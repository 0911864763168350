// int64 tensors (ONNX indices) from JavaScript numbers without a BigInt per value.

/** Whether this machine stores the low 32 bits of an int64 first. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Non-negative values below 2^31 as int64; on little-endian machines written as 32-bit halves. */
export function int64Of(values: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(values.length);
  if (LITTLE_ENDIAN) {
    const halves = new Int32Array(out.buffer);
    for (let k = 0; k < values.length; k++) halves[2 * k] = values[k]!;
  } else for (let k = 0; k < values.length; k++) out[k] = BigInt(values[k]!);
  return out;
}
