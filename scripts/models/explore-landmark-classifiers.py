#!/usr/bin/env python3
"""Quick leave-one-source-out probes of the landmark classifier's ceiling, in scikit-learn.

Split: leave-one-source-out (each of the 7 sources held out in turn; the mean over them).
These are proxies, not the shipped trainer: pictures in which no hand was found are left
out (the trainer counts them wrong), and there is no augmentation, so the numbers are a
few points under `host-train landmarks`. They compare ideas with each other, side by
side in one run.

Reads the hand caches that `host-train landmarks` writes (one per settling value, e.g.
by `scripts/models/settle-before-after.sh` into runs/settle/cache-N) and the CSV
landmarks in ../shared/data/asl-landmarks.

    pip install numpy scikit-learn
    python3 scripts/models/explore-landmark-classifiers.py classifiers   # LR, SVM, kNN, MLP on the 78 features
    python3 scripts/models/explore-landmark-classifiers.py features      # other feature sets, logistic regression
    python3 scripts/models/explore-landmark-classifiers.py mirror        # hands seen edge-on: both mirror images
    python3 scripts/models/explore-landmark-classifiers.py views         # train on the hands of settle 0, 1 and 2
    python3 scripts/models/explore-landmark-classifiers.py consistent    # drop a source's letters no other source signs alike
    python3 scripts/models/explore-landmark-classifiers.py world         # + MediaPipe's 3-D world landmarks, palm-aligned
    python3 scripts/models/explore-landmark-classifiers.py embedding     # + the landmark model's 672-value pool (hand_embedding.py)
    python3 scripts/models/explore-landmark-classifiers.py adapt         # a few of the held-out signer's own letters remembered
    python3 scripts/models/explore-landmark-classifiers.py ensemble      # 5 MLPs of different seeds, probabilities averaged
    python3 scripts/models/explore-landmark-classifiers.py angles        # + joint angles (blind to bone lengths)
    python3 scripts/models/explore-landmark-classifiers.py signernorm    # each signer's features centred on their own mean
    python3 scripts/models/explore-landmark-classifiers.py selftrain     # the held-out signer's confidently read letters remembered, unconfirmed
    SPACE=probabilities python3 scripts/models/explore-landmark-classifiers.py adapt   # ... as what the model read of them
"""
import csv
import gzip
import json
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SHARED = os.path.join(ROOT, "..", "shared", "data")
CACHES = os.environ.get("CACHES", os.path.join(ROOT, "runs", "settle"))
LET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = {"0": "O", "2": "V", "6": "W", "9": "F"}
PAIRS = [(4, 8), (4, 12), (4, 16), (4, 20), (4, 5), (4, 6), (4, 9), (4, 10), (4, 13), (4, 14), (4, 17), (4, 18), (8, 12), (12, 16), (16, 20)]
PICTURES = [("asl-alphabet", "asl-alphabet"), ("asl-letters-roboflow", "roboflow"), ("sign-language-digits", "sign-language-digits"), ("sign-mnist", "sign-mnist")]


def sign_mnist_labels():
    out = {}
    for name in ["sign_mnist_train.csv.gz", "sign_mnist_test.csv.gz"]:
        with gzip.open(os.path.join(SHARED, "sign-mnist", name), "rt") as f:
            next(f)
            for i, line in enumerate(f):
                out[f"{name}:row {i + 1}"] = LET[int(line.split(",", 1)[0])]
    return out


def corpus(settle):
    """(source, letter, points 21x3, sample id) of every hand found, plus the CSV rows."""
    cache = os.path.join(CACHES, f"cache-{settle}")
    sm = sign_mnist_labels()
    out = []
    for folder, source in PICTURES:
        with open(os.path.join(cache, f"{folder}.landmarks.jsonl")) as f:
            next(f)
            for line in f:
                d = json.loads(line)
                if d.get("points") is None:
                    continue
                src = d["source"]
                letter = {
                    "asl-alphabet": lambda: src.split("/")[-2],
                    "roboflow": lambda: os.path.basename(src)[0],
                    "sign-language-digits": lambda: DIGITS.get(src.split("/")[-2]),
                    "sign-mnist": lambda: sm.get(src),
                }[source]()
                if letter in LET and letter:
                    world = np.array(d["world"], np.float32) if d.get("world") else None
                    out.append((source, letter, np.array(d["points"], np.float32), src, world))
    root = os.path.join(SHARED, "asl-landmarks")
    for author in sorted(os.listdir(root)):
        with open(os.path.join(root, author, "letters.csv")) as f:
            rows = csv.reader(f)
            next(rows)
            for i, row in enumerate(rows):
                if row[0] in LET:
                    xy = np.array(row[1:], np.float32).reshape(21, 2)
                    out.append((author, row[0], np.concatenate([xy, np.zeros((21, 1), np.float32)], 1), "", None))
    return out


