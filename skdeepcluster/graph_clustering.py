"""Spectral clustering of a k-nearest-neighbour graph, with a k-NN vote for new rows."""

import numpy as np
import torch
from sklearn.cluster import SpectralClustering
from sklearn.neighbors import KNeighborsClassifier, kneighbors_graph

from . import distributed

# rows from which spectral clustering's eigenvectors come from LOBPCG instead of ARPACK
_LOBPCG_MIN_ROWS = 5000

#: the most n_samples² × n_features of a brute-force k-NN graph of the input rows:
#: about 70,000 images of 28 × 28, minutes on one CPU core
INPUT_GRAPH_MAX_COST = 4e12
#: the largest float32 copy of data read in batches that is made for that graph
INPUT_GRAPH_MAX_BYTES = 2 ** 30


def _input_rows_for_graph(X):
    """The input rows, flat, for a k-NN graph of the input; None when too costly.

    A tensor is used as it is (a view on the CPU); data read in batches is read
    whole when its float32 copy takes at most ``INPUT_GRAPH_MAX_BYTES``, so that a
    memmap or a Dataset gives the labels of the same array.
    """
    n_features = int(np.prod(X.shape[1:]))
    if len(X) ** 2 * n_features > INPUT_GRAPH_MAX_COST:
        return None
    if torch.is_tensor(X):
        return X.detach().reshape(len(X), -1).cpu().numpy()
    if len(X) * n_features * 4 > INPUT_GRAPH_MAX_BYTES:
        return None
    return torch.cat([rows.reshape(len(rows), -1).float()
                      for rows in X.batches(4096)]).numpy()


def agreement_affinity(z, x, n_neighbors, weak_weight=1e-3):
    """The k-NN graph of ``z``, its edges weighed by whether ``x`` agrees.

    The graph of ``z`` is scikit-learn's ``affinity='nearest_neighbors'``: weight 1
    between rows that are among each other's ``n_neighbors`` nearest (Euclidean),
    0.5 where only one is among the other's. Each edge is multiplied by 1 when the
    two rows are also neighbours in ``x`` (either among the other's nearest), by
    ``weak_weight`` otherwise, which keeps the graph of ``z`` connected. A learned
    embedding ``z`` and the input ``x`` each give some wrong neighbours, mostly not
    the same ones, so the edges they agree on are the reliable ones.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_features_z)
    x : ndarray of shape (n_samples, n_features_x)
    n_neighbors : int
        Capped at ``n_samples - 1``.
    weak_weight : float, default=1e-3

    Returns
    -------
    affinity : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        Symmetric, zero on the diagonal.
    """
    n_neighbors = min(n_neighbors, z.shape[0] - 1)
    graph_z = kneighbors_graph(z, n_neighbors, include_self=False)
    graph_z = 0.5 * (graph_z + graph_z.T)
    graph_x = kneighbors_graph(x, n_neighbors, include_self=False)
    agree = (graph_x + graph_x.T).sign()
    return (graph_z.multiply(agree) + weak_weight * graph_z).tocsr()


def knn_spectral_clustering(z, n_clusters, n_neighbors, random_state, agree_with=None,
                            assign_labels="cluster_qr"):
    """Cluster the rows of ``z`` spectrally on their k-NN graph.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_features)
    n_clusters : int
    n_neighbors : int
        Neighbours of the graph and of the vote (capped at ``n_samples - 1``).
    random_state : int or RandomState
    agree_with : ndarray of shape (n_samples, n_features_x), default=None
        Other coordinates of the same rows (e.g. the input of the network that
        computed ``z``): the graph is then :func:`agreement_affinity`.
    assign_labels : {'cluster_qr', 'kmeans'}, default='cluster_qr'
        How the graph's spectral embedding is labelled (scikit-learn's
        ``SpectralClustering``): ``'cluster_qr'`` without a k-means run,
        ``'kmeans'`` by k-means with 10 restarts.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Consecutive cluster ids.
    centers : ndarray of shape (n_found, n_features)
        Mean of each cluster's rows.
    vote : KNeighborsClassifier
        Fitted on ``(z, labels)``: its ``predict`` labels new rows by the majority of
        their ``n_neighbors`` nearest rows.
    """
    n_neighbors = min(n_neighbors, z.shape[0] - 1)
    # ARPACK's shift-invert mode factorises the graph Laplacian, which gets slow on
    # large graphs: 257 s on 70,000 rows, where LOBPCG took 19 s (and matched it on
    # Fashion-MNIST features, NMI within 0.001). LOBPCG fails on tiny graphs.
    solver = "lobpcg" if z.shape[0] >= _LOBPCG_MIN_ROWS else "arpack"
    options = dict(eigen_solver=solver, assign_labels=assign_labels, random_state=random_state)
    if agree_with is None:
        spectral = SpectralClustering(n_clusters, affinity="nearest_neighbors",
                                      n_neighbors=n_neighbors, **options)
        _, labels = np.unique(spectral.fit_predict(z), return_inverse=True)
    else:
        spectral = SpectralClustering(n_clusters, affinity="precomputed", **options)
        affinity = agreement_affinity(z, agree_with, n_neighbors)
        _, labels = np.unique(spectral.fit_predict(affinity), return_inverse=True)
    labels = distributed.from_main_process(labels)  # one clustering in a data-parallel fit
    centers = np.stack([z[labels == k].mean(axis=0) for k in range(labels.max() + 1)])
    return labels, centers, KNeighborsClassifier(n_neighbors).fit(z, labels)
