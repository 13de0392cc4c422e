"""MultiTaskRNNClusterer beyond the check suite: modules, 3-D input, quality, bad input."""

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import MultiTaskRNNClusterer
from skdeepcluster.datasets import load_basic_motions, make_sensor_windows
from skdeepcluster.nn import ConvGRUCell, MultiTaskRecurrentAutoencoder
from skdeepcluster.preprocessing import sliding_windows, window_statistics

# the reference's assignment (argmax of Q) and clustering phase; the defaults' spectral
# assignment and 'auto' rules have tests of their own below
TINY = dict(hidden_size=8, num_layers=1, embedding_dim=4, pretrain_epochs=5, max_iter=10,
            n_init=2, final_clustering="kmeans", random_state=0)


@pytest.fixture(scope="module")
def windows():
    return make_sensor_windows(60, n_timesteps=12, n_channels=6, n_clusters=3, random_state=0)


# ---- modules ---------------------------------------------------------------------------
def test_convgru_cell_over_length_one_equals_gru_cell():
    torch.manual_seed(0)
    cell = ConvGRUCell(5, 7, kernel_size=3)
    gru = torch.nn.GRUCell(5, 7)
    with torch.no_grad():  # the centre taps are the GRU weights
        gru.weight_ih.copy_(cell.input_conv.weight[:, :, 1])
        gru.bias_ih.copy_(cell.input_conv.bias)
        gru.weight_hh.copy_(cell.hidden_conv.weight[:, :, 1])
        gru.bias_hh.copy_(cell.hidden_conv.bias)
    x, h = torch.randn(4, 5), torch.randn(4, 7)
    out = cell(cell.input_gates(x[..., None]), h[..., None])[..., 0]
    torch.testing.assert_close(out, gru(x, h))


def test_convgru_cell_convolves_across_axes():
    torch.manual_seed(0)
    cell = ConvGRUCell(2, 3, kernel_size=3)
    x, h = torch.randn(1, 2, 3), torch.zeros(1, 3, 3)
    base = cell(cell.input_gates(x), h)
    x2 = x.clone()
    x2[0, :, 0] += 1.0  # change axis 0 only: its neighbour axis 1 must change too
    out = cell(cell.input_gates(x2), h)
    assert not torch.allclose(out[..., 1], base[..., 1])
    torch.testing.assert_close(out[..., 2], base[..., 2])  # outside the kernel's reach


def test_autoencoder_split_and_loss():
    torch.manual_seed(0)
    ae = MultiTaskRecurrentAutoencoder(3, 10, 4, hidden_size=6, embedding_dim=2, num_layers=2)
    x = torch.randn(5, 10, 3)
    z = ae.encode(x)
    rec, fut = ae.decode(z)
    assert z.shape == (5, 2) and rec.shape == (5, 6, 3) and fut.shape == (5, 4, 3)
    # the encoder reads only the first 6 steps
    x2 = x.clone()
    x2[:, 6:] = 0
    ae.eval()
    torch.testing.assert_close(ae.encode(x), ae.encode(x2))
    expected = (torch.nn.functional.mse_loss(rec, x[:, :6].flip(1))
                + torch.nn.functional.mse_loss(fut, x[:, 6:]))
    torch.testing.assert_close(ae.reconstruction_loss((rec, fut), x), expected)


def test_autoencoder_normalized_loss():
    torch.manual_seed(0)
    ae = MultiTaskRecurrentAutoencoder(2, 8, 3, hidden_size=4, embedding_dim=2, num_layers=1,
                                       loss="normalized")
    x = torch.randn(4, 8, 2) * torch.tensor([0.1, 10.0])  # a quiet and a loud channel
    rec, fut = ae(x)
    eps = ae.normalized_loss_eps

    def nmse(pred, target):
        return ((pred - target) ** 2 / (target.var(1, unbiased=False, keepdim=True) + eps)).mean()

    expected = nmse(rec, x[:, :5].flip(1)) + nmse(fut, x[:, 5:])
    torch.testing.assert_close(ae.reconstruction_loss((rec, fut), x), expected)
    ae.loss = "mse"
    assert not torch.isclose(ae.reconstruction_loss((rec, fut), x), expected)
    with pytest.raises(ValueError, match="loss must be 'mse' or 'normalized'"):
        MultiTaskRecurrentAutoencoder(2, 8, 3, loss="mae")


