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

With --anchor lcc --context 4 the peer does the work of DeepSim's recommended configuration
(FeatureTrainingOptions.Recommended: the LCC anchor and the context view x4):
  training  as above, plus per branch a context stream: the crop is cut 26 px wider on each side (100x100 for F = 4:
            margin = (extent - 17) / 2, extent = 1 + 2 floor(F/2) + 2 * 2 * F + F * 12 = 69), box-averaged in 5x5
            boxes, standardised in 17x17 windows (radius 2F), then the patch network's layout with every dilation
            times F (4, 8, 12), 8 hidden channels, 16 unit-length outputs on the same 32x32 grid as the patch stream.
            The LCC anchor: for each crop every 5x5 window of the fixed crop against every window of the moving crop
            in one batched matrix product of centred, unit-length window vectors (8 x 1,936 x 1,936 x 25, as
            LccAnchor.SquaredCoefficients), squared and clamped; a query's LCC against each of its crop's 32x32
            candidates is the mean of that table along the 13x13 window diagonals (as LccAnchor.PatchScores).
            Logits = exp(a) cos + exp(b) LCC + exp(c) context cos (a, b, c trained, starting at log 10, log 10,
            log 10), softmax over the query's own crop only (1,024 candidates), as DeepSim does with the anchor.
  scoring   both branches' patch and context maps once (the context input edge-replicated by 26 px), the fixed maps
            carrying the context weight so one 32-channel dot product per candidate gives cos + w * context cos;
            plus the exact LCC search of each query over its 81x81 window: the moving windows' inverse centred norms
            from whole-image box statistics (avg_pool2d, computed once), rho clamped, squared and averaged over the
            13x13 windows: per query one matrix product of its 169 centred fixed window vectors with the 93x93 moving
            windows of its region (169 x 25 x 8,649), then the sums along the window diagonals. This is the same
            table method as the training anchor and gives LocalCrossCorrelationMetric's values, but it does about
            22 GFLOP for 300 queries where DeepSim's metric uses running box sums of the patch products (about 3
            GFLOP): PyTorch has no fused running-sum op, and the product-then-avg_pool2d form was slower still here.
  Simplifications (timing only, not DeepSim's numbers): Adam without DeepSim's weight decay; F.conv2d instead of
            im2col (see above); the augmentation's random draws differ from DeepSim's; the LCC is computed in float32
            (DeepSim's window sums are float64; the peer's LCC matches a float64 brute-force LCC to 1e-7) and a
            window counts as flat when its centred norm is below 1e-6; in scoring the LCC is added to the feature
            score with the trained weight (DeepSim's AnchorMetric search is the same work). Debian's torch is built
            with a generic BLAS (torch.__config__.show()), so every matrix product here is slow; the table products
            are written as the faster of the forms tried (a loop of mm rather than bmm).

Data: ../shared/data/ct-mr-head, the pairs aligned by the data set's MI-peak table (pairs at the +-8 edge left out).
Run with Debian's /usr/bin/python3 (python3-torch). Prints one JSON line; seconds exclude data loading.
Usage: /usr/bin/python3 bench/peers/torch_cnn_peer.py [--steps 600] [--threads 2] [--repeats 5] [--anchor none|lcc]
       [--context F]   (defaults: the cosine CNN; --anchor lcc --context 4 is DeepSim's recommended configuration)
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
p.add_argument("--anchor", choices=["none", "lcc"], default="none")
p.add_argument("--context", type=int, default=0, help="context view scale F (0: none, 2-8)")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
rng = np.random.default_rng(a.seed)

CHANNELS, FEATURES, CROPS, CROP, QUERIES, PATCH, RADIUS, EPS, TEMP, LR = 16, 16, 8, 48, 64, 17, 2, 0.05, 0.1, 5e-3
CONTEXT_CHANNELS, WINDOW = 8, 5   # the context streams' hidden channels; the LCC anchor's 5x5 windows
ANCHORED, CTX = a.anchor == "lcc", a.context
if CTX and not 2 <= CTX <= 8:
    raise SystemExit("--context must be 0 or from 2 to 8")


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


def standardise(batch, radius=RADIUS):
    """Local (2r+1)^2 standardisation (valid: the output is 2r smaller), as -FeatureNormalization Local."""
    k = 2 * radius + 1
    mean = F.avg_pool2d(batch, k, 1)
    sq = F.avg_pool2d(batch * batch, k, 1)
    std = (sq - mean * mean).clamp_min(0).sqrt()
    return (batch[:, :, radius:-radius, radius:-radius] - mean) / (std + EPS)


def dilations(field):
    rem, d, out = (field - 1) // 2, 1, []
    while rem > 0:
        out.append(min(d, rem))
        rem -= out[-1]
        d *= 2
    return out


class Branch(torch.nn.Module):
    """The patch stream (scale 1), or with scale F the context stream: FxF-wider view, box-averaged, dilations x F."""

    def __init__(self, scale=1, channels=CHANNELS):
        super().__init__()
        self.scale, self.box = scale, (scale // 2 if scale > 1 else 0)
        self.dil = [d * scale for d in dilations(PATCH - 2 * RADIUS)]
        convs, cin = [], 1
        for d in self.dil:
            convs.append(torch.nn.Conv2d(cin, channels, 3, dilation=d))
            cin = channels
        convs.append(torch.nn.Conv2d(cin, FEATURES, 1))
        self.convs = torch.nn.ModuleList(convs)

    def forward(self, x):
        if self.box:
            x = F.avg_pool2d(x, 2 * self.box + 1, 1)
        h = standardise(x, RADIUS * self.scale)
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


def crop_pair(ct, mr, side=CROP):
    """An augmented crop pair, side x side, centred where a CROP x CROP crop would be (wider for the context view)."""
    s, half = side, (side - 1) / 2
    h48 = (CROP - 1) / 2
    cx, cy = h48 + rng.random() * (256 - CROP), h48 + rng.random() * (256 - CROP)
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


def window_vectors(batch):
    """Centred, unit-length 5x5 window vectors of every window of each crop: [B, n^2, 25] (zero rows where flat)."""
    v = F.unfold(batch, WINDOW).transpose(1, 2)
    v = v - v.mean(2, keepdim=True)
    norm = v.pow(2).sum(2, keepdim=True).sqrt()
    return v * torch.where(norm > 1e-6, 1 / norm.clamp_min(1e-6), torch.zeros_like(norm))


def crop_lcc(fixed, moving, crop_i, qy, qx):
    """Exact LCC (squared coefficients, 5x5 windows) of each query's 17x17 patch against every candidate of its crop."""
    n, m, g = CROP - WINDOW + 1, PATCH - WINDOW + 1, CROP - PATCH + 1
    fv, mv = window_vectors(fixed), window_vectors(moving)
    # one matrix product per crop (a loop of mm: Debian's generic-BLAS bmm was about twice as slow here)
    table = torch.stack([(f @ v.t()).clamp_(-1, 1).pow_(2) for f, v in zip(fv, mv)]).view(-1, n, n, n, n)
    out = torch.zeros(len(crop_i), g, g)
    for i in range(m):
        for j in range(m):
            # fixed window (q + (i, j)) against moving window (c + (i, j)), for every candidate c of the query's crop
            out += table[:, i:i + g, j:j + g, i:i + g, j:j + g][crop_i, qy, qx]
    return (out / (m * m)).view(len(crop_i), g * g)


cts, mrs = load_pairs(a.data)
sct, smr = [scaled(c) for c in cts], [scaled(m) for m in mrs]
fixed_net, moving_net = Branch(), Branch()
params = list(fixed_net.parameters()) + list(moving_net.parameters())
field = PATCH - 2 * RADIUS
margin = 0
if CTX:
    extent = 1 + 2 * (CTX // 2) + 2 * RADIUS * CTX + CTX * (field - 1)
    margin = (extent - PATCH) // 2
    fixed_ctx, moving_ctx = Branch(CTX, CONTEXT_CHANNELS), Branch(CTX, CONTEXT_CHANNELS)
    params += list(fixed_ctx.parameters()) + list(moving_ctx.parameters())
# log-space scales of the patch cosine, the LCC anchor and the context cosine in the logits (all start at 1 / TEMP)
scales = torch.nn.Parameter(torch.full((3,), math.log(1 / TEMP)))
if ANCHORED or CTX:
    params.append(scales)
opt = torch.optim.Adam(params, lr=LR)
o = CROP - PATCH + 1
area = o * o
big = CROP + 2 * margin

start = time.perf_counter()
for step in range(1, a.steps + 1):
    for g in opt.param_groups:
        g["lr"] = LR * (0.1 + 0.45 * (1 + math.cos(math.pi * (step - 1) / a.steps)))
    fb, mb, fbig, mbig, qs = [], [], [], [], []
    for c in range(CROPS):
        i = rng.integers(len(sct))
        fcb, mcb = crop_pair(sct[i], smr[i], big)
        fc, mc = fcb[margin:margin + CROP, margin:margin + CROP], mcb[margin:margin + CROP, margin:margin + CROP]
        t = torch.from_numpy(np.ascontiguousarray(fc))[None, None]
        sd = (F.avg_pool2d(t * t, PATCH, 1) - F.avg_pool2d(t, PATCH, 1) ** 2).clamp_min(0).sqrt().numpy().ravel()
        w = sd + max(1e-6, 0.02 * sd.max())
        qs.append(rng.choice(area, size=QUERIES, p=w / w.sum()) + c * area)
        fb.append(fc)
        mb.append(mc)
        fbig.append(fcb)
        mbig.append(mcb)
    qs = np.concatenate(qs)
    fbt, mbt = torch.from_numpy(np.stack(fb))[:, None], torch.from_numpy(np.stack(mb))[:, None]
    fx = fixed_net(fbt)
    mx = moving_net(mbt)
    fr = fx.permute(0, 2, 3, 1).reshape(-1, FEATURES)
    mr_ = mx.permute(0, 2, 3, 1).reshape(-1, FEATURES)
    crop_i, loc = qs // area, qs % area
    yy, xx = loc // o, loc % o
    if ANCHORED:
        # in-crop softmax: each query against the 32x32 candidates of its own crop
        q = fr[torch.from_numpy(qs)].view(CROPS, QUERIES, FEATURES)
        cos = torch.bmm(q, mr_.view(CROPS, area, FEATURES).transpose(1, 2)).view(-1, area)
        with torch.no_grad():
            lcc = crop_lcc(fbt, mbt, torch.from_numpy(crop_i), torch.from_numpy(yy), torch.from_numpy(xx))
        logits = cos * scales[0].exp() + lcc * scales[1].exp()
        base, target = np.zeros_like(qs), loc
    else:
        logits = fr[torch.from_numpy(qs)] @ mr_.t() / TEMP
        base, target = crop_i * area, qs
    if CTX:
        fcx = fixed_ctx(torch.from_numpy(np.stack(fbig))[:, None])
        mcx = moving_ctx(torch.from_numpy(np.stack(mbig))[:, None])
        qc = fcx.permute(0, 2, 3, 1).reshape(-1, FEATURES)[torch.from_numpy(qs)]
        mcr = mcx.permute(0, 2, 3, 1).reshape(-1, FEATURES)
        ctx = (torch.bmm(qc.view(CROPS, QUERIES, FEATURES), mcr.view(CROPS, area, FEATURES).transpose(1, 2)).view(-1, area)
               if ANCHORED else qc @ mcr.t())
        logits = logits + ctx * scales[2].exp()
    idx, mask = [], []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            inside = (yy + dy >= 0) & (yy + dy < o) & (xx + dx >= 0) & (xx + dx < o)
            idx.append(np.where(inside, base + (yy + dy) * o + xx + dx, target))
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


def lcc_search(fixed, moving, chunk=2):
    """LCC (squared, 5x5 windows) of each query's 17x17 patch against the 81x81 displaced moving patches: per query
    its 13x13 centred, unit-length fixed window vectors times the raw 5x5 windows of the moving region (one batched
    matrix product; the fixed vectors being centred, the product is the centred cross sum), times the moving windows'
    inverse centred norms, clamped, squared, and averaged along the 13x13 window diagonals."""
    m, side = PATCH - WINDOW + 1, 2 * R + 1
    span = side + m - 1                                                 # 93 window positions per side
    msum = F.avg_pool2d(moving[None, None], WINDOW, 1)[0, 0] * WINDOW * WINDOW
    msq = F.avg_pool2d((moving * moving)[None, None], WINDOW, 1)[0, 0] * WINDOW * WINDOW
    cen = msq - msum * msum / (WINDOW * WINDOW)
    minv = torch.where(cen > 1e-6, 1 / cen.clamp_min(1e-6).sqrt(), torch.zeros_like(cen))   # per window (top-left)
    out = torch.empty(300, side, side)
    for k0 in range(0, 300, chunk):
        fp, reg, invs = [], [], []
        for y, x in zip(ys[k0:k0 + chunk], xs[k0:k0 + chunk]):
            y0, x0 = y - half - R, x - half - R                       # top-left of the displaced patches' union
            fp.append(fixed[y - half:y + half + 1, x - half:x + half + 1])
            reg.append(moving[y0:y0 + side + PATCH - 1, x0:x0 + side + PATCH - 1])
            invs.append(minv[y0:y0 + span, x0:x0 + span].reshape(1, -1))
        nq = len(fp)
        fv = window_vectors(torch.stack(fp)[:, None])                  # nq x 169 x 25
        mw = F.unfold(torch.stack(reg)[:, None], WINDOW)               # nq x 25 x 8649
        acc = torch.zeros(nq, side, side)
        for q in range(nq):
            # moving windows x fixed windows (this orientation of the product was the faster one here)
            rho = (mw[q].t() @ fv[q].t()).mul_(invs[q].view(-1, 1)).clamp_(-1, 1).pow_(2)
            rho = rho.t().contiguous().view(m, m, span, span)
            for i in range(m):
                for j in range(m):
                    acc[q] += rho[i, j, i:i + side, j:j + side]
        out[k0:k0 + nq] = acc / (m * m)
    return out.view(300, -1)


def maps(net, ctx_net, img, weight):
    """Patch features (D x 240 x 240) and, with a context view, weight x context features stacked behind them."""
    fm = net(img[None, None])[0]
    if ctx_net is None:
        return fm
    padded = F.pad(img[None, None], (margin,) * 4, mode="replicate")
    return torch.cat([fm, weight * ctx_net(padded)[0]])


def score_once():
    with torch.no_grad():
        t0 = time.perf_counter()
        fimg, mimg = torch.from_numpy(sct[0]), torch.from_numpy(smr[0])
        fm = maps(fixed_net, fixed_ctx if CTX else None, fimg, (scales[2] - scales[0]).exp())
        mm = maps(moving_net, moving_ctx if CTX else None, mimg, 1.0)
        t_maps = time.perf_counter() - t0
        q = fm[:, torch.from_numpy(ys - half), torch.from_numpy(xs - half)].t()          # 300 x D
        out = torch.empty(300, 2 * R + 1, 2 * R + 1)
        for k0 in range(0, 300, 50):
            yi = torch.from_numpy(ys[k0:k0 + 50] - half)[:, None, None] + offsets[None, :, None]
            xi = torch.from_numpy(xs[k0:k0 + 50] - half)[:, None, None] + offsets[None, None, :]
            win = mm[:, yi.clamp(0, mm.shape[1] - 1), xi.clamp(0, mm.shape[2] - 1)]        # D x 50 x 81 x 81
            out[k0:k0 + 50] = torch.einsum("qd,dqhw->qhw", q[k0:k0 + 50], win)
        t_lcc = 0.0
        if ANCHORED:
            t1 = time.perf_counter()
            out += (scales[1] - scales[0]).exp() * lcc_search(fimg, mimg).view(300, 2 * R + 1, 2 * R + 1)
            t_lcc = time.perf_counter() - t1
        return time.perf_counter() - t0, t_maps, t_lcc


runs = [score_once() for _ in range(a.repeats)]
totals = sorted(r[0] for r in runs)
print(json.dumps({
    "peer": "pytorch", "torch": torch.__version__, "threads": a.threads, "pairs": len(sct),
    "anchor": a.anchor, "context": CTX,
    "trainingSteps": a.steps, "trainingSeconds": round(train_seconds, 2),
    "scoringMedianSeconds": round(totals[len(totals) // 2], 3), "scoringAll": [round(t, 3) for t in (r[0] for r in runs)],
    "featureMapSeconds": round(sorted(r[1] for r in runs)[len(runs) // 2], 3),
    "lccSearchSeconds": round(sorted(r[2] for r in runs)[len(runs) // 2], 3),
    "loadAverage": open("/proc/loadavg").read().split()[0],
}))
