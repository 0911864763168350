"""Issue 7.3's equivalence check: given mssmc's initial weights and one batch (bench/torch/dump-step.ts),
the PyTorch model of bench/torch/speed.py computes the same loss to 1e-5.

Weights are copied by name: fields/<f>/vector -> the numeric field's v, emb tables -> nn.Embedding,
level1/shared/expert<k>/dense<i>/{weight,bias} -> the experts' Linear layers (mssmc stores W as
[in, out], PyTorch as [out, in]), towers/<task>/{dense0,out} -> the towers, towers/<task>/gate (MMoE).
The input is the field embeddings concatenated in spec order. Prints one JSON line.
    /usr/bin/python3 bench/torch/equivalence.py DUMP.json
"""
import json
import sys

import torch
from torch import nn

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from speed import MODELS  # noqa: E402


def main():
    d = json.load(open(sys.argv[1]))
    torch.set_num_threads(1)
    model = MODELS[d["model"]]()
    P = {k: torch.tensor(v, dtype=torch.float32) for k, v in d["params"].items()}
    fields = d["fields"]
    used = set()

    def take(name):
        used.add(name)
        return P[name]

    def set_linear(lin, prefix):
        lin.weight.data = take(prefix + "/weight").reshape(lin.in_features, lin.out_features).t().contiguous()
        lin.bias.data = take(prefix + "/bias").reshape(lin.out_features)

    experts = model.experts if hasattr(model, "experts") else [model.bottom]
    for k, e in enumerate(experts):
        lins = [m for m in e if isinstance(m, nn.Linear)]
        for i, lin in enumerate(lins):
            set_linear(lin, f"level1/shared/expert{k}/dense{i}")
    tasks = list(d["labels"].keys())
    for t, tower in zip(tasks, model.towers):
        lins = [m for m in tower.modules() if isinstance(m, nn.Linear)]
        set_linear(lins[0], f"towers/{t}/dense0")
        set_linear(lins[1], f"towers/{t}/out")
    if hasattr(model, "gates"):
        for t, g in zip(tasks, model.gates):
            names = [n for n in P if n.startswith(f"towers/{t}/") and "gate" in n]
            w = [n for n in names if n.endswith("weight")][0]
            set_linear(g, w[: -len("/weight")])
    unused = sorted(set(P) - used - {n for n in P if n.startswith("fields/")})
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
    e = torch.cat(parts, dim=1).double()
    model = model.double()
    # The forward of speed.py's models after their Inputs module.
    if hasattr(model, "gates"):
        outs = torch.stack([m(e) for m in model.experts], dim=1)
        logits = [t((torch.softmax(g(e), dim=1).unsqueeze(2) * outs).sum(1)).squeeze(1) for g, t in zip(model.gates, model.towers)]
    else:
        h = model.bottom(e)
        logits = [t(h).squeeze(1) for t in model.towers]
    bce = nn.BCEWithLogitsLoss()
    task_loss = {t: bce(z, torch.tensor(d["labels"][t], dtype=torch.float64)).item() for t, z in zip(tasks, logits)}
    dense_w = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    l2 = sum((w * w).sum() for w in dense_w).item()
    loss = sum(task_loss.values()) + d["l2"] * l2
    print(json.dumps({"model": d["model"], "mssmc_loss": d["loss"], "torch_loss": loss, "abs_diff": abs(loss - d["loss"]),
                      "task_diff": {t: abs(task_loss[t] - d["taskLoss"][t]) for t in tasks}, "unmapped_params": unused}))


if __name__ == "__main__":
    main()
