"""From self-expression coefficients to clusters: affinity post-processing + spectral clustering.

The steps are those of the DSC-Net / DMSC reference code (Ji et al., 2017;
Abavisani & Patel, 2018), under neutral names: keep the largest entries of each
column of C up to ``threshold_ratio`` of its L1 norm; symmetrise; take the top
``subspace_dim * n_clusters + 1`` singular vectors scaled by the square roots of
their singular values; normalise their rows; the affinity is
``max(U Uᵀ, 0) ** affinity_power``; cluster it with scikit-learn's
:class:`~sklearn.cluster.SpectralClustering`. One step is not the reference's:
the affinity can be kept only between neighbours in the input
(:func:`neighbor_mask`).
"""

import warnings

import numpy as np
from scipy.sparse.linalg import svds
from sklearn.cluster import SpectralClustering
from sklearn.neighbors import kneighbors_graph
from sklearn.preprocessing import normalize

# below this size a dense SVD is cheap and exact
_DENSE_SVD_MAX = 600


def threshold_columns(coef, threshold_ratio):
    """Keep, in each column, the largest-magnitude entries that reach ``threshold_ratio`` of its L1 norm.

    Parameters
    ----------
    coef : ndarray of shape (n, n)
    threshold_ratio : float
        In (0, 1]; 1 keeps everything.

    Returns
    -------
    ndarray of shape (n, n)
        Sparsified copy (signs kept).
    """
    coef = np.asarray(coef, dtype=np.float64)
    if threshold_ratio >= 1:
        return coef.copy()
    mag = np.abs(coef)
    order = np.argsort(-mag, axis=0, kind="stable")
    sorted_mag = np.take_along_axis(mag, order, axis=0)
    cum = np.cumsum(sorted_mag, axis=0)
    limit = threshold_ratio * cum[-1]
    # keep the shortest prefix whose cumulative sum exceeds the limit (reference: first index > limit)
    n_keep = (cum <= limit[None, :]).sum(axis=0) + 1
    keep_sorted = np.arange(coef.shape[0])[:, None] < n_keep[None, :]
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=0)
    return np.where(keep, coef, 0.0)


def neighbor_mask(X, n_neighbors, modality_sizes=None):
    """Which pairs of rows are neighbours: either is among the other's ``n_neighbors`` nearest.

    Nearest by angle (Euclidean distance of the rows scaled to unit norm): a linear
    subspace holds a row at any scale, so near the origin rows of other subspaces
    are close in distance but not in angle. With several modalities, each one's
    columns are scaled to unit norm apart, so that the angle is averaged over the
    modalities (the mean of their cosines) and each counts equally, whatever its
    number of columns.

    Parameters
    ----------
    X : ndarray of shape (n, n_features)
    n_neighbors : int
        Capped at ``n - 1``.
    modality_sizes : sequence of int, default=None
        Column counts of the modalities, side by side in ``X`` (they add up to
        ``n_features``); None: one modality.

    Returns
    -------
    mask : ndarray of shape (n, n), bool
        Symmetric, False on the diagonal.
    """
    n_neighbors = min(n_neighbors, X.shape[0] - 1)
    if modality_sizes is None:
        modality_sizes = [X.shape[1]]
    blocks = np.split(X, np.cumsum(modality_sizes)[:-1], axis=1)
    unit_blocks = np.hstack([normalize(block) for block in blocks])
    rows, cols = kneighbors_graph(unit_blocks, n_neighbors, include_self=False).nonzero()
    mask = np.zeros((X.shape[0], X.shape[0]), dtype=bool)  # one byte per pair
    mask[rows, cols] = mask[cols, rows] = True
    return mask


def subspace_affinity(coef, n_clusters, *, threshold_ratio=0.2, subspace_dim=4,
                      affinity_power=3.0, neighbors=None):
    """Affinity matrix built from self-expression coefficients (DSC-Net post-processing).

    Parameters
    ----------
    coef : ndarray of shape (n, n)
        Self-expression coefficients (row ``i`` codes sample ``i``).
    n_clusters : int
    threshold_ratio : float, default=0.2
        Fraction of each column's L1 norm kept by :func:`threshold_columns`.
    subspace_dim : int, default=4
        Assumed dimension ``d`` of each subspace; ``d * n_clusters + 1`` singular
        vectors are kept (at most ``n - 1``).
    affinity_power : float, default=3.0
        Exponent applied to the angular affinity; larger values sharpen it.
    neighbors : ndarray of shape (n, n), bool, default=None
        Keep the affinity only where this mask is True (e.g. :func:`neighbor_mask`
        of the input rows); None keeps it everywhere.

    Returns
    -------
    affinity : ndarray of shape (n, n)
        Symmetric, non-negative, maximum 1.
    """
    n = coef.shape[0]
    c = threshold_columns(coef, threshold_ratio)
    c = 0.5 * (c + c.T)
    rank = max(1, min(subspace_dim * n_clusters + 1, n - 1))
    if n <= _DENSE_SVD_MAX or rank >= n - 1:
        u, s, _ = np.linalg.svd(c)
        u, s = u[:, :rank], s[:rank]
    else:
        # fixed start vector: ARPACK is then deterministic (reference code does the same)
        u, s, _ = svds(c, k=rank, v0=np.ones(n))
        u, s = u[:, ::-1], s[::-1]
    u = u * np.sqrt(s)[None, :]
    norms = np.linalg.norm(u, axis=1, keepdims=True)
    u = u / np.where(norms > 0, norms, 1.0)
    affinity = np.clip(u @ u.T, 0.0, None) ** affinity_power
    if neighbors is not None:
        affinity[~neighbors] = 0.0
    top = affinity.max()
    if top > 0:
        affinity /= top
    return 0.5 * (affinity + affinity.T)


def spectral_labels(affinity, n_clusters, random_state):
    """Spectral clustering of a precomputed affinity, discretised as in the reference code.

    Parameters
    ----------
    affinity : ndarray of shape (n, n)
    n_clusters : int
    random_state : RandomState
        Seeds the eigensolver's start vector and the discretisation.

    Returns
    -------
    labels : ndarray of shape (n,)
    """
    if n_clusters == 1:
        return np.zeros(affinity.shape[0], dtype=np.int64)
    model = SpectralClustering(n_clusters, affinity="precomputed", assign_labels="discretize",
                               random_state=random_state)
    with warnings.catch_warnings():
        # well-separated subspaces give a disconnected graph: that is the goal, not a problem
        warnings.filterwarnings("ignore", message="Graph is not fully connected")
        labels = model.fit_predict(affinity)
    return _relabel(labels)


def _relabel(labels):
    """Consecutive labels 0..k-1 in order of first appearance (discretize may skip ids)."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return rank[inverse].astype(np.int64)
