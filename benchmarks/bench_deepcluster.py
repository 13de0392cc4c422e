"""Benchmark DeepCluster on Fashion-MNIST against k-means on pixels and DEC.

Prints one JSON object per run (method, seed, settings, ACC/NMI/ARI against the
labels, fit time and, for DeepCluster, the mean seconds per epoch spent in feature
extraction, PCA, k-means and training, and the last epoch-to-epoch NMI).

Example (the runs of RESULTS_deepcluster.md)::

    python benchmarks/bench_deepcluster.py --method deepcluster --epochs 6 --seeds 0 1 2 3 4
    python benchmarks/bench_deepcluster.py --method kmeans --seeds 0 1 2 3 4
    python benchmarks/bench_deepcluster.py --method deepcluster --epochs 6 --n-pseudo 10 50 --seeds 0
    python benchmarks/bench_deepcluster.py --method dec --dec-pretrain-epochs 30 --dec-max-iter 1000 --seeds 0
    python benchmarks/bench_deepcluster.py --method deepcluster --defaults --final-clustering spectral --seeds 0

On a GPU, the full 70,000 images: add ``--n-samples 0``.
"""

import argparse
import json
import time

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from skdeepcluster import DEC, DeepCluster, cluster_accuracy
from skdeepcluster.datasets import load_fashion_mnist


def scores(y, labels):
    return {"acc": round(float(cluster_accuracy(y, labels)), 4),
            "nmi": round(float(normalized_mutual_info_score(y, labels)), 4),
            "ari": round(float(adjusted_rand_score(y, labels)), 4)}


def run_deepcluster(X, seed, args, n_pseudo):
    if args.defaults:
        settings = dict(n_clusters=10, input_shape=(1, 28, 28), device=args.device,
                        mixed_precision=args.mixed_precision, random_state=seed)
        if args.final_clustering:
            settings["final_clustering"] = args.final_clustering
    else:
        settings = dict(n_clusters=10, n_pseudo_clusters=n_pseudo, input_shape=(1, 28, 28),
                        conv_channels=tuple(args.conv_channels), feature_dim=args.feature_dim,
                        pca_dim=args.pca_dim, n_epochs=args.epochs,
                        batch_size=args.batch_size, augment=not args.no_augment,
                        sobel=args.sobel, weight_decay=args.weight_decay,
                        device=args.device, mixed_precision=args.mixed_precision,
                        final_clustering=args.final_clustering or "kmeans", random_state=seed)
    model = DeepCluster(**settings)
    t = time.perf_counter()
    model.fit(X)
    fit_s = time.perf_counter() - t
    h = model.history_
    epoch = {k: round(float(np.mean(h[:, k])), 3)
             for k in ("time_features", "time_pca", "time_kmeans", "time_train")}
    extra = {"epoch_seconds": epoch, "last_nmi_prev": round(float(h[-1, "nmi"]), 4),
             "train_loss": [round(float(v), 3) for v in h[:, "train_loss"]]}
    # every parameter, so that a --defaults run records what the defaults were
    params = {k: v for k, v in model.get_params().items() if k not in ("random_state", "backbone")}
    return model.labels_, fit_s, params, extra


def run_dec(X, seed, args):
    settings = dict(n_clusters=10, hidden_dims=(500, 500, 2000), embedding_dim=10,
                    pretrain_epochs=args.dec_pretrain_epochs, max_iter=args.dec_max_iter,
                    batch_size=256, device=args.device)
    model = DEC(**settings, random_state=seed)
    t = time.perf_counter()
    model.fit(X)
    return model.labels_, time.perf_counter() - t, settings, {"n_iter": int(model.n_iter_)}


def run_kmeans(X, seed, args):
    t = time.perf_counter()
    labels = KMeans(10, n_init=10, random_state=seed).fit_predict(X)
    return labels, time.perf_counter() - t, {"n_init": 10}, {}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--method", choices=["deepcluster", "kmeans", "dec"], default="deepcluster")
    p.add_argument("--n-samples", type=int, default=10000,
                   help="class-stratified subset (load_fashion_mnist, random_state=0); 0 = all")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--n-pseudo", type=int, nargs="+", default=[100])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--conv-channels", type=int, nargs="+", default=[16, 32, 64])
    p.add_argument("--feature-dim", type=int, default=128)
    p.add_argument("--pca-dim", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--weight-decay", type=float, default=DeepCluster().weight_decay,
                   help="SGD's L2 penalty (the runs before session 3 used 1e-5)")
    p.add_argument("--sobel", action="store_true")
    p.add_argument("--dec-pretrain-epochs", type=int, default=50)
    p.add_argument("--dec-max-iter", type=int, default=2000)
    p.add_argument("--defaults", action="store_true",
                   help="DeepCluster with only n_clusters, input_shape, device and the seed "
                        "(the estimator's defaults; the settings options are ignored)")
    p.add_argument("--mixed-precision", action="store_true",
                   help="DeepCluster(mixed_precision=True): bfloat16 autocast in training")
    p.add_argument("--final-clustering", choices=["kmeans", "spectral"], default=None,
                   help="DeepCluster's final_clustering (default: the estimator's)")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    X, y = load_fashion_mnist(n_samples=args.n_samples or None, random_state=0)
    runs = [(k, s) for k in args.n_pseudo for s in args.seeds]
    for n_pseudo, seed in runs if args.method == "deepcluster" else [(None, s) for s in args.seeds]:
        if args.method == "deepcluster":
            labels, fit_s, settings, extra = run_deepcluster(X, seed, args, n_pseudo)
        elif args.method == "dec":
            labels, fit_s, settings, extra = run_dec(X, seed, args)
        else:
            labels, fit_s, settings, extra = run_kmeans(X, seed, args)
        print(json.dumps({"method": args.method, "seed": seed, "n_samples": len(y),
                          "threads": args.threads, "settings": settings, **scores(y, labels),
                          "fit_seconds": round(fit_s, 1), **extra}), flush=True)


if __name__ == "__main__":
    main()