def test_autoencoder_znorm_input_sees_window_shape():
    torch.manual_seed(0)
    ae = MultiTaskRecurrentAutoencoder(3, 10, 4, hidden_size=5, embedding_dim=2, num_layers=1,
                                       znorm_input=True).eval()
    cell = ae.encoder.layers[0][0]
    assert cell.input_conv.in_channels == 6
    x = torch.randn(5, 10, 3)
    shifted = 3.0 * x + 2.0  # same z-normalised windows, other levels and amplitudes
    assert not torch.allclose(ae.encode(x), ae.encode(shifted))
    with torch.no_grad():  # blind both directions to the raw channels: only shape is left
        for cell in ae.encoder.layers[0]:
            cell.input_conv.weight[:, :3] = 0
    torch.testing.assert_close(ae.encode(x), ae.encode(shifted))


# ---- estimator ---------------------------------------------------------------------------
def test_3d_fit_predict_transform_and_unseen(windows):
    X, y = windows
    model = MultiTaskRNNClusterer(n_clusters=3, **TINY).fit(X[:40])
    assert model.n_channels_ == 6 and model.n_timesteps_ == 12 and model.future_steps_ == 6
    assert model.transform(X).shape == (60, 4)
    proba = model.predict_proba(X[40:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X[:40]), model.labels_)
    assert set(model.predict(X[40:])) <= {0, 1, 2}
    assert model.cluster_centers_.shape == (3, 4)
    assert np.isfinite(model.score(X[40:]))
    assert model.n_iter_ >= 1 and len(model.history_) >= 1


def test_same_seed_same_labels_different_seed_differs(windows):
    X, _ = windows
    a = MultiTaskRNNClusterer(n_clusters=3, **TINY).fit(X)
    b = MultiTaskRNNClusterer(n_clusters=3, **TINY).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    c = MultiTaskRNNClusterer(n_clusters=3, **{**TINY, "random_state": 1}).fit(X)
    assert not np.allclose(a.transform(X), c.transform(X))


def test_scaling_is_per_channel_and_applied_at_predict(windows):
    X, _ = windows
    X = X * np.array([1, 10, 100, 1, 1, 1000.0]) + 5.0
    model = MultiTaskRNNClusterer(n_clusters=3, **{**TINY, "max_iter": 0}).fit(X)
    scaled = (X - model.channel_offset_) / model.channel_scale_
    np.testing.assert_allclose(scaled.mean(axis=(0, 1)), 0.0, atol=1e-9)
    np.testing.assert_allclose(scaled.std(axis=(0, 1)), 1.0)
    mm = MultiTaskRNNClusterer(n_clusters=3, **{**TINY, "max_iter": 0, "scaling": "minmax"}).fit(X)
    scaled = (X - mm.channel_offset_) / mm.channel_scale_
    np.testing.assert_allclose([scaled.min(), scaled.max()], [0.0, 1.0])
    # predict scales with the fitted statistics: shifting the input changes the output
    assert not np.allclose(model.transform(X), model.transform(X + 1.0))
    raw = MultiTaskRNNClusterer(n_clusters=3, **{**TINY, "max_iter": 0, "scaling": None}).fit(X)
    np.testing.assert_array_equal(raw.channel_offset_, np.zeros(6))
    np.testing.assert_array_equal(raw.channel_scale_, np.ones(6))


def test_sensor_axes_layout_and_options(windows):
    X, _ = windows
    model = MultiTaskRNNClusterer(n_clusters=3, **{**TINY, "sensor_axes": 3, "kernel_size": 3,
                                                   "teacher_forcing": 0.5,
                                                   "future_steps": 2}).fit(X)
    encoder = model.net_.module_.autoencoder
    assert (encoder.conv_channels, encoder.length) == (2, 3)
    assert encoder.past_steps == 10
    assert model.predict(X).shape == (60,)


def test_reconstruction_loss_and_znorm_input_options(windows):
    X, _ = windows
    params = {**TINY, "max_iter": 0}
    mse = MultiTaskRNNClusterer(n_clusters=3, **params).fit(X)
    norm = MultiTaskRNNClusterer(n_clusters=3, reconstruction_loss="normalized",
                                 znorm_input=True, **params).fit(X)
    module = norm.net_.module_.autoencoder
    assert module.loss == "normalized" and module.znorm_input
    assert module.encoder.layers[0][0].input_conv.in_channels == 12
    # same seed, same initial weights: the losses differ from the first epoch
    assert mse.pretrain_history_[0, "train_loss"] != norm.pretrain_history_[0, "train_loss"]
    assert norm.transform(X).shape == (60, 4)
    np.testing.assert_array_equal(norm.predict(X), norm.labels_)


