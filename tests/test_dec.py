"""DEC / IDEC: behaviour, errors, and quality on real data."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from _checks import output_dtypes
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeepcluster import DEC
from skdeepcluster.metrics import cluster_accuracy, get_scorer
from skdeepcluster.nn.clustering import kl_clustering_loss, target_distribution

FAST = dict(hidden_dims=(32,), embedding_dim=3, pretrain_epochs=15, max_iter=60, n_init=3,
            batch_size=16)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=120, centers=3, n_features=6, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def fitted(blobs):
    return DEC(n_clusters=3, random_state=0, **FAST).fit(blobs[0])


def test_fitted_attributes(fitted, blobs):
    X, y = blobs
    assert fitted.labels_.shape == (len(X),)
    assert fitted.cluster_centers_.shape == (3, 3)
    assert 1 <= fitted.n_iter_ <= 60
    assert len(fitted.history_) >= 1 and len(fitted.pretrain_history_) == 15
    assert adjusted_rand_score(y, fitted.labels_) > 0.9


def test_same_seed_same_labels(blobs, fitted):
    again = DEC(n_clusters=3, random_state=0, **FAST).fit(blobs[0])
    np.testing.assert_array_equal(again.labels_, fitted.labels_)
    np.testing.assert_array_equal(again.transform(blobs[0]), fitted.transform(blobs[0]))


def test_different_seed_changes_the_model(blobs, fitted):
    other = DEC(n_clusters=3, random_state=1, **FAST).fit(blobs[0])
    assert not np.allclose(other.transform(blobs[0]), fitted.transform(blobs[0]))


def test_predict_agrees_with_labels_and_works_on_unseen_rows(fitted, blobs):
    X, y = blobs
    np.testing.assert_array_equal(fitted.predict(X), fitted.labels_)
    X_new, y_new = make_blobs(n_samples=30, centers=3, n_features=6, random_state=0)
    X_new = StandardScaler().fit(make_blobs(n_samples=120, centers=3, n_features=6,
                                            random_state=0)[0]).transform(X_new)
    proba = fitted.predict_proba(X_new[:7])
    assert proba.shape == (7, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(fitted.predict(X_new[:7]), proba.argmax(1))


def test_labels_do_not_depend_on_the_units_of_the_data(blobs, fitted):
    """The default input_rms rescales X by one fitted scalar, so 100 * X gives the same model."""
    X = blobs[0]
    rms = np.sqrt(np.mean(X ** 2))
    assert fitted.input_scale_ * rms == pytest.approx(DEC().input_rms)
    scaled = DEC(n_clusters=3, random_state=0, **FAST).fit(100 * X)
    assert scaled.input_scale_ == pytest.approx(fitted.input_scale_ / 100)
    assert adjusted_rand_score(scaled.labels_, fitted.labels_) == 1.0
    np.testing.assert_allclose(scaled.transform(100 * X), fitted.transform(X), atol=1e-3)
    # predict and transform apply the fitted scalar to new data
    np.testing.assert_array_equal(scaled.predict(100 * X), scaled.labels_)


def test_input_rms_sets_the_scale_and_none_keeps_the_data(blobs):
    X = blobs[0]
    rms = np.sqrt(np.mean(X ** 2))
    half = DEC(n_clusters=3, random_state=0, input_rms=0.5, **FAST).fit(X)
    assert half.input_scale_ * rms == pytest.approx(0.5)
    as_given = DEC(n_clusters=3, random_state=0, input_rms=None, **FAST).fit(X)
    assert as_given.input_scale_ == 1.0
    np.testing.assert_array_equal(as_given.predict(X), as_given.labels_)
    # without the rescaling, the units of the data change the model
    scaled = DEC(n_clusters=3, random_state=0, input_rms=None, **FAST).fit(100 * X)
    assert not np.allclose(scaled.transform(100 * X), as_given.transform(X), atol=1e-3)


def test_transform_and_score(fitted, blobs):
    X, _ = blobs
    Z = fitted.transform(X)
    assert Z.shape == (len(X), 3) and Z.dtype == np.float64
    score = fitted.score(X)
    assert np.isfinite(score) and score <= 0


def test_converges_with_tolerance(blobs):
    dec = DEC(n_clusters=3, random_state=0, **{**FAST, "max_iter": 5000}, tol=0.05).fit(blobs[0])
    assert dec.converged_ and dec.n_iter_ < 5000
    assert dec.history_[-1, "delta_label"] < 0.05


def test_idec_keeps_decoder_and_differs_from_dec(blobs, fitted):
    idec = DEC(n_clusters=3, random_state=0, gamma=0.1, **FAST).fit(blobs[0])
    assert idec.net_.module_.keep_decoder and not fitted.net_.module_.keep_decoder
    assert not np.allclose(idec.transform(blobs[0]), fitted.transform(blobs[0]))
    assert adjusted_rand_score(blobs[1], idec.labels_) > 0.9


def test_idec_measures_reconstruction_in_the_units_of_the_data(blobs):
    """IDEC's loss is the paper's L_r + gamma * KL with L_r on X as given, not on the
    rescaled X the network sees: input_rms conditions the network, it does not reweigh
    the objective."""
    X = 100 * blobs[0]
    idec = DEC(n_clusters=3, random_state=0, gamma=0.1, **FAST).fit(X)
    scale, net = idec.input_scale_, idec.net_
    x = torch.as_tensor(X[:10] * scale)  # what the network sees
    idx = torch.arange(10)
    with torch.no_grad():
        q, z, recon = net.module_(x)
        p = target_distribution(q)
        net.target_ = p  # fit drops P; these 10 rows' P stands in for it
        loss = net.get_loss((q, z, recon), idx, X=x)
        net.target_ = None
        kl = kl_clustering_loss(q, p)
    paper = torch.nn.functional.mse_loss(recon / scale, x / scale) + 0.1 * kl
    assert loss.item() == pytest.approx(paper.item(), rel=1e-5)
    # with the data as given, L_r is not reweighed
    as_given = DEC(n_clusters=3, random_state=0, gamma=0.1, input_rms=None, **FAST).fit(X)
    assert as_given.net_.reconstruction_weight == 1.0


@pytest.mark.parametrize("gamma", [None, 0.1])
def test_mixed_precision_trains_in_bfloat16(blobs, gamma):
    X, y = blobs
    dec = DEC(n_clusters=3, random_state=0, gamma=gamma, mixed_precision=True, **FAST)
    seen = output_dtypes(lambda: dec.fit(X), torch.nn.Linear)
    assert torch.bfloat16 in seen
    # weights, losses and public inference stay in full precision
    assert all(p.dtype == torch.float64 for p in dec.net_.module_.parameters())
    assert all(np.isfinite(dec.history_[:, "train_loss"]))
    proba = dec.predict_proba(X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert adjusted_rand_score(y, dec.labels_) > 0.9
    plain = DEC(n_clusters=3, random_state=0, gamma=gamma, **FAST)
    assert torch.bfloat16 not in output_dtypes(lambda: plain.fit(X), torch.nn.Linear)
    assert not np.allclose(plain.transform(X), dec.transform(X))


def test_student_t_head_compares_bfloat16_embeddings_in_float32():
    from skdeepcluster.nn import StudentTHead

    head = StudentTHead(torch.randn(4, 3, generator=torch.Generator().manual_seed(0)))
    z = torch.randn(10, 3, generator=torch.Generator().manual_seed(1)).bfloat16()
    q = head(z)
    assert q.dtype == torch.float32
    torch.testing.assert_close(q, head(z.float()), rtol=0, atol=0)


def test_stacked_denoising_pretraining(blobs):
    dec = DEC(n_clusters=3, random_state=0, pretrain="stacked_denoising",
              **{**FAST, "hidden_dims": (16, 16)}).fit(blobs[0])
    assert adjusted_rand_score(blobs[1], dec.labels_) > 0.9


def test_sgd_pretraining(blobs, fitted):
    dec = DEC(n_clusters=3, random_state=0, pretrain_optimizer="sgd",
              **{**FAST, "pretrain_lr": 0.05}).fit(blobs[0])
    sgd_loss = dec.pretrain_history_[:, "train_loss"]
    assert not np.allclose(sgd_loss, fitted.pretrain_history_[:, "train_loss"])
    assert sgd_loss[-1] < 0.5 * sgd_loss[0]
    assert adjusted_rand_score(blobs[1], dec.labels_) > 0.9


def test_sgd_clustering_phase(blobs, fitted):
    dec = DEC(n_clusters=3, random_state=0, optimizer="sgd", lr=0.01, **FAST).fit(blobs[0])
    opt = dec.net_.optimizer_
    assert isinstance(opt, torch.optim.SGD) and opt.defaults["momentum"] == 0.9
    assert opt.defaults["lr"] == 0.01
    assert isinstance(fitted.net_.optimizer_, torch.optim.Adam)
    # same pretraining and k-means start, so only the clustering phase differs
    np.testing.assert_allclose(dec.pretrain_history_[:, "train_loss"],
                               fitted.pretrain_history_[:, "train_loss"])
    assert not np.allclose(dec.cluster_centers_, fitted.cluster_centers_)
    assert adjusted_rand_score(blobs[1], dec.labels_) > 0.9


class TinyAutoencoder(torch.nn.Module):
    """A user-supplied 6-2-6 autoencoder; ``collapse`` maps every row to one point."""

    def __init__(self, collapse=False):
        super().__init__()
        self.collapse = collapse
        self.enc, self.dec = torch.nn.Linear(6, 2), torch.nn.Linear(2, 6)

    def encode(self, x):
        return self.enc(x) * (0.0 if self.collapse else 1.0)

    def decode(self, z):
        return self.dec(z)


def test_custom_autoencoder(blobs):
    module = TinyAutoencoder()
    before = module.enc.weight.detach().clone()
    dec = DEC(n_clusters=3, autoencoder=module, random_state=0,
              **{**FAST, "hidden_dims": (99,)}).fit(blobs[0])
    assert dec.transform(blobs[0]).shape == (len(blobs[0]), 2)
    assert torch.equal(module.enc.weight, before), "the user's module must not be trained in place"
    with pytest.raises(ValueError, match="needs the built-in MLP autoencoder"):
        DEC(n_clusters=3, autoencoder=module, pretrain="stacked_denoising", **FAST).fit(blobs[0])


def test_warns_when_clusters_are_lost(blobs):
    with pytest.warns(ConvergenceWarning, match="DEC found only 1 distinct clusters of the 3"):
        DEC(n_clusters=3, autoencoder=TinyAutoencoder(collapse=True), random_state=0,
            **FAST).fit(blobs[0])


def test_no_lost_cluster_warning_on_separable_data(blobs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        DEC(n_clusters=3, random_state=0, **FAST).fit(blobs[0])


def test_pickle_round_trip(fitted, blobs):
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(blobs[0]), fitted.labels_)


def test_pipeline_and_grid_search(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), DEC(n_clusters=3, random_state=0, **FAST))
    assert adjusted_rand_score(y, pipe.fit(X).predict(X)) > 0.9
    grid = {"dec__alpha": [0.5, 1.0]}
    for scoring in ["cluster_accuracy", "nmi"]:
        search = GridSearchCV(pipe, grid, cv=2, scoring=get_scorer(scoring)).fit(X, y)
        assert search.best_score_ > 0.8
    # no scorer: DEC.score (higher is better) is used, no labels needed
    search = GridSearchCV(pipe, grid, cv=2).fit(X)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 4.0]]), "NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0], [3.0, 4.0]]), "infinity"),
        (np.arange(5.0), "Expected 2D array"),
        (np.array([["a", "b"], ["c", "d"], ["e", "f"]], dtype=object), "could not convert"),
        (np.ones((2, 3)), "n_samples=2 should be >= n_clusters=3"),
        (np.empty((0, 3)), "0 sample"),
    ],
)
def test_bad_input_raises_clear_error(X, message):
    with pytest.raises(ValueError, match=message):
        DEC(n_clusters=3, **FAST).fit(X)


def test_bad_parameters_raise_clear_error(blobs):
    with pytest.raises(ValueError, match="'pretrain' parameter"):
        DEC(pretrain="layerwise").fit(blobs[0])
    with pytest.raises(ValueError, match="'pretrain_optimizer' parameter"):
        DEC(pretrain_optimizer="rmsprop").fit(blobs[0])
    with pytest.raises(ValueError, match="device='tpu'"):
        DEC(n_clusters=3, device="tpu", **FAST).fit(blobs[0])


def test_wrong_width_at_predict(fitted):
    with pytest.raises(ValueError, match="X has 2 features"):
        fitted.predict(np.ones((3, 2)))


def test_divergence_raises_clear_error(blobs):
    with pytest.raises(FloatingPointError, match="Training diverged during autoencoder pretraining"):
        DEC(n_clusters=3, random_state=0, **{**FAST, "pretrain_lr": 1e12}).fit(blobs[0] * 1e3)


def test_digits_beats_kmeans_on_raw_pixels(digits):
    """Default DEC on digits in [0, 1] beats k-means on the pixels in ACC and NMI (3 seeds)."""
    X, y = digits
    dec_scores, km_scores = [], []
    for seed in range(3):
        labels = DEC(n_clusters=10, random_state=seed).fit_predict(X)
        dec_scores.append((cluster_accuracy(y, labels), normalized_mutual_info_score(y, labels)))
        km = KMeans(10, n_init=10, random_state=seed).fit_predict(X)
        km_scores.append((cluster_accuracy(y, km), normalized_mutual_info_score(y, km)))
    dec_acc, dec_nmi = np.mean(dec_scores, axis=0)
    km_acc, km_nmi = np.mean(km_scores, axis=0)
    print(f"DEC acc={dec_acc:.3f} nmi={dec_nmi:.3f}; k-means acc={km_acc:.3f} nmi={km_nmi:.3f}")
    assert dec_acc > km_acc and dec_nmi > km_nmi


def test_verbose_prints_epoch_lines(blobs, capsys):
    DEC(n_clusters=3, random_state=0, verbose=1, **{**FAST, "pretrain_epochs": 2,
                                                    "max_iter": 10}).fit(blobs[0])
    out = capsys.readouterr().out
    assert "train_loss" in out and "epoch" in out


def test_silent_by_default(blobs, capsys):
    DEC(n_clusters=3, random_state=0, **{**FAST, "pretrain_epochs": 2, "max_iter": 10}).fit(blobs[0])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_spectral_init_starts_from_the_graph_clusters(blobs):
    """init='spectral' (the default): centroids are the spectral clusters' means and the
    first target is their one-hot labels; init='kmeans' is the papers' start."""
    from skdeepcluster.training.dec_clustering import spectral_centers

    X, y = blobs
    spectral = DEC(n_clusters=3, random_state=0, **FAST).fit(X)
    assert spectral.init == "spectral"
    kmeans = DEC(n_clusters=3, random_state=0, init="kmeans", **FAST).fit(X)
    for model in (spectral, kmeans):
        assert adjusted_rand_score(y, model.labels_) > 0.9
    again = DEC(n_clusters=3, random_state=0, **FAST).fit(X)
    np.testing.assert_array_equal(spectral.labels_, again.labels_)
    z = np.random.RandomState(0).normal(size=(40, 2)) + np.repeat(np.eye(2) * 8, 20, axis=0)
    centers, labels = spectral_centers(z, 2, 10, np.random.RandomState(0))
    np.testing.assert_allclose(centers, [z[labels == k].mean(0) for k in range(2)])
    assert adjusted_rand_score(np.repeat([0, 1], 20), labels) == 1.0
    # too few rows for a graph: k-means instead
    assert spectral_centers(z[:3], 2, 10, np.random.RandomState(0)) == (None, None)


