"""Paired bootstrap of the difference in prediction error between two metrics on the same patches.

Reads an errors.csv of Measure-LearnedLogo.ps1 (Source, Metric, X, Y, Error; every metric of a source lists the same
centres in the same order) and prints, for the metric whose name contains --metric against every other metric, the
mean of (error - other's error) with a 95 % percentile interval (2,000 resamples, seeded), and on how many patches it
is lower, higher or equal; pooled over --folds and per fold. Bench only (/usr/bin/python3, standard library).
"""
import argparse
import csv
import random


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("errors")
    parser.add_argument("--metric", required=True, help="part of the name of the metric compared with the others")
    parser.add_argument("--folds", required=True, help="comma-separated sources, e.g. 16,20")
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folds = args.folds.split(",")
    by = {}
    for r in csv.DictReader(open(args.errors, newline="")):
        if r["Source"] in folds:
            by.setdefault((r["Source"], r["Metric"]), []).append(r)
    metrics = sorted({m for _, m in by})
    base = next(m for m in metrics if args.metric in m)
    for s in folds:
        centres = [[(r["X"], r["Y"]) for r in by[(s, m)]] for m in metrics]
        if any(c != centres[0] for c in centres):
            raise SystemExit(f"fold {s}: the metrics were not measured on the same centres")
    for other in (m for m in metrics if m != base):
        for group in [folds] + ([[f] for f in folds] if len(folds) > 1 else []):
            d = [int(a["Error"]) - int(b["Error"]) for s in group for a, b in zip(by[(s, base)], by[(s, other)])]
            n = len(d)
            rng = random.Random(args.seed)
            means = sorted(sum(d[rng.randrange(n)] for _ in range(n)) / n for _ in range(args.resamples))
            lo, hi = means[int(0.025 * args.resamples)], means[int(0.975 * args.resamples) - 1]
            print(f"folds {'+'.join(group)}: '{base}' - '{other}': n={n}, mean difference {sum(d) / n:+.1f} "
                  f"[{lo:+.1f}, {hi:+.1f}]; lower on {sum(x < 0 for x in d)}, higher on {sum(x > 0 for x in d)}, "
                  f"equal on {sum(x == 0 for x in d)}")


if __name__ == "__main__":
    main()