def test_pretrain_lr_decay_steps_after_70_percent(windows):
    X, _ = windows
    params = {**TINY, "max_iter": 0, "pretrain_epochs": 10, "pretrain_lr": 1e-3}
    model = MultiTaskRNNClusterer(n_clusters=3, pretrain_lr_decay=0.1, **params).fit(X)
    lrs = model.pretrain_history_[:, "event_lr"]  # the rate each epoch trained with
    np.testing.assert_allclose(lrs, [1e-3] * 7 + [1e-4] * 3)
    constant = MultiTaskRNNClusterer(n_clusters=3, pretrain_lr_decay=None, **params).fit(X)
    assert "event_lr" not in constant.pretrain_history_[-1]
    # the same seed and initial weights: the runs part after the decay only
    first = [h["train_loss"] for h in model.pretrain_history_[:7]]
    assert first == [h["train_loss"] for h in constant.pretrain_history_[:7]]
    assert model.pretrain_history_[-1, "train_loss"] != constant.pretrain_history_[-1, "train_loss"]


def test_univariate_short_series():
    X = np.random.RandomState(0).rand(20, 1)  # one time step: no future task
    model = MultiTaskRNNClusterer(n_clusters=2, **TINY).fit(X)
    assert model.future_steps_ == 0 and model.n_channels_ == 1
    assert model.predict(X).shape == (20,)


@pytest.mark.parametrize(
    "make_X, params, message",
    [
        (lambda X: X[..., None], {}, "got a 4-D array"),
        (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X), {}, "NaN"),
        (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, np.inf, X), {}, "infinity"),
        (lambda X: X, {"future_steps": 12}, "too short for future_steps=12"),
        (lambda X: X, {"sensor_axes": 4}, "sensor_axes=4 does not divide n_channels=6"),
        (lambda X: X, {"kernel_size": 2}, "kernel_size=2 must be odd"),
        (lambda X: X, {"time_stride": 13}, "time_stride=13 is longer than the windows"),
        (lambda X: X, {"time_stride": 3, "future_steps": 4}, r"read in 4 steps"),
        (lambda X: X, {"final_clustering": "gmm"}, "'final_clustering' parameter"),
        (lambda X: X[:2], {}, "n_samples=2 should be >= n_clusters=3"),
        (lambda X: X, {"reconstruction_loss": "mae"}, "'reconstruction_loss' parameter"),
        (lambda X: X, {"pretrain_lr_decay": 1.5}, "'pretrain_lr_decay' parameter"),
    ],
)
def test_bad_fit_input(windows, make_X, params, message):
    X, _ = windows
    with pytest.raises(ValueError, match=message):
        MultiTaskRNNClusterer(n_clusters=3, **{**TINY, **params}).fit(make_X(X))


def test_bad_predict_input(windows):
    X, _ = windows
    model = MultiTaskRNNClusterer(n_clusters=3, **{**TINY, "max_iter": 0}).fit(X)
    with pytest.raises(ValueError, match="X has 5 channels, but MultiTaskRNNClusterer was "
                                         "fitted with 6 channels"):
        model.predict(X[:, :, :5])
    with pytest.raises(ValueError, match="X has 10 timesteps, .* fitted with 12 timesteps"):
        model.transform(X[:, :10])
    with pytest.raises(ValueError, match="X has 1 channels"):
        model.predict(X[:, :, 0])
    with pytest.raises(ValueError, match="NaN"):
        model.predict_proba(np.full_like(X, np.nan))


# ---- quality -------------------------------------------------------------------------------
def test_quality_on_synthetic_windows():
    # random phases: k-means on the raw values gets NMI 0.35 here, the model 0.78
    X, y = make_sensor_windows(90, n_timesteps=16, n_channels=3, n_clusters=3, noise=0.1,
                               random_state=1)
    model = MultiTaskRNNClusterer(n_clusters=3, hidden_size=16, num_layers=1, embedding_dim=4,
                                  pretrain_epochs=40, max_iter=60, batch_size=32, n_init=5,
                                  random_state=0).fit(X)
    kmeans = KMeans(3, n_init=10, random_state=0).fit_predict(X.reshape(len(X), -1))
    nmi = normalized_mutual_info_score(y, model.labels_)
    assert nmi > 0.6
    assert nmi > normalized_mutual_info_score(y, kmeans) + 0.2


