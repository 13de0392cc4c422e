"""MultiTaskRNNClusterer against time-series clustering baselines on real sensor data.

Prints one JSON line per (dataset, method, seed) and a JSON summary (mean ± std of
ACC / NMI / ARI / seconds over the seeds) at the end.

Data (offline): BasicMotions from this package (train + test pooled, 80 × 100 × 6);
JapaneseVowels (equal-length version, 640 × 25 × 12, train + test pooled) from the
``.ts`` files that ship inside the aeon wheel:

    pip download --no-deps aeon==1.6.0 -d /tmp/aeon && cd /tmp/aeon && unzip -q aeon-*.whl
    python benchmarks/bench_rnn.py --ts-dir /tmp/aeon/aeon/datasets/data

Baselines need tslearn (``pip install tslearn``), installed in a separate venv.
"""

import argparse
import json
import os
import time

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from skdeepcluster import DEC, MultiTaskRNNClusterer
from skdeepcluster.datasets import load_basic_motions
from skdeepcluster.metrics import cluster_accuracy


def read_ts(path):
    """Minimal reader of the UEA ``.ts`` format (equal length, no missing values)."""
    X, y, in_data = [], [], False
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.lower().startswith("@data"):
                in_data = True
                continue
            if in_data:
                *dims, label = line.split(":")
                X.append([[float(v) for v in d.split(",")] for d in dims])
                y.append(label)
    return np.asarray(X).transpose(0, 2, 1), np.asarray(y)  # (n, timesteps, channels)


def load(name, ts_dir):
    if name == "BasicMotions":
        return load_basic_motions()
    parts = [read_ts(os.path.join(ts_dir, "JapaneseVowels", f"JapaneseVowels_eq_{s}.ts"))
             for s in ("TRAIN", "TEST")]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def channel_standard(X):
    """Per-channel standard scaling over all windows and steps (MultiTaskRNN's ``scaling``)."""
    return (X - X.mean(axis=(0, 1))) / X.std(axis=(0, 1))


def znorm(X):
    """z-normalise each series and channel over time (the tslearn convention)."""
    return (X - X.mean(axis=1, keepdims=True)) / (X.std(axis=1, keepdims=True) + 1e-8)


RNN = dict(hidden_size=32, num_layers=1, embedding_dim=8, pretrain_epochs=30, max_iter=100,
           batch_size=16)
# the normalised reconstruction loss needs longer, faster pretraining (RESULTS_rnn.md)
RNN_NORM = {**RNN, "reconstruction_loss": "normalized", "pretrain_epochs": 100,
            "pretrain_lr": 1e-2}
# ... and a step decay of its learning rate (x 0.1 after 70 epochs, as the reference)
RNN_DECAY = {**RNN_NORM, "pretrain_lr_decay": 0.1}

# every model variant of the benchmark: the reference settings, the options, the ablations
RNN_VARIANTS = {
    "MultiTaskRNN": RNN,
    "MultiTaskRNN-no-future": {**RNN, "future_steps": 0},
    "MultiTaskRNN-no-clustering-loss": {**RNN, "max_iter": 0},
    # the tol rule may stop the clustering phase after one update; this runs all of it
    "MultiTaskRNN-full-clustering-phase": {**RNN, "tol": 0.0},
    "MultiTaskRNN-normalized": RNN_NORM,
    "MultiTaskRNN-normalized-no-future": {**RNN_NORM, "future_steps": 0},
    "MultiTaskRNN-normalized-no-clustering-loss": {**RNN_NORM, "max_iter": 0},
    "MultiTaskRNN-normalized-lr-decay": RNN_DECAY,
    "MultiTaskRNN-normalized-lr-decay-tol0": {**RNN_DECAY, "tol": 0.0},
    "MultiTaskRNN-normalized-lr-decay-no-future": {**RNN_DECAY, "future_steps": 0},
    "MultiTaskRNN-normalized-lr-decay-no-clustering-loss": {**RNN_DECAY, "max_iter": 0},
    "MultiTaskRNN-mse-lr-decay": {**RNN_DECAY, "reconstruction_loss": "mse"},
    # control: the same training schedule with the reference's MSE
    "MultiTaskRNN-mse-100ep-lr1e-2": {**RNN_NORM, "reconstruction_loss": "mse"},
}