def features(p, flip=False):
    """shared::features (2-D): wrist-relative, mirrored by the palm triangle, roll out and
    kept as sin/cos, divided by the hand's size, thumb and fingertip distances. Returns the
    78 values and the palm triangle's sine (near 0: the hand is seen edge-on)."""
    rel = p - p[0]
    a, b = rel[5], rel[17]
    cross = a[0] * b[1] - a[1] * b[0]
    tri = cross / (np.hypot(*a[:2]) * np.hypot(*b[:2]) + 1e-9)
    if (cross < 0) != flip:
        rel[:, 0] = -rel[:, 0]
    d = rel[[5, 9, 13, 17], :2].sum(0)
    roll = np.arctan2(d[0], -d[1])
    s, c = np.sin(roll), np.cos(roll)
    x, y = rel[:, 0].copy(), rel[:, 1].copy()
    rel[:, 0], rel[:, 1] = x * c + y * s, -x * s + y * c
    size = np.hypot(rel[:, 0], rel[:, 1]).max()
    f = list((rel[1:, :2] / size).ravel()) + [0.0] * 20 + [s, c] + [np.hypot(*(rel[i, :2] - rel[j, :2])) / size for i, j in PAIRS] + [0.0]
    return np.array(f, np.float32), tri


def arrays(settle=1):
    cp = corpus(settle)
    X = np.array([features(c[2].copy())[0] for c in cp])
    X2 = np.array([features(c[2].copy(), flip=True)[0] for c in cp])
    T = np.array([features(c[2].copy())[1] for c in cp])
    Y = np.array([LET.index(c[1]) for c in cp])
    S = np.array([c[0] for c in cp])
    P = np.array([c[2] for c in cp])
    K = [c[3] for c in cp]
    W = [c[4] for c in cp]
    return X, X2, T, Y, S, P, K, W


def palm_aligned(w, chirality="tips"):
    """A 3-D hand in its palm's frame: wrist at 0, `up` from the wrist to the knuckles,
    `across` from the little finger's knuckle to the index's, `normal` their cross
    product; divided by the hand's 3-D size. `chirality`: "tips" turns the normal to the
    side the fingertips bend to (a left hand and a right hand, palm or back to the
    camera, become one shape), "none" keeps it. Returns the 20 points (60), the normal in
    the camera's frame (3) and the 15 PAIRS distances in 3-D (15)."""
    rel = w - w[0]
    up = rel[[5, 9, 13, 17]].sum(0)
    up /= np.linalg.norm(up) + 1e-9
    across = rel[5] - rel[17]
    across -= across.dot(up) * up
    across /= np.linalg.norm(across) + 1e-9
    normal = np.cross(across, up)
    c = rel @ np.stack([across, up, normal]).T
    size = np.linalg.norm(c, axis=1).max() + 1e-9
    c /= size
    if chirality == "tips" and c[[8, 12, 16, 20], 2].mean() < 0:
        c[:, 2] = -c[:, 2]
        normal = -normal
    d = [np.linalg.norm(c[i] - c[j]) for i, j in PAIRS]
    return np.concatenate([c[1:].ravel(), normal, d]).astype(np.float32)


def mlp(seed=0):
    return MLPClassifier((256, 128), max_iter=40, random_state=seed, alpha=1e-4, batch_size=128)


def loso(name, make, X, Y, S, extra=None, predict=None, keep=None):
    """Trains on every source but `h` (only samples where `keep` is true, plus
    `extra(h)`), scores all of `h`'s samples."""
    accs = {}
    for h in sorted(set(S)):
        tr = (S != h) if keep is None else (S != h) & keep
        Xtr, Ytr = X[tr], Y[tr]
        if extra is not None:
            Xe, Ye = extra(h)
            Xtr, Ytr = np.concatenate([Xtr, Xe]), np.concatenate([Ytr, Ye])
        m = make()
        m.fit(Xtr, Ytr)
        te = S == h
        pred = predict(m, te) if predict else m.predict(X[te])
        accs[h] = (pred == Y[te]).mean()
    folds = " ".join(f"{h[:12]} {100 * a:.1f}" for h, a in accs.items())
    print(f"| {name} | {100 * np.mean(list(accs.values())):.2f}% | {folds} |", flush=True)
    return accs


