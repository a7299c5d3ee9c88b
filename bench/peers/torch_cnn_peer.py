#!/usr/bin/python3
"""PyTorch peer of DeepSim's two-branch CNN similarity (bench/learning/Measure-CnnSpeed.ps1): the same work written
the way a PyTorch user would write it, timed on the same machine.

  training  the recommended configuration's shape: two branches of 3x3 convolutions (16 channels, dilations 1, 2, 4,
            1 over a 13x13 field after 5x5 local standardisation), a 1x1 output convolution to 16 unit-length
            features; per step 8 augmented 48x48 crops of aligned CT/MR pairs, 64 structure-weighted queries per crop,
            InfoNCE over every position of the batch with the 3x3 true region as positive; Adam, cosine decay.
            F.conv2d is used as a user would (DeepSim uses im2col: libtorch's float32 convolution backward gives
            wrong gradients on this machine's CPU, see tests/DeepSim.Core.Tests/Learning/ConvGradientTests.cs; the
            peer's gradients are therefore not trusted, only its time).
  scoring   300 queries x 6,561 candidates (R = 40, P = 17) on one pair: both feature maps once, then the dot products
            of each query's vector with its 81x81 window, batched.

Data: ../shared/data/ct-mr-head, the pairs aligned by the data set's MI-peak table (pairs at the +-8 edge left out).
Run with Debian's /usr/bin/python3 (python3-torch). Prints one JSON line; seconds exclude data loading.
Usage: /usr/bin/python3 bench/peers/torch_cnn_peer.py [--steps 600] [--threads 2] [--repeats 5]
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

p = argparse.ArgumentParser()
p.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data/ct-mr-head"))
p.add_argument("--steps", type=int, default=600)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--repeats", type=int, default=5)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
rng = np.random.default_rng(a.seed)

CHANNELS, FEATURES, CROPS, CROP, QUERIES, PATCH, RADIUS, EPS, TEMP, LR = 16, 16, 8, 48, 64, 17, 2, 0.05, 0.1, 5e-3


def mi(x, y, bins=32):
    h, _, _ = np.histogram2d(x.ravel(), y.ravel(), bins=bins)
    pxy = h / h.sum()
    px, py = pxy.sum(1, keepdims=True), pxy.sum(0, keepdims=True)
    nz = pxy > 0
    return (pxy[nz] * np.log(pxy[nz] / (px @ py)[nz])).sum()


def load_pairs(folder):
    table = {}
    for line in open(os.path.join(folder, "mi-peak-shift.tsv")).read().splitlines()[1:]:
        f = line.split()
        table[f[0]] = (int(f[1]), int(f[2]))
    cts, mrs = [], []
    for name in sorted(os.listdir(os.path.join(folder, "CT"))):
        dy, dx = table[name]
        if abs(dy) == 8 or abs(dx) == 8:
            continue
        ct = np.asarray(Image.open(os.path.join(folder, "CT", name)).convert("L"), dtype=np.float32)
        mr = np.asarray(Image.open(os.path.join(folder, "MR", name)).convert("L"), dtype=np.float32)
        # the table's sign convention is checked per pair by MI, as bench/learning/cnn_probe.py does
        cands = [np.roll(mr, (-dy, -dx), axis=(0, 1)), np.roll(mr, (dy, dx), axis=(0, 1))]
        mrs.append(max(cands, key=lambda m: mi(ct[8:-8, 8:-8], m[8:-8, 8:-8])))
        cts.append(ct)
    return cts, mrs


def scaled(img):
    return (img - img.min()) / max(1e-6, float(img.max() - img.min()))


def standardise(batch):
    """Local 5x5 standardisation (valid: the output is 4 smaller), as -FeatureNormalization Local."""
    k = 2 * RADIUS + 1
    mean = F.avg_pool2d(batch, k, 1)
    sq = F.avg_pool2d(batch * batch, k, 1)
    std = (sq - mean * mean).clamp_min(0).sqrt()
    return (batch[:, :, RADIUS:-RADIUS, RADIUS:-RADIUS] - mean) / (std + EPS)


def dilations(field):
    rem, d, out = (field - 1) // 2, 1, []
    while rem > 0:
        out.append(min(d, rem))
        rem -= out[-1]
        d *= 2
    return out


class Branch(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.dil = dilations(PATCH - 2 * RADIUS)
        convs, cin = [], 1
        for d in self.dil:
            convs.append(torch.nn.Conv2d(cin, CHANNELS, 3, dilation=d))
            cin = CHANNELS
        convs.append(torch.nn.Conv2d(cin, FEATURES, 1))
        self.convs = torch.nn.ModuleList(convs)

    def forward(self, x):
        h = standardise(x)
        for i, c in enumerate(self.convs):
            h = c(h)
            if i < len(self.convs) - 1:
                h = F.relu(h)
        return h / (h.pow(2).sum(1, keepdim=True) + 1e-4).sqrt()


def jitter(crop, inversion):
    v = np.clip(crop, 0, 1)
    if rng.random() < inversion:
        v = 1 - v
    gamma = math.exp((rng.random() * 2 - 1) * math.log(1.5))
    return (v ** gamma) * (0.8 + 0.4 * rng.random()) + (rng.random() * 2 - 1) * 0.1


def crop_pair(ct, mr):
    s, half = CROP, (CROP - 1) / 2
    cx, cy = half + rng.random() * (256 - s), half + rng.random() * (256 - s)
    ang = rng.integers(4) * math.pi / 2 + (rng.random() * 2 - 1) * 10 * math.pi / 180
    flip = rng.integers(2) == 1
    u, v = np.meshgrid(np.arange(s), np.arange(s))
    du, dv = ((half - u) if flip else (u - half)), v - half
    x = np.clip(cx + math.cos(ang) * du - math.sin(ang) * dv, 0, 255)
    y = np.clip(cy + math.sin(ang) * du + math.cos(ang) * dv, 0, 255)
    x0, y0 = np.minimum(x.astype(int), 254), np.minimum(y.astype(int), 254)
    fx, fy = x - x0, y - y0

    def bilinear(img):
        return (img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx) * (1 - fy) + (img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx) * fy

    return jitter(bilinear(ct), 0).astype(np.float32), jitter(bilinear(mr), 0.2).astype(np.float32)


cts, mrs = load_pairs(a.data)
sct, smr = [scaled(c) for c in cts], [scaled(m) for m in mrs]
fixed_net, moving_net = Branch(), Branch()
opt = torch.optim.Adam(list(fixed_net.parameters()) + list(moving_net.parameters()), lr=LR)
o = CROP - PATCH + 1
area = o * o

start = time.perf_counter()
for step in range(1, a.steps + 1):
    for g in opt.param_groups:
        g["lr"] = LR * (0.1 + 0.45 * (1 + math.cos(math.pi * (step - 1) / a.steps)))
    fb, mb, qs = [], [], []
    for c in range(CROPS):
        i = rng.integers(len(sct))
        fc, mc = crop_pair(sct[i], smr[i])
        t = torch.from_numpy(fc)[None, None]
        sd = (F.avg_pool2d(t * t, PATCH, 1) - F.avg_pool2d(t, PATCH, 1) ** 2).clamp_min(0).sqrt().numpy().ravel()
        w = sd + max(1e-6, 0.02 * sd.max())
        qs.append(rng.choice(area, size=QUERIES, p=w / w.sum()) + c * area)
        fb.append(fc)
        mb.append(mc)
    qs = np.concatenate(qs)
    fx = fixed_net(torch.from_numpy(np.stack(fb))[:, None])
    mx = moving_net(torch.from_numpy(np.stack(mb))[:, None])
    fr = fx.permute(0, 2, 3, 1).reshape(-1, FEATURES)
    mr_ = mx.permute(0, 2, 3, 1).reshape(-1, FEATURES)
    logits = fr[torch.from_numpy(qs)] @ mr_.t() / TEMP
    crop_i, loc = qs // area, qs % area
    yy, xx = loc // o, loc % o
    idx, mask = [], []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            inside = (yy + dy >= 0) & (yy + dy < o) & (xx + dx >= 0) & (xx + dx < o)
            idx.append(np.where(inside, crop_i * area + (yy + dy) * o + xx + dx, qs))
            mask.append(np.where(inside, 0.0, -1e4))
    positives = logits.gather(1, torch.from_numpy(np.stack(idx, 1))) + torch.from_numpy(np.stack(mask, 1)).float()
    loss = (logits.logsumexp(1) - positives.logsumexp(1)).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
train_seconds = time.perf_counter() - start

# ---- scoring: 300 queries x 6,561 candidates on the first pair ----
R, half = 40, PATCH // 2
ys = rng.integers(48, 208, size=300)
xs = rng.integers(48, 208, size=300)
offsets = torch.arange(-R, R + 1)


def score_once():
    with torch.no_grad():
        t0 = time.perf_counter()
        fm = fixed_net(torch.from_numpy(sct[0])[None, None])[0]   # D x 240 x 240 (positions = centres - 8)
        mm = moving_net(torch.from_numpy(smr[0])[None, None])[0]
        maps = time.perf_counter() - t0
        q = fm[:, torch.from_numpy(ys - half), torch.from_numpy(xs - half)].t()          # 300 x D
        out = torch.empty(300, 2 * R + 1, 2 * R + 1)
        for k0 in range(0, 300, 50):
            yi = torch.from_numpy(ys[k0:k0 + 50] - half)[:, None, None] + offsets[None, :, None]
            xi = torch.from_numpy(xs[k0:k0 + 50] - half)[:, None, None] + offsets[None, None, :]
            win = mm[:, yi.clamp(0, mm.shape[1] - 1), xi.clamp(0, mm.shape[2] - 1)]        # D x 50 x 81 x 81
            out[k0:k0 + 50] = torch.einsum("qd,dqhw->qhw", q[k0:k0 + 50], win)
        return time.perf_counter() - t0, maps


runs = [score_once() for _ in range(a.repeats)]
totals = sorted(r[0] for r in runs)
print(json.dumps({
    "peer": "pytorch", "torch": torch.__version__, "threads": a.threads, "pairs": len(sct),
    "trainingSteps": a.steps, "trainingSeconds": round(train_seconds, 2),
    "scoringMedianSeconds": round(totals[len(totals) // 2], 3), "scoringAll": [round(t, 3) for t in (r[0] for r in runs)],
    "featureMapSeconds": round(sorted(r[1] for r in runs)[len(runs) // 2], 3),
    "loadAverage": open("/proc/loadavg").read().split()[0],
}))
