#!/usr/bin/python3
"""PyTorch peer of the issue-6 benchmark: what a user would write instead of DeepSim, on the same data.

  train        SDAE pre-training (578 -> 289+289 per modality, 578 -> 300, 300 -> 100; masking noise 0.2, sparsity
               rho 0.05 weight 0.1, weight decay 1e-4, Adam lr 1e-3, batch 64) then fine-tuning 578-578-300-100-2
               (cross-entropy + weight decay, 80/20 split with per-epoch validation, inputs standardised on the
               training rows), the same pairs DeepSim trains on (pairs.f32 written by DeepSimWorker.ps1 setup)
  evaluate-dnn DeepSim's trained weights (weights.f32), 300 queries x 6,561 candidates: per query, unfold the 97x97
               window, concatenate with the repeated query patch, one forward; prediction errors as the protocol
  matmul       float32 4096^3 matmul rate
  import       `import torch` plus a first op
Run with Debian's /usr/bin/python3 (python3-torch + libopenblas0-pthread), OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset.
Prints one JSON line (seconds exclude data loading; peakMiB = VmHWM)."""
import argparse
import json
import os
import sys
import time


def peak_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


parser = argparse.ArgumentParser()
parser.add_argument("task", choices=["train", "evaluate-dnn", "matmul", "import"])
parser.add_argument("--work", required=True)
parser.add_argument("--sdae-epochs", type=int, default=20)
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--queries", type=int, default=None)
args = parser.parse_args()
result = {"task": args.task}

start = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(os.cpu_count())
if args.task == "import":
    torch.ones(2).sum().item()
    result["importFirstCallSeconds"] = time.perf_counter() - start

result.update({"torch": torch.__version__, "numpy": np.__version__, "threads": torch.get_num_threads(),
               "blas": "openblas" if "openblas" in torch.__config__.show().lower() or os.path.exists("/usr/lib/x86_64-linux-gnu/openblas-pthread") else "?"})
torch.manual_seed(1)
rng = np.random.default_rng(1)


