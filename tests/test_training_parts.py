"""The training parts the estimators are wired from, each alone."""

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_rand_score

from skdeepcluster.datasets import make_sensor_windows
from skdeepcluster.graph_clustering import knn_spectral_clustering
from sklearn.neighbors import kneighbors_graph
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


@pytest.mark.parametrize("assign_labels", ["cluster_qr", "kmeans"])
def test_knn_spectral_clustering_labels_blobs_and_votes_for_new_rows(assign_labels):
    X, y = _blobs()
    X = X.numpy().astype(np.float64)
    labels, centers, vote = knn_spectral_clustering(X, 3, 10, 0, assign_labels=assign_labels)
    assert adjusted_rand_score(y, labels) == 1.0
    assert centers.shape == (3, 6) and set(labels) == {0, 1, 2}
    np.testing.assert_array_equal(vote.predict(X + 0.01), labels)


def test_agreement_affinity_weighs_edges_the_input_shares():
    """Edges of the embedding's graph count 1 (or 0.5 one-sided) where the input's
    graph has them too, 1e-3 times that where it does not; symmetric, no self-loops."""
    from skdeepcluster.graph_clustering import agreement_affinity

    rng = np.random.RandomState(0)
    z, x = rng.normal(size=(30, 2)), rng.normal(size=(30, 3))
    affinity = agreement_affinity(z, x, 4).toarray()
    graph_z = kneighbors_graph(z, 4).toarray()
    graph_z = 0.5 * (graph_z + graph_z.T)
    in_x = kneighbors_graph(x, 4).toarray()
    in_x = (in_x + in_x.T) > 0
    np.testing.assert_allclose(affinity, graph_z * np.where(in_x, 1.001, 0.001))
    np.testing.assert_allclose(affinity, affinity.T)
    assert np.all(np.diag(affinity) == 0)
    assert 0 < (affinity > 0.01).sum() < (affinity > 0).sum()  # both kinds of edge occur


def test_agreement_with_the_input_repairs_a_misleading_embedding():
    """An embedding that mixes two groups (many of its edges cross between them) is
    clustered right once the edges that the input does not share are weakened."""
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1], 15)
    x = rng.normal(size=(30, 5)) + 6 * y[:, None]
    z = rng.normal(size=(30, 2))
    z[:, 1] += 0.5 * y  # a faint trace of the groups
    alone, _, _ = knn_spectral_clustering(z, 2, 10, 0)
    agreed, _, _ = knn_spectral_clustering(z, 2, 10, 0, agree_with=x)
    assert adjusted_rand_score(y, alone) < 0.5
    assert adjusted_rand_score(y, agreed) == 1.0


def _guarded(losses, **kwargs):
    """Feed ``losses`` (one per batch) to a DivergenceGuard; return the error, if any."""
    from types import SimpleNamespace

    from skorch.history import History

    from skdeepcluster.training import DivergenceGuard

    guard = DivergenceGuard("test phase", ("lr", "coef_lr"), **kwargs)
    net = SimpleNamespace(history=History())
    net.history.new_epoch()
    guard.on_train_begin(net)
    for loss in losses:
        net.history.new_batch()
        net.history.record_batch("train_loss", loss)
        try:
            guard.on_batch_end(net, training=True, loss=loss)
        except FloatingPointError as exc:
            return exc
    return None


def test_divergence_guard_stops_on_non_finite_or_exploding_loss_only():
    # healthy: falling, or rising by a few times its start (DEC's KL, the self-expression)
    assert _guarded([1.0, 0.5, 0.1, 0.01]) is None
    assert _guarded([0.2, 0.5, 10.0, 60.0, 5.0]) is None
    assert _guarded([0.0, 1e-9, 1e-6]) is None  # the first positive loss is the start
    error = _guarded([1.0, float("nan")])
    assert "test phase: the loss became nan at epoch 1. Lower lr or coef_lr" in str(error)
    error = _guarded([0.13, 5.0, 1e3, 1.8e9])
    assert "the loss rose from 0.13 to 1.8e+09" in str(error)
    assert _guarded([1.0, 9e3]) is None and _guarded([1.0, 2e4]) is not None


def test_nets_stop_early_without_keyboard_interrupt_and_let_ctrl_c_through():
    from skorch.callbacks import Callback

    from skdeepcluster.training import AutoencoderNet, make_net
    from skdeepcluster.training.callbacks import StopTraining

    class Raise(Callback):
        def __init__(self, exc, at):
            self.exc, self.at, self.ended = exc, at, False

        def on_batch_begin(self, net, training=False, **kwargs):
            if training and len(net.history) == self.at:
                raise self.exc

        def on_train_end(self, net, **kwargs):
            self.ended = True

    X, _ = _blobs()
    for exc, stops in ((StopTraining, True), (KeyboardInterrupt, False)):
        callback = Raise(exc, at=2)
        net = make_net(AutoencoderNet, MLPAutoencoder(6, (4,), 2), phase="test", lr=1e-3,
                       max_epochs=5, batch_size=30, device="cpu", seed=0, verbose=0,
                       callbacks=[("raise", callback)])
        if stops:  # a normal end of training, after 1 epoch and a half
            net.fit(X)
            assert callback.ended and len(net.history) == 2
        else:
            with pytest.raises(KeyboardInterrupt):
                net.fit(X)
            assert not callback.ended
