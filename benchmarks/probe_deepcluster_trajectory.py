"""Probe: how does the quality of DeepCluster's pseudo-labels evolve over the epochs?

Fits DeepCluster on the Fashion-MNIST subset and records, at every epoch, the NMI
between that epoch's pseudo-labels and the true classes (and the final ``labels_``).
Not a benchmark of a public feature: it shows whether training improves the features
steadily, plateaus, or oscillates, which decides what to change next.

    python benchmarks/probe_deepcluster_trajectory.py --seeds 0 --epochs 15 --n-pseudo 10
"""

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import DeepCluster, cluster_accuracy
from skdeepcluster import deepcluster as deepcluster_module
from skdeepcluster.datasets import load_fashion_mnist
from skdeepcluster.nn.backbones import ConvBackbone, RandomCropFlip
from skdeepcluster.training import PseudoLabelUpdate, UniformClusterIterator


def resized_crop_flip(min_scale):
    """A forward for RandomCropFlip: random resized crops (as torchvision's
    RandomResizedCrop, by an affine grid) and horizontal flips."""

    def forward(self, x):
        if not self.training:
            return x
        n = x.shape[0]
        area = torch.empty(n, device=x.device).uniform_(min_scale, 1.0)
        log_ratio = torch.empty(n, device=x.device).uniform_(math.log(3 / 4), math.log(4 / 3))
        ratio = log_ratio.exp()
        sw = (area * ratio).sqrt().clamp(max=1.0)  # crop width / image width
        sh = (area / ratio).sqrt().clamp(max=1.0)
        tx = (1 - sw) * (2 * torch.rand(n, device=x.device) - 1)
        ty = (1 - sh) * (2 * torch.rand(n, device=x.device) - 1)
        flip = torch.where(torch.rand(n, device=x.device) < 0.5, -1.0, 1.0)
        theta = torch.zeros(n, 2, 3, device=x.device, dtype=x.dtype)
        theta[:, 0, 0] = sw * flip
        theta[:, 0, 2] = tx
        theta[:, 1, 1] = sh
        theta[:, 1, 2] = ty
        grid = F.affine_grid(theta, x.shape, align_corners=False)
        return F.grid_sample(x, grid, align_corners=False)

    return forward


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
    p.add_argument("--crop-scale", type=float, default=None,
                   help="replace the shift augmentation by random resized crops of at least "
                        "this area fraction (aspect ratio 3/4 to 4/3), and flips")
    p.add_argument("--dropout", type=float, default=0.0,
                   help="dropout before the convnet's fully connected layer (train mode), "
                        "as the reference's classifier")
    p.add_argument("--kmeans-n-init", type=int, default=None,
                   help="restarts of each epoch's k-means (the reference: 1)")
    p.add_argument("--kmeans-max-iter", type=int, default=None,
                   help="Lloyd iterations of each epoch's k-means (the reference: 20)")
    p.add_argument("--reassign", type=int, default=1,
                   help="passes over the data per k-means reassignment (the reference's "
                        "--reassign; one 'epoch' of the estimator then trains this many passes)")
    p.add_argument("--lr-schedule", choices=["constant", "cosine"], default="constant",
                   help="'cosine': anneal the rate to 0 over the epochs (CosineAnnealingLR "
                        "stepped once per epoch; a probe-only patch, not an estimator option)")
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
    if args.kmeans_n_init or args.kmeans_max_iter:
        original_init = PseudoLabelUpdate.__init__
        overrides = {k: v for k, v in (("kmeans_n_init", args.kmeans_n_init),
                                       ("kmeans_max_iter", args.kmeans_max_iter)) if v}

        def patched_init(self, *a, **k):
            original_init(self, *a, **{**k, **overrides})

        PseudoLabelUpdate.__init__ = patched_init
    if args.reassign > 1:
        draw, r = UniformClusterIterator._indices, args.reassign
        UniformClusterIterator._indices = lambda self: torch.cat([draw(self) for _ in range(r)])
        UniformClusterIterator.__len__ = lambda self: -(-r * len(self.dataset) // self.batch_size)
    if args.dropout:
        ConvBackbone.forward = lambda self, x: self.fc(F.dropout(
            self.convs(self.sobel(self.augment(x))).flatten(1), args.dropout, self.training))
    if args.lr_schedule == "cosine":
        original_make_net = deepcluster_module.make_net

        def make_net_with_schedule(*a, callbacks=(), max_epochs, **k):
            schedule = LRScheduler(CosineAnnealingLR, T_max=max_epochs, step_every="epoch")
            return original_make_net(*a, callbacks=[*callbacks, ("lr_schedule", schedule)],
                                     max_epochs=max_epochs, **k)

        deepcluster_module.make_net = make_net_with_schedule
    if args.crop_scale is not None:
        RandomCropFlip.forward = resized_crop_flip(args.crop_scale)
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
            "seed": seed, "settings": settings, "dropout": args.dropout,
            "crop_scale": args.crop_scale, "kmeans_n_init": args.kmeans_n_init,
            "kmeans_max_iter": args.kmeans_max_iter, "reassign": args.reassign,
            "lr_schedule": args.lr_schedule,
            "nmi": round(float(normalized_mutual_info_score(y, model.labels_)), 4),
            "acc": round(float(cluster_accuracy(y, model.labels_)), 4),
            "pseudo_label_nmi_per_epoch": list(trajectory),
            "train_loss": [round(float(v), 3) for v in model.history_[:, "train_loss"]],
            "seconds": round(time.perf_counter() - t, 1)}), flush=True)


if __name__ == "__main__":
    main()
