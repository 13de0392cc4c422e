"""DeepCluster: reproducibility, images, unseen rows, quality on real data, bad input."""

import numpy as np
import pytest
import torch
from _checks import output_dtypes
from sklearn.datasets import make_blobs
from sklearn.metrics import normalized_mutual_info_score
from sklearn.neighbors import KNeighborsClassifier
from skorch.dataset import Dataset
from torch import nn

from skdeepcluster import DeepCluster
from skdeepcluster.nn import ConvBackbone, RandomCropFlip, SobelFilter, crop_shift, pooled_blocks
from skdeepcluster.training import UniformClusterIterator, fit_whitening, whiten

# 8×8 digits through the convnet: small but every image code path (reshape, conv,
# batch norm, augmentation) runs
IMAGE = dict(n_clusters=10, n_pseudo_clusters=30, input_shape=(8, 8), conv_channels=(8, 16),
             feature_dim=32, pca_dim=16, n_epochs=3, batch_size=128, random_state=0)
FLAT = dict(n_clusters=3, n_pseudo_clusters=6, hidden_dims=(16,), feature_dim=8, pca_dim=4,
            n_epochs=3, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(200, n_features=5, centers=3, random_state=0)
    return X, y


def test_same_seed_same_labels(digits):
    X = digits[0][:400]
    a = DeepCluster(**IMAGE).fit(X)
    b = DeepCluster(**IMAGE).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.transform(X[:50]), b.transform(X[:50]))
    c = DeepCluster(**{**IMAGE, "random_state": 1}).fit(X)
    assert not np.array_equal(a.transform(X[:50]), c.transform(X[:50]))


def test_images_as_4d_or_flat_rows(digits):
    X = digits[0][:300]
    flat = DeepCluster(**IMAGE).fit(X)
    images = DeepCluster(**{**IMAGE, "input_shape": (1, 8, 8)}).fit(X.reshape(-1, 1, 8, 8))
    np.testing.assert_array_equal(flat.labels_, images.labels_)
    np.testing.assert_array_equal(flat.predict(X[:20]), images.predict(X[:20].reshape(-1, 8, 8)))


