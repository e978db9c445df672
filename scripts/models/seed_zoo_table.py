#!/usr/bin/env python3
"""Prints docs/seed-zoo.md's reproduction table from what scripts/models/seed-zoo.sh
wrote under docs/seed-zoo/ (reports, tract evaluations, one latency run)."""
import json
import pathlib
import sys

docs = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "docs/seed-zoo")

# (run, model, dataset, the seed's number and where it is from)
ROWS = [
    ("attention-lstm-arsl", "attention-lstm", "arsl2018, 29 classes", "98.46% (seed 000, 224 px, 64 epochs, 54k images)"),
    ("resco-mini-ahdd", "resco-mini", "ahdd1-test 7,000/1,000/2,000", "99.24% (seed 004, AHDD1 60k train / 10k test)"),
    ("lenet5-ahdd", "lenet5", "ahdd1-test 7,000/1,000/2,000", "98.76% (seed 004)"),
    ("alexnet-ahdd", "alexnet", "ahdd1-test 7,000/1,000/2,000", "99.19% (seed 004)"),
    ("resco-mini-smnist", "resco-mini", "sign-mnist (own test, 7,172)", "none reported"),
    ("lenet5-smnist", "lenet5", "sign-mnist (own test, 7,172)", "none reported"),
    ("alexnet-smnist", "alexnet", "sign-mnist (own test, 7,172)", "none reported"),
    ("mlp-0v5", "mlp", "sign-language-digits 0 vs 5", "98% on 200 images (seed 003)"),
]

latency = {}
lat_file = docs / "latency.jsonl"
if lat_file.exists():
    for line in lat_file.read_text().splitlines():
        j = json.loads(line)
        latency[pathlib.Path(j["file"]).parent.name] = j

print("| model | data | params | MMAC | epochs | train time | our test acc. (libtorch) | exported, in tract | seed | tract p50 ms |")
print("|---|---|---:|---:|---:|---:|---:|---:|---|---:|")
for run, arch, data, seed in ROWS:
    d = docs / run
    if not (d / "report.json").exists():
        print(f"| {arch} | {data} | | | | | not run | | {seed} | |")
        continue
    rep = json.loads((d / "report.json").read_text())
    tract = json.loads((d / "tract-report.json").read_text())
    cfg = (d / "config.toml").read_text()
    epochs = next((l.split("=")[1].strip() for l in cfg.splitlines() if l.startswith("epochs")), "?")
    secs = int((d / "train-seconds.txt").read_text())
    lat = latency.get(run, {})
    mmac = f"{lat['mmac']:.1f}" if "mmac" in lat else ""
    p50 = f"{lat['p50_ms']:.2f}" if "p50_ms" in lat else ""
    print(
        f"| {arch} | {data} | {rep['parameters']:,} | {mmac} | {epochs} | {secs // 60} min {secs % 60} s "
        f"| {100 * rep['accuracy']:.2f}% ({rep['samples']}) | {100 * tract['accuracy']:.2f}% | {seed} | {p50} |"
    )
