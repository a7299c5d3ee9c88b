"""Probe of DeepSim's two-branch CNN training in PyTorch (bench only; not part of the module).

Mirrors FeatureSimilarityTrainer (crops, augmentation, structure-weighted queries, InfoNCE over the batch with a
3x3 positive region) so that variants can be compared quickly on a validation split made of TRAINING groups:
train on groups A, evaluate the prediction-error protocol (rank of the true 3x3 region among 81x81 candidates) on a
held-out training group, and on training images (train-set hit rate). LCC is computed on the same centres.

Usage: /usr/bin/python3 bench/learning/cnn_probe.py --steps 200 [--norm local] [--val-group 34] ...
"""
import argparse
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

p = argparse.ArgumentParser()
p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/ct-mr-head"))
p.add_argument("--steps", type=int, default=200)
p.add_argument("--lr", type=float, default=5e-3)
p.add_argument("--temp", type=float, default=0.1)
p.add_argument("--channels", type=int, default=16)
p.add_argument("--features", type=int, default=16)
p.add_argument("--crops", type=int, default=8)
p.add_argument("--crop", type=int, default=48)
p.add_argument("--queries", type=int, default=64)
p.add_argument("--norm", default="range", choices=["range", "local"])
p.add_argument("--norm-radius", type=int, default=2)
p.add_argument("--norm-eps", type=float, default=0.05)
p.add_argument("--val-group", default="34")
p.add_argument("--test-group", default="", help="excluded from training entirely (the fold's test group)")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--no-aug", action="store_true")
p.add_argument("--eval-n", type=int, default=150)
p.add_argument("--double", action="store_true")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
rng = np.random.default_rng(a.seed)
DT = torch.float64 if a.double else torch.float32


def load(folder):
    files = sorted(os.listdir(os.path.join(folder, "CT")))
    pairs = []
    for f in files:
        ct = np.asarray(Image.open(os.path.join(folder, "CT", f)).convert("L"), dtype=np.float32)
        mr = np.asarray(Image.open(os.path.join(folder, "MR", f)).convert("L"), dtype=np.float32)
        pairs.append((f, ct, mr))
    return pairs


def mi(a_, b_, bins=32):
    h, _, _ = np.histogram2d(a_.ravel(), b_.ravel(), bins=bins)
    pxy = h / h.sum()
    px = pxy.sum(1, keepdims=True)
    py = pxy.sum(0, keepdims=True)
    nz = pxy > 0
    return (pxy[nz] * np.log(pxy[nz] / (px @ py)[nz])).sum()


def align(ct, mr, m=8):
    best = (-1, 0, 0)
    c = ct[m:-m, m:-m]
    for dy in range(-m, m + 1):
        for dx in range(-m, m + 1):
            v = mi(c, mr[m + dy:256 - m + dy, m + dx:256 - m + dx])
            if v > best[0]:
                best = (v, dy, dx)
    _, dy, dx = best
    if abs(dy) == m or abs(dx) == m:
        return None
    out = np.roll(mr, (-dy, -dx), axis=(0, 1))
    return out


cache = "/tmp/cnn_probe_pairs.npz"
if os.path.exists(cache):
    z = np.load(cache, allow_pickle=True)
    names, cts, mrs = list(z["names"]), z["cts"], z["mrs"]
else:
    # the data set's MI-peak table (within 1 px of DeepSim's own alignment for 142 of 147 pairs); the sign is
    # checked per pair by MI at +shift and -shift; pairs at the +-8 edge are excluded as Reproduce-Paper does
    table = {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in open(os.path.join(a.data, "mi-peak-shift.tsv")).read().splitlines()[1:]}
    names, cts, mrs = [], [], []
    for f, ct, mr in load(a.data):
        dy, dx = table[f]
        if abs(dy) == 8 or abs(dx) == 8:
            continue
        c = ct[8:-8, 8:-8]
        cands = [np.roll(mr, (-dy, -dx), axis=(0, 1)), np.roll(mr, (dy, dx), axis=(0, 1))]
        best = max(cands, key=lambda m: mi(c, m[8:-8, 8:-8]))
        names.append(f)
        cts.append(ct)
        mrs.append(best)
    cts, mrs = np.stack(cts), np.stack(mrs)
    np.savez(cache, names=np.array(names), cts=cts, mrs=mrs)
groups = np.array([n[:2] for n in names])


def normalise(img):
    if a.norm == "range":
        return img
    # local standardisation in (2r+1)^2 box windows, valid (the output is 2r smaller): (x - mean) / (std + eps)
    r = a.norm_radius
    t = torch.from_numpy(np.ascontiguousarray(img))[None, None].double()
    k = 2 * r + 1
    mean = F.avg_pool2d(t, k, 1)
    sq = F.avg_pool2d(t * t, k, 1)
    std = (sq - mean * mean).clamp_min(0).sqrt()
    return ((t[:, :, r:-r, r:-r] - mean) / (std + a.norm_eps)).float()[0, 0].numpy()