def test_quality_on_basic_motions():
    # the defaults as a user calls them (NMI 0.99 over 5 seeds in the benchmark table)
    X, y = load_basic_motions()
    model = MultiTaskRNNClusterer(n_clusters=4, random_state=0).fit(X)
    assert normalized_mutual_info_score(y, model.labels_) > 0.9
    # the autoencoder + k-means alone on the same embedding is far below
    kmeans = MultiTaskRNNClusterer(n_clusters=4, final_clustering="kmeans",
                                   random_state=0).fit(X)
    assert normalized_mutual_info_score(y, kmeans.labels_) < 0.8


def test_normalized_loss_with_lr_decay_separates_basic_motions():
    # the settings of the user guide's recipe (NMI 0.85 +- 0.01 over 5 seeds, DTW k-means
    # 0.81); with the plain MSE standing and walking merge (about 0.6)
    X, y = load_basic_motions()
    X = X[:, ::2]
    model = MultiTaskRNNClusterer(n_clusters=4, hidden_size=32, num_layers=1, embedding_dim=8,
                                  reconstruction_loss="normalized", pretrain_epochs=100,
                                  pretrain_lr=1e-2, pretrain_lr_decay=0.1, max_iter=100,
                                  batch_size=16, time_stride=1, final_clustering="kmeans",
                                  random_state=0).fit(X)
    assert normalized_mutual_info_score(y, model.labels_) > 0.78


# ---- the 'auto' rules and the spectral assignment --------------------------------------------
FAST = dict(hidden_size=4, embedding_dim=2, n_init=2, random_state=0)


@pytest.mark.parametrize(
    "n_timesteps, stride, n_read, future",
    [(1, 1, 1, 0), (2, 1, 2, 1), (74, 1, 74, 37), (130, 3, 43, 21), (1000, 20, 50, 25)],
)
def test_time_stride_auto_reads_about_50_steps(n_timesteps, stride, n_read, future):
    X = np.random.RandomState(0).rand(12, n_timesteps)  # univariate: 1 channel
    model = MultiTaskRNNClusterer(n_clusters=2, pretrain_epochs=1, **FAST).fit(X)
    assert (model.time_stride_, model.n_read_, model.future_steps_) == (stride, n_read, future)
    assert model.net_.module_.autoencoder.past_steps == n_read - future
    assert model.transform(X).shape == (12, 2)


def test_time_stride_reads_block_means(windows):
    X, _ = windows
    model = MultiTaskRNNClusterer(n_clusters=3, time_stride=5, pretrain_epochs=2,
                                  **FAST).fit(X)
    assert (model.n_read_, model.future_steps_) == (2, 1)  # 12 // 5; the last 2 steps dropped
    # the embedding sees the means of steps 0-4 (and 5-9 only as the future)
    blocks = X.copy()
    blocks[:, :5] = X[:, :5].mean(axis=1, keepdims=True)
    blocks[:, 10:] = 0.0
    np.testing.assert_allclose(model.transform(blocks), model.transform(X), atol=1e-12)
    shifted = X.copy()
    shifted[:, 0] += 1.0
    assert not np.allclose(model.transform(shifted), model.transform(X))


@pytest.mark.parametrize("n_samples, batch_size, epochs", [(20, 256, 60), (20, 8, 20),
                                                            (40, 1, 2), (200, 64, 15)])
def test_pretrain_epochs_auto_gives_60_steps(n_samples, batch_size, epochs):
    X = np.random.RandomState(0).rand(n_samples, 3, 2)
    model = MultiTaskRNNClusterer(n_clusters=2, batch_size=batch_size, **FAST).fit(X)
    assert model.pretrain_epochs_ == epochs
    assert len(model.pretrain_history_) == epochs


def test_spectral_assignment_and_vote(windows):
    X, _ = windows
    model = MultiTaskRNNClusterer(n_clusters=3, pretrain_epochs=5, **FAST).fit(X)
    assert model.final_clustering == "spectral" and model.neighbors_ is not None
    # the statistics block: 3 per channel beside the embedding
    assert model.assignment_offset_.shape == model.assignment_scale_.shape == (2 + 18,)
    assert np.mean(model.predict(X) == model.labels_) >= 0.9
    z = model.transform(X)
    for k in np.unique(model.labels_):
        np.testing.assert_allclose(model.cluster_centers_[k], z[model.labels_ == k].mean(axis=0))
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X[:7])) <= {0, 1, 2}