def test_input_neighbors_give_the_spectral_start_the_input_rows(blobs, monkeypatch):
    """The rows the network sees reach the graph with input_neighbors=True (the
    default), from an array or read in batches (same labels); not when False, nor
    when the copy or the brute-force graph would cost too much."""
    from skdeepcluster.training import dec_clustering

    seen, assignments, spectral = [], set(), dec_clustering.knn_spectral_clustering

    def spy(z, *args, agree_with=None, **kwargs):
        seen.append(agree_with)
        assignments.add(kwargs.get("assign_labels"))
        return spectral(z, *args, agree_with=agree_with, **kwargs)

    monkeypatch.setattr(dec_clustering, "knn_spectral_clustering", spy)
    X = blobs[0]
    model = DEC(n_clusters=3, random_state=0, **FAST).fit(X)
    np.testing.assert_allclose(seen[0], X * model.input_scale_, rtol=1e-6)
    DEC(n_clusters=3, random_state=0, input_neighbors=False, **FAST).fit(X)
    streamed = torch.utils.data.TensorDataset(torch.as_tensor(X, dtype=torch.float32))
    from_batches = DEC(n_clusters=3, random_state=0, **FAST).fit(streamed)
    np.testing.assert_allclose(seen[2], X * model.input_scale_, rtol=1e-6)
    np.testing.assert_array_equal(from_batches.labels_, model.labels_)
    from skdeepcluster import graph_clustering

    monkeypatch.setattr(graph_clustering, "INPUT_GRAPH_MAX_BYTES", X.size * 4 - 1)
    DEC(n_clusters=3, random_state=0, **FAST).fit(streamed)  # too large a copy
    monkeypatch.setattr(graph_clustering, "INPUT_GRAPH_MAX_COST", len(X) ** 2 * X.shape[1] - 1)
    DEC(n_clusters=3, random_state=0, **FAST).fit(X)  # too costly a graph
    assert seen[1] is None and seen[3] is None and seen[4] is None
    assert assignments == {"kmeans"}  # k-means labels the spectral embedding


