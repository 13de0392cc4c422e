"""Probe: how does the quality of DeepCluster's pseudo-labels evolve over the epochs?

Fits DeepCluster on the Fashion-MNIST subset and records, at every epoch, the NMI
between that epoch's pseudo-labels and the true classes (and the final ``labels_``).
Not a benchmark of a public feature: it shows whether training improves the features
steadily, plateaus, or oscillates, which decides what to change next.

    python benchmarks/probe_deepcluster_trajectory.py --seeds 0 --epochs 15 --n-pseudo 10
"""

import argparse
import json
import time

import torch
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import DeepCluster, cluster_accuracy
from skdeepcluster.datasets import load_fashion_mnist
from skdeepcluster.training import PseudoLabelUpdate


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--n-pseudo", type=int, default=10)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--pca-dim", type=int, default=32)
    p.add_argument("--weight-decay", type=float, default=1e-5)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--set", default="{}", help="extra DeepCluster parameters (a dict literal)")
    args = p.parse_args()
    torch.set_num_threads(1)
    X, y = load_fashion_mnist(n_samples=10000, random_state=0)
    trajectory = []
    original = PseudoLabelUpdate.on_epoch_begin

    def recording(self, net, **kwargs):
        original(self, net, **kwargs)
        trajectory.append(round(float(normalized_mutual_info_score(y, self.labels_)), 4))

    PseudoLabelUpdate.on_epoch_begin = recording
    for seed in args.seeds:
        trajectory.clear()
        settings = dict(n_clusters=10, n_pseudo_clusters=args.n_pseudo, input_shape=(1, 28, 28),
                        conv_channels=(16, 32, 64), feature_dim=128, pca_dim=args.pca_dim,
                        n_epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay,
                        batch_size=args.batch_size, augment=not args.no_augment,
                        **eval(args.set))
        t = time.perf_counter()
        model = DeepCluster(**settings, random_state=seed).fit(X)
        print(json.dumps({
            "seed": seed, "settings": settings,
            "nmi": round(float(normalized_mutual_info_score(y, model.labels_)), 4),
            "acc": round(float(cluster_accuracy(y, model.labels_)), 4),
            "pseudo_label_nmi_per_epoch": list(trajectory),
            "train_loss": [round(float(v), 3) for v in model.history_[:, "train_loss"]],
            "seconds": round(time.perf_counter() - t, 1)}), flush=True)


if __name__ == "__main__":
    main()