def dilations(patch):
    rem, d, out = (patch - 1) // 2, 1, []
    while rem > 0:
        s = min(d, rem)
        out.append(s)
        rem -= s
        d *= 2
    return out


def branch():
    layers = []
    cin = 1
    for d in dilations(17 - (2 * a.norm_radius if a.norm == "local" else 0)):
        w = torch.empty(a.channels, cin, 3, 3, dtype=DT).uniform_(-1, 1) * math.sqrt(6.0 / (cin * 9))
        layers.append([w.requires_grad_(), torch.zeros(a.channels, dtype=DT, requires_grad=True), d])
        cin = a.channels
    w = torch.empty(a.features, cin, 1, 1, dtype=DT).uniform_(-1, 1) * math.sqrt(6.0 / cin)
    layers.append([w.requires_grad_(), torch.zeros(a.features, dtype=DT, requires_grad=True), 1])
    return layers


def embed(x, layers):
    h = x
    for i, (w, b, d) in enumerate(layers):
        h = F.conv2d(h, w, b, dilation=d)
        if i < len(layers) - 1:
            h = F.relu(h)
    return h / (h.pow(2).sum(1, keepdim=True) + 1e-4).sqrt()


fixed_net, moving_net = branch(), branch()
params = [t for l in fixed_net + moving_net for t in l[:2]]
opt = torch.optim.Adam(params, lr=a.lr)

train_idx = [i for i in range(len(names)) if groups[i] != a.val_group and groups[i] != a.test_group]
val_idx = [i for i in range(len(names)) if groups[i] == a.val_group]
print(f"{len(names)} aligned pairs; train {len(train_idx)}, validation group {a.val_group}: {len(val_idx)}", flush=True)
# scaled images; intensity augmentation acts on the range-scaled image, normalisation afterwards
scaled_ct = [(c - c.min()) / max(1e-6, c.max() - c.min()) for c in cts]
scaled_mr = [(m - m.min()) / max(1e-6, m.max() - m.min()) for m in mrs]


def jitter(crop, inversion):
    inv = rng.random() < inversion
    gamma = math.exp((rng.random() * 2 - 1) * math.log(1.5))
    contrast = 0.8 + 0.4 * rng.random()
    shift = (rng.random() * 2 - 1) * 0.1
    v = np.clip(crop, 0, 1)
    if inv:
        v = 1 - v
    return (v ** gamma) * contrast + shift


def sample_crop(i, s):
    half = (s - 1) / 2
    cx = half + rng.random() * (256 - s)
    cy = half + rng.random() * (256 - s)
    ang, flip = 0.0, False
    if not a.no_aug:
        ang = rng.integers(4) * math.pi / 2 + (rng.random() * 2 - 1) * 10 * math.pi / 180
        flip = rng.integers(2) == 1
    u, v = np.meshgrid(np.arange(s), np.arange(s))
    du = (half - u) if flip else (u - half)
    dv = v - half
    x = np.clip(cx + math.cos(ang) * du - math.sin(ang) * dv, 0, 255)
    y = np.clip(cy + math.sin(ang) * du + math.cos(ang) * dv, 0, 255)
    x0 = np.minimum(x.astype(int), 254)
    y0 = np.minimum(y.astype(int), 254)
    fx, fy = x - x0, y - y0

    def bil(img):
        return ((img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx) * (1 - fy) + (img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx) * fy)

    fc, mc = bil(scaled_ct[i]), bil(scaled_mr[i])
    if not a.no_aug:
        fc, mc = jitter(fc, 0), jitter(mc, 0.2)
    return fc.astype(np.float32), mc.astype(np.float32)


def local_std(crop, p):
    t = torch.from_numpy(crop)[None, None].double()
    m = F.avg_pool2d(t, p, 1)
    q = F.avg_pool2d(t * t, p, 1)
    return (q - m * m).clamp_min(0).sqrt()[0, 0].numpy().ravel()


def prep(crop):
    return normalise(crop)