def sdae_layer(x, hidden, epochs, linear_decoder=False):
    """One denoising sparse autoencoder: returns the encoder (W, b)."""
    width = x.shape[1]
    enc, dec = torch.nn.Linear(width, hidden), torch.nn.Linear(hidden, width)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)
    rho, n = 0.05, x.shape[0]
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(n))
        for s in range(0, n, 64):
            xb = x[order[s:s + 64]]
            corrupted = xb * (torch.rand_like(xb) >= 0.2).float()
            h = torch.sigmoid(enc(corrupted))
            r = dec(h) if linear_decoder else torch.sigmoid(dec(h))
            loss = 0.5 * ((r - xb) ** 2).sum() / xb.shape[0]
            rho_hat = h.mean(0).clamp(1e-6, 1 - 1e-6)
            loss = loss + 0.1 * (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()
            loss = loss + 1e-4 / 2 * (enc.weight.pow(2).sum() + dec.weight.pow(2).sum())
            opt.zero_grad()
            loss.backward()
            opt.step()
    return enc.weight.detach().clone(), enc.bias.detach().clone()


if args.task == "train":
    raw = np.fromfile(os.path.join(args.work, "pairs.f32"), dtype=np.float32)
    meta = np.fromfile(os.path.join(args.work, "pairs-meta.f32"), dtype=np.float32).reshape(-1, 5)
    count = meta.shape[0]
    raw = raw.reshape(count, -1)
    n = raw.shape[1] // 2
    x = np.empty_like(raw)  # image-range normalisation, as DeepSim (float32 (v - min) * (1 / width))
    x[:, :n] = (raw[:, :n] - meta[:, 0:1]) * (np.float32(1) / meta[:, 1:2])
    x[:, n:] = (raw[:, n:] - meta[:, 2:3]) * (np.float32(1) / meta[:, 3:4])
    labels = meta[:, 4].astype(np.int64)
    data = torch.from_numpy(x)
    t0 = time.perf_counter()
    # SDAE: one autoencoder per modality at level 1, then shared levels 2 and 3.
    wf, bf = sdae_layer(data[:, :n], n, args.sdae_epochs)
    wm, bm = sdae_layer(data[:, n:], n, args.sdae_epochs)
    with torch.no_grad():
        codes = torch.cat([torch.sigmoid(F.linear(data[:, :n], wf, bf)), torch.sigmoid(F.linear(data[:, n:], wm, bm))], 1)
    w2, b2 = sdae_layer(codes, 300, args.sdae_epochs)
    with torch.no_grad():
        codes = torch.sigmoid(F.linear(codes, w2, b2))
    w3, b3 = sdae_layer(codes, 100, args.sdae_epochs)
    result["sdaeSeconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # Fine-tuning: 578-578-300-100-2, layer 1 block-diagonal from the two modality encoders.
    valid_idx, train_idx = [], []
    for cls in (0, 1):
        members = rng.permutation(np.flatnonzero(labels == cls))
        take = min(int(round(len(members) * 0.2)), len(members) - 1)
        valid_idx += list(members[:take])
        train_idx += list(members[take:])
    train_idx = np.array(train_idx)
    mean = x[train_idx].astype(np.float64).mean(0)
    std = np.maximum(1e-6, x[train_idx].astype(np.float64).std(0))
    xs = torch.from_numpy(((x - mean) / std).astype(np.float32))
    y = torch.from_numpy(labels)
    net = torch.nn.Sequential(torch.nn.Linear(2 * n, 2 * n), torch.nn.Sigmoid(), torch.nn.Linear(2 * n, 300), torch.nn.Sigmoid(),
                              torch.nn.Linear(300, 100), torch.nn.Sigmoid(), torch.nn.Linear(100, 2))
    with torch.no_grad():
        w1 = torch.zeros(2 * n, 2 * n)
        w1[:n, :n], w1[n:, n:] = wf, wm
        b1 = torch.cat([bf, bm]) + w1 @ torch.from_numpy(mean.astype(np.float32))
        net[0].weight.copy_(w1 * torch.from_numpy(std.astype(np.float32)))
        net[0].bias.copy_(b1)
        net[2].weight.copy_(w2), net[2].bias.copy_(b2), net[4].weight.copy_(w3), net[4].bias.copy_(b3)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    vx, vy = xs[valid_idx], y[valid_idx]
    best, best_state = float("inf"), None
    for epoch in range(args.epochs):
        order = torch.from_numpy(rng.permutation(train_idx))
        for s in range(0, len(order), 64):
            idx = order[s:s + 64]
            logits = net(xs[idx])
            loss = F.cross_entropy(logits, y[idx]) + 1e-4 / 2 * sum(p.pow(2).sum() for name, p in net.named_parameters() if name.endswith("weight"))
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            logits = net(vx)
            vloss = F.cross_entropy(logits, vy).item()
            vacc = (logits.argmax(1) == vy).float().mean().item()
        if vloss < best:
            best, best_state = vloss, {k: v.clone() for k, v in net.state_dict().items()}
    result["fineTuneSeconds"] = time.perf_counter() - t0
    result["seconds"] = result["sdaeSeconds"] + result["fineTuneSeconds"]
    result["lastValidationAccuracy"] = vacc
elif args.task == "evaluate-dnn":
    with open(os.path.join(args.work, "input.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(args.work, "weights.json")) as f:
        wcfg = json.load(f)
    assert wcfg["activation"] == "Sigmoid" and wcfg["normalization"] == "ImageRange", wcfg
    shape = (cfg["height"], cfg["width"])
    fmin, fmax = cfg["fixedRange"]
    mmin, mmax = cfg["movingRange"]
    fixed = (np.fromfile(os.path.join(args.work, "fixed.f32"), dtype=np.float32).reshape(shape) - np.float32(fmin)) * (np.float32(1) / np.float32(fmax - fmin))
    moving = (np.fromfile(os.path.join(args.work, "moving.f32"), dtype=np.float32).reshape(shape) - np.float32(mmin)) * (np.float32(1) / np.float32(mmax - mmin))
    fixed, moving = torch.from_numpy(fixed), torch.from_numpy(moving)
    sizes = wcfg["sizes"]
    flat = torch.from_numpy(np.fromfile(os.path.join(args.work, "weights.f32"), dtype=np.float32))
    layers, pos = [], 0
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        with torch.no_grad():
            lin.weight.copy_(flat[pos:pos + sizes[i] * sizes[i + 1]].view(sizes[i + 1], sizes[i]))
            pos += sizes[i] * sizes[i + 1]
            lin.bias.copy_(flat[pos:pos + sizes[i + 1]])
            pos += sizes[i + 1]
        layers += [lin, torch.nn.Sigmoid()]
    net = torch.nn.Sequential(*layers[:-1]).eval()
    p, r = cfg["patch"], cfg["radius"]
    h, w = p // 2, 2 * r + 1
    centres = cfg["centres"][: args.queries] if args.queries else cfg["centres"]
    inside = [(dy + r) * w + (dx + r) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    outside = torch.ones(w * w, dtype=torch.bool)
    outside[inside] = False
    errors = []
    with torch.no_grad():
        net(torch.zeros(w * w, 2 * p * p))  # warm-up
        t0 = time.perf_counter()
        for x, yc in centres:
            fp = fixed[yc - h:yc + h + 1, x - h:x + h + 1].reshape(1, p * p)
            window = moving[yc - r - h:yc + r + h + 1, x - r - h:x + r + h + 1]
            cand = F.unfold(window[None, None], p)[0].T  # (6561, 289), row-major over (dy, dx)
            logits = net(torch.cat([fp.expand(w * w, -1), cand], 1))
            score = logits[:, 1] - logits[:, 0]
            best_inside = score[inside].max()
            errors.append(int((score[outside] >= best_inside).sum()))
        result["seconds"] = time.perf_counter() - t0
    result["queries"] = len(centres)
    result["errors"] = errors
    result["meanError"] = float(np.mean(errors))
elif args.task == "matmul":
    a, b = torch.rand(4096, 4096), torch.rand(4096, 4096)
    a @ b
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    result["gflops"] = 2 * 4096 ** 3 / min(times) / 1e9
result["peakMiB"] = peak_mib()
print(json.dumps(result))
