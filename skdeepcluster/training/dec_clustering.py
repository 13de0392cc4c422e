"""DEC's clustering phase, shared by DEC, IDEC and the multi-task RNN.

k-means (or spectral clustering of a k-NN graph) on the pretrained embedding initialises the centroids of a Student-t soft
assignment Q; encoder and centroids then minimise KL(P‖Q) (plus ``L_r`` in IDEC
mode) against the sharpened target P, recomputed over the whole dataset every
``update_interval`` iterations, until fewer than a fraction ``tol`` of the labels
change between two updates (Xie et al., 2016; Guo et al., 2017).
"""

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from ..cluster_init import kmeans
from ..graph_clustering import _input_rows_for_graph, knn_spectral_clustering
from ..nn import ClusteringModel
from .callbacks import IterationLimit, TargetDistributionUpdate
from .nets import ClusteringNet, autocast_bf16, batched_apply, make_net, optimizer_kwargs


@dataclass
class ClusteringResult:
    """What the clustering phase hands back to the estimator.

    Attributes
    ----------
    net : ClusteringNet
        The trained net; ``net.module_`` (float64) holds the autoencoder and the
        Student-t head.
    labels : ndarray of shape (n_samples,)
        Argmax of Q over the training rows, from the float64 network.
    n_iter : int
        Clustering iterations (mini-batches) run.
    converged : bool
        Whether the ``tol`` criterion stopped training before ``max_iter``.
    """

    net: ClusteringNet
    labels: np.ndarray
    n_iter: int
    converged: bool

    @property
    def cluster_centers(self):
        """Centroids in the embedding space, as numpy."""
        return self.net.module_.head.centers.detach().cpu().numpy()


class FullDataSoftAssign:
    """Q over all rows in eval mode, for the target distribution (a picklable callable).

    Parameters
    ----------
    batch_size : int
    mixed_precision : bool
    refresh : callable or None
        ``refresh(autoencoder, X)``, run first.
    """

    def __init__(self, batch_size, mixed_precision, refresh=None):
        self.batch_size = batch_size
        self.mixed_precision = mixed_precision
        self.refresh = refresh

    def __call__(self, module, X):
        if self.refresh is not None:
            self.refresh(module.autoencoder, X)
        device = next(module.parameters()).device
        with autocast_bf16(device, self.mixed_precision):
            return batched_apply(module, X, lambda m, x: m.soft_assign(x), self.batch_size,
                                 device)


def spectral_centers(z, n_clusters, n_neighbors, rng, agree_with=None):
    """Means of the clusters of a k-NN-graph spectral clustering of the codes ``z``.

    With ``agree_with`` (the input rows), the graph's edges that the input's
    k-NN graph does not share are weakened
    (:func:`~skdeepcluster.graph_clustering.agreement_affinity`). k-means labels
    the spectral embedding (a better start than ``'cluster_qr'`` on DEC's
    embeddings, see :class:`~skdeepcluster.DEC`'s ``init``).

    Returns ``(centers, labels)``, or ``(None, None)`` when the graph cannot give
    ``n_clusters`` non-empty clusters (at most ``n_clusters + 1`` rows, one
    cluster, or clusters lost by the labelling).
    """
    z = z.detach().cpu().double().numpy() if torch.is_tensor(z) else np.asarray(z, np.float64)
    if z.shape[0] <= n_clusters + 1 or n_clusters < 2:
        return None, None
    with warnings.catch_warnings():
        # well-separated clusters give a disconnected graph: not a problem here
        warnings.filterwarnings("ignore", message="Graph is not fully connected")
        labels, centers, _ = knn_spectral_clustering(z, n_clusters, n_neighbors, rng,
                                                     agree_with=agree_with,
                                                     assign_labels="kmeans")
    if centers.shape[0] < n_clusters or not np.isfinite(centers).all():
        return None, None
    return centers, labels