@pytest.mark.parametrize("n_samples", [4, 5, 12])
def test_spectral_init_on_tiny_inputs(n_samples):
    """One feature and n_samples close to n_clusters: the default init still fits."""
    X = np.linspace(0, 1, n_samples)[:, None] + np.repeat([0.0, 5.0], [n_samples // 2,
                                                                      n_samples - n_samples // 2])[:, None]
    dec = DEC(n_clusters=3, random_state=0, hidden_dims=(8,), embedding_dim=2,
              pretrain_epochs=5, max_iter=10, batch_size=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lost clusters, disconnected graph
        labels = dec.fit_predict(X)
    assert labels.shape == (n_samples,) and dec.cluster_centers_.shape == (3, 2)
    np.testing.assert_array_equal(dec.predict(X), labels)


@pytest.mark.parametrize("n_samples, batch_size, epochs", [(4, 64, 1500), (150, 64, 500),
                                                            (1797, 64, 52), (10000, 64, 10),
                                                            (40, 1, 38)])
def test_pretrain_epochs_auto_counts_optimisation_steps(n_samples, batch_size, epochs):
    """'auto' gives about PRETRAIN_STEPS mini-batches, whatever the number of rows."""
    from skdeepcluster.dec import PRETRAIN_STEPS

    model = DEC(n_clusters=2, batch_size=batch_size)
    assert model._resolve_pretrain_epochs(n_samples) == epochs
    steps = epochs * -(-n_samples // batch_size)
    assert PRETRAIN_STEPS <= steps < PRETRAIN_STEPS + -(-n_samples // batch_size)
    assert DEC(n_clusters=2, pretrain_epochs=7)._resolve_pretrain_epochs(n_samples) == 7


def test_max_iter_auto_caps_the_clustering_phase(blobs, monkeypatch):
    """'auto' stops the KL phase after CLUSTERING_STEPS iterations when the labels
    do not settle; an int is used as given."""
    from skdeepcluster import dec as dec_module

    assert DEC(n_clusters=2)._resolve_max_iter() == dec_module.CLUSTERING_STEPS == 1500
    assert DEC(n_clusters=2, max_iter=7)._resolve_max_iter() == 7
    monkeypatch.setattr(dec_module, "CLUSTERING_STEPS", 9)
    options = {**FAST, "max_iter": "auto"}
    capped = DEC(n_clusters=3, random_state=0, tol=0.0, **options).fit(blobs[0])
    assert capped.n_iter_ == 9 and not capped.converged_
    settled = DEC(n_clusters=3, random_state=0, tol=0.5, **options).fit(blobs[0])
    assert settled.converged_ and settled.n_iter_ < 9


def test_pretrain_epochs_auto_on_one_feature_and_few_rows():
    """One feature, n_samples close to n_clusters: the resolved epochs are run and stored."""
    X = np.arange(5, dtype=float)[:, None]
    dec = DEC(n_clusters=3, hidden_dims=(4,), embedding_dim=1, max_iter=5, batch_size=1,
              random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lost clusters
        labels = dec.fit_predict(X)
    assert dec.pretrain_epochs_ == 300 and len(dec.pretrain_history_) == 300
    assert labels.shape == (5,)
