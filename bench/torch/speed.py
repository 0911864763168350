"""The zoo's Shared-Bottom, MMoE, CGC, PLE and MSSM written directly in PyTorch, for bench/torch-speed.ts.

Same shapes as specs/zoo/{shared-bottom,mmoe,cgc,ple,mssm}.mssm on Adult: 7 categorical fields
(embedding dim 8, Adult's table sizes), 6 numeric fields embedded as x * v (v in R^8), their
concatenation (104) into the experts, one tower mlp[16] relu and a logit per task, BCE-with-logits
per task, L2 1e-5 on dense weights (softmax gates' included), Adam 1e-3. CGC and PLE mix task and
shared experts with softmax gates. MSSM adds FSCM field selection per group, CSSM hard-concrete L0
gates per output cell between levels, the L0 penalty 1e-3 and Adam 3e-2 on its gate parameters
(FSCM g and log alpha: the spec's gate_optimizer), with fresh gate noise each step.
One training step = forward, backward, Adam.

Prints one JSON line: {"model", "params", "batch", "threads", "step_ms" (median), "samples_per_second"}.
    /usr/bin/python3 bench/torch/speed.py --model mmoe --batch 1024 --steps 30 --warmup 5 --threads 1 [--noise per_example]
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

TABLES = [9, 17, 15, 7, 6, 3, 42]  # workclass, education, occupation, relationship, race, sex, native-country
NUMERIC = 6
DIM = 8
FIELDS = len(TABLES) + NUMERIC
INPUT = FIELDS * DIM
L2 = 1e-5

GROUPS = ["income", "never_married", "shared"]  # MSSM's, CGC's and PLE's groups; the first two are the tasks

# MSSM's settings (specs/zoo/mssm.mssm, which takes the language's gate defaults) and the
# hard-concrete constants (docs/design.md, "The mathematics"): the L0 weights of the cell and the
# field gates, the gates' Adam rate, beta, gamma, zeta, the initial drop rate of the cell gates,
# the noise range U(eps, 1 - eps). Field gates start open at log((1 - gamma) / (zeta - 1)).
L0 = 3e-4
L0_FIELDS = 3e-3
GATE_LR = 0.2
BETA, GAMMA, ZETA = 2 / 3, -0.1, 1.1
INIT_DROP = 0.5
FIELD_GATE_OPEN = math.log((1 - GAMMA) / (ZETA - 1))
NOISE_EPS = 1e-6


def mlp(sizes):
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers)


def towers():
    return nn.ModuleList(nn.Sequential(mlp([32, 16]), nn.Linear(16, 1)) for _ in range(2))


class Inputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(n, DIM) for n in TABLES)
        self.v = nn.Parameter(torch.empty(NUMERIC, DIM).uniform_(-0.05, 0.05))

    def forward(self, ids, x):
        cat = [t(ids[:, i]) for i, t in enumerate(self.tables)]
        num = (x.unsqueeze(2) * self.v.unsqueeze(0)).flatten(1)
        return torch.cat(cat + [num], dim=1)


class Model(nn.Module):
    """A zoo model: forward = body (defined by each model) on the field embeddings."""

    def forward(self, ids, x, noise=None):
        return self.body(self.inputs(ids, x), noise)


class SharedBottom(Model):
    def __init__(self):
        super().__init__()
        self.inputs = Inputs()
        self.bottom = mlp([INPUT, 256, 32])
        self.towers = towers()

    def body(self, e, noise=None):
        """The task logits from the field embeddings e [batch, INPUT]."""
        h = self.bottom(e)
        return [t(h).squeeze(1) for t in self.towers]


class MMoE(Model):
    def __init__(self, experts=8):
        super().__init__()
        self.inputs = Inputs()
        self.experts = nn.ModuleList(mlp([INPUT, 64, 32]) for _ in range(experts))
        self.gates = nn.ModuleList(nn.Linear(INPUT, experts) for _ in range(2))
        self.towers = towers()

    def body(self, e, noise=None):
        outs = torch.stack([m(e) for m in self.experts], dim=1)  # [batch, experts, 32]
        res = []
        for g, t in zip(self.gates, self.towers):
            w = torch.softmax(g(e), dim=1).unsqueeze(2)
            res.append(t((w * outs).sum(1)).squeeze(1))
        return res


def hard_concrete(log_alpha, u):
    """Training sample: z = clip(sigmoid((log u - log(1 - u) + log alpha) / beta) (zeta - gamma) + gamma, 0, 1).
    u shaped like log alpha (one draw per step) or [batch, *log alpha's shape] (per example: log alpha broadcasts)."""
    s = torch.sigmoid((torch.log(u) - torch.log(1 - u) + log_alpha) / BETA)
    return torch.clamp(s * (ZETA - GAMMA) + GAMMA, 0, 1)


class CSSMLayer(nn.Module):
    """An expert's first layer over S equally wide sources o_s with a gate per source and output cell:
    relu(sum_s (o_s W_s) * z_s + b), computed as one matmul with W masked column-wise per block; with
    noise per example (u [batch, S, out]) each row's sum of per-source products gated by its own z."""

    def __init__(self, sources, width, out):
        super().__init__()
        self.width = width
        self.linear = nn.Linear(sources * width, out)
        mean = math.log(1 - INIT_DROP) - math.log(INIT_DROP)
        self.log_alpha = nn.Parameter(torch.empty(sources, out).normal_(mean, 0.01))  # [S, out]

    def forward(self, x, u):
        z = hard_concrete(self.log_alpha, u)  # [S, out], or [batch, S, out] per example
        if z.dim() == 3:
            sources, out = self.log_alpha.shape
            per_source = torch.einsum("bsi,osi->bso", x.view(-1, sources, self.width), self.linear.weight.view(out, sources, self.width))
            return torch.relu((per_source * z).sum(1) + self.linear.bias)
        mask = z.t().repeat_interleave(self.width, dim=1)  # [out, S * width]: block s of W's inputs gets z_s
        return torch.relu(F.linear(x, self.linear.weight * mask, self.linear.bias))


class MSSM(Model):
    """FSCM: group j reads E_j = [z_1j e_1, ..., z_nj e_n], z_fj a hard-concrete gate per field and group; level 1: one
    mlp[64] expert per group over all groups' E_j (CSSM); level 2: one mlp[32] expert per task over
    all level-1 experts (CSSM); each task's tower reads its own level-2 expert."""

    def __init__(self):
        super().__init__()
        self.inputs = Inputs()
        self.select = nn.Parameter(torch.empty(len(GROUPS), FIELDS).normal_(FIELD_GATE_OPEN, 0.01))  # log alpha per group and field
        self.level1 = nn.ModuleList(CSSMLayer(len(GROUPS), INPUT, 64) for _ in GROUPS)
        self.level2 = nn.ModuleList(CSSMLayer(len(GROUPS), 64, 32) for _ in range(2))
        self.towers = towers()

    def cssm_layers(self):
        return list(self.level1) + list(self.level2)

    def gate_parameters(self):
        return [self.select] + [c.log_alpha for c in self.cssm_layers()]

    def noise(self, batch=None):
        """One U(eps, 1 - eps) draw per gate: the field gates' [groups, fields], then each layer's log alpha;
        with a batch size, one per gate and example ([batch, *shape])."""
        shapes = [p.shape for p in [self.select] + [c.log_alpha for c in self.cssm_layers()]]
        return [torch.rand(*(([batch] if batch else []) + list(s))) * (1 - 2 * NOISE_EPS) + NOISE_EPS for s in shapes]

    def body(self, e, noise):
        f = e.view(-1, 1, FIELDS, DIM)
        z = hard_concrete(self.select, noise[0]).view(-1, len(GROUPS), FIELDS, 1)  # one gate per group and field (and example)
        x = (f * z).flatten(1)  # [E_income, E_never_married, E_shared]
        u1, u2 = noise[1 : 1 + len(self.level1)], noise[1 + len(self.level1) :]
        h = torch.cat([c(x, u) for c, u in zip(self.level1, u1)], dim=1)
        return [t(c(h, u)).squeeze(1) for c, u, t in zip(self.level2, u2, self.towers)]

    def l0(self):
        """Expected number of non-zero cell gates: sum of sigmoid(log alpha - beta log(-gamma / zeta))."""
        shift = BETA * math.log(-GAMMA / ZETA)
        return sum(torch.sigmoid(c.log_alpha - shift).sum() for c in self.cssm_layers())

    def l0_fields(self):
        """Expected number of non-zero field gates."""
        return torch.sigmoid(self.select - BETA * math.log(-GAMMA / ZETA)).sum()


class SoftmaxGate(nn.Module):
    """A softmax_gate connection: sum_s g_s o_s with g = softmax(q W + b) over the S sources."""

    def __init__(self, query, sources):
        super().__init__()
        self.gate = nn.Linear(query, sources)

    def forward(self, q, outs):
        return (torch.softmax(self.gate(q), dim=1).unsqueeze(2) * torch.stack(outs, dim=1)).sum(1)


def own_and_shared(outs, g):
    """The sources of a task's softmax gate: its own experts, then the shared ones (the zoo's auto)."""
    return outs[g] + outs["shared"]


class CGC(Model):
    """Three mlp[32] experts per group on the input; each task's tower reads a softmax mixture of its
    own and the shared experts, gated on the input."""

    def __init__(self, experts=3):
        super().__init__()
        self.inputs = Inputs()
        self.experts = nn.ModuleList(nn.ModuleList(mlp([INPUT, 32]) for _ in range(experts)) for _ in GROUPS)
        self.mixes = nn.ModuleList(SoftmaxGate(INPUT, 2 * experts) for _ in range(2))
        self.towers = towers()

    def body(self, e, noise=None):
        outs = {g: [m(e) for m in ms] for g, ms in zip(GROUPS, self.experts)}
        return [t(mix(e, own_and_shared(outs, g))).squeeze(1) for g, mix, t in zip(GROUPS, self.mixes, self.towers)]


class PLE(Model):
    """CGC stacked: level 1 as CGC's experts; at level 2 each group's two mlp[32] experts read a
    softmax mixture (gated on the input) of level 1's own and shared experts (every expert for the
    shared group); each task's tower reads a mixture of level 2's own and shared experts, gated on
    the task's level-2 mixture."""

    def __init__(self):
        super().__init__()
        self.inputs = Inputs()
        self.level1 = nn.ModuleList(nn.ModuleList(mlp([INPUT, 32]) for _ in range(3)) for _ in GROUPS)
        self.mixes2 = nn.ModuleList(SoftmaxGate(INPUT, 9 if g == "shared" else 6) for g in GROUPS)
        self.level2 = nn.ModuleList(nn.ModuleList(mlp([32, 32]) for _ in range(2)) for _ in GROUPS)
        self.mixes = nn.ModuleList(SoftmaxGate(32, 4) for _ in range(2))
        self.towers = towers()

    def body(self, e, noise=None):
        outs1 = {g: [m(e) for m in ms] for g, ms in zip(GROUPS, self.level1)}
        every = [o for g in GROUPS for o in outs1[g]]
        x2 = {g: mix(e, every if g == "shared" else own_and_shared(outs1, g)) for g, mix in zip(GROUPS, self.mixes2)}
        outs2 = {g: [m(x2[g]) for m in ms] for g, ms in zip(GROUPS, self.level2)}
        return [t(mix(x2[g], own_and_shared(outs2, g))).squeeze(1) for g, mix, t in zip(GROUPS, self.mixes, self.towers)]


MODELS = {"shared-bottom": SharedBottom, "mmoe": MMoE, "mssm": MSSM, "cgc": CGC, "ple": PLE}


def dense_weights(model):
    """The weights of the L2 term: every Linear's weight (not biases, gates, v or embeddings)."""
    return [m.weight for m in model.modules() if isinstance(m, nn.Linear)]


def objective(model, logits, labels):
    """sum of the tasks' BCE + L2 * sum ||W||^2 (+ L0 * expected L0 of the cells + L0_FIELDS * that of the fields for MSSM)."""
    loss = sum(F.binary_cross_entropy_with_logits(z, y) for z, y in zip(logits, labels)) + L2 * sum((w * w).sum() for w in dense_weights(model))
    return loss + L0 * model.l0() + L0_FIELDS * model.l0_fields() if isinstance(model, MSSM) else loss


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--noise", choices=["per_step", "per_example"], default="per_step", help="MSSM's gate noise (gates.noise)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(7)
    model = MODELS[a.model]()
    params = sum(p.numel() for n, p in model.named_parameters() if "tables" not in n)
    gates = model.gate_parameters() if isinstance(model, MSSM) else []
    rest = [p for p in model.parameters() if all(p is not g for g in gates)]
    opt = torch.optim.Adam([{"params": rest}] + ([{"params": gates, "lr": GATE_LR}] if gates else []), lr=1e-3)
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
        noise = model.noise(a.batch if a.noise == "per_example" else None) if isinstance(model, MSSM) else None
        loss = objective(model, model(ids, x, noise), y)
        loss.backward()
        opt.step()
        if t >= a.warmup:
            times.append((time.perf_counter() - s) * 1000)
    ms = statistics.median(times)
    print(json.dumps({"model": a.model, "params": params, "batch": a.batch, "threads": a.threads, "torch": torch.__version__, "step_ms": ms, "samples_per_second": a.batch / (ms / 1000)}))


if __name__ == "__main__":
    main()