def fit_dec_clustering(autoencoder, X, *, n_clusters, rng, seed, device, alpha=1.0,
                       gamma=None, reconstruction_weight=1.0, lr=1e-3, optimizer="adam",
                       max_iter=10000, update_interval="auto", tol=1e-3, n_init=20,
                       batch_size=256, verbose=0, mixed_precision=False, refresh=None,
                       init="kmeans", n_neighbors=10, input_neighbors=False):
    """Initialise the centroids (k-means, or spectral clustering) and train on DEC's loss.

    Parameters
    ----------
    autoencoder : nn.Module
        A pretrained autoencoder with ``encode`` (and ``decode`` for IDEC mode).
    X : Tensor of shape (n_samples, ...) or StreamedData
        Training data, float32 on ``device``, or read in batches.
    n_clusters : int
    rng : numpy.random.RandomState
        Seeds k-means.
    seed : int
        Seeds the batch order.
    device : str
    alpha : float, default=1.0
        Degrees of freedom of the Student-t kernel.
    gamma : float or None, default=None
        None: DEC, loss KL(P‖Q), decoder dropped. A float: IDEC, loss
        ``reconstruction_weight * L_r + gamma * KL(P‖Q)``.
    reconstruction_weight : float, default=1.0
        See :class:`~skdeepcluster.training.ClusteringNet`.
    lr : float, default=1e-3
    optimizer : {'adam', 'sgd'}, default='adam'
    max_iter : int, default=10000
        Maximum number of iterations (mini-batches).
    update_interval : int or 'auto', default='auto'
        Iterations between two updates of P; 'auto' is one pass over the data.
    tol : float, default=1e-3
        Stop when fewer than this fraction of labels changes between two updates.
    n_init : int, default=20
        k-means restarts.
    batch_size : int, default=256
    verbose : int, default=0
    mixed_precision : bool, default=False
        bfloat16 forward passes, in training and in the full-data passes for P.
    refresh : callable or None, default=None
        ``refresh(autoencoder, X)`` runs before every full-data pass in eval mode
        and after training (the RNN recalibrates its batch-norm statistics there).
    init : {'kmeans', 'spectral'}, default='kmeans'
        How the pretrained embedding is first clustered: k-means (``n_init``
        restarts) places the centroids; ``'spectral'`` clusters its
        ``n_neighbors``-nearest-neighbour graph spectrally
        (:func:`~skdeepcluster.graph_clustering.knn_spectral_clustering`, on the
        CPU), each centroid is the mean of its cluster's codes, and the one-hot
        spectral labels are the target P of the first ``update_interval``
        iterations. It falls back to k-means when the graph gives fewer than
        ``n_clusters`` clusters (or there are at most ``n_clusters + 1`` rows).
    n_neighbors : int, default=10
        Neighbours of the graph of ``init='spectral'``.
    input_neighbors : bool, default=False
        With ``init='spectral'`` and ``X`` a tensor, weaken the edges of the
        embedding's graph that are not also edges of the k-NN graph of the input
        rows (:func:`~skdeepcluster.graph_clustering.agreement_affinity`).
        Ignored when ``n_samples² × n_features`` exceeds 4e12, and for data read
        in batches whose float32 copy would exceed 1 GiB
        (``graph_clustering.INPUT_GRAPH_MAX_COST``, ``INPUT_GRAPH_MAX_BYTES``).

    Returns
    -------
    ClusteringResult
    """
    z = batched_apply(autoencoder, X, lambda m, x: m.encode(x), batch_size, device)
    centers = initial_labels = None
    if init == "spectral":
        agree_with = _input_rows_for_graph(X) if input_neighbors else None
        centers, initial_labels = spectral_centers(z, n_clusters, n_neighbors, rng,
                                                   agree_with=agree_with)
        if initial_labels is not None:
            initial_labels = torch.as_tensor(initial_labels, device=device)
    if centers is None:  # k-means, or a graph that gave fewer than n_clusters clusters
        centers, _ = kmeans(z, n_clusters, n_init=n_init, random_state=rng, device=device)
    model = ClusteringModel(autoencoder, torch.as_tensor(centers, dtype=torch.float32),
                            alpha=alpha, keep_decoder=gamma is not None)

    n_samples = len(X)
    batches_per_epoch = math.ceil(n_samples / batch_size)
    interval = batches_per_epoch if update_interval == "auto" else update_interval
    limit = IterationLimit(max_iter)
    target = TargetDistributionUpdate(interval, tol,
                                      FullDataSoftAssign(batch_size, mixed_precision, refresh),
                                      initial_labels=initial_labels)
    net = make_net(
        ClusteringNet, model, phase="clustering", lr=lr,
        max_epochs=math.ceil(max_iter / batches_per_epoch), batch_size=batch_size,
        device=device, seed=seed, verbose=verbose, mixed_precision=mixed_precision,
        callbacks=[("iteration_limit", limit), ("target", target)],
        gamma=gamma, reconstruction_weight=reconstruction_weight,
        **optimizer_kwargs(optimizer),
    )
    net.fit(X, torch.arange(n_samples, device=device))
    # keep the trained instance once in the pickle (skorch stores `module` and `module_`)
    net.module = ClusteringModel
    # float64 from here on: inference does not depend on how rows are batched; eval mode
    # for good: inference then never writes module state (thread-safe)
    net.module_.double().eval()
    if refresh is not None:
        refresh(net.module_.autoencoder, X)
    q = batched_apply(net.module_, X, lambda m, x: m.soft_assign(x), batch_size, net.device,
                      dtype=torch.float64)
    return ClusteringResult(net, q.cpu().numpy().argmax(axis=1), limit.n_iter_,
                            target.converged_)