def groups(S, K):
    """Near-duplicates stay together: asl-alphabet's runs of 20 video frames, roboflow's
    three copies of a photo, runs of 20 consecutive rows of a 2-D log; sign-mnist's crops
    and the digits' photos one by one."""
    out = []
    for i, (s, k) in enumerate(zip(S, K)):
        base = os.path.basename(k)
        if s == "asl-alphabet":
            digits = "".join(ch for ch in base if ch.isdigit())
            out.append(f"{s}/{base[0]}/{int(digits) // 20}")
        elif s == "roboflow":
            out.append(f"{s}/{base.split('.rf.')[0]}")
        elif k == "":
            out.append(f"{s}/{i // 20}")
        else:
            out.append(f"{s}/{k}")
    return np.array(out)


def halves(G, S, h, rng):
    """Source `h`'s samples in two halves by group (no near-duplicate on both sides)."""
    idx = np.flatnonzero(S == h)
    g = np.unique(G[idx])
    half = set(rng.permutation(g)[: len(g) // 2])
    return np.array([i for i in idx if G[i] in half]), np.array([i for i in idx if G[i] not in half])


def remembered(P, Xq, Xm, Ym, sigma):
    """The model's probabilities mixed with the remembered samples': each letter's
    nearest remembered sample, a Gaussian of its distance; mixed in as far as any
    remembered sample is near."""
    d = np.sqrt(((Xq[:, None, :] - Xm[None]) ** 2).sum(-1))
    K = np.zeros((len(Xq), P.shape[1]))
    for c in np.unique(Ym):
        K[:, c] = np.exp(-0.5 * (d[:, Ym == c].min(1) / sigma) ** 2)
    near = K.max(1, keepdims=True)
    mem = K / np.maximum(K.sum(1, keepdims=True), 1e-12)
    return (1 - near) * P + near * mem


def adapt(X, Y, S, K, seed=0):
    """Leave-one-source-out, then the held-out signer's groups split in two: N samples a
    letter from one half remembered (as the kiosk would from words the signer accepted),
    the other half read, without and with the memory."""
    G = groups(S, K)
    ns, sigmas = [1, 3, 5, 10], [0.1, 0.2, 0.3, 0.5]
    space = os.environ.get("SPACE", "features")
    rows = {}
    for h in sorted(set(S)):
        m = mlp()
        m.fit(X[S != h], Y[S != h])
        rng = np.random.default_rng(seed)
        a, b = halves(G, S, h, rng)
        P = np.zeros((len(b), 26))
        P[:, m.classes_] = m.predict_proba(X[b])
        # "probabilities": the memory holds what the model read, not the hand (the
        # kiosk's decoder sees only that).
        Z = X
        if space == "probabilities":
            Z = np.zeros((len(X), 26))
            Z[np.concatenate([a, b])[:, None], m.classes_[None]] = m.predict_proba(X[np.concatenate([a, b])])
        rows.setdefault(("none", 0), {})[h] = (P.argmax(1) == Y[b]).mean()
        for n in ns:
            mem = np.concatenate([rng.permutation(a[Y[a] == c])[:n] for c in np.unique(Y[a])])
            for sg in sigmas:
                Q = remembered(P, Z[b], Z[mem], Y[mem], sg)
                rows.setdefault((n, sg), {})[h] = (Q.argmax(1) == Y[b]).mean()
        print(h, {k: round(100 * v[h], 1) for k, v in rows.items()}, flush=True)
    for (n, sg), accs in rows.items():
        folds = " ".join(f"{h[:12]} {100 * a:.1f}" for h, a in accs.items())
        name = "the model alone" if n == "none" else f"{n} remembered a letter, sigma {sg}"
        print(f"| {name} | {100 * np.mean(list(accs.values())):.2f}% | {folds} |", flush=True)


def selftrain(X, Y, S, K, seed=0, sigma=0.5):
    """As `adapt`, but nobody confirms anything: the first half's frames the model reads
    with at least `tau` are remembered as what it read (the `n` most confident a read
    letter), and the second half is read with that memory. Beside it, the same number
    of frames remembered with their true letters (as confirmed words would give)."""
    G = groups(S, K)
    rows = {}
    for h in sorted(set(S)):
        m = mlp()
        m.fit(X[S != h], Y[S != h])
        rng = np.random.default_rng(seed)
        a, b = halves(G, S, h, rng)
        Pa, Pb = np.zeros((len(a), 26)), np.zeros((len(b), 26))
        Pa[:, m.classes_] = m.predict_proba(X[a])
        Pb[:, m.classes_] = m.predict_proba(X[b])
        rows.setdefault("the model alone", {})[h] = (Pb.argmax(1) == Y[b]).mean()
        conf, read = Pa.max(1), Pa.argmax(1)
        for tau in (0.8, 0.95, 0.99):
            for n in (3, 10):
                pick = []
                for c in range(26):
                    sel = np.flatnonzero((read == c) & (conf >= tau))
                    pick.extend(sel[np.argsort(-conf[sel])][:n])
                pick = np.array(pick, int)
                if len(pick) == 0:
                    rows.setdefault(f"self: tau {tau}, {n} a letter", {})[h] = rows["the model alone"][h]
                    continue
                Q = remembered(Pb, X[b], X[a[pick]], read[pick], sigma)
                rows.setdefault(f"self: tau {tau}, {n} a letter", {})[h] = (Q.argmax(1) == Y[b]).mean()
                right = (read[pick] == Y[a[pick]]).mean()
                rows.setdefault(f"  (share of those read right, tau {tau}, {n})", {})[h] = right
        print(h, {k: round(100 * v[h], 1) for k, v in rows.items()}, flush=True)
    for name, accs in rows.items():
        folds = " ".join(f"{h[:12]} {100 * a:.1f}" for h, a in accs.items())
        print(f"| {name} | {100 * np.mean(list(accs.values())):.2f}% | {folds} |", flush=True)


def ensemble(X, Y, S, seeds=5):
    """Each seed's MLP alone, and the mean of their probabilities, on the same folds."""
    rows = {}
    for h in sorted(set(S)):
        P = np.zeros(((S == h).sum(), 26))
        for k in range(seeds):
            m = mlp(k)
            m.fit(X[S != h], Y[S != h])
            p = np.zeros_like(P)
            p[:, m.classes_] = m.predict_proba(X[S == h])
            rows.setdefault(f"MLP, seed {k}", {})[h] = (p.argmax(1) == Y[S == h]).mean()
            P += p
            if k in (2, seeds - 1):
                rows.setdefault(f"MLP, mean of seeds 0-{k}", {})[h] = (P.argmax(1) == Y[S == h]).mean()
        print(h, {k: round(100 * v[h], 1) for k, v in rows.items()}, flush=True)
    for name, accs in rows.items():
        folds = " ".join(f"{h[:12]} {100 * a:.1f}" for h, a in accs.items())
        print(f"| {name} | {100 * np.mean(list(accs.values())):.2f}% | {folds} |", flush=True)


def signernorm(X, Y, S, K, seed=0):
    """Each signer's features centred on their own mean (as cepstral mean normalisation
    does for a speaker): training sources by their own mean, the held-out source by the
    mean of its first half's frames (all of them, or only `n` random ones, as a kiosk
    would have after a few seconds), read on the second half."""
    G = groups(S, K)
    mu = {h: X[S == h].mean(0) for h in set(S)}
    rows = {}
    for h in sorted(set(S)):
        rng = np.random.default_rng(seed)
        a, b = halves(G, S, h, rng)
        tr = S != h
        m = mlp()
        m.fit(X[tr], Y[tr])
        rows.setdefault("MLP, features as they are", {})[h] = (m.predict(X[b]) == Y[b]).mean()
        Xc = X - np.stack([mu[s] for s in S])
        mc = mlp()
        mc.fit(Xc[tr], Y[tr])
        for n in (0, 50, 200):
            pick = a if n == 0 else rng.permutation(a)[:n]
            xb = X[b] - X[pick].mean(0)
            rows.setdefault(f"MLP, centred per signer ({'all of' if n == 0 else n} first-half frames)", {})[h] = (mc.predict(xb) == Y[b]).mean()
        print(h, {k: round(100 * v[h], 1) for k, v in rows.items()}, flush=True)
    for name, accs in rows.items():
        folds = " ".join(f"{h[:12]} {100 * a:.1f}" for h, a in accs.items())
        print(f"| {name} | {100 * np.mean(list(accs.values())):.2f}% | {folds} |", flush=True)


FINGERS = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16], [17, 18, 19, 20]]


