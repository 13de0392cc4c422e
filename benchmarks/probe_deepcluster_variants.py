"""Probe: DeepCluster's defaults with one change patched in, on the Fashion-MNIST subset.

Each option replaces one piece of the estimator for this process only (none is an
estimator parameter): stronger or other augmentations, test-time flip averaging of
the features, an exponential moving average (EMA) of the backbone's weights, or a new
head fitted to the pseudo-labels on frozen features before each epoch's training.
Every fit records the NMI of each epoch's pseudo-labels against the classes. With
``--final-variants`` it also re-clusters the fitted model's whitened features
(``transform``) with other final steps. Session 10 of ``RESULTS_deepcluster.md``.

    python benchmarks/probe_deepcluster_variants.py --seeds 0 1 2 3 4 --tag pad4 --padding 4
"""

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from skorch.callbacks import Callback
from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from skdeepcluster import DeepCluster, cluster_accuracy
from skdeepcluster import deepcluster as deepcluster_module
from skdeepcluster.datasets import load_fashion_mnist
from skdeepcluster.nn.backbones import DeepClusterModel, RandomCropFlip
from skdeepcluster.training import PseudoLabelUpdate
from skdeepcluster.training.nets import batched_apply


def uniform(n, half_width, device):
    """``n`` draws from U(-half_width, half_width)."""
    return (torch.rand(n, device=device) * 2 - 1) * half_width


def add_rotation_scale(degrees, scale):
    """After the shifts and flips: a random rotation and isotropic rescaling."""
    shift_flip = RandomCropFlip.forward

    def forward(self, x):
        x = shift_flip(self, x)
        if not self.training:
            return x
        n = x.shape[0]
        angle = uniform(n, math.radians(degrees), x.device)
        s = 1 + uniform(n, scale, x.device)
        theta = torch.zeros(n, 2, 3, device=x.device, dtype=x.dtype)
        theta[:, 0, 0] = angle.cos() / s
        theta[:, 0, 1] = -angle.sin() / s
        theta[:, 1, 0] = angle.sin() / s
        theta[:, 1, 1] = angle.cos() / s
        grid = F.affine_grid(theta, x.shape, align_corners=False)
        return F.grid_sample(x, grid, align_corners=False)

    RandomCropFlip.forward = forward


