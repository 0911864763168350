#!/usr/bin/env bash
# The main job on the built-in example: compile, train, evaluate and export the zoo's MSSM model on
# the bundled Adult data. Each run gets a new folder under runs/ (runs/adult-mssm, -2, -3, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/adult-mssm
n=1
while [ -e "$out" ]; do n=$((n + 1)); out="runs/adult-mssm-$n"; done
mssmc() { node dist/cli/mssmc.js "$@"; }
mssmc train specs/zoo/mssm.mssm --data data/adult/adult.data.gz --valid-fraction 0.1 --out "$out"
echo
echo "== test metrics (data/adult/adult.test.gz)"
mssmc eval "$out" --data data/adult/adult.test.gz
echo
mssmc export "$out" -o "$out/model.onnx"
echo
echo "run folder: $out (artifact/, checkpoints/, metrics.jsonl, model.onnx)"
