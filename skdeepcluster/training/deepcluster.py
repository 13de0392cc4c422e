"""skorch glue for DeepCluster: pseudo-labels each epoch, balanced batches, cross-entropy.

One epoch of DeepCluster (Caron et al., 2018) is: features of the whole dataset in
eval mode → PCA-whitening + L2 normalisation → k-means → pseudo-labels → a fresh
classifier head → one epoch of cross-entropy on batches drawn uniformly over the
clusters. The first four steps are the :class:`PseudoLabelUpdate` callback
(``on_epoch_begin``), the sampling is :class:`UniformClusterIterator`, the loss is
:class:`DeepClusterNet`; skorch runs the epochs.
"""

import time

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.utils import to_tensor
from sklearn.metrics import normalized_mutual_info_score
from torch.nn import functional as F

from ..cluster_init import kmeans
from .callbacks import check_finite
from .nets import MixedPrecisionNet, autocast_bf16, batched_apply, make_net

__all__ = [
    "DeepClusterNet",
    "PseudoLabelUpdate",
    "UniformClusterIterator",
    "fit_whitening",
    "train_deepcluster",
    "whiten",
]


def fit_whitening(features, n_components):
    """PCA with whitening of the rows of ``features``.

    Parameters
    ----------
    features : Tensor of shape (n_samples, n_features)
    n_components : int

    Returns
    -------
    mean : Tensor of shape (n_features,)
    projection : Tensor of shape (n_features, n_components)
        Principal axes scaled by ``1 / sqrt(variance)``, so that
        ``(features - mean) @ projection`` has unit variance per component. Signs
        are fixed (largest entry of each axis positive) for reproducible output.
    """
    features = features.double()
    mean = features.mean(0)
    centred = features - mean
    cov = centred.T @ centred / max(features.shape[0] - 1, 1)
    eigval, eigvec = torch.linalg.eigh(cov)  # ascending
    eigval = eigval.flip(0)[:n_components].clamp_min(0)
    eigvec = eigvec.flip(1)[:, :n_components]
    signs = torch.sign(eigvec.gather(0, eigvec.abs().argmax(0, keepdim=True)))
    eigvec = eigvec * torch.where(signs == 0, 1.0, signs)
    # a floor keeps directions without variance from being blown up to noise
    floor = 1e-6 * eigval.max().clamp_min(1e-12)
    return mean, eigvec / (eigval + floor).sqrt()


def whiten(features, mean, projection):
    """Project on the whitened principal axes, then L2-normalise each row."""
    z = (features.to(projection.dtype) - mean) @ projection
    return F.normalize(z, dim=1, eps=1e-12)


class UniformClusterIterator:
    """Batches whose rows are drawn uniformly over the clusters of the pseudo-labels.

    At each pass, ``n_samples`` indices are drawn: ``n_samples // k + 1`` per non-empty
    cluster (with replacement only for clusters smaller than that), shuffled and
    truncated to ``n_samples``, as DeepCluster's ``UnifLabelSampler``. Large clusters
    thus cannot dominate the cross-entropy. A last batch of a single row is dropped
    (batch norm needs two).

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or StreamedData
        ``X`` and ``y`` (sample indices) as tensors, or data read in batches.
    batch_size : int
    labels_of : object
        Its ``pseudo_labels_`` attribute (a tensor, refreshed every epoch) is read at
        each pass.
    generator : torch.Generator
        Source of all draws.
    """

    def __init__(self, dataset, batch_size, labels_of, generator=None, **_):
        self.dataset = dataset
        self.batch_size = batch_size
        self.labels_of = labels_of
        self.generator = generator

    def __len__(self):
        n = len(self.dataset)
        full, rest = divmod(n, self.batch_size)
        return full + (rest > 1)

    def _indices(self):
        labels = self.labels_of.pseudo_labels_.cpu()
        n = len(labels)
        gen = self.generator
        clusters = torch.unique(labels)
        per_cluster = n // len(clusters) + 1
        order = torch.argsort(labels, stable=True)
        counts = torch.bincount(labels)[clusters]
        starts = torch.cumsum(counts, 0) - counts
        picks = []
        for start, count in zip(starts.tolist(), counts.tolist()):
            members = order[start:start + count]
            if count >= per_cluster:
                picks.append(members[torch.randperm(count, generator=gen)[:per_cluster]])
            else:
                picks.append(members[torch.randint(count, (per_cluster,), generator=gen)])
        picks = torch.cat(picks)
        return picks[torch.randperm(len(picks), generator=gen)[:n]]

    def _batches(self):
        idx = self._indices()
        n = len(idx)
        for start in range(0, n, self.batch_size):
            rows = idx[start:start + self.batch_size]
            if len(rows) < 2 and n > 1:
                break
            yield rows

    def __iter__(self):
        if hasattr(self.dataset, "loader"):  # StreamedData: read batch by batch
            yield from self.dataset.loader(self.batch_size, batch_sampler=self._batches(),
                                           generator=self.generator, train=True)
            return
        X, y = self.dataset.X, self.dataset.y
        for rows in self._batches():
            rows = rows.to(X.device)
            yield X[rows], y[rows]


class DeepClusterNet(MixedPrecisionNet):
    """Cross-entropy of the classifier head against the current pseudo-labels.

    Fit with ``y = arange(n_samples)``: a batch's targets are looked up by sample
    index in ``pseudo_labels_``, which :class:`PseudoLabelUpdate` refreshes every
    epoch. Training batches come from :class:`UniformClusterIterator`.
    """

    pseudo_labels_ = None

    def get_iterator(self, dataset, training=False):
        if not training:
            return super().get_iterator(dataset, training=training)
        kwargs = self.get_params_for("iterator_train")
        return self.shard(UniformClusterIterator(dataset, self.batch_size, labels_of=self,
                                                 generator=kwargs.get("generator")))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        target = self.pseudo_labels_[to_tensor(y_true, device=self.device)]
        return F.cross_entropy(y_pred, target)


