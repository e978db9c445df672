"""Writes N pictures per letter of sign-mnist's training file as the kiosk's
collection mode lays them out (<out>/<letter>/<signer>-NNNN.png): a stand-in for a new
signer's collected samples, since no other signer's ASL photos are in ../shared/data.

usage: sign_mnist_as_collected.py CSV_GZ OUT N
"""
import csv
import gzip
import os
import sys

from PIL import Image

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
count = {}
with gzip.open(src, "rt") as f:
    rows = csv.reader(f)
    next(rows)  # header
    for row in rows:
        letter = chr(ord("A") + int(row[0]))
        k = count.get(letter, 0)
        if k >= n:
            continue
        os.makedirs(os.path.join(out, letter), exist_ok=True)
        Image.frombytes("L", (28, 28), bytes(int(v) for v in row[1:])).save(os.path.join(out, letter, f"smnist-{k:04d}.png"))
        count[letter] = k + 1
print(f"{sum(count.values())} pictures, {len(count)} letters, in {out}")
