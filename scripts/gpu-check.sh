#!/usr/bin/env bash
# The GPU check, for a machine with a GPU and no network: finds the GPU provider onnxruntime can
# start here (--device cuda, else webgpu through the system's Vulkan driver), then runs, for it:
#   1. parity: every zoo model's eval.onnx and one training step of every zoo model, compiled for
#      the device, against the CPU on the same seeded inputs (test/runtime/device-parity-child.mjs):
#      eval outputs within 1e-4 relative element-wise, step outputs within 1e-4 norm-wise, the
#      tolerances of test/runtime/device-webgpu.test.ts;
#   2. the device benchmark (bench/device.ts) on cpu and that device.
# Nothing is downloaded: run `npm ci` beforehand (with the CUDA libraries installed for cuda, see
# the README's GPU section). Writes everything to the output file (default gpu-check-<time>.txt)
# and exits 1 with one line when no GPU provider starts or parity fails.
#
#   scripts/gpu-check.sh [output-file]        (GPU_CHECK_MODELS=mssm,single-task: only those models)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-check-$(date +%Y%m%d-%H%M%S).txt}
fail() { echo "gpu-check: $*" | tee -a "$out" >&2; exit 1; }
: >"$out"
[ -x node_modules/.bin/tsc ] || fail "node_modules is missing: run \`npm ci\` first (this script downloads nothing)."
node_modules/.bin/tsc -p tsconfig.json >>"$out" 2>&1 || fail "the build failed (tsc); see $out."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work} ORT_DISABLE_TELEMETRY=1

# A provider works when a compiled model opens on it with its nodes placed on it (not all on the CPU).
device=""
for d in cuda webgpu; do
  if node dist/cli/mssmc.js compile specs/zoo/single-task.mssm --device "$d" --placement -o "$work/probe-$d" >"$work/probe-$d.log" 2>&1 \
    && grep -Eq "[0-9]+ on (CUDA|WebGpu)ExecutionProvider" "$work/probe-$d.log"; then
    device=$d
    break
  fi
  echo "$d: $(grep -m1 -i error "$work/probe-$d.log" || echo "no nodes placed on the device")" >>"$out"
done
[ -n "$device" ] || fail "no GPU provider starts here (cuda: CUDA libraries, see the README's GPU section; webgpu: a Vulkan driver and libvulkan.so.1). Details in $out."
vk=${VK_ICD_FILENAMES:-system Vulkan driver}
echo "device: $device$([ "$device" = webgpu ] && echo " ($vk)"); node $(node --version); $(date -u +%FT%TZ)" | tee -a "$out"

# 1. Parity.
models=()
for f in specs/zoo/*.mssm; do
  name=$(basename "$f" .mssm)
  [ "$name" = adult ] && continue
  [ -n "${GPU_CHECK_MODELS:-}" ] && [[ ",$GPU_CHECK_MODELS," != *",$name,"* ]] && continue
  node dist/cli/mssmc.js compile "$f" --device "$device" -o "$work/$name" >>"$out" 2>&1 || fail "compiling $f for $device failed; see $out."
  models+=("$work/$name")
done
trained=$(IFS=,; echo "${models[*]##*/}")
MSSMC_PARITY_DEVICE=$device MSSMC_TRAIN=$trained node test/runtime/device-parity-child.mjs "${models[@]}" >"$work/parity.jsonl" 2>>"$out" \
  || fail "the parity run on $device crashed; see $out."
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  let bad = 0;
  for (const line of readFileSync(process.argv[1], "utf8").trim().split("\n")) {
    const r = JSON.parse(line);
    for (const [name, d] of Object.entries(r.outputs)) {
      const value = r.graph === "eval" ? d.maxRel : d.normRel;
      const ok = value <= 1e-4;
      if (!ok) bad++;
      console.log(`parity ${ok ? "ok  " : "FAIL"} ${r.model} ${r.graph} ${name}: ${r.graph === "eval" ? "max" : "norm"} relative difference ${value.toExponential(2)}`);
    }
  }
  console.log(`parity: ${bad} output(s) beyond 1e-4`);
  process.exit(bad ? 1 : 0);
' "$work/parity.jsonl" >>"$out" 2>&1 || fail "parity on $device: outputs differ from the CPU beyond 1e-4; see $out."
echo "parity on $device: every zoo model's eval and training step match the CPU within 1e-4" | tee -a "$out"

# 2. The benchmark (--full: on SwiftShader it would otherwise skip batch 8192).
node dist/bench/device.js --devices "cpu,$device" --full ${GPU_CHECK_MODELS:+--only "$GPU_CHECK_MODELS"} >>"$out" 2>&1 || fail "the device benchmark failed; see $out."
sed -n '/^spec /,$p' "$out"
echo "gpu-check: done; written to $out"
