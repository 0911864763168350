"""The zoo's Shared-Bottom and MMoE written directly in PyTorch, for bench/torch-speed.ts.

Same shapes as specs/zoo/{shared-bottom,mmoe}.mssm on Adult: 7 categorical fields (embedding dim 8,
Adult's table sizes), 6 numeric fields embedded as x * v (v in R^8), their concatenation (104)
into the experts, one tower mlp[16] relu and a logit per task, BCE-with-logits per task, L2 1e-5
on dense weights, Adam 1e-3 on everything. One training step = forward, backward, Adam.

Prints one JSON line: {"model", "params", "batch", "threads", "step_ms" (median), "samples_per_second"}.
    /usr/bin/python3 bench/torch/speed.py --model mmoe --batch 1024 --steps 30 --warmup 5 --threads 1
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn

TABLES = [9, 17, 15, 7, 6, 3, 42]  # workclass, education, occupation, relationship, race, sex, native-country
NUMERIC = 6
DIM = 8
INPUT = (len(TABLES) + NUMERIC) * DIM


def mlp(sizes):
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers)


class Inputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(n, DIM) for n in TABLES)
        self.v = nn.Parameter(torch.empty(NUMERIC, DIM).uniform_(-0.05, 0.05))

    def forward(self, ids, x):
        cat = [t(ids[:, i]) for i, t in enumerate(self.tables)]
        num = (x.unsqueeze(2) * self.v.unsqueeze(0)).flatten(1)
        return torch.cat(cat + [num], dim=1)


class SharedBottom(nn.Module):
    def __init__(self):
        super().__init__()
        self.inputs = Inputs()
        self.bottom = mlp([INPUT, 256, 32])
        self.towers = nn.ModuleList(nn.Sequential(mlp([32, 16]), nn.Linear(16, 1)) for _ in range(2))

    def forward(self, ids, x):
        h = self.bottom(self.inputs(ids, x))
        return [t(h).squeeze(1) for t in self.towers]


class MMoE(nn.Module):
    def __init__(self, experts=8):
        super().__init__()
        self.inputs = Inputs()
        self.experts = nn.ModuleList(mlp([INPUT, 64, 32]) for _ in range(experts))
        self.gates = nn.ModuleList(nn.Linear(INPUT, experts) for _ in range(2))
        self.towers = nn.ModuleList(nn.Sequential(mlp([32, 16]), nn.Linear(16, 1)) for _ in range(2))

    def forward(self, ids, x):
        e = self.inputs(ids, x)
        outs = torch.stack([m(e) for m in self.experts], dim=1)  # [batch, experts, 32]
        res = []
        for g, t in zip(self.gates, self.towers):
            w = torch.softmax(g(e), dim=1).unsqueeze(2)
            res.append(t((w * outs).sum(1)).squeeze(1))
        return res


MODELS = {"shared-bottom": SharedBottom, "mmoe": MMoE}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(7)
    model = MODELS[a.model]()
    dense = [p for n, p in model.named_parameters() if "weight" in n and "tables" not in n]
    params = sum(p.numel() for n, p in model.named_parameters() if "tables" not in n)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    bce = nn.BCEWithLogitsLoss()
    g = torch.Generator().manual_seed(1)
    batches = []
    for _ in range(16):
        ids = torch.stack([torch.randint(0, n, (a.batch,), generator=g) for n in TABLES], dim=1)
        x = torch.randn(a.batch, NUMERIC, generator=g)
        y = [(torch.rand(a.batch, generator=g) < 0.3).float() for _ in range(2)]
        batches.append((ids, x, y))
    times = []
    for t in range(a.warmup + a.steps):
        ids, x, y = batches[t % len(batches)]
        s = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        out = model(ids, x)
        loss = sum(bce(o, yy) for o, yy in zip(out, y)) + 1e-5 * sum((w * w).sum() for w in dense)
        loss.backward()
        opt.step()
        if t >= a.warmup:
            times.append((time.perf_counter() - s) * 1000)
    ms = statistics.median(times)
    print(json.dumps({"model": a.model, "params": params, "batch": a.batch, "threads": a.threads, "torch": torch.__version__, "step_ms": ms, "samples_per_second": a.batch / (ms / 1000)}))


if __name__ == "__main__":
    main()
