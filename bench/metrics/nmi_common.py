"""Shared input reading for the NMI benchmark peers (see MetricsBench/Program.cs, which writes the input)."""
import argparse
import json
import os

import numpy as np


def read_input(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("input", help="input.json written by the MetricsBench driver")
    parser.add_argument("--queries", type=int, default=None, help="score only the first N query centres")
    parser.add_argument("--scores", default=None, help="write the scores (float32, query-major, W*W per query) here")
    args = parser.parse_args()
    with open(args.input) as f:
        cfg = json.load(f)
    folder = os.path.dirname(os.path.abspath(args.input))
    shape = (cfg["height"], cfg["width"])
    fixed = np.fromfile(os.path.join(folder, cfg["fixedPath"]), dtype=np.float32).reshape(shape).astype(np.float64)
    moving = np.fromfile(os.path.join(folder, cfg["movingPath"]), dtype=np.float32).reshape(shape).astype(np.float64)
    centres = cfg["centres"][: args.queries] if args.queries else cfg["centres"]
    return args, cfg, fixed, moving, centres


def report(peer, pairs, seconds, cpu_seconds, scores, args):
    if args.scores:
        np.asarray(scores, dtype=np.float32).tofile(args.scores)
    print(json.dumps({
        "peer": peer,
        "pairs": pairs,
        "seconds": seconds,
        "usPerPair": seconds * 1e6 / pairs,
        "cpuSeconds": cpu_seconds,
        "cpuUsPerPair": cpu_seconds * 1e6 / pairs,
        "numpy": np.__version__,
        "peakMiB": _peak_mib(),
    }))


def _peak_mib():
    """VmHWM (peak resident set) of this process in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None
