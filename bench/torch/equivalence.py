"""Issue 7.3's equivalence check: given mssmc's initial weights, one batch and the gate noise of
step 1 (bench/torch/dump-step.ts), the PyTorch model of bench/torch/speed.py computes the same loss
to 1e-5. With `gates.noise: per_example` in the dump, each gate's u has a batch axis and speed.py's
MSSM gates each example with its own sample.

Weights are copied by name: fields/<f>/vector -> the numeric field's v, emb tables -> nn.Embedding,
dense<i>/{weight,bias} -> Linear layers (mssmc stores W as [in, out], PyTorch as [out, in]):
level<l>/<group>/expert<k> -> the experts (MSSM's CSSM layers), towers/<task>/{dense0,out} -> the
towers, towers/<task>/gate and level2/<group>/gate -> the softmax gates (MMoE, CGC, PLE);
select/<group>/gates/fields/log_alpha and its noise -> row <group> of MSSM's field gates and their u,
.../gates/<source>/log_alpha -> row <source> of a CSSM layer's
log alpha, and the noise of gate group .../gates/<source> -> the same row of that layer's u.
The input is the field embeddings concatenated in spec order. The loss compared is the total:
task losses + l0 * L0(cells) + l0_fields * L0(fields) + l2 * L2; also each task's loss, the L0 term and the largest difference of a
per-example prediction (at initialization the batch-mean loss hides most of a model's
differences: logits are small). Prints one JSON line.
    /usr/bin/python3 bench/torch/equivalence.py DUMP.json
"""
import json
import sys

import torch
from torch import nn

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from speed import BETA, CGC, GAMMA, GROUPS, MMoE, MODELS, MSSM, PLE, ZETA, dense_weights  # noqa: E402


