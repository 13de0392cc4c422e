"""The training parts the estimators are wired from, each alone."""

import numpy as np
import torch
from sklearn.metrics import adjusted_rand_score

from skdeepcluster.datasets import make_sensor_windows
from skdeepcluster.graph_clustering import knn_spectral_clustering
from skdeepcluster.nn import MLPAutoencoder, MultiTaskRecurrentAutoencoder
from skdeepcluster.nn import recalibrate_embedding_norm
from skdeepcluster.training import fit_dec_clustering, pretrain_autoencoder, step_decay


def _blobs(seed=0):
    rng = np.random.RandomState(seed)
    centers = rng.normal(0, 3, (3, 6))
    y = np.repeat(np.arange(3), 30)
    return torch.as_tensor(centers[y] + rng.normal(0, 0.3, (90, 6)), dtype=torch.float32), y


def _reconstruction_error(ae, X):
    with torch.no_grad():
        return float(((ae.decode(ae.encode(X)) - X) ** 2).mean())


def test_pretraining_lowers_the_reconstruction_error_and_zero_epochs_change_nothing():
    X, _ = _blobs()
    torch.manual_seed(0)
    ae = MLPAutoencoder(6, (16,), 2)
    before = _reconstruction_error(ae, X)
    weights = [p.detach().clone() for p in ae.parameters()]
    history = pretrain_autoencoder(ae, X, epochs=0, lr=1e-2, batch_size=16, device="cpu", seed=0)
    assert len(history) == 0
    assert all(torch.equal(a, b) for a, b in zip(weights, ae.parameters()))
    history = pretrain_autoencoder(ae, X, epochs=20, lr=1e-2, batch_size=16, device="cpu",
                                   seed=0, stacked_denoising=True)
    assert len(history) == 20
    assert _reconstruction_error(ae, X) < 0.5 * before


def test_step_decay_lowers_the_rate_after_seventy_percent_of_the_epochs():
    assert step_decay(10, None) == []
    (name, callback), = step_decay(10, 0.1)
    assert name == "lr_decay" and callback.kwargs == {"step_size": 7, "gamma": 0.1}


def test_clustering_phase_finds_blobs_and_calls_refresh_before_each_pass():
    X, y = _blobs()
    torch.manual_seed(0)
    ae = MLPAutoencoder(6, (16,), 2)
    pretrain_autoencoder(ae, X, epochs=30, lr=1e-2, batch_size=16, device="cpu", seed=0)
    calls = []
    result = fit_dec_clustering(ae, X, n_clusters=3, rng=np.random.RandomState(0), seed=1,
                                device="cpu", max_iter=60, batch_size=16, n_init=5,
                                refresh=lambda module, X: calls.append(len(X)))
    assert adjusted_rand_score(y, result.labels) > 0.9
    assert result.cluster_centers.shape == (3, 2) and 0 < result.n_iter <= 60
    assert result.net.module_.head.centers.dtype == torch.float64  # inference in float64
    # one call per target update (every ceil(90 / 16) = 6 iterations) and one at the end
    n_updates = len([h for h in result.net.history[:, "batches"] for _ in h]) // 6
    assert len(calls) >= 2 and all(n == 90 for n in calls)
    assert len(calls) <= n_updates + 2


def test_recalibrated_norm_holds_the_exact_statistics_of_class_ordered_rows():
    X, y = make_sensor_windows(64, n_timesteps=8, n_channels=2, n_clusters=2, random_state=0)
    order = np.argsort(y, kind="stable")  # rows sorted by class: batches differ a lot
    X = torch.as_tensor(X[order], dtype=torch.float32)
    torch.manual_seed(0)
    ae = MultiTaskRecurrentAutoencoder(2, 8, 4, hidden_size=4, embedding_dim=3, num_layers=1)
    norm = ae.embed_norm
    modes = [m.training for m in ae.modules()]
    recalibrate_embedding_norm(ae, X, batch_size=16)
    assert [m.training for m in ae.modules()] == modes and norm.momentum == 0.1
    # the full-data mean and unbiased variance of the pre-norm embedding in eval mode
    captured = []
    hook = norm.register_forward_hook(lambda m, inp, out: captured.append(inp[0]))
    ae.eval()
    with torch.no_grad():
        ae.encode(X)
    hook.remove()
    h = captured[0].double()
    torch.testing.assert_close(norm.running_mean, h.mean(0).float(), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(norm.running_var, h.var(0).float(), atol=1e-6, rtol=1e-5)
    # the same statistics whatever the order of the rows and the batch size
    before = norm.running_mean.clone(), norm.running_var.clone()
    recalibrate_embedding_norm(ae, X[torch.randperm(64)], batch_size=7)
    torch.testing.assert_close(norm.running_mean, before[0])
    torch.testing.assert_close(norm.running_var, before[1])


def test_knn_spectral_clustering_labels_blobs_and_votes_for_new_rows():
    X, y = _blobs()
    X = X.numpy().astype(np.float64)
    labels, centers, vote = knn_spectral_clustering(X, 3, 10, 0)
    assert adjusted_rand_score(y, labels) == 1.0
    assert centers.shape == (3, 6) and set(labels) == {0, 1, 2}
    np.testing.assert_array_equal(vote.predict(X + 0.01), labels)
