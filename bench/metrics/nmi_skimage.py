#!/usr/bin/python3
"""Peer for issue 6: the scikit-image loop, normalized_mutual_information(fixed_patch, moving_patch, bins=32)
for every query and every candidate offset (each patch binned over its own min/max, as scikit-image does).
Prints timing as JSON. Run: /usr/bin/python3 nmi_skimage.py /tmp/deepsim-metrics-bench/input.json --queries 10"""
import time

import numpy as np
import skimage
from skimage.metrics import normalized_mutual_information

from nmi_common import read_input, report

args, cfg, fixed, moving, centres = read_input(__doc__)
p, r, bins = cfg["patch"], cfg["radius"], cfg["bins"]
h = p // 2
w = 2 * r + 1
scores = np.empty((len(centres), w * w), dtype=np.float64)
start = time.perf_counter()
cpu_start = time.process_time()
with np.errstate(all="ignore"):
    for q, (x, y) in enumerate(centres):
        f = fixed[y - h:y + h + 1, x - h:x + h + 1]
        k = 0
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                m = moving[y + dy - h:y + dy + h + 1, x + dx - h:x + dx + h + 1]
                scores[q, k] = normalized_mutual_information(f, m, bins=bins)
                k += 1
seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu_start
scores[np.isnan(scores)] = 1.0  # both patches constant: DeepSim defines NMI = 1
report("scikit-image " + skimage.__version__, scores.size, seconds, cpu_seconds, scores, args)
