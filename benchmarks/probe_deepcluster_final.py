"""Probe: how much does DeepCluster's final clustering step cost in quality?

Fits DeepCluster on the Fashion-MNIST subset (the settings of bench_deepcluster.py), then
clusters the trained network's features in several ways and prints one JSON line per
seed with ACC / NMI of each. Not a benchmark of a public feature: it decides whether
the final step (k-means on PCA-whitened, L2-normalised features) is the weak link.

    python benchmarks/probe_deepcluster_final.py --seeds 0 1 --epochs 6
"""

import argparse
import json

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import normalize

from skdeepcluster import DeepCluster, cluster_accuracy
from skdeepcluster.datasets import load_fashion_mnist
from skdeepcluster.training import fit_whitening, whiten


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--n-pseudo", type=int, default=100)
    args = p.parse_args()
    torch.set_num_threads(1)
    X, y = load_fashion_mnist(n_samples=10000, random_state=0)
    for seed in args.seeds:
        model = DeepCluster(n_clusters=10, n_pseudo_clusters=args.n_pseudo,
                            input_shape=(1, 28, 28), conv_channels=(16, 32, 64),
                            feature_dim=128, pca_dim=32, n_epochs=args.epochs,
                            random_state=seed).fit(X)
        feats = torch.as_tensor(model._features(model._validate_inference(X)))
        variants = {}
        for dim in (10, 16, 32, 64, 128):
            variants[f"whiten{dim}_l2"] = whiten(feats, *fit_whitening(feats, dim)).numpy()
        f = feats.numpy()
        for dim in (10, 32):
            variants[f"pca{dim}_l2"] = normalize(PCA(dim, random_state=0).fit_transform(f))
        variants["raw_l2"] = normalize(f - f.mean(0))
        variants["raw"] = f
        out = {"seed": seed, "epochs": args.epochs, "estimator_nmi": round(float(
            normalized_mutual_info_score(y, model.labels_)), 4)}
        for name, z in variants.items():
            lab = KMeans(10, n_init=10, random_state=seed).fit_predict(z)
            out[name] = (round(float(cluster_accuracy(y, lab)), 4),
                         round(float(normalized_mutual_info_score(y, lab)), 4))
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
