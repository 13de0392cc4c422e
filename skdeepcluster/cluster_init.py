"""k-means that runs where the data is: scikit-learn on CPU, torch on CUDA.

Both return a centroid for every cluster and leave no cluster empty: scikit-learn's
Lloyd iterations relocate empty clusters to far-away points; the torch version
splits the largest cluster, as DeepCluster does (Caron et al., 2018, sec. 3.3).
The torch version computes distances a block of rows at a time, so that its memory
is that of the data plus a block; with faiss installed, data of at least
``FAISS_MIN_SAMPLES`` rows is clustered by faiss instead.
"""

import numpy as np
import torch
from sklearn.cluster import KMeans

from . import distributed

# from this many rows, k-means runs in faiss when it is installed (its Lloyd steps
# are several times faster than scikit-learn's and than the torch version on a GPU)
FAISS_MIN_SAMPLES = 500_000
# distances are computed for blocks of rows of at most this many (row, centroid) pairs
_BLOCK_PAIRS = 2**24


def kmeans(X, n_clusters, *, n_init=10, max_iter=300, tol=1e-4, random_state, device="cpu"):
    """Cluster the rows of ``X`` with k-means(++) on ``device``.

    Parameters
    ----------
    X : ndarray or Tensor of shape (n_samples, n_features)
    n_clusters : int
    n_init : int, default=10
        Number of k-means++ restarts; the lowest inertia wins.
    max_iter : int, default=300
        Lloyd iterations per restart.
    tol : float, default=1e-4
        Relative centroid shift (as in scikit-learn) below which a run stops.
    random_state : numpy RandomState
        Source of all randomness.
    device : str, default='cpu'
        ``'cpu'`` uses :class:`sklearn.cluster.KMeans`; a CUDA device uses
        :func:`torch_kmeans` there. With at least ``FAISS_MIN_SAMPLES`` rows and
        faiss installed, ``faiss.Kmeans`` runs instead (on the GPU when ``device``
        is one and faiss has GPU support).

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), float64
    labels : ndarray of shape (n_samples,), int64
    """
    faiss = _faiss() if len(X) >= FAISS_MIN_SAMPLES else None
    if faiss is not None:
        result = _faiss_kmeans(faiss, X, n_clusters, n_init, max_iter, random_state, device)
    elif torch.device(device).type == "cpu":
        X = X.cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
        # astype copies: scikit-learn may centre that copy in place (no second N x d copy)
        km = KMeans(n_clusters, n_init=n_init, max_iter=max_iter, tol=tol,
                    random_state=random_state, copy_x=False).fit(X.astype(np.float64))
        result = km.cluster_centers_, km.labels_.astype(np.int64)
    else:
        X = torch.as_tensor(X, device=device)
        centers, labels = torch_kmeans(X, n_clusters, n_init=n_init, max_iter=max_iter,
                                       tol=tol, random_state=random_state)
        result = centers.double().cpu().numpy(), labels.cpu().numpy()
    # in a data-parallel fit every process ran this on the same rows with the same
    # random state; threaded sums may still differ in the last bits: rank 0's counts
    return distributed.from_main_process(result)


