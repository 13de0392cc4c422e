"""Probe: how much does the k-means initialisation of DEC choose between partitions?

Loads an embedding of the Fashion-MNIST 10k subset saved by
``probe_pretrain_optimizer.py --save-embedding`` and runs k-means (10 clusters) from
``--restarts`` single initialisations. Prints one JSON line per restart, sorted by
inertia, with its ACC / NMI against the classes: when partitions of nearly equal
inertia differ widely in ACC, the pretrained embedding, not k-means, decides the
quality of DEC's starting point (``n_init=20`` keeps the lowest inertia).

    python benchmarks/probe_kmeans_landscape.py benchmarks/out/emb_seed2.npy --restarts 20
"""

import argparse
import json

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import confusion_matrix, normalized_mutual_info_score

from skdeepcluster import cluster_accuracy
from skdeepcluster.datasets import load_fashion_mnist


def main():
    p = argparse.ArgumentParser()
    p.add_argument("embedding", help=".npy file of shape (10000, d)")
    p.add_argument("--restarts", type=int, default=20)
    p.add_argument("--n-init-seed", type=int, default=None,
                   help="also print the class-by-cluster confusion matrix of KMeans(n_init=20) "
                        "with this random_state (DEC's initialisation)")
    args = p.parse_args()
    _, y = load_fashion_mnist(n_samples=10000, random_state=0)
    z = np.load(args.embedding)
    runs = []
    for seed in range(args.restarts):
        km = KMeans(10, n_init=1, random_state=seed).fit(z)
        runs.append({"kmeans_seed": seed, "inertia": round(float(km.inertia_), 1),
                     "acc": round(float(cluster_accuracy(y, km.labels_)), 4),
                     "nmi": round(float(normalized_mutual_info_score(y, km.labels_)), 4)})
    for run in sorted(runs, key=lambda r: r["inertia"]):
        print(json.dumps(run))
    if args.n_init_seed is not None:
        km = KMeans(10, n_init=20, random_state=args.n_init_seed).fit(z)
        print(json.dumps({"n_init": 20, "kmeans_seed": args.n_init_seed,
                          "inertia": round(float(km.inertia_), 1),
                          "confusion_rows_are_classes": confusion_matrix(y, km.labels_).tolist()}))


if __name__ == "__main__":
    main()