def test_predict_unseen_rows_nearest_centroid(blobs):
    X, _ = blobs
    dc = DeepCluster(**FLAT, final_clustering="kmeans").fit(X[:150])
    np.testing.assert_array_equal(dc.predict(X[:150]), dc.labels_)
    Z = dc.transform(X[150:])
    assert Z.shape == (50, dc.n_components_) == (50, 4)
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), 1.0)  # L2-normalised
    dist = ((Z[:, None, :] - dc.cluster_centers_[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(dc.predict(X[150:]), dist.argmin(1))
    assert dc.score(X[150:]) == pytest.approx(-dist.min(1).sum())


def test_spectral_final_clustering(blobs, digits):
    X, y = blobs
    km = DeepCluster(**FLAT, final_clustering="kmeans").fit(X[:150])
    assert km.neighbors_ is None
    sp = DeepCluster(**FLAT).fit(X[:150])  # the default final step
    assert sp.final_clustering == "spectral" and sp.neighbors_ is not None
    # the same training, only the final step differs
    np.testing.assert_array_equal(km.transform(X), sp.transform(X))
    assert normalized_mutual_info_score(y[:150], sp.labels_) > 0.9
    Z = sp.transform(X[:150])
    means = np.stack([Z[sp.labels_ == k].mean(0) for k in range(3)])
    np.testing.assert_allclose(sp.cluster_centers_, means)
    # unseen rows: the majority label of their 10 nearest training rows
    knn = KNeighborsClassifier(10).fit(Z, sp.labels_)
    np.testing.assert_array_equal(sp.predict(X[150:]), knn.predict(sp.transform(X[150:])))
    again = DeepCluster(**FLAT, final_clustering="spectral").fit(X[:150])
    np.testing.assert_array_equal(sp.labels_, again.labels_)
    # more neighbours than other rows: capped
    few = DeepCluster(**{**FLAT, "n_pseudo_clusters": 3}, final_clustering="spectral",
                      n_neighbors=500).fit(X[:20])
    assert few.neighbors_.n_neighbors == 19 and few.predict(X[20:30]).shape == (10,)
    # large data: the other eigensolver
    X, y = make_blobs(6000, n_features=5, centers=3, random_state=0)
    big = DeepCluster(**{**FLAT, "batch_size": 256, "n_epochs": 2},
                      final_clustering="spectral").fit(X)
    assert normalized_mutual_info_score(y, big.labels_) > 0.9
    # real data: the k-NN graph separates digits better than k-means on the same features
    # (NMI 0.814 with k-means)
    params = dict(n_clusters=10, n_pseudo_clusters=50, hidden_dims=(256,), feature_dim=64,
                  pca_dim=32, n_epochs=15, batch_size=128, random_state=0)
    X, y = digits
    sp = DeepCluster(**params, final_clustering="spectral").fit(X)
    assert normalized_mutual_info_score(y, sp.labels_) > 0.83
    assert np.mean(sp.predict(X) == sp.labels_) > 0.98


def test_input_neighbors_give_the_final_graph_the_input_rows(blobs, monkeypatch):
    """With input_neighbors=True (the default) the spectral step's graph is weighed
    by the k-NN graph of the rows the network sees, from an array or read in
    batches (same labels); not when False, nor with the k-means final step."""
    from skdeepcluster import deepcluster

    seen, spectral = [], deepcluster.knn_spectral_clustering

    def spy(z, *args, agree_with=None, **kwargs):
        seen.append(agree_with)
        return spectral(z, *args, agree_with=agree_with, **kwargs)

    monkeypatch.setattr(deepcluster, "knn_spectral_clustering", spy)
    X = blobs[0][:150]
    model = DeepCluster(**FLAT).fit(X)
    np.testing.assert_allclose(seen[0], X * model.input_scale_, rtol=1e-6)
    off = DeepCluster(**FLAT, input_neighbors=False).fit(X)
    assert seen[1] is None
    np.testing.assert_array_equal(off.transform(X), model.transform(X))  # same training
    streamed = Dataset(X.astype(np.float32))
    from_batches = DeepCluster(**FLAT).fit(streamed)
    np.testing.assert_allclose(seen[2], X * model.input_scale_, rtol=1e-6)
    np.testing.assert_array_equal(from_batches.labels_, model.labels_)
    DeepCluster(**FLAT, final_clustering="kmeans").fit(X)
    assert len(seen) == 3


def test_history_records_nmi_timings_and_no_empty_cluster(blobs):
    X, _ = blobs
    dc = DeepCluster(**{**FLAT, "n_epochs": 4}).fit(X)
    assert dc.n_iter_ == 4 and len(dc.history_) == 4
    nmi = dc.history_[:, "nmi"]
    assert np.isnan(nmi[0]) and all(0 <= v <= 1 for v in nmi[1:])
    assert dc.history_[:, "n_nonempty"] == [6] * 4
    for key in ("time_features", "time_pca", "time_kmeans", "time_train", "train_loss"):
        assert all(np.isfinite(v) and v >= 0 for v in dc.history_[:, key])
    # the fitted net keeps no training data
    assert dict(dc.net_.callbacks_)["pseudo_labels"].X_ is None


def test_pseudo_clusters_default_to_n_clusters(blobs):
    X, _ = blobs
    dc = DeepCluster(**{**FLAT, "n_pseudo_clusters": None, "n_epochs": 2}).fit(X)
    assert dc.net_.module_.head.out_features == 3
    assert dc.history_[:, "n_nonempty"] == [3, 3]


def test_quality_on_digits(digits):
    X, y = digits
    flat = DeepCluster(n_clusters=10, n_pseudo_clusters=50, hidden_dims=(256,), feature_dim=64,
                       pca_dim=32, n_epochs=15, batch_size=128, random_state=0).fit(X)
    assert normalized_mutual_info_score(y, flat.labels_) > 0.7
    # no flips: they turn some digits into others
    conv = DeepCluster(**{**IMAGE, "n_epochs": 8, "n_pseudo_clusters": 50, "augment": False}).fit(X)
    assert normalized_mutual_info_score(y, conv.labels_) > 0.6
    # the epoch-to-epoch NMI of the pseudo-labels is recorded and far from random
    assert np.nanmean(conv.history_[:, "nmi"]) > 0.5


def test_mixed_precision_trains_convnet_in_bfloat16(digits):
    X, y = digits
    params = {**IMAGE, "n_epochs": 8, "n_pseudo_clusters": 50, "augment": False}
    dc = DeepCluster(**params, mixed_precision=True)
    assert torch.bfloat16 in output_dtypes(lambda: dc.fit(X), nn.Conv2d)
    assert all(p.dtype == torch.float64 for p in dc.net_.module_.parameters())
    assert dc.transform(X[:5]).dtype == np.float64
    assert normalized_mutual_info_score(y, dc.labels_) > 0.6
    plain = DeepCluster(**{**params, "n_epochs": 1})
    assert torch.bfloat16 not in output_dtypes(lambda: plain.fit(X[:300]), nn.Conv2d)


def test_custom_backbone_and_sobel(digits):
    X = digits[0][:300]
    backbone = nn.Sequential(nn.Flatten(), nn.Linear(64, 12))
    dc = DeepCluster(**{**IMAGE, "backbone": backbone, "pca_dim": 12}).fit(X)
    assert dc.pca_mean_.shape == (12,)
    assert dc.net_.module_.backbone is not backbone  # copied, the user's module untouched
    with pytest.raises(ValueError, match=r"features of shape \(n, d\); got \(2, 4, 2, 2\)"):
        DeepCluster(**{**IMAGE, "backbone": nn.Conv2d(1, 4, 4, stride=4)}).fit(X)
    sob = DeepCluster(**{**IMAGE, "sobel": True, "n_epochs": 1}).fit(X)
    assert isinstance(sob.net_.module_.backbone.sobel, SobelFilter)
    assert sob.predict(X[:10]).shape == (10,)


def test_sobel_and_augmentation_modules():
    ramp = torch.arange(6.0).repeat(6, 1)[None, None]  # grey values growing left to right
    g = SobelFilter()(ramp.repeat(1, 3, 1, 1))
    assert g.shape == (1, 2, 6, 6)
    assert torch.allclose(g[0, 0, 1:-1, 1:-1], torch.full((4, 4), -8.0))  # d/dx
    assert torch.allclose(g[0, 1, 1:-1, 1:-1], torch.zeros(4, 4))  # no vertical change
    aug = RandomCropFlip(padding=2)
    x = torch.rand(16, 1, 8, 8)
    assert torch.equal(aug.eval()(x), x)
    y = aug.train()(x)
    assert y.shape == x.shape and not torch.equal(y, x)


@pytest.mark.parametrize(
    "size, blocks, pooled, shift",
    [((8, 8), 3, 0, 0), ((16, 15), 3, 0, 1), ((15, 40), 3, 0, 1), ((16, 16), 3, 2, 1),
     ((28, 28), 3, 3, 2), ((32, 40), 3, 3, 2), ((224, 224), 3, 3, 18), ((64, 64), 1, 1, 5),
     ((2, 2), 3, 0, 0), ((3, 5), 3, 0, 0), ((1, 1), 3, 0, 0)],
)
def test_convnet_rule_from_the_image_size(size, blocks, pooled, shift):
    # no pooling under 16 pixels, else down to a 4-pixel map; shifts are 1/12 of the side
    assert pooled_blocks(size, blocks) == pooled
    assert crop_shift(size) == shift
    net = ConvBackbone(1, size, (4,) * blocks, 6)
    assert sum(isinstance(m, nn.MaxPool2d) for m in net.convs) == pooled
    assert net.augment.padding == shift
    side = list(size)
    for _ in range(pooled):
        side = [-(-s // 2) for s in side]
    assert net.fc.in_features == 4 * side[0] * side[1]


def test_convnet_pooling_can_be_asked_for():
    assert pooled_blocks((8, 8), 3, min_image=1, min_size=1) == 3
    net = ConvBackbone(1, (8, 8), (4, 4, 4), 6, pooled=3, shift=2)
    assert net.fc.in_features == 4 and net.augment.padding == 2


@pytest.mark.parametrize("shape", [(2, 2), (1, 2, 2), (3, 5), (3, 3, 5), (1, 1, 1), (3, 1, 1)])
def test_tiny_images_and_few_samples_with_defaults(shape):
    # images smaller than one pooling step, one more sample than clusters
    X = np.random.RandomState(0).rand(11, *shape)
    dc = DeepCluster(n_clusters=10, input_shape=shape, n_epochs=2, random_state=0).fit(X)
    assert not any(isinstance(m, nn.MaxPool2d) for m in dc.net_.module_.backbone.convs)
    assert dc.labels_.shape == (11,) and set(dc.labels_) <= set(range(10))
    assert dc.n_components_ == 10  # pca_dim capped at n_samples - 1
    Z = dc.transform(X)
    assert Z.shape == (11, 10) and np.isfinite(Z).all()
    assert dc.predict(X[:3]).shape == (3,)


def test_uniform_cluster_sampling_balances_clusters():
    labels = torch.tensor([0] * 90 + [1] * 9 + [2] * 1)

    class Holder:
        pseudo_labels_ = labels

    ds = Dataset(torch.zeros(100, 2), torch.arange(100))
    it = UniformClusterIterator(ds, 32, labels_of=Holder(), generator=torch.Generator().manual_seed(0))
    idx = torch.cat([yb for _, yb in it])
    counts = torch.bincount(labels[idx], minlength=3)
    assert len(idx) == 100 and counts.min() >= 30  # ~1/3 each, not 90/9/1


def test_whitening_gives_unit_covariance():
    rng = np.random.RandomState(0)
    F = torch.as_tensor(rng.randn(500, 6) @ rng.randn(6, 6) + 3.0)
    mean, proj = fit_whitening(F, 4)
    Z = (F - mean) @ proj
    np.testing.assert_allclose(np.cov(Z.numpy().T), np.eye(4), atol=1e-4)
    assert torch.allclose(whiten(F, mean, proj).norm(dim=1), torch.ones(500, dtype=torch.float64))


@pytest.mark.parametrize(
    "params, X, message",
    [
        (dict(input_shape=(8, 8)), np.zeros((20, 1, 9, 9)), r"Images of shape \(1, 9, 9\) do not match"),
        (dict(input_shape=(8, 8)), np.zeros((20, 60)), r"X has 60 features per row, but input_shape"),
        (dict(), np.zeros((20, 1, 8, 8)), "pass input_shape"),
        (dict(input_shape=(8,)), np.zeros((20, 8)), "input_shape=.* must be"),
        (dict(), np.full((20, 4), np.nan), "Input X contains NaN"),
        (dict(), np.full((20, 4), np.inf), "Input X contains infinity"),
        (dict(n_pseudo_clusters=30), np.zeros((20, 4)), r"n_samples=20 should be >= n_pseudo_clusters=30"),
        (dict(pca_dim=9), np.zeros((20, 4)), r"pca_dim=9 is larger than the 8 features"),
        (dict(final_clustering="dbscan"), np.zeros((20, 4)), "final_clustering"),
    ],
)
def test_bad_input(params, X, message):
    with pytest.raises(ValueError, match=message):
        DeepCluster(**{**FLAT, **params}).fit(X)


def test_predict_rejects_images_of_the_wrong_shape(digits):
    dc = DeepCluster(**{**IMAGE, "n_epochs": 1}).fit(digits[0][:200])
    with pytest.raises(ValueError, match="do not match"):
        dc.predict(np.zeros((5, 1, 7, 7)))
    with pytest.raises(ValueError, match="contains NaN"):
        dc.predict(np.full((5, 64), np.nan))
