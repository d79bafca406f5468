#!/usr/bin/env python3
"""Golden numbers for Tests/EngineTests/OptimizerTests.swift.

Runs torch.optim.Adam and torch.optim.SGD (momentum, nesterov) on a fixed parameter and gradient
sequence and prints the parameters after each step. Without torch it runs the same algorithm
written out from torch's documentation (pure Python, float64), which agrees with torch to
float32 precision. usage: python3 Tools/reference/adam_reference.py
"""
import math

P0 = [0.5, -1.0, 2.0]
GRADS = [[0.1, -0.2, 0.3], [0.4, 0.0, -0.5], [-0.3, 0.25, 0.05]]

def adam_by_hand(lr, b1, b2, eps, wd):
    p = list(P0); m = [0.0] * 3; v = [0.0] * 3; out = []
    for t, g in enumerate(GRADS, start=1):
        for i in range(3):
            gi = g[i] + wd * p[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            step = lr / (1 - b1 ** t)
            denom = math.sqrt(v[i]) / math.sqrt(1 - b2 ** t) + eps
            p[i] -= step * m[i] / denom
        out.append(list(p))
    return out

def sgd_by_hand(lr, mom, nesterov):
    p = list(P0); b = [0.0] * 3; out = []
    for t, g in enumerate(GRADS):
        for i in range(3):
            d = g[i]
            b[i] = d if t == 0 else mom * b[i] + d
            d = d + mom * b[i] if nesterov else b[i]
            p[i] -= lr * d
        out.append(list(p))
    return out

def with_torch(make):
    import torch
    p = torch.nn.Parameter(torch.tensor(P0, dtype=torch.float64))
    opt = make([p]); out = []
    for g in GRADS:
        p.grad = torch.tensor(g, dtype=torch.float64); opt.step(); out.append(p.detach().tolist())
    return out

cases = {
    "adam(lr=0.1, betas=(0.5, 0.999))": (lambda: adam_by_hand(0.1, 0.5, 0.999, 1e-8, 0.0),
        lambda ps: __import__("torch").optim.Adam(ps, lr=0.1, betas=(0.5, 0.999))),
    "adam(lr=0.01, betas=(0.9, 0.999), weight_decay=0.1)": (lambda: adam_by_hand(0.01, 0.9, 0.999, 1e-8, 0.1),
        lambda ps: __import__("torch").optim.Adam(ps, lr=0.01, weight_decay=0.1)),
    "sgd(lr=0.1, momentum=0.9, nesterov=True)": (lambda: sgd_by_hand(0.1, 0.9, True),
        lambda ps: __import__("torch").optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
}
for name, (hand, torch_make) in cases.items():
    got = hand()
    try:
        ref = with_torch(torch_make)
        assert all(abs(a - b) < 1e-12 for r1, r2 in zip(got, ref) for a, b in zip(r1, r2)), name
        src = "torch"
    except ImportError:
        src = "by hand"
    print(f"{name}  [{src}]")
    for row in got:
        print("  [" + ", ".join(f"{x:.9f}" for x in row) + "],")
