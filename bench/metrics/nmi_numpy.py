#!/usr/bin/python3
"""Peer for issue 6: a vectorised NumPy NMI. Per query, all (2R+1)^2 candidate patches are taken at once with
sliding_window_view, binned over each patch's own min/max with NumPy's histogram edges (as scikit-image does),
their joint histograms counted with one bincount, and the entropies computed from an n*log(n) table.
Prints timing as JSON. Run: /usr/bin/python3 nmi_numpy.py /tmp/deepsim-metrics-bench/input.json --queries 30"""
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nmi_common import read_input, report


def quantise(values, lo, hi, bins):
    """NumPy histogram bins of values (..., n) over per-row ranges lo, hi (..., 1)."""
    empty = hi <= lo
    lo = np.where(empty, lo - 0.5, lo)
    hi = np.where(empty, hi + 0.5, hi)
    step = (hi - lo) / bins
    k = np.clip(np.floor((values - lo) / step).astype(np.int64), 0, bins - 1)
    k -= (k > 0) & (values < k * step + lo)
    k += (k + 1 < bins) & (values >= (k + 1) * step + lo)
    k[values >= hi] = bins - 1
    return k


args, cfg, fixed, moving, centres = read_input(__doc__)
p, r, bins = cfg["patch"], cfg["radius"], cfg["bins"]
h = p // 2
w = 2 * r + 1
n = p * p
nlogn = np.zeros(n + 1)
nlogn[1:] = np.arange(1, n + 1) * np.log(np.arange(1, n + 1))
offsets = (np.arange(w * w) * bins * bins)[:, None]
scores = np.empty((len(centres), w * w))
start = time.perf_counter()
cpu_start = time.process_time()
for q, (x, y) in enumerate(centres):
    f = fixed[y - h:y + h + 1, x - h:x + h + 1].reshape(1, n)
    fb = quantise(f, f.min(axis=1, keepdims=True), f.max(axis=1, keepdims=True), bins)[0]
    region = moving[y - r - h:y + r + h + 1, x - r - h:x + r + h + 1]
    cand = sliding_window_view(region, (p, p)).reshape(w * w, n)
    mb = quantise(cand, cand.min(axis=1, keepdims=True), cand.max(axis=1, keepdims=True), bins)
    joint = np.bincount((fb[None, :] * bins + mb + offsets).ravel(), minlength=w * w * bins * bins).reshape(w * w, bins, bins)
    moving_counts = joint.sum(axis=1)
    fixed_counts = np.bincount(fb, minlength=bins)
    hf = np.log(n) - nlogn[fixed_counts].sum() / n
    hm = np.log(n) - nlogn[moving_counts].sum(axis=1) / n
    hj = np.log(n) - nlogn[joint.reshape(w * w, -1)].sum(axis=1) / n
    with np.errstate(all="ignore"):
        scores[q] = np.where(hj > 0, (hf + hm) / hj, 1.0)
seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu_start
report("numpy vectorised", scores.size, seconds, cpu_seconds, scores, args)
