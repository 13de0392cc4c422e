"""Spectral clustering of a k-nearest-neighbour graph, with a k-NN vote for new rows."""

import numpy as np
from sklearn.cluster import SpectralClustering
from sklearn.neighbors import KNeighborsClassifier, kneighbors_graph

from . import distributed

# rows from which spectral clustering's eigenvectors come from LOBPCG instead of ARPACK
_LOBPCG_MIN_ROWS = 5000


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
