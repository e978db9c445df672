#!/usr/bin/env python3
"""How sure a model is on people it never saw: per held-out source of NAME.loso.json, the
median top probability of its sampled frames and the share at or above a threshold.

    python3 scripts/loso-confidence.py [models/asl-landmarks.loso.json] [0.6]
"""
import json
import statistics
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "models/asl-landmarks.loso.json"
threshold = float(sys.argv[2]) if len(sys.argv) > 2 else 0.6
print(f"| held-out source | frames with a hand | median top probability | share >= {threshold} |")
print("|---|---:|---:|---:|")
for fold in json.load(open(path))["folds"]:
    tops = [f["top"][0][1] for f in fold["frames"] if f["top"]]
    share = sum(t >= threshold for t in tops) / len(tops)
    print(f"| {fold['source']} | {len(tops)} | {statistics.median(tops):.3f} | {100 * share:.1f}% |")
