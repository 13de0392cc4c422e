"""Probe: spectral clustering as DeepCluster's final step, on the Fashion-MNIST subset.

Fits DeepCluster with its defaults for each seed, then clusters the whitened features
(``transform``) in the ways session 10 of ``RESULTS_deepcluster.md`` compares: the
number of graph neighbours, k-means or ``cluster_qr`` labelling of the spectral
embedding, ARPACK or LOBPCG, and two rules for predicting unseen rows (the nearest
cluster mean, a 10-NN vote), each scored by its agreement with the spectral labels.
Prints one JSON line per seed.

    python benchmarks/probe_deepcluster_spectral.py --seeds 0 1 2 3

``--timing-matrix EMB.npy`` instead times both eigensolvers on a larger matrix: the
embedding's columns, 22 random linear combinations of them appended (32 columns, the
default ``pca_dim``), rows L2-normalised.
"""

import argparse
import json
import time

import numpy as np
import torch
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.metrics import normalized_mutual_info_score
from sklearn.neighbors import KNeighborsClassifier

from skdeepcluster import DeepCluster, cluster_accuracy
from skdeepcluster.datasets import load_fashion_mnist


def spectral(z, n_neighbors, assign_labels="kmeans", eigen_solver=None):
    """Labels and seconds of a 10-cluster spectral clustering of the k-NN graph."""
    t = time.perf_counter()
    labels = SpectralClustering(10, affinity="nearest_neighbors", n_neighbors=n_neighbors,
                                assign_labels=assign_labels, eigen_solver=eigen_solver,
                                random_state=0).fit_predict(z)
    return labels, round(time.perf_counter() - t, 1)


def scores(y, labels):
    return [round(float(normalized_mutual_info_score(y, labels)), 4),
            round(float(cluster_accuracy(y, labels)), 4)]


def final_steps(z, y):
    out = {}
    for n in (5, 10, 20, 50):
        labels, seconds = spectral(z, n)
        out[f"spectral_nn{n}"] = scores(y, labels) + [seconds]
        if n == 10:
            reference = labels
    means = np.stack([z[reference == k].mean(0) for k in range(10)])
    nearest = ((z[:, None] - means[None]) ** 2).sum(-1).argmin(1)
    out["nearest_mean"] = scores(y, nearest) + [round(float(np.mean(nearest == reference)), 4)]
    vote = KNeighborsClassifier(10).fit(z, reference).predict(z)
    out["knn10_vote"] = scores(y, vote) + [round(float(np.mean(vote == reference)), 4)]
    out["kmeans_from_spectral_means"] = scores(y, KMeans(10, init=means, n_init=1).fit(z).labels_)
    for solver in ("arpack", "lobpcg"):
        labels, seconds = spectral(z, 10, "cluster_qr", solver)
        out[f"spectral_nn10_qr_{solver}"] = scores(y, labels) + [seconds]
    return out


def time_solvers(path):
    emb = np.load(path).astype(np.float64)
    z = np.hstack([emb, emb @ np.random.RandomState(0).randn(emb.shape[1], 22)])
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    out = {"shape": list(z.shape)}
    for solver in ("lobpcg", "arpack"):
        out[solver] = spectral(z, 10, "cluster_qr", solver)[1]
        print(json.dumps(out), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--timing-matrix", default=None)
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.timing_matrix:
        time_solvers(args.timing_matrix)
        return
    X, y = load_fashion_mnist(n_samples=10000, random_state=0)
    for seed in args.seeds:
        model = DeepCluster(n_clusters=10, input_shape=(1, 28, 28), random_state=seed).fit(X)
        print(json.dumps({"seed": seed, "labels_": scores(y, model.labels_),
                          **final_steps(model.transform(X), y)}), flush=True)


if __name__ == "__main__":
    main()