def _faiss():
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def _faiss_kmeans(faiss, X, n_clusters, n_init, max_iter, random_state, device):
    X = X.cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
    X = np.ascontiguousarray(X, dtype=np.float32)
    gpu = torch.device(device).type == "cuda" and hasattr(faiss, "StandardGpuResources")
    km = faiss.Kmeans(X.shape[1], n_clusters, niter=max_iter, nredo=n_init, gpu=gpu,
                      seed=int(random_state.randint(2**31 - 1)),
                      max_points_per_centroid=max(256, -(-len(X) // n_clusters)))
    km.train(X)
    _, labels = km.index.search(X, 1)
    return km.centroids.astype(np.float64), labels[:, 0].astype(np.int64)


def _nearest(X, centers):
    """Index of and squared distance to the nearest centroid, a block of rows at a time."""
    step = max(1, _BLOCK_PAIRS // max(1, len(centers)))
    labels, dists = [], []
    for block in X.split(step):
        d = _sq_dist(block, centers).min(1)
        labels.append(d.indices)
        dists.append(d.values)
    return torch.cat(labels), torch.cat(dists)


def _sq_dist(X, centers):
    return (X.pow(2).sum(1, keepdim=True) - 2 * X @ centers.T
            + centers.pow(2).sum(1)).clamp_min_(0)


def _kmeans_plusplus(X, n_clusters, gen):
    """Greedy-free k-means++ seeding (Arthur & Vassilvitskii, 2007)."""
    n = X.shape[0]
    first = torch.randint(n, (1,), generator=gen, device=gen.device).to(X.device)
    centers = [X[first[0]]]
    closest = _sq_dist(X, centers[0][None])[:, 0]
    for _ in range(1, n_clusters):
        total = closest.sum()
        if total <= 0:  # fewer distinct points than clusters: any point will do
            idx = torch.randint(n, (1,), generator=gen, device=gen.device)[0]
        else:
            idx = torch.multinomial(closest / total, 1, generator=gen)[0]
        centers.append(X[idx])
        closest = torch.minimum(closest, _sq_dist(X, X[idx][None])[:, 0])
    return torch.stack(centers)


def _split_empty(X, centers, labels, counts, gen):
    """Give each empty cluster half of a large cluster.

    The donor is drawn with probability proportional to its size; the two
    centroids are the donor's nudged by a factor ``1 ± 1/1024`` (as in faiss), and
    the donor's points are reassigned to the nearer of the two.
    """
    for empty in torch.nonzero(counts == 0).flatten().tolist():
        weights = (counts - 1).clamp_min(0).double()
        if weights.sum() <= 0:
            break
        donor = torch.multinomial(weights, 1, generator=gen).item()
        base = centers[donor].clone()
        centers[empty] = base * (1 + 1 / 1024)
        centers[donor] = base * (1 - 1 / 1024)
        members = torch.nonzero(labels == donor).flatten()
        pair = torch.stack([centers[donor], centers[empty]])
        near_new = _sq_dist(X[members], pair).argmin(1) == 1
        if near_new.all() or not near_new.any():
            # ties (e.g. centroid at 0): split the members in two halves
            near_new = torch.arange(len(members), device=X.device) % 2 == 1
        labels[members[near_new]] = empty
        counts = torch.bincount(labels, minlength=len(centers))
        centers[empty] = X[labels == empty].mean(0)
        centers[donor] = X[labels == donor].mean(0)
    return centers, labels


def torch_kmeans(X, n_clusters, *, n_init=10, max_iter=300, tol=1e-4, random_state):
    """k-means(++) in torch, on the device of ``X``, with no empty cluster.

    Parameters
    ----------
    X : Tensor of shape (n_samples, n_features)
    n_clusters : int
    n_init, max_iter, tol : see :func:`kmeans`
    random_state : numpy RandomState

    Returns
    -------
    centers : Tensor of shape (n_clusters, n_features)
    labels : Tensor of shape (n_samples,), int64
    """
    if X.shape[0] < n_clusters:
        raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}.")
    X = X.float()
    gen = torch.Generator(device=X.device).manual_seed(int(random_state.randint(2**31 - 1)))
    threshold = tol * X.var(0).mean()  # scikit-learn's tolerance, relative to the data
    best = None
    for _ in range(n_init):
        centers = _kmeans_plusplus(X, n_clusters, gen)
        for _ in range(max_iter):
            labels, _ = _nearest(X, centers)
            counts = torch.bincount(labels, minlength=n_clusters)
            new = torch.zeros_like(centers).index_add_(0, labels, X)
            new /= counts.clamp_min(1)[:, None].to(X.dtype)
            new[counts == 0] = centers[counts == 0]
            if (counts == 0).any():
                new, labels = _split_empty(X, new, labels, counts, gen)
            shift = (new - centers).pow(2).sum()
            centers = new
            if shift <= threshold:
                break
        labels, _ = _nearest(X, centers)
        counts = torch.bincount(labels, minlength=n_clusters)
        if (counts == 0).any():
            centers, labels = _split_empty(X, centers, labels, counts, gen)
        inertia = (X - centers[labels]).pow(2).sum()
        if best is None or inertia < best[0]:
            best = (inertia, centers, labels)
    return best[1], best[2]
