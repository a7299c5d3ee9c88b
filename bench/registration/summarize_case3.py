#!/usr/bin/python3
"""Summary of case-3 results files of Invoke-RegistrationBench.ps1 (run with Debian's /usr/bin/python3).

usage: summarize_case3.py FILE [FILE ...] [--ref METHOD] [--label FILE=LABEL ...]

Rows of every file are pooled; a method that appears in several files is labelled "<method> [<file stem>]" so that
runs of different settings stay apart. Per method: cases, identity (BeforeMeanPx, the residual of doing nothing), mean,
median and 95th percentile (over cases) of the per-case mean residual, mean of the per-case 95th percentiles, cases
below the identity, minimum Jacobian, mean CPU. Then, for every method against --ref (default: the elastix MI B-spline
rows) and against the identity: the paired mean difference of the per-case means over the cases both have, with a 95 %
bootstrap interval (5,000 resamples of the cases, seed 1) and the count of cases where the method is lower.
"""
import csv, math, os, sys
import numpy as np


def load(paths):
    methods = {}
    seen = {}
    for p in paths:
        stem = os.path.splitext(os.path.basename(p))[0]
        for r in csv.DictReader(open(p), delimiter='\t'):
            seen.setdefault(r['Method'], set()).add(stem)
            methods.setdefault((r['Method'], stem), {})[int(r['Case'])] = r
    out = {}
    for (m, stem), rows in methods.items():
        name = m if len(seen[m]) == 1 else f'{m} [{stem}]'
        out[name] = rows
    return out


def f(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def boot(d, n=5000, seed=1):
    rng = np.random.default_rng(seed)
    d = np.asarray(d)
    means = d[rng.integers(len(d), size=(n, len(d)))].mean(axis=1)
    return d.mean(), np.percentile(means, 2.5), np.percentile(means, 97.5)


def main(argv):
    ref = None
    paths = []
    i = 0
    while i < len(argv):
        if argv[i] == '--ref':
            ref = argv[i + 1]; i += 2; continue
        paths.append(argv[i]); i += 1
    data = load(paths)
    print('| Method | Cases | Identity (px) | Mean (px) | Median | 95th pct over cases | Mean of per-case 95th pct | Below identity | Moved (px) | Min Jacobian | CPU (s) |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for m, rows in data.items():
        cs = sorted(rows)
        mean = np.array([f(rows[c]['MeanPx']) for c in cs]); before = np.array([f(rows[c]['BeforeMeanPx']) for c in cs])
        p95 = np.array([f(rows[c]['P95Px']) for c in cs]); cpu = np.array([f(rows[c]['CpuSeconds']) for c in cs])
        minj = np.array([f(rows[c]['MinJacobian']) for c in cs])
        moved = np.array([f(rows[c].get('MovedPx')) for c in cs])
        mv = '' if np.all(np.isnan(moved)) else f'{np.nanmean(moved):.2f}'
        ok = ~np.isnan(mean)
        s = np.sort(mean[ok])
        q95 = s[min(len(s) - 1, math.ceil(0.95 * len(s)) - 1)] if len(s) else math.nan
        unwarped = 'unwarped' in m
        below = '-' if unwarped else f'{int((mean[ok] < before[ok]).sum())} of {ok.sum()}'
        mj = f'{np.nanmin(minj):.2f}' if not np.all(np.isnan(minj)) else ''
        print(f'| {m} | {len(cs)} | {0 if unwarped else before.mean():.2f} | {mean[ok].mean():.2f} | {np.median(mean[ok]):.2f} | {q95:.2f} | {p95[ok].mean():.2f} | {below} | {mv} | {mj} | {np.nanmean(cpu):.2f} |')
    refs = [m for m in data if m == ref] if ref else [m for m in data if m.startswith('elastix MI B-spline') and 'unwarped' not in m]
    print()
    for m, rows in data.items():
        if 'unwarped' in m:
            continue
        for r in refs:
            if r == m:
                continue
            cs = sorted(c for c in set(rows) & set(data[r]) if not math.isnan(f(rows[c]['MeanPx'])) and not math.isnan(f(data[r][c]['MeanPx'])))
            if not cs:
                continue
            d = [f(rows[c]['MeanPx']) - f(data[r][c]['MeanPx']) for c in cs]
            mu, lo, hi = boot(d)
            print(f'{m} - {r}: {mu:+.2f} [{lo:+.2f}, {hi:+.2f}] px over {len(cs)} cases, lower in {sum(x < 0 for x in d)}')
        cs = sorted(c for c in rows if not math.isnan(f(rows[c]['MeanPx'])))
        d = [f(rows[c]['MeanPx']) - f(rows[c]['BeforeMeanPx']) for c in cs]
        mu, lo, hi = boot(d)
        print(f'{m} - identity: {mu:+.2f} [{lo:+.2f}, {hi:+.2f}] px over {len(cs)} cases, lower in {sum(x < 0 for x in d)}')


if __name__ == '__main__':
    main(sys.argv[1:])
