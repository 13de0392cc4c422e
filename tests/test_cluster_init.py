import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from skdeepcluster.cluster_init import _split_empty, kmeans, torch_kmeans


def test_torch_kmeans_finds_blobs_like_sklearn():
    X, y = make_blobs(300, centers=4, cluster_std=0.5, random_state=0)
    centers, labels = torch_kmeans(torch.tensor(X), 4, random_state=np.random.RandomState(0))
    assert adjusted_rand_score(y, labels.numpy()) > 0.95
    _, sk_labels = kmeans(X, 4, random_state=np.random.RandomState(0), device="cpu")
    assert adjusted_rand_score(sk_labels, labels.numpy()) > 0.99
    assert centers.shape == (4, 2)


def test_torch_kmeans_is_reproducible():
    X = torch.tensor(make_blobs(200, centers=5, random_state=1)[0])
    a = torch_kmeans(X, 5, random_state=np.random.RandomState(3))
    b = torch_kmeans(X, 5, random_state=np.random.RandomState(3))
    assert torch.equal(a[1], b[1])


@pytest.mark.parametrize("n_clusters", [10, 50])
def test_torch_kmeans_leaves_no_cluster_empty(n_clusters):
    # heavy duplicates make empty clusters likely
    X = torch.tensor(np.repeat(make_blobs(60, centers=3, random_state=0)[0], 5, axis=0))
    _, labels = torch_kmeans(X, n_clusters, n_init=2, random_state=np.random.RandomState(0))
    assert torch.bincount(labels, minlength=n_clusters).min() > 0


def test_split_empty_moves_half_of_a_donor():
    X = torch.tensor([[0.0], [0.1], [0.2], [0.3], [5.0]])
    centers = torch.tensor([[0.15], [5.0], [99.0]])
    labels = torch.tensor([0, 0, 0, 0, 1])
    counts = torch.bincount(labels, minlength=3)
    centers, labels = _split_empty(X, centers, labels, counts, torch.Generator().manual_seed(0))
    counts = torch.bincount(labels, minlength=3)
    assert counts.tolist() == [2, 1, 2]
    assert torch.allclose(centers[2], X[labels == 2].mean(0))


def test_too_few_samples():
    with pytest.raises(ValueError, match="n_samples=2 should be >= n_clusters=3"):
        torch_kmeans(torch.zeros(2, 2), 3, random_state=np.random.RandomState(0))


def test_torch_kmeans_with_fewer_distinct_points_than_clusters():
    # Two distinct points (one at the origin, where scaling a centroid cannot
    # separate a split) and four clusters: k-means++ runs out of distances, the
    # clusters then coincide, and every empty one must be refilled by splitting.
    X = torch.tensor([[0.0, 0.0]] * 6 + [[1.0, 1.0]] * 2)
    centers, labels = torch_kmeans(X, 4, n_init=3, random_state=np.random.RandomState(0))
    assert torch.bincount(labels, minlength=4).min() > 0
    # each centroid is the mean of its members, so it sits on one of the two points
    for k in range(4):
        assert torch.allclose(centers[k], X[labels == k].mean(0))
    # points stay with centroids at their own location
    assert torch.allclose(centers[labels], X)
