"""The zoo MSSM of speed.py trained in PyTorch on data mssmc encoded, for bench/sparse-training.ts.

Dense, as PyTorch users run it: every gate sampled and every weight multiplied each step, nothing
frozen or cut. The same settings as the zoo MSSM's run in mssmc: Adam 1e-3 (gates Adam 0.2), the
gates' learning rate 0 for the warm-up epochs, batch B, E epochs, the rows in a seeded random
order each epoch (torch's generator: another order than mssmc's), the last batch kept; after each
epoch the test rows are scored (AUC per task) with the deterministic gates z = clip(sigmoid(log alpha)(zeta - gamma)
+ gamma, 0, 1), as mssmc validates on them each epoch.

The data directory holds what bench/sparse-training.ts writes: meta.json (rows, tables, tasks) and,
per split (train, test), <split>.ids (int64 [rows, tables]), <split>.x (float32 [rows, numeric])
and <split>.y (float32 [rows, tasks]), raw little-endian.

Prints one JSON line: {"wall_seconds", "cpu_seconds" (the process's, every thread), "epoch_seconds", "median_step_ms" (per epoch), "auc" (per task, last epoch)}.
    /usr/bin/python3 bench/torch/train.py --data DIR --epochs 10 --batch 1024 --threads 1 --warmup-epochs 5 --seed 7
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import torch

import speed


def read(data, split, name, dtype, width):
    return torch.from_numpy(np.fromfile(os.path.join(data, f"{split}.{name}"), dtype=dtype).reshape(-1, width).copy())


def auc(scores, labels):
    """The area under the ROC curve: the Mann-Whitney statistic, ties counted half (average ranks)."""
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i : j + 1] = (i + j) / 2 + 1
        i = j + 1
    r = np.empty(len(s))
    r[order] = ranks
    pos = labels > 0.5
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((r[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def deterministic(log_alpha, _u):
    """The evaluation gate: clip(sigmoid(log alpha)(zeta - gamma) + gamma, 0, 1)."""
    return torch.clamp(torch.sigmoid(log_alpha) * (speed.ZETA - speed.GAMMA) + speed.GAMMA, 0, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup-epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    with open(os.path.join(a.data, "meta.json")) as f:
        meta = json.load(f)
    speed.TABLES = meta["tables"]
    tables, numeric, tasks = len(meta["tables"]), speed.NUMERIC, len(meta["tasks"])
    train = [read(a.data, "train", "ids", np.int64, tables), read(a.data, "train", "x", np.float32, numeric), read(a.data, "train", "y", np.float32, tasks)]
    test = [read(a.data, "test", "ids", np.int64, tables), read(a.data, "test", "x", np.float32, numeric), read(a.data, "test", "y", np.float32, tasks)]

    model = speed.MSSM()
    gates = model.gate_parameters()
    rest = [q for q in model.parameters() if all(q is not g for g in gates)]
    opt = torch.optim.Adam([{"params": rest}, {"params": gates, "lr": speed.GATE_LR}], lr=1e-3)
    order = torch.Generator().manual_seed(a.seed)
    rows = train[0].shape[0]
    epoch_seconds, median_step, aucs = [], [], None
    labels = test[2].numpy()
    started, cpu = time.perf_counter(), time.process_time()
    for epoch in range(a.epochs):
        epoch_started = time.perf_counter()
        opt.param_groups[1]["lr"] = 0.0 if epoch < a.warmup_epochs else speed.GATE_LR
        model.train()
        steps = []
        perm = torch.randperm(rows, generator=order)
        for at in range(0, rows, a.batch):
            s = time.perf_counter()
            idx = perm[at : at + a.batch]
            ids, x, y = (t[idx] for t in train)
            opt.zero_grad(set_to_none=True)
            loss = speed.objective(model, model(ids, x, model.noise()), [y[:, k] for k in range(tasks)])
            loss.backward()
            opt.step()
            steps.append((time.perf_counter() - s) * 1000)
        with torch.no_grad():
            model.eval()
            sampled = speed.hard_concrete
            speed.hard_concrete = deterministic
            try:
                logits = model(test[0], test[1], model.noise())
            finally:
                speed.hard_concrete = sampled
            # Scored each epoch, as mssmc validates each epoch.
            aucs = {t: auc(torch.sigmoid(logits[k]).numpy(), labels[:, k]) for k, t in enumerate(meta["tasks"])}
        epoch_seconds.append(time.perf_counter() - epoch_started)
        median_step.append(statistics.median(steps))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    result = {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "epoch_seconds": epoch_seconds,
        "median_step_ms": median_step,
        "auc": aucs,
        "torch": torch.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