s, P = a.crop, 17
o = s - P + 1
area = o * o
B, K = a.crops, a.queries
t0 = time.time()
for step in range(1, a.steps + 1):
    lr = a.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * (step - 1) / a.steps)))
    for g in opt.param_groups:
        g["lr"] = lr
    fb, mb, qs = [], [], []
    for c in range(B):
        i = train_idx[rng.integers(len(train_idx))]
        fc, mc = sample_crop(i, s)
        st = local_std(fc, P)
        w = st + max(1e-6, 0.02 * st.max())
        q = rng.choice(area, size=K, p=w / w.sum())
        qs.append(q + c * area)
        fb.append(prep(fc))
        mb.append(prep(mc))
    qs = np.concatenate(qs)
    fx = embed(torch.from_numpy(np.stack(fb))[:, None].to(DT), fixed_net)
    mx = embed(torch.from_numpy(np.stack(mb))[:, None].to(DT), moving_net)
    d = fx.shape[1]
    fr = fx.permute(0, 2, 3, 1).reshape(-1, d)
    mr_ = mx.permute(0, 2, 3, 1).reshape(-1, d)
    qt = torch.from_numpy(qs)
    logits = fr[qt] @ mr_.t() / a.temp
    # positives: 3x3 around the query inside its crop
    crop_i = qs // area
    loc = qs % area
    yy, xx = loc // o, loc % o
    pos_idx, pos_mask = [], []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            inside = (yy + dy >= 0) & (yy + dy < o) & (xx + dx >= 0) & (xx + dx < o)
            pos_idx.append(np.where(inside, crop_i * area + (yy + dy) * o + xx + dx, qs))
            pos_mask.append(np.where(inside, 0.0, -1e4))
    pi = torch.from_numpy(np.stack(pos_idx, 1))
    pm = torch.from_numpy(np.stack(pos_mask, 1)).to(DT)
    loss = (logits.logsumexp(1) - (logits.gather(1, pi) + pm).logsumexp(1)).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 25 == 0 or step == a.steps or step == 1:
        best = logits.argmax(1).numpy()
        ok = (best // area == crop_i) & (np.abs(best % area // o - yy) <= 1) & (np.abs(best % area % o - xx) <= 1)
        cos = (logits * a.temp).detach()
        print(f"step {step}: loss {loss.item():.3f} top1 {ok.mean():.3f} cosine to candidates mean {cos.mean().item():.3f} sd {cos.std().item():.3f} ({time.time() - t0:.0f} s)", flush=True)


# ---- evaluation: the prediction-error protocol on whole slices ----
def maps(img, layers):
    with torch.no_grad():
        return embed(torch.from_numpy(prep(img.astype(np.float32)))[None, None].to(DT), layers)[0]  # D x (H-16) x (W-16)


def lcc_map(ct, mr, cy, cx, R=40):
    # squared local CC, 5x5 windows inside the 17x17 patch, averaged (LocalCrossCorrelationMetric defaults)
    f = torch.from_numpy(ct[cy - 8:cy + 9, cx - 8:cx + 9]).double()
    m = torch.from_numpy(mr[cy - 8 - R:cy + 9 + R, cx - 8 - R:cx + 9 + R]).double()
    # all moving patches: unfold windows
    mp = m.unfold(0, 17, 1).unfold(1, 17, 1)  # (2R+1, 2R+1, 17, 17)
    fw = f.unfold(0, 5, 1).unfold(1, 5, 1).reshape(13, 13, 25)
    mw = mp.unfold(2, 5, 1).unfold(3, 5, 1).reshape(2 * R + 1, 2 * R + 1, 13, 13, 25)
    fc = fw - fw.mean(-1, keepdim=True)
    mc = mw - mw.mean(-1, keepdim=True)
    num = (fc * mc).sum(-1)
    den = (fc.pow(2).sum(-1) * mc.pow(2).sum(-1))
    r2 = torch.where(den > 0, num * num / den.clamp_min(1e-12), torch.zeros_like(num))
    return r2.mean((-1, -2)).numpy()


def rank_error(score, R=40):
    w = 2 * R + 1
    sc = score.reshape(w, w)
    true = sc[R - 1:R + 2, R - 1:R + 2].max()
    mask = np.ones((w, w), bool)
    mask[R - 1:R + 2, R - 1:R + 2] = False
    return int((sc[mask] >= true).sum())


def evaluate(idx, n, label):
    R, half = 40, 8
    errs_cnn, errs_lcc = [], []
    per = max(1, n // len(idx))
    erng = np.random.default_rng(7)
    for i in idx:
        ct, mr = cts[i], mrs[i]
        fm = maps(scaled_ct[i], fixed_net)
        mm = maps(scaled_mr[i], moving_net)
        bone = ct >= 250
        ys, xs = np.nonzero(bone)
        ok = (ys >= R + half) & (ys < 256 - R - half) & (xs >= R + half) & (xs < 256 - R - half)
        ys, xs = ys[ok], xs[ok]
        if len(ys) == 0:
            continue
        pick = erng.choice(len(ys), size=min(per, len(ys)), replace=False)
        for j in pick:
            cy, cx = ys[j], xs[j]
            f = fm[:, cy - half, cx - half]
            win = mm[:, cy - half - R:cy - half + R + 1, cx - half - R:cx - half + R + 1]
            sc = (f[:, None, None] * win).sum(0).double().numpy().ravel()
            errs_cnn.append(rank_error(sc))
            errs_lcc.append(rank_error(lcc_map(ct, mr, cy, cx).ravel()))
    e, l = np.array(errs_cnn), np.array(errs_lcc)
    print(f"{label}: n {len(e)} CNN mean {e.mean():.0f} median {np.median(e):.0f} hit {100 * (e == 0).mean():.1f} % | LCC mean {l.mean():.0f} median {np.median(l):.0f} hit {100 * (l == 0).mean():.1f} %", flush=True)


evaluate(val_idx, a.eval_n, f"validation group {a.val_group}")
evaluate(train_idx[::6], a.eval_n, "training images")
print(f"total {time.time() - t0:.0f} s")
