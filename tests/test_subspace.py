"""Quality, out-of-sample prediction, fusion modes, scalable mode and bad input of DSC / DMSC."""

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from skdeepcluster import DeepMultimodalSubspaceClustering, DeepSubspaceClustering
from skdeepcluster.datasets import make_subspaces
from skdeepcluster.nn.subspace import (
    MultimodalSubspaceAutoencoder,
    SelfExpression,
    ridge_self_expression,
    self_expression_loss,
)
from skdeepcluster.spectral import (
    neighbor_mask,
    spectral_labels,
    subspace_affinity,
    threshold_columns,
)

TINY = dict(n_clusters=3, hidden_dims=(16,), embedding_dim=4, pretrain_epochs=3,
            max_iter=5, batch_size=16, random_state=0)
# enough pretraining steps for a near-linear code of a union of subspaces
SYNTH = dict(n_clusters=3, hidden_dims=(32,), embedding_dim=12, pretrain_epochs=100,
             max_iter=100, lr=1e-2, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def subspaces():
    X, y = make_subspaces(200, n_features=20, n_subspaces=3, subspace_dim=3, noise=0.01,
                          random_state=0)
    test = np.arange(len(y)) % 5 == 0
    return X[~test], y[~test], X[test], y[test]


@pytest.fixture(scope="module")
def fitted_dsc(subspaces):
    X, _, _, _ = subspaces
    return DeepSubspaceClustering(**SYNTH).fit(X)


def test_union_of_subspaces_recovered(subspaces, fitted_dsc):
    _, y, _, _ = subspaces
    # measured 1.0 (0.89 before the ridge warm start)
    assert adjusted_rand_score(y, fitted_dsc.labels_) > 0.85
    coef = fitted_dsc.coef_
    assert coef.shape == (len(y), len(y)) and np.all(np.diag(coef) == 0)
    assert fitted_dsc.affinity_.shape == coef.shape and fitted_dsc.n_iter_ == 100


def test_predict_training_and_unseen_rows(subspaces, fitted_dsc):
    X, _, X_new, y_new = subspaces
    agree = np.mean(fitted_dsc.predict(X) == fitted_dsc.labels_)
    assert agree > 0.95
    assert adjusted_rand_score(y_new, fitted_dsc.predict(X_new)) > 0.9
    assert fitted_dsc.score(X_new) > fitted_dsc.score(np.random.RandomState(0).randn(*X_new.shape))


def test_same_seed_same_labels_and_global_rng_untouched(subspaces):
    X = subspaces[0][:60]
    torch.manual_seed(1)
    before = torch.get_rng_state()
    a = DeepSubspaceClustering(**TINY).fit(X)
    assert torch.equal(torch.get_rng_state(), before)
    torch.rand(5)
    b = DeepSubspaceClustering(**TINY).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_multimodal_digits_late_concat(digits):
    X, y = digits[0][:500], digits[1][:500]
    views = [X[:, :32], X[:, 32:]]  # top and bottom halves of the 8x8 images
    model = DeepMultimodalSubspaceClustering(
        n_clusters=10, fusion="late", hidden_dims=(64,), embedding_dim=16,
        pretrain_epochs=40, max_iter=100, lr=1e-2, batch_size=64, random_state=0)
    labels = model.fit_predict(views)
    # k-means on these 500 rows reaches NMI ~0.7
    assert normalized_mutual_info_score(y, labels) > 0.65
    # the same model through one 2-D array split by `modalities`
    flat = model.set_params(modalities=(32, 32)).fit(X)
    np.testing.assert_array_equal(flat.labels_, labels)
    assert flat.transform(X).shape == (500, 32)


@pytest.mark.parametrize("fusion", ["early", "intermediate", "late", "affinity"])
@pytest.mark.parametrize("function", ["sum", "max", "concat"])
def test_fusion_modes_shapes(fusion, function):
    module = MultimodalSubspaceAutoencoder([(6,), (6,)], (8, 4), (1, 1), fusion=fusion,
                                           fusion_function=function)
    x = torch.randn(5, 12)
    z = module.encode(x)
    concat_late = function == "concat" and fusion == "late"
    expected = 8 if fusion == "affinity" or concat_late else 4
    assert z.shape == (5, expected) and module.decode(z).shape == (5, 12)
    assert module.reconstruction_loss(module(x), x).ndim == 0


@pytest.mark.parametrize("fusion,function", [("early", "concat"), ("intermediate", "sum"),
                                             ("late", "max"), ("affinity", "sum")])
def test_image_modalities_fit(fusion, function, digits):
    X = digits[0][:40]
    images = X.reshape(-1, 1, 8, 8)
    model = DeepMultimodalSubspaceClustering(
        fusion=fusion, fusion_function=function, conv_channels=(4, 6), kernel_sizes=(3, 3),
        **{**TINY, "n_clusters": 2}).fit([images, images[:, :, ::-1]])
    assert model.modality_shapes_ == [(1, 8, 8), (1, 8, 8)]
    assert model.predict([images, images[:, :, ::-1]]).shape == (40,)
    # flat rows + input_shapes build the same conv model
    flat = DeepMultimodalSubspaceClustering(
        fusion=fusion, fusion_function=function, conv_channels=(4, 6), kernel_sizes=(3, 3),
        modalities=(64, 64), input_shapes=[(8, 8), (8, 8)], **{**TINY, "n_clusters": 2},
    ).fit(np.hstack([X, images[:, :, ::-1].reshape(40, -1)]))
    np.testing.assert_array_equal(flat.labels_, model.labels_)


def test_dsc_images_4d_and_input_shape(digits):
    X = digits[0][:40]
    a = DeepSubspaceClustering(conv_channels=(4, 6), kernel_sizes=(3, 3), **TINY)
    a.fit(X.reshape(-1, 1, 8, 8))
    b = DeepSubspaceClustering(input_shape=(8, 8), conv_channels=(4, 6), kernel_sizes=(3, 3),
                               **TINY).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.transform(X.reshape(-1, 1, 8, 8)).shape == (40, 6 * 2 * 2)


def test_landmark_mode(subspaces):
    X, y, _, _ = subspaces
    model = DeepSubspaceClustering(**{**SYNTH, "n_landmarks": 90}).fit(X)
    assert model.coef_.shape == (90, 90) and len(model.landmark_indices_) == 90
    assert model.labels_.shape == (len(y),)
    assert adjusted_rand_score(y, model.labels_) > 0.75  # measured 0.84 (exact mode 0.89)


def test_memory_limit_error():
    X = np.random.RandomState(0).rand(300, 4)
    with pytest.raises(MemoryError, match="max_memory_gb=0.001.*n_landmarks"):
        DeepSubspaceClustering(max_memory_gb=0.001, **TINY).fit(X)


def test_bad_input():
    rng = np.random.RandomState(0)
    est = DeepMultimodalSubspaceClustering(**TINY)
    with pytest.raises(ValueError, match="same number of rows"):
        est.fit([rng.rand(30, 3), rng.rand(29, 4)])
    with pytest.raises(ValueError, match="adds up to 5 columns, but X has 6"):
        est.set_params(modalities=(2, 3)).fit(rng.rand(30, 6))
    bad = rng.rand(30, 4)
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        DeepMultimodalSubspaceClustering(**TINY).fit([bad, rng.rand(30, 2)])
    with pytest.raises(ValueError, match="n_samples=2 should be >= n_clusters=3"):
        DeepSubspaceClustering(**TINY).fit(rng.rand(2, 4))
    with pytest.raises(ValueError, match="equal shapes at the fusion point"):
        DeepMultimodalSubspaceClustering(fusion="early", fusion_function="sum", **TINY).fit(
            [rng.rand(30, 3), rng.rand(30, 4)])
    with pytest.raises(ValueError, match="input shape"):
        DeepSubspaceClustering(input_shape=(3, 3), **TINY).fit(rng.rand(30, 8))
    fitted = DeepMultimodalSubspaceClustering(**TINY).fit([rng.rand(30, 3), rng.rand(30, 2)])
    with pytest.raises(ValueError, match="3 modalities"):
        fitted.predict([rng.rand(5, 3), rng.rand(5, 1), rng.rand(5, 1)])


@pytest.mark.parametrize("make, X, message", [
    (lambda: DeepMultimodalSubspaceClustering(input_shapes=[(1, 3, 3), None], **TINY),
     lambda r: [r.rand(30, 4, 4), r.rand(30, 4, 4)],
     r"input shape \(1, 3, 3\) does not match images of shape \(4, 4\)"),
    (lambda: DeepMultimodalSubspaceClustering(**{**TINY, "hidden_dims": ()},
                                              fusion="intermediate"),
     lambda r: [r.rand(30, 3), r.rand(30, 3)], "at least two encoder layers"),
    (lambda: DeepMultimodalSubspaceClustering(fusion="late", **TINY),
     lambda r: [r.rand(30, 4, 4), r.rand(30, 3)], "all modalities flat or all images"),
    (lambda: DeepSubspaceClustering(input_shape=(1, 4, 4), conv_channels=(4, 8),
                                    kernel_sizes=(3,), **TINY),
     lambda r: r.rand(30, 16), "should have the same length"),
    (lambda: DeepMultimodalSubspaceClustering(modality_weights=[1, 2, 3], **TINY),
     lambda r: [r.rand(30, 3), r.rand(30, 2)], "3 entries for 2 modalities"),
    (lambda: DeepMultimodalSubspaceClustering(modalities=[1, 2], **TINY),
     lambda r: [r.rand(30, 3), r.rand(30, 2)], "not both"),
    (lambda: DeepMultimodalSubspaceClustering(input_shapes=[None], **TINY),
     lambda r: [r.rand(30, 3), r.rand(30, 2)], "input_shapes has 1 entries for 2"),
], ids=["image-shape", "intermediate-one-layer", "flat-and-image", "kernel-sizes",
        "modality-weights", "list-and-modalities", "input-shapes-count"])
def test_inconsistent_architecture_is_a_clear_error(make, X, message):
    with pytest.raises(ValueError, match=message):
        make().fit(X(np.random.RandomState(0)))


def test_self_expression_zero_diagonal():
    layer = SelfExpression(4, init=0.5)
    with torch.no_grad():
        layer.coef.fill_(1.0)
    assert torch.all(torch.diag(layer.coefficients) == 0)
    z = torch.eye(4)
    # the parameter is n C: C = coef / n off the diagonal
    assert torch.allclose(layer(z), (torch.ones(4, 4) - torch.eye(4)) / 4)


def test_post_processing_on_block_diagonal_coefficients():
    rng = np.random.RandomState(0)
    blocks = [rng.rand(10, 10) for _ in range(3)]
    coef = np.zeros((30, 30))
    for k, b in enumerate(blocks):
        coef[10 * k:10 * k + 10, 10 * k:10 * k + 10] = b
    coef += 0.01 * rng.rand(30, 30)
    np.fill_diagonal(coef, 0)
    kept = threshold_columns(coef, 0.5)
    col = np.abs(kept).sum(0) / np.abs(coef).sum(0)
    assert np.all(col >= 0.5) and np.all((kept != 0).sum(0) < 30)
    affinity = subspace_affinity(coef, 3, threshold_ratio=0.5, subspace_dim=2)
    assert np.allclose(affinity, affinity.T) and affinity.max() == pytest.approx(1.0)
    labels = spectral_labels(affinity, 3, np.random.RandomState(0))
    assert adjusted_rand_score(np.repeat(np.arange(3), 10), labels) == 1.0


def test_neighbor_mask_is_angular_symmetric_and_capped():
    rng = np.random.RandomState(0)
    X = rng.randn(30, 5)
    mask = neighbor_mask(X, 4)
    assert mask.dtype == bool and np.array_equal(mask, mask.T) and not mask.diagonal().any()
    assert mask.sum(1).min() >= 4
    # by angle: a row and its multiple are neighbours, whatever their distance
    scaled = np.vstack([X, 100 * X[:1]])
    assert neighbor_mask(scaled, 1)[0, 30]
    # capped at n - 1: two rows are each other's neighbour; one feature works
    assert neighbor_mask(X[:2], 10).sum() == 2
    assert neighbor_mask(rng.randn(6, 1), 2).sum(1).min() >= 2
    # the affinity survives only on the mask
    coef = np.abs(rng.randn(30, 30))
    np.fill_diagonal(coef, 0)
    masked = subspace_affinity(coef, 3, neighbors=mask)
    assert np.all(masked[~mask] == 0) and np.allclose(masked, masked.T)
    assert np.count_nonzero(subspace_affinity(coef, 3)) > np.count_nonzero(masked)


def test_neighbor_mask_weighs_modalities_equally():
    # two views of three groups: a narrow one (3 columns) that separates them, a wide
    # one (60 columns) of noise; side by side, the noise decides the angle
    rng = np.random.RandomState(0)
    groups = np.repeat(np.arange(3), 20)
    narrow = np.eye(3)[groups] + 0.1 * rng.randn(60, 3)
    wide = rng.randn(60, 60)
    X = np.hstack([narrow, wide])

    def same_group(mask):
        return (groups[:, None] == groups[None, :])[mask].mean()

    assert same_group(neighbor_mask(X, 5, [3, 60])) > 0.9
    assert same_group(neighbor_mask(X, 5)) < 0.6
    # one modality given as sizes is the plain mask; repeating a modality's columns
    # (or scaling them) changes nothing
    assert np.array_equal(neighbor_mask(X, 5, [63]), neighbor_mask(X, 5))
    wider = np.hstack([narrow, narrow, 7 * wide])
    assert np.array_equal(neighbor_mask(wider, 5, [6, 60]), neighbor_mask(X, 5, [3, 60]))


def test_mask_gets_each_modality_and_at_most_a_cluster_of_neighbours(monkeypatch):
    import skdeepcluster._subspace_base as base
    seen = []
    monkeypatch.setattr(base, "neighbor_mask", lambda X, k, sizes=None: seen.append(
        (k, list(sizes))) or neighbor_mask(X, k, sizes))
    X, _ = make_subspaces(40, n_features=6, n_subspaces=3, subspace_dim=2, random_state=0)
    DeepMultimodalSubspaceClustering(**TINY).fit([X[:, :2], X[:, 2:]])
    DeepSubspaceClustering(**TINY).fit(X)
    # 24 rows in 3 clusters: at most 7 neighbours, fewer than a cluster's 8 rows
    DeepSubspaceClustering(**TINY).fit(X[:24])
    DeepSubspaceClustering(**{**TINY, "n_neighbors": 2}).fit(X[:24])
    # n_samples close to n_clusters: at least one neighbour
    DeepSubspaceClustering(**TINY).fit(X[:4])
    assert seen == [(10, [2, 4]), (10, [6]), (7, [6]), (2, [6]), (1, [6])]


def test_n_neighbors_rule_on_tiny_inputs():
    rng = np.random.RandomState(0)
    # n_samples close to n_clusters: the 10 neighbours are capped at n - 1
    dsc = DeepSubspaceClustering(**TINY).fit(rng.rand(4, 3))
    assert dsc.labels_.shape == (4,) and np.all(np.isfinite(dsc.affinity_))
    # one feature
    one = DeepSubspaceClustering(**TINY).fit(rng.rand(20, 1))
    assert len(np.unique(one.labels_)) == 3
    # None: the reference's affinity on all pairs; 10: at most the union of 10-NN graphs
    X, _ = make_subspaces(40, n_features=6, n_subspaces=3, subspace_dim=2, random_state=0)
    dense = DeepSubspaceClustering(**TINY, n_neighbors=None).fit(X).affinity_
    sparse = DeepSubspaceClustering(**TINY).fit(X).affinity_
    assert np.count_nonzero(sparse) <= 2 * 10 * 40 < np.count_nonzero(dense)
    multi = DeepMultimodalSubspaceClustering(**TINY).fit([X[:, :2], X[:, 2:]])
    assert np.count_nonzero(multi.affinity_) <= 2 * 10 * 40
    # a modality of one column (its angle is its sign) and one of rows all equal
    flat = np.ones((40, 2))
    for views in ([X[:, :1], X[:, 1:]], [flat, X]):
        odd = DeepMultimodalSubspaceClustering(**TINY).fit(views)
        assert np.all(np.isfinite(odd.affinity_)) and len(np.unique(odd.labels_)) == 3


def test_exact_mode_quality_does_not_degrade_with_n():
    # Regression: Adam on C itself moved every entry by about lr per step, so C was
    # optimised worse and worse as n grew (NMI 0.95 at n = 1,000, 0.58 at n = 4,000 in
    # the benchmark). With equal pretraining steps, 8x more samples must reach the
    # same relative self-expression residual (before the fix: 0.0018 at n = 120,
    # 0.034 at n = 960). It tests the Adam path, hence the constant start of C.
    params = dict(n_clusters=3, hidden_dims=(32,), embedding_dim=12, pretrain_epochs=100,
                  max_iter=50, lr=1e-2, coef_init=0.1, lambda1=1e-3, random_state=0)
    nmi, residual = [], []
    for n in (120, 960):
        X, y = make_subspaces(n, n_features=20, n_subspaces=3, subspace_dim=3, noise=0.01,
                              random_state=0)
        dsc = DeepSubspaceClustering(batch_size=n // 4, **params).fit(X)
        Z, C = dsc.train_codes_, dsc.coef_
        residual.append(np.sum((Z - C @ Z) ** 2) / np.sum(Z**2))
        nmi.append(normalized_mutual_info_score(y, dsc.labels_))
    assert residual[1] < 2 * residual[0], residual  # measured 0.0017, 0.0020
    assert min(nmi) > 0.85, nmi  # measured 0.90, 1.00


def test_ridge_self_expression_is_the_minimiser():
    # the warm start must minimise lambda2 * L_se + lambda1 * ||C||² over zero-diagonal C
    torch.manual_seed(0)
    z = torch.randn(40, 7, dtype=torch.float64)
    blocks, weights, lambda1, lambda2 = [3, 4], [0.25, 0.75], 1e-2, 50.0
    coef = ridge_self_expression(z, blocks, weights, lambda1 * 40 / lambda2)
    assert torch.all(coef.diagonal() == 0)
    coef.requires_grad_(True)
    loss = (lambda2 * self_expression_loss(z, coef @ z, blocks, weights)
            + lambda1 * coef.pow(2).sum())
    loss.backward()
    grad = coef.grad.clone().fill_diagonal_(0)
    assert grad.abs().max() < 1e-10 * max(1.0, coef.abs().max().item())
    assert ridge_self_expression(z.float(), blocks, weights, 0.4).dtype == torch.float32


def test_ridge_warm_start_codes_the_pretrained_codes(subspaces):
    # with coef_init='ridge', C is good before any fine-tuning step: one step suffices
    # (C's own affinity: the neighbour mask would rescue the cold start, ARI 0.98)
    X, y, _, _ = subspaces
    params = {**SYNTH, "max_iter": 1, "n_neighbors": None}
    warm = DeepSubspaceClustering(**params).fit(X)
    cold = DeepSubspaceClustering(**params, coef_init=0.1).fit(X)
    assert adjusted_rand_score(y, warm.labels_) > 0.85  # measured 1.0
    assert adjusted_rand_score(y, cold.labels_) < 0.5  # measured 0.16
    with pytest.raises(ValueError, match="coef_init"):
        DeepSubspaceClustering(**TINY, coef_init="zeros").fit(X)
    # no ridge and fewer samples than latent dimensions: still a finite start
    few = DeepSubspaceClustering(**{**TINY, "embedding_dim": 16}, lambda1=0.0).fit(X[:12])
    assert np.all(np.isfinite(few.coef_))