def angles(p):
    """Joint angles in the picture's plane, blind to bone lengths (which differ from
    person to person): at each finger's three joints, the turn from one bone to the next
    (from the wrist's bone into the first), and between neighbouring fingers' first
    bones; as sine and cosine (38 values). Mirrored by the palm triangle as `features`."""
    rel = (p - p[0])[:, :2].copy()
    a, b = rel[5], rel[17]
    if a[0] * b[1] - a[1] * b[0] < 0:
        rel[:, 0] = -rel[:, 0]
    out = []

    def turn(u, v):
        t = np.arctan2(u[0] * v[1] - u[1] * v[0], u @ v)
        out.extend([np.sin(t), np.cos(t)])

    for f in FINGERS:
        chain = [rel[0]] + [rel[i] for i in f]
        bones = [chain[i + 1] - chain[i] for i in range(4)]
        for i in range(3):
            turn(bones[i], bones[i + 1])
    for f, g in zip(FINGERS, FINGERS[1:]):
        turn(rel[f[1]] - rel[f[0]], rel[g[1]] - rel[g[0]])
    return np.array(out, np.float32)


def header():
    print("| model | mean over 7 held-out sources | per source |\n|---|---:|---|")


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "classifiers"
    X, X2, T, Y, S, P, K, W = arrays()
    header()
    if what == "classifiers":
        loso("MLP 256-128 (as shipped, no augmentation)", mlp, X, Y, S)
        loso("logistic regression", lambda: LogisticRegression(C=1, max_iter=2000), X, Y, S)
        loso("SVM, RBF", lambda: SVC(C=10, gamma="scale"), X, Y, S)
        loso("15 nearest neighbours", lambda: KNeighborsClassifier(15), X, Y, S)
    elif what == "angles":
        A = np.array([angles(p) for p in P])
        loso("MLP, the 78 features", mlp, X, Y, S)
        loso("MLP, the 78 features + 38 joint angles", mlp, np.concatenate([X, A], 1), Y, S)
    elif what == "signernorm":
        signernorm(X, Y, S, K)
    elif what == "features":
        iu = np.triu_indices(21, 1)

        def norm_xy(p):
            f, _ = features(p.copy())
            return np.concatenate([[0, 0], f[:40]]).reshape(21, 2), f[60:62]

        def pd(p):
            xy, roll = norm_xy(p)
            D = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
            return np.concatenate([D[iu], roll])

        lr = lambda: make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))  # noqa: E731
        loso("LR, the 78 features", lr, X, Y, S)
        loso("LR, points and roll only (42)", lr, X[:, list(range(40)) + [60, 61]], Y, S)
        loso("LR, all 210 point distances and roll", lr, np.array([pd(p) for p in P]), Y, S)
    elif what == "mirror":
        amb = np.abs(T) < 0.25
        loso("MLP", mlp, X, Y, S)
        loso("MLP + both mirror images of edge-on hands in training", mlp, X, Y, S, extra=lambda h: (X2[(S != h) & amb], Y[(S != h) & amb]))

        def both(m, te):
            p = m.predict_proba(X[te])
            a = amb[te]
            p[a] = (p[a] + m.predict_proba(X2[te][a])) / 2
            return m.classes_[p.argmax(1)]

        loso("MLP, edge-on hands read both ways and averaged", mlp, X, Y, S, predict=both)
    elif what == "views":
        others = {}
        for settle in (0, 2):
            Xo, _, _, Yo, So, _, Ko, _ = arrays(settle)
            pic = np.array([k != "" for k in Ko])
            others[settle] = (Xo[pic], Yo[pic], So[pic])
        loso("MLP, settle 1 hands", mlp, X, Y, S)
        loso(
            "MLP, + the same pictures' settle 0 and 2 hands",
            lambda: MLPClassifier((256, 128), max_iter=15, random_state=0, alpha=1e-4, batch_size=128),
            X,
            Y,
            S,
            extra=lambda h: (
                np.concatenate([others[k][0][others[k][2] != h] for k in others]),
                np.concatenate([others[k][1][others[k][2] != h] for k in others]),
            ),
        )
    elif what == "consistent":
        pred = np.zeros(len(Y), int)
        for h in sorted(set(S)):
            m = mlp()
            m.fit(X[S != h], Y[S != h])
            pred[S == h] = m.predict(X[S == h])
        drop = np.zeros(len(Y), bool)
        for h in sorted(set(S)):
            for l in range(26):
                sel = (S == h) & (Y == l)
                if sel.any() and (pred[sel] == l).mean() < 0.2:
                    drop |= sel
        print(f"(dropped from training: {drop.sum()} samples, each a source's letter that the other sources read right under 20%)")
        loso("MLP", mlp, X, Y, S)
        loso("MLP without those letters in training", mlp, X, Y, S, keep=~drop)
    elif what == "world":
        have = np.array([w is not None for w in W])
        print(f"(world landmarks in {have.sum()} of {len(W)} samples: every picture, none of the 2-D logs)")

        def plus(rows, n):
            extra = np.zeros((len(rows), n + 1), np.float32)
            for i, r in enumerate(rows):
                if r is not None:
                    extra[i, :n], extra[i, n] = r, 1.0
            return np.concatenate([X, extra], 1)

        n = 78
        Xw = plus([palm_aligned(w) if w is not None else None for w in W], n)
        Xwn = plus([palm_aligned(w, "none") if w is not None else None for w in W], n)
        Xs = plus([palm_aligned(p) if k != "" else None for p, k in zip(P, K)], n)
        loso("MLP, the 78 features", mlp, X, Y, S)
        loso("MLP, + world landmarks palm-aligned, normal to the fingertips' side", mlp, Xw, Y, S)
        loso("MLP, + world landmarks palm-aligned, normal as it comes", mlp, Xwn, Y, S)
        loso("MLP, + the picture's landmarks (x, y, relative z) palm-aligned", mlp, Xs, Y, S)
        lr = lambda: make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))  # noqa: E731
        loso("scaled LR, the 78 features", lr, X, Y, S)
        loso("scaled LR, + world landmarks palm-aligned", lr, Xw, Y, S)
    elif what == "embedding":
        # hand_embedding.py's output: the landmark model's pool for each picture's hand,
        # of the crop and of its mirror image; the mirror is taken where the features
        # mirror the hand (the palm triangle), so both see one handedness.
        z = np.load(os.environ.get("EMBEDDING", os.path.join(ROOT, "runs", "explore", "embedding.npz")))
        at = {k: i for i, k in enumerate(z["keys"])}
        emb, emb_m = z["emb"].astype(np.float32), z["emb_mirror"].astype(np.float32)
        n = emb.shape[1]
        E, Eraw = np.zeros((len(K), n + 1), np.float32), np.zeros((len(K), n + 1), np.float32)
        for i, (k, p) in enumerate(zip(K, P)):
            if k in at:
                rel = p - p[0]
                mirrored = rel[5, 0] * rel[17, 1] - rel[5, 1] * rel[17, 0] < 0
                E[i, :n] = (emb_m if mirrored else emb)[at[k]]
                Eraw[i, :n] = emb[at[k]]
                E[i, n] = Eraw[i, n] = 1.0
        have = E[:, n] > 0
        print(f"(the pool of {have.sum()} of {len(K)} samples: every picture's hand, none of the 2-D logs)")
        scaled = lambda: make_pipeline(StandardScaler(), mlp())  # noqa: E731
        loso("MLP, the 78 features", mlp, X, Y, S)
        loso("scaled MLP, the 78 features", scaled, X, Y, S)
        loso("scaled MLP, 78 features + the pool (zeros and a flag for the 2-D logs)", scaled, np.concatenate([X, E], 1), Y, S)
        loso("scaled MLP, 78 features + the pool of the crop as it comes (never mirrored)", scaled, np.concatenate([X, Eraw], 1), Y, S)
        loso("scaled MLP, the pool alone (pictures only; the 2-D logs' folds read 0)", scaled, E, Y, S, keep=have)
        lr = lambda: make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))  # noqa: E731
        loso("scaled LR, 78 features + the pool", lr, np.concatenate([X, E], 1), Y, S)
    elif what == "adapt":
        adapt(X, Y, S, K)
    elif what == "selftrain":
        selftrain(X, Y, S, K)
    elif what == "ensemble":
        ensemble(X, Y, S)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