def add_contrast_cutout(contrast, cutout):
    """After the other augmentations: intensity scaling by U(1 - c, 1 + c), and a
    zeroed square of side about ``cutout`` at a random centre."""
    before = RandomCropFlip.forward

    def forward(self, x):
        x = before(self, x)
        if not self.training:
            return x
        n, _, h, w = x.shape
        if contrast:
            x = x * (1 + uniform(n, contrast, x.device)[:, None, None, None])
        if cutout:
            cy = torch.randint(0, h, (n, 1, 1, 1), device=x.device)
            cx = torch.randint(0, w, (n, 1, 1, 1), device=x.device)
            rows = torch.arange(h, device=x.device)[None, None, :, None]
            cols = torch.arange(w, device=x.device)[None, None, None, :]
            square = ((rows - cy).abs() <= cutout // 2) & ((cols - cx).abs() <= cutout // 2)
            x = x.masked_fill(square, 0.0)
        return x

    RandomCropFlip.forward = forward


def average_flipped_features():
    """In eval mode, features are the mean over the image and its mirror image."""
    features = DeepClusterModel.features

    def patched(self, x):
        f = features(self, x)
        if self.training:
            return f
        images = x.reshape(x.shape[0], *self.input_shape) if self.input_shape else x
        return 0.5 * (f + self.backbone(images.flip(-1)))

    DeepClusterModel.features = patched


class BackboneEMA(Callback):
    """An exponential moving average of the backbone's weights and batch-norm
    statistics, updated after every training batch, loaded into the backbone at the end
    (so the final clustering uses it)."""

    def __init__(self, decay):
        self.decay = decay

    def _state(self, net):
        return net.module_.backbone.state_dict()

    def on_train_begin(self, net, **kwargs):
        net.ema_ = {k: v.detach().clone() for k, v in self._state(net).items()}

    def on_batch_end(self, net, training=False, **kwargs):
        if not training:
            return
        with torch.no_grad():
            for k, v in self._state(net).items():
                avg = net.ema_[k]
                if avg.is_floating_point():
                    avg.mul_(self.decay).add_(v, alpha=1 - self.decay)
                else:
                    avg.copy_(v)

    def on_train_end(self, net, **kwargs):
        net.module_.backbone.load_state_dict(net.ema_)


def use_ema(decay, pseudo_labels_too):
    make_net = deepcluster_module.make_net

    def with_ema(*args, callbacks=(), **kwargs):
        return make_net(*args, callbacks=[*callbacks, ("ema", BackboneEMA(decay))], **kwargs)

    deepcluster_module.make_net = with_ema
    if pseudo_labels_too:  # each epoch's features come from the averaged weights
        update = PseudoLabelUpdate.on_epoch_begin

        def swapped(self, net, **kwargs):
            current = {k: v.detach().clone() for k, v in net.module_.backbone.state_dict().items()}
            net.module_.backbone.load_state_dict(net.ema_)
            try:
                update(self, net, **kwargs)
            finally:
                net.module_.backbone.load_state_dict(current)

        PseudoLabelUpdate.on_epoch_begin = swapped


def fit_head_first(lbfgs_iterations):
    """After each reset, fit the new head to the pseudo-labels on frozen features."""
    update = PseudoLabelUpdate.on_epoch_begin

    def patched(self, net, **kwargs):
        update(self, net, **kwargs)
        feats = batched_apply(net.module_, self.X_, lambda m, x: F.relu(m.features(x)),
                              self.batch_size, net.device).float()
        head, target = net.module_.head, net.pseudo_labels_
        opt = torch.optim.LBFGS(head.parameters(), max_iter=lbfgs_iterations,
                                line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(head(feats), target)
            loss.backward()
            return loss

        opt.step(closure)
        for param in head.parameters():
            param.grad = None

    PseudoLabelUpdate.on_epoch_begin = patched


def scores(y, labels):
    return [round(float(normalized_mutual_info_score(y, labels)), 4),
            round(float(cluster_accuracy(y, labels)), 4)]


def final_variants(model, X, y):
    """NMI / ACC of other final clusterings of the fitted model's whitened features."""
    z = model.transform(X)
    out = {}
    for n_init in (10, 50, 200):
        km = KMeans(10, n_init=n_init, random_state=0).fit(z)
        out[f"kmeans_n{n_init}"] = scores(y, km.labels_) + [round(float(km.inertia_), 2)]
    out["ward"] = scores(y, AgglomerativeClustering(10).fit_predict(z))
    out["spectral_nn10"] = scores(y, SpectralClustering(
        10, affinity="nearest_neighbors", n_neighbors=10, random_state=0).fit_predict(z))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", required=True)
    p.add_argument("--tag", default="", help="a name for the variant, copied to the output")
    p.add_argument("--padding", type=int, default=None, help="largest shift (default 2)")
    p.add_argument("--rotate", type=float, default=0.0, help="largest rotation, degrees")
    p.add_argument("--scale", type=float, default=0.0, help="largest relative rescaling")
    p.add_argument("--contrast", type=float, default=0.0, help="intensity scaling half-width")
    p.add_argument("--cutout", type=int, default=0, help="side of the zeroed square")
    p.add_argument("--tta-flip", action="store_true",
                   help="features averaged with those of the mirror image (eval mode)")
    p.add_argument("--ema", type=float, default=0.0, help="EMA decay per batch (0: off)")
    p.add_argument("--ema-final-only", action="store_true",
                   help="the EMA serves the final clustering only, not the pseudo-labels")
    p.add_argument("--head-fit", type=int, default=0,
                   help="LBFGS iterations fitting each new head on frozen features (0: off)")
    p.add_argument("--final-variants", action="store_true")
    p.add_argument("--set", default="{}", help="DeepCluster parameters (a dict literal)")
    args = p.parse_args()
    torch.set_num_threads(1)
    X, y = load_fashion_mnist(n_samples=10000, random_state=0)

    # the patches compose in this order: shifts/flips → rotation/scale → contrast/cutout
    if args.padding is not None:
        RandomCropFlip.__init__.__defaults__ = (args.padding,)
    if args.rotate or args.scale:
        add_rotation_scale(args.rotate, args.scale)
    if args.contrast or args.cutout:
        add_contrast_cutout(args.contrast, args.cutout)
    if args.tta_flip:
        average_flipped_features()
    if args.ema:
        use_ema(args.ema, pseudo_labels_too=not args.ema_final_only)
    if args.head_fit:
        fit_head_first(args.head_fit)

    trajectory = []
    update = PseudoLabelUpdate.on_epoch_begin

    def recording(self, net, **kwargs):
        update(self, net, **kwargs)
        trajectory.append(round(float(normalized_mutual_info_score(y, self.labels_)), 4))

    PseudoLabelUpdate.on_epoch_begin = recording
    for seed in args.seeds:
        trajectory.clear()
        t = time.perf_counter()
        model = DeepCluster(n_clusters=10, input_shape=(1, 28, 28), random_state=seed,
                            **eval(args.set)).fit(X)
        seconds = round(time.perf_counter() - t, 1)
        nmi, acc = scores(y, model.labels_)
        print(json.dumps({
            "tag": args.tag, "args": vars(args), "seed": seed, "nmi": nmi, "acc": acc,
            "ari": round(float(adjusted_rand_score(y, model.labels_)), 4),
            "traj": list(trajectory), "seconds": seconds,
            "final": final_variants(model, X, y) if args.final_variants else None}),
            flush=True)


if __name__ == "__main__":
    main()