def test_statistics_weight_separates_windows_by_amplitude():
    # two activities with the same shape and different amplitudes, in random phase
    rng = np.random.RandomState(0)
    t = np.arange(30) / 30
    phase = rng.uniform(0, 2 * np.pi, (40, 1))
    y = np.repeat([0, 1], 20)
    X = np.sin(2 * np.pi * 3 * t + phase) * np.where(y == 0, 0.2, 2.0)[:, None]
    X += 0.05 * rng.randn(*X.shape)
    stats = MultiTaskRNNClusterer(n_clusters=2, pretrain_epochs=2, **FAST).fit(X)
    assert normalized_mutual_info_score(y, stats.labels_) == 1.0
    # weight 0: the statistics' columns are zero in the assignment space
    alone = MultiTaskRNNClusterer(n_clusters=2, pretrain_epochs=2, statistics_weight=0.0,
                                  **FAST).fit(X)
    assert np.isinf(alone.assignment_scale_[2:]).all()
    assert np.isfinite(alone.assignment_scale_[:2]).all()


def test_reference_recipe_is_reachable(windows):
    X, _ = windows
    reference = dict(hidden_size=256, num_layers=2, embedding_dim=64, reconstruction_loss="mse",
                     pretrain_lr=1e-3, pretrain_lr_decay=None, time_stride=1, max_iter=2000,
                     final_clustering="kmeans")
    model = MultiTaskRNNClusterer(n_clusters=3, **reference)
    params = model.get_params()
    assert all(params[k] == v for k, v in reference.items())
    fitted = MultiTaskRNNClusterer(n_clusters=3, **{**reference, "hidden_size": 8,
                                                    "embedding_dim": 4, "pretrain_epochs": 2,
                                                    "max_iter": 5, "tol": 0.0},
                                  random_state=0).fit(X)
    assert fitted.neighbors_ is None and fitted.n_read_ == 12 and fitted.n_iter_ == 5
    np.testing.assert_array_equal(fitted.predict(X), fitted.labels_)


def test_window_statistics():
    X = np.array([[[0.0, 1.0], [2.0, 1.0], [0.0, 1.0]]])  # 1 window, 3 steps, 2 channels
    np.testing.assert_allclose(window_statistics(X),
                               [[2 / 3, 1.0, np.sqrt(8 / 9), 0.0, 2.0, 0.0]])
    np.testing.assert_array_equal(window_statistics(X[:, :1]), [[0.0, 1.0, 0, 0, 0, 0]])


# ---- helpers -------------------------------------------------------------------------------
def test_sliding_windows():
    rec = np.arange(30.0).reshape(10, 3)
    win = sliding_windows(rec, width=4, step=3)
    assert win.shape == (3, 4, 3)
    np.testing.assert_array_equal(win[1], rec[3:7])
    assert sliding_windows(np.arange(10.0), width=4).shape == (4, 4)  # default step 2
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
    _, wl = sliding_windows(rec, width=4, step=3, labels=labels)
    np.testing.assert_array_equal(wl, [0, 1, 2])  # window 0: [0,0,0,1]; 1: [1,1,1,1]; 2: [1,2,2,2]
    with pytest.raises(ValueError, match="width=11 is longer than the recording"):
        sliding_windows(rec, width=11)
    with pytest.raises(ValueError, match="labels must have shape"):
        sliding_windows(rec, width=4, labels=labels[:5])
    with pytest.raises(ValueError, match="recording must be 1-D .* got a 3-D array"):
        sliding_windows(np.zeros((10, 3, 2)), width=4)


def test_load_basic_motions_splits():
    X_train, y_train = load_basic_motions(split="train")
    X, y = load_basic_motions()
    assert X_train.shape == (40, 100, 6) and X.shape == (80, 100, 6)
    assert set(y) == {"Standing", "Walking", "Running", "Badminton"}
    assert np.isfinite(X).all()


def test_the_rnn_is_wired_from_decs_parts_not_derived_from_dec():
    from skdeepcluster import DEC

    assert not isinstance(MultiTaskRNNClusterer(), DEC)