def main():
    d = json.load(open(sys.argv[1]))
    torch.set_num_threads(1)
    model = MODELS[d["model"]]()
    P = {k: torch.tensor(v, dtype=torch.float32) for k, v in d["params"].items()}
    fields = d["fields"]
    tasks = list(d["labels"].keys())
    assert tasks == GROUPS[:2], tasks
    used = set()

    def take(name):
        used.add(name)
        return P[name]

    def set_linear(lin, prefix):
        lin.weight.data = take(prefix + "/weight").reshape(lin.in_features, lin.out_features).t().contiguous()
        lin.bias.data = take(prefix + "/bias").reshape(lin.out_features)

    def set_mlp(seq, prefix):
        for i, lin in enumerate(m for m in seq if isinstance(m, nn.Linear)):
            set_linear(lin, f"{prefix}/dense{i}")

    def set_experts(levels, level):
        for g, experts in zip(GROUPS, levels):
            for k, m in enumerate(experts):
                set_mlp(m, f"{level}/{g}/expert{k}")

    noise = None
    if isinstance(model, MSSM):
        # speed.py's gate constants must be the spec's: they are not copied, they are code.
        spec_gates = (d["gates"]["beta"], d["gates"]["gamma"], d["gates"]["zeta"])
        if max(abs(a - b) for a, b in zip(spec_gates, (BETA, GAMMA, ZETA))) > 1e-12:
            sys.exit(f"gate constants differ: spec {spec_gates}, speed.py {(BETA, GAMMA, ZETA)}")
        for j, g in enumerate(GROUPS):
            model.select.data[j] = take(f"select/{g}/gates/fields/log_alpha").reshape(len(fields))
        # gates.noise per_example: each group's u is [batch, gates] row-major; stacked on axis 1 as [batch, rows, gates].
        batch = len(next(iter(d["labels"].values())))
        per_example = d["gates"].get("noise", "per_step") == "per_example"

        def stacked(names, gates):
            rows = [torch.tensor(d["noise"][n], dtype=torch.float64) for n in names]
            return torch.stack([r.reshape(batch, gates) for r in rows], dim=1) if per_example else torch.stack(rows)

        noise = [stacked([f"select/{g}/gates/fields" for g in GROUPS], len(fields))]
        fed = {f"select/{g}/gates/fields" for g in GROUPS}
        levels = [("level1", model.level1, GROUPS, [f"input/{g}" for g in GROUPS]), ("level2", model.level2, tasks, [f"{g}/expert0" for g in GROUPS])]
        for level, layers, consumers, sources in levels:
            for c, layer in zip(consumers, layers):
                owner = f"{level}/{c}/expert0"
                set_linear(layer.linear, f"{owner}/dense0")
                layer.log_alpha.data = torch.stack([take(f"{owner}/gates/{s}/log_alpha") for s in sources])
                noise.append(stacked([f"{owner}/gates/{s}" for s in sources], layer.linear.out_features))
                fed |= {f"{owner}/gates/{s}" for s in sources}
        if set(d["noise"]) != fed:
            sys.exit(f"gate groups without a PyTorch gate: {sorted(set(d['noise']) - fed)}")
    elif isinstance(model, CGC):
        set_experts(model.experts, "level1")
    elif isinstance(model, PLE):
        set_experts(model.level1, "level1")
        set_experts(model.level2, "level2")
        for g, mix in zip(GROUPS, model.mixes2):
            set_linear(mix.gate, f"level2/{g}/gate")
    else:
        for k, m in enumerate(model.experts if isinstance(model, MMoE) else [model.bottom]):
            set_mlp(m, f"level1/shared/expert{k}")
    for t, tower in zip(tasks, model.towers):
        lins = [m for m in tower.modules() if isinstance(m, nn.Linear)]
        set_linear(lins[0], f"towers/{t}/dense0")
        set_linear(lins[1], f"towers/{t}/out")
    for t, gate in zip(tasks, [m.gate for m in model.mixes] if hasattr(model, "mixes") else getattr(model, "gates", [])):
        set_linear(gate, f"towers/{t}/gate")
    batch = len(next(iter(d["labels"].values())))
    # The input in spec order: categorical -> table row, numeric -> x * v.
    numeric = torch.tensor(d["numeric"], dtype=torch.float32).reshape(batch, -1)
    parts, j = [], 0
    for f in fields:
        if f["kind"] == "numeric":
            parts.append(numeric[:, j : j + 1] * take(f"fields/{f['name']}/vector").reshape(1, -1))
            j += 1
        else:
            t = d["tables"][f["name"]]
            table = torch.tensor(t["data"], dtype=torch.float32).reshape(t["rows"], t["dim"])
            parts.append(table[torch.tensor(d["ids"][f["name"]], dtype=torch.long)])
    unused = sorted(set(P) - used)
    e = torch.cat(parts, dim=1).double()
    model = model.double()
    logits = model.body(e, noise)
    bce = nn.BCEWithLogitsLoss()
    task_loss = {t: bce(z, torch.tensor(d["labels"][t], dtype=torch.float64)).item() for t, z in zip(tasks, logits)}
    l2 = sum((w * w).sum() for w in dense_weights(model)).item()
    l0_cells = model.l0().item() if isinstance(model, MSSM) else 0.0
    l0_fields = model.l0_fields().item() if isinstance(model, MSSM) else 0.0
    l0 = l0_cells + l0_fields
    loss = sum(task_loss.values()) + d["l0Weight"] * l0_cells + d["l0FieldsWeight"] * l0_fields + d["l2"] * l2
    print(json.dumps({"model": d["model"], "mssmc_loss": d["loss"], "torch_loss": loss, "abs_diff": abs(loss - d["loss"]),
                      "task_diff": {t: abs(task_loss[t] - d["taskLoss"][t]) for t in tasks}, "l0_diff": abs(l0 - d["l0"]),
                      "pred_diff": {t: (torch.sigmoid(z) - torch.tensor(d["predictions"][t], dtype=torch.float64)).abs().max().item() for t, z in zip(tasks, logits)},
                      "mssmc_params": d["paramCount"], "torch_params": sum(p.numel() for n, p in model.named_parameters() if "tables" not in n), "unmapped_params": unused}))


if __name__ == "__main__":
    main()