def _tslearn(name, **params):
    def run(X):
        from tslearn import clustering  # only the baselines need tslearn

        return getattr(clustering, name)(**params).fit_predict(znorm(X))
    return run


def methods(k, seed):
    return {
        "TimeSeriesKMeans-euclidean": _tslearn(
            "TimeSeriesKMeans", n_clusters=k, metric="euclidean", n_init=5, random_state=seed),
        "TimeSeriesKMeans-dtw": _tslearn(
            "TimeSeriesKMeans", n_clusters=k, metric="dtw", n_init=2, max_iter=10,
            random_state=seed),
        "TimeSeriesKMeans-softdtw": _tslearn(
            "TimeSeriesKMeans", n_clusters=k, metric="softdtw", metric_params={"gamma": 0.1},
            n_init=1, max_iter=10, random_state=seed),
        "KShape": _tslearn("KShape", n_clusters=k, n_init=2, max_iter=20, random_state=seed),
        "KMeans-flat-znorm": lambda X: KMeans(k, n_init=10, random_state=seed).fit_predict(
            znorm(X).reshape(len(X), -1)),
        "KMeans-flat-channel-standard": lambda X: KMeans(
            k, n_init=10, random_state=seed).fit_predict(channel_standard(X).reshape(len(X), -1)),
        "DEC-flat": lambda X: DEC(k, hidden_dims=(256, 128), embedding_dim=8,
                                  pretrain_epochs=100, max_iter=500, batch_size=32,
                                  random_state=seed).fit_predict(znorm(X).reshape(len(X), -1)),
        **{name: (lambda X, params=params: MultiTaskRNNClusterer(
            k, random_state=seed, **params).fit_predict(X)) for name, params in RNN_VARIANTS.items()},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ts-dir", default="/tmp/aeon/aeon/datasets/data")
    parser.add_argument("--datasets", nargs="+", default=["BasicMotions", "JapaneseVowels"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--methods", nargs="*", default=None)
    parser.add_argument("--downsample", type=int, default=2,
                        help="keep every n-th time step of BasicMotions (100 -> 50 steps)")
    parser.add_argument("--summarize", nargs="+", metavar="JSONL",
                        help="only print the summary of rows saved from earlier runs")
    args = parser.parse_args()
    if args.summarize:
        rows = [json.loads(line) for path in args.summarize for line in open(path)
                if line.startswith('{"dataset"')]
        return summarize(rows)
    torch.set_num_threads(1)
    rows = []
    for name in args.datasets:
        X, y = load(name, args.ts_dir)
        if name == "BasicMotions":
            X = X[:, :: args.downsample]
        X = X.astype(np.float64)
        k = len(np.unique(y))
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for method, run in methods(k, seed).items():
                if args.methods and method not in args.methods:
                    continue
                start = time.perf_counter()
                labels = run(X)
                row = dict(dataset=name, method=method, seed=seed,
                           seconds=round(time.perf_counter() - start, 2),
                           acc=round(cluster_accuracy(y, labels), 4),
                           nmi=round(normalized_mutual_info_score(y, labels), 4),
                           ari=round(adjusted_rand_score(y, labels), 4))
                rows.append(row)
                print(json.dumps(row), flush=True)
    summarize(rows)


def summarize(rows):
    summary = {}
    for row in rows:
        summary.setdefault((row["dataset"], row["method"]), []).append(row)
    out = []
    for (name, method), rs in summary.items():
        entry = dict(dataset=name, method=method, n_seeds=len(rs))
        for key in ("acc", "nmi", "ari", "seconds"):
            vals = np.array([r[key] for r in rs])
            entry[key] = f"{vals.mean():.3f} ± {vals.std():.3f}"
        out.append(entry)
    print(json.dumps({"summary": out}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