class PseudoLabelUpdate(Callback):
    """At the start of each epoch, cluster the features and set new pseudo-labels.

    Steps: features of all training rows in eval mode; PCA-whitening to
    ``pca_dim`` dimensions and L2 normalisation; k-means with ``n_clusters``
    clusters (:func:`skdeepcluster.cluster_init.kmeans`: scikit-learn on CPU, torch
    on CUDA, no empty cluster); ``net.pseudo_labels_``; a re-initialised head whose
    optimizer state is cleared. Recorded in the history: ``nmi`` (NMI between this
    epoch's and the previous epoch's assignments, NaN at the first epoch),
    ``n_nonempty`` and the seconds spent in ``time_features``, ``time_pca``,
    ``time_kmeans`` and ``time_train``.

    Parameters
    ----------
    n_clusters : int
        Number of pseudo-clusters.
    pca_dim : int
        Dimensions kept by the PCA (already capped by the caller).
    random_state : numpy RandomState
        Seeds of the k-means runs.
    batch_size : int
        Rows per batch of feature extraction.
    kmeans_n_init, kmeans_max_iter : int
        Restarts and Lloyd iterations of each epoch's k-means (the reference runs
        one k-means of 20 iterations per epoch).
    """

    def __init__(self, n_clusters, pca_dim, random_state, batch_size, kmeans_n_init=1,
                 kmeans_max_iter=20):
        self.n_clusters = n_clusters
        self.pca_dim = pca_dim
        self.random_state = random_state
        self.batch_size = batch_size
        self.kmeans_n_init = kmeans_n_init
        self.kmeans_max_iter = kmeans_max_iter

    def on_train_begin(self, net, X=None, **kwargs):
        self.X_ = X
        self.labels_ = None

    def _clock(self, net):
        if torch.device(net.device).type == "cuda":
            torch.cuda.synchronize(net.device)
        return time.perf_counter()

    def on_epoch_begin(self, net, **kwargs):
        t0 = self._clock(net)
        with autocast_bf16(net.device, net.mixed_precision):
            feats = batched_apply(net.module_, self.X_, lambda m, x: m.features(x),
                                  self.batch_size, net.device).float()
        check_finite(feats, "DeepCluster training", "the features", ("lr",), len(net.history))
        t1 = self._clock(net)
        z = whiten(feats, *fit_whitening(feats, self.pca_dim)).float()
        t2 = self._clock(net)
        _, labels = kmeans(z, self.n_clusters, n_init=self.kmeans_n_init,
                           max_iter=self.kmeans_max_iter, random_state=self.random_state,
                           device=net.device)
        t3 = self._clock(net)
        nmi = (np.nan if self.labels_ is None
               else normalized_mutual_info_score(self.labels_, labels))
        self.labels_ = labels
        net.pseudo_labels_ = torch.as_tensor(labels, device=net.device)
        net.module_.reset_head()
        for p in net.module_.head.parameters():  # no stale momentum for the new head
            net.optimizer_.state.pop(p, None)
        net.history.record("nmi", nmi)
        net.history.record("n_nonempty", int(len(np.unique(labels))))
        net.history.record("time_features", t1 - t0)
        net.history.record("time_pca", t2 - t1)
        net.history.record("time_kmeans", t3 - t2)
        self.t_train_ = t3

    def on_epoch_end(self, net, **kwargs):
        net.history.record("time_train", self._clock(net) - self.t_train_)

    def on_train_end(self, net, **kwargs):
        # keep no training data on the fitted net (pickle size, devices)
        self.X_ = self.labels_ = None
        net.pseudo_labels_ = None


def train_deepcluster(model, X, *, n_pseudo_clusters, pca_dim, rng, seed, epochs, lr,
                      momentum, weight_decay, batch_size, device, verbose=0,
                      mixed_precision=False):
    """Run DeepCluster's epochs: pseudo-labels by k-means, then one epoch of training.

    Parameters
    ----------
    model : DeepClusterModel
        Backbone and classifier head (the head is re-initialised every epoch).
    X : Tensor of shape (n_samples, n_features) or StreamedData
        Training rows, float32 on ``device``, or read in batches.
    n_pseudo_clusters, pca_dim : int
        See :class:`PseudoLabelUpdate`.
    rng : numpy.random.RandomState
        Seeds the k-means runs.
    seed : int
        Seeds the batch draws.
    epochs : int
    lr, momentum, weight_decay : float
        SGD's settings.
    batch_size : int
    device : str
    verbose : int, default=0
    mixed_precision : bool, default=False

    Returns
    -------
    DeepClusterNet
        The trained net, its module in float64.
    """
    pseudo = PseudoLabelUpdate(n_pseudo_clusters, pca_dim, rng, batch_size)
    net = make_net(
        DeepClusterNet, model, phase="DeepCluster training", lr=lr, max_epochs=epochs,
        batch_size=batch_size, device=device, seed=seed, verbose=verbose,
        callbacks=[("pseudo_labels", pseudo)], optimizer=torch.optim.SGD,
        optimizer__momentum=momentum, optimizer__weight_decay=weight_decay,
        mixed_precision=mixed_precision,
    )
    net.fit(X, torch.arange(X.shape[0], device=device))
    # keep the trained instance once in the pickle (skorch stores `module` and `module_`)
    net.module = type(model)
    # float64 and eval mode for good: inference writes no module state (thread-safe)
    net.module_.double().eval()
    return net
