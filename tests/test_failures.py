"""Bad input and failures, for every estimator: each gets a clear error, a warning, or the
right answer, and a fit that fails (or is interrupted) leaves the estimator as it was.

The networks are tiny and the fits a few steps: what is tested is the behaviour, not
the quality.
"""

import _thread
import signal
import threading
import time

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import adjusted_rand_score

from skdeepcluster import (
    DEC,
    DeepCluster,
    DeepMultimodalSubspaceClustering,
    DeepSubspaceClustering,
    MultiTaskRNNClusterer,
)


def _blobs(n_features=12, seed=0):
    """30 rows in 3 clear groups."""
    rng = np.random.RandomState(seed)
    centers = rng.normal(0, 3, (3, n_features))
    y = np.repeat(np.arange(3), 10)
    return centers[y] + rng.normal(0, 0.3, (30, n_features)), y


# name -> (estimator maker, data maker from 2-D rows, parameters that make a fit diverge)
CASES = {
    "DEC": (lambda **kw: DEC(**{**dict(n_clusters=3, hidden_dims=(8,), embedding_dim=2,
                                       pretrain_epochs=2, max_iter=6, batch_size=16,
                                       random_state=0), **kw}),
            lambda X: X, dict(pretrain_lr=1e8)),
    "DeepCluster": (lambda **kw: DeepCluster(**{**dict(n_clusters=3, hidden_dims=(8,),
                                                       feature_dim=4, pca_dim=2, n_epochs=2,
                                                       batch_size=16, random_state=0), **kw}),
                    lambda X: X, dict(lr=1e8)),
    "MultiTaskRNNClusterer": (
        lambda **kw: MultiTaskRNNClusterer(**{**dict(n_clusters=3, hidden_size=4, num_layers=1,
                                                     embedding_dim=2, pretrain_epochs=2,
                                                     max_iter=6, batch_size=16,
                                                     random_state=0), **kw}),
        lambda X: X.reshape(len(X), -1, 2), dict(pretrain_lr=1e8)),
    "DeepSubspaceClustering": (
        lambda **kw: DeepSubspaceClustering(**{**dict(n_clusters=3, hidden_dims=(8,),
                                                      embedding_dim=4, pretrain_epochs=2,
                                                      max_iter=5, random_state=0), **kw}),
        lambda X: X, dict(coef_lr=1e6)),
    "DeepMultimodalSubspaceClustering": (
        lambda **kw: DeepMultimodalSubspaceClustering(**{**dict(
            n_clusters=3, hidden_dims=(8,), embedding_dim=4, pretrain_epochs=2, max_iter=5,
            random_state=0), **kw}),
        lambda X: [X[:, :4], X[:, 4:]], dict(coef_lr=1e6)),
}
NAMES = list(CASES)


def _labels_by_group(X, labels):
    """Whether rows that are equal have equal labels."""
    _, group = np.unique(np.asarray(X).reshape(len(labels), -1), axis=0, return_inverse=True)
    return all(len(set(labels[group.ravel() == g])) == 1 for g in np.unique(group))


# ---- parameters -------------------------------------------------------------------------
@pytest.mark.parametrize("name, params", [
    ("DEC", dict(hidden_dims=(0,))),
    ("DEC", dict(hidden_dims=(-1,))),
    ("DEC", dict(hidden_dims=(2.5,))),
    ("DEC", dict(n_clusters=True)),
    ("DeepCluster", dict(hidden_dims=(16, 0))),
    ("DeepCluster", dict(conv_channels=(0,), input_shape=(3, 4))),
    ("DeepCluster", dict(batch_size=True)),
    ("MultiTaskRNNClusterer", dict(n_clusters=True)),
    ("DeepSubspaceClustering", dict(hidden_dims=(0,))),
    ("DeepSubspaceClustering", dict(kernel_sizes=(0, 3, 3))),
    ("DeepMultimodalSubspaceClustering", dict(modality_weights=[-1, 1])),
    ("DeepMultimodalSubspaceClustering", dict(modality_weights=[0, 0])),
    ("DeepMultimodalSubspaceClustering", dict(modality_weights=[np.nan, 1])),
    ("DeepMultimodalSubspaceClustering", dict(conv_channels=(8, -2))),
])
def test_layer_widths_weights_and_int_parameters_are_checked_by_name(name, params):
    make, data, _ = CASES[name]
    (param, _), = [(k, v) for k, v in params.items() if k != "input_shape"]
    X, _ = _blobs()
    with pytest.raises(ValueError, match=f"The '{param}' parameter of {name} must be"):
        make(**params).fit(data(X))


def test_modalities_with_an_empty_one_are_refused_by_name():
    X, _ = _blobs()
    with pytest.raises(ValueError, match="'modalities' parameter .* positive ints"):
        DeepMultimodalSubspaceClustering(modalities=(12, 0)).fit(X)


# ---- divergence ---------------------------------------------------------------------------
def test_exploding_self_expression_is_a_divergence_error_naming_coef_lr():
    # the loss rises from about 1 to 1e13 without ever being inf or nan
    make, _, _ = CASES["DeepSubspaceClustering"]
    X, _ = _blobs()
    with pytest.raises(FloatingPointError,
                       match="self-expressive fine-tuning: the loss rose .* Lower coef_lr"):
        make(coef_lr=1e6).fit(X)


@pytest.mark.parametrize("name", NAMES)
def test_diverging_fit_names_the_phase_and_the_learning_rate(name):
    make, data, diverge = CASES[name]
    X, _ = _blobs()
    with pytest.raises(FloatingPointError, match=f"Training diverged during .*Lower "
                                                 f"{next(iter(diverge))}"):
        make(**diverge).fit(data(X))


@pytest.mark.parametrize("name", ["DeepCluster", "DeepSubspaceClustering",
                                  "DeepMultimodalSubspaceClustering"])
def test_values_beyond_float32_are_an_overflow_error(name):
    make, data, _ = CASES[name]
    X, _ = _blobs()
    params = dict(input_rms=None) if name == "DeepCluster" else {}
    with pytest.raises(ValueError, match="beyond the range of float32"):
        make(**params).fit(data(X * 1e39))


def test_dec_rescales_values_beyond_float32():
    make, _, _ = CASES["DEC"]
    X, _ = _blobs()
    np.testing.assert_array_equal(make().fit(X * 1e39).labels_, make().fit(X).labels_)


# ---- failed and interrupted fits ----------------------------------------------------------
def _state(est, X):
    return dict(est.__dict__), est.predict(X)


def _assert_same_state(est, X, before, changed=()):
    attrs, labels = before
    assert est.__dict__.keys() == attrs.keys()
    assert all(est.__dict__[k] is v for k, v in attrs.items() if k not in changed)
    np.testing.assert_array_equal(est.predict(X), labels)


@pytest.mark.parametrize("name", NAMES)
def test_failed_refit_keeps_the_previous_model(name):
    make, data, diverge = CASES[name]
    X, _ = _blobs()
    est = make().fit(data(X))
    before = _state(est, data(X))
    other, _ = _blobs(n_features=8, seed=1)  # another width: a mixed state would show
    with pytest.raises(FloatingPointError):
        est.set_params(**diverge).fit(data(other))
    _assert_same_state(est, data(X), before, changed=diverge)
    # and a failed first fit leaves the estimator unfitted
    with pytest.raises(FloatingPointError):
        fresh = make(**diverge)
        fresh.fit(data(other))
    with pytest.raises(NotFittedError):
        fresh.predict(data(other))


class _InterruptAt:
    """A global forward hook that raises KeyboardInterrupt at the n-th training forward."""

    def __init__(self, n):
        self.n, self.calls, self.after = n, 0, 0

    def __call__(self, module, args, out):
        if not module.training:
            return
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        if self.calls > self.n:
            self.after += 1


@pytest.mark.parametrize("name", NAMES)
def test_keyboard_interrupt_stops_fit_and_keeps_the_previous_model(name):
    make, data, _ = CASES[name]
    X, _ = _blobs()
    est = make().fit(data(X))
    before = _state(est, data(X))
    other, _ = _blobs(n_features=8, seed=1)
    hook = _InterruptAt(5)  # inside the first training phase (skorch used to swallow it)
    handle = torch.nn.modules.module.register_module_forward_hook(hook)
    try:
        with pytest.raises(KeyboardInterrupt):
            est.fit(data(other))
    finally:
        handle.remove()
    assert hook.calls == 5 and hook.after == 0  # no later phase ran
    _assert_same_state(est, data(X), before)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="a signal reaches the main thread only")
def test_ctrl_c_from_a_timer_leaves_fit_promptly_and_unfitted():
    X, _ = _blobs()
    est = DEC(n_clusters=3, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=10**6,
              batch_size=16, random_state=0)  # hours of pretraining
    timer = threading.Timer(0.5, _thread.interrupt_main)
    # Python's own Ctrl-C handler, whatever the test runner installed
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            est.fit(X)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, handler)
    assert time.perf_counter() - start < 30
    with pytest.raises(NotFittedError):
        est.predict(X)


# ---- degenerate data ----------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_distinct", [1, 2])
def test_fewer_distinct_samples_than_clusters_warn_and_predict_agrees(name, n_distinct):
    make, data, _ = CASES[name]
    X, _ = _blobs()
    X = X[np.arange(30) % n_distinct]  # 1 or 2 distinct rows, 3 clusters
    with pytest.warns(ConvergenceWarning, match=f"only {n_distinct} distinct sample"):
        est = make().fit(data(X))
    assert _labels_by_group(X, est.labels_)
    np.testing.assert_array_equal(est.predict(data(X)), est.labels_)


# ---- DeepCluster ------------------------------------------------------------------------------
def test_deepcluster_does_not_depend_on_the_units_of_the_data():
    make, _, _ = CASES["DeepCluster"]
    X, y = _blobs()
    model = make().fit(X)
    assert adjusted_rand_score(y, model.labels_) == 1.0
    for factor in (1e30, 1e-30):
        scaled = make().fit(X * factor)
        np.testing.assert_array_equal(scaled.labels_, model.labels_)
        np.testing.assert_array_equal(scaled.predict(X * factor), model.labels_)


def test_deepcluster_refuses_what_it_cannot_train():
    make, _, _ = CASES["DeepCluster"]
    X, _ = _blobs()
    with pytest.raises(ValueError, match="pca_dim=1 cannot give n_clusters=3"):
        make(pca_dim=1).fit(X)
    make(pca_dim=1, n_clusters=2).fit(X)  # two clusters are possible
    with pytest.raises(ValueError, match="at least 2 samples .* got 1 sample"):
        make(n_clusters=1).fit(X[:1])


class _NanInEval(torch.nn.Module):
    """A backbone whose features stop being finite (as after a diverged step)."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(12, 4)

    def forward(self, x):
        out = self.linear(x)
        return out if self.training else out * float("nan")


def test_deepcluster_non_finite_features_are_a_divergence_error():
    make, _, _ = CASES["DeepCluster"]
    X, _ = _blobs()
    with pytest.raises(FloatingPointError, match="DeepCluster training: the features became "
                                                 "non-finite.*Lower lr"):
        make(backbone=_NanInEval()).fit(X)


# ---- views ----------------------------------------------------------------------------------
def test_multimodal_checks_each_view_at_inference():
    make, data, _ = CASES["DeepMultimodalSubspaceClustering"]
    X, _ = _blobs()
    est = make().fit(data(X))
    labels = est.predict(data(X))
    with pytest.raises(ValueError, match="Modality 0 has samples of shape \\(8,\\), but the "
                                         "model was fitted with samples of shape \\(4,\\)"):
        est.predict([X[:, 4:], X[:, :4]])
    with pytest.raises(ValueError, match="Modality 0 has samples of shape \\(6,\\)"):
        est.predict([X[:, :6], X[:, 6:]])
    with pytest.raises(ValueError, match="list of 12 1-D arrays.*reshape\\(-1, 1\\)"):
        est.fit(list(X.T))
    np.testing.assert_array_equal(est.predict(data(X)), labels)


def test_multimodal_checks_the_column_names_of_each_view():
    pd = pytest.importorskip("pandas")
    make, _, _ = CASES["DeepMultimodalSubspaceClustering"]
    X, _ = _blobs()
    frames = [pd.DataFrame(X[:, :4], columns=list("abcd")),
              pd.DataFrame(X[:, 4:], columns=[f"f{i}" for i in range(8)])]
    est = make().fit(frames)
    np.testing.assert_array_equal(est.predict(frames), est.predict([X[:, :4], X[:, 4:]]))
    reordered = [frames[0][list("bacd")], frames[1]]
    with pytest.raises(ValueError, match="feature names of modality 0 should match"):
        est.predict(reordered)
    with pytest.warns(UserWarning, match="Modality 1 of X has no feature names"):
        est.predict([frames[0], X[:, 4:]])


@pytest.mark.parametrize("make, X", [
    (DeepMultimodalSubspaceClustering, [np.ones((5, 2)), np.ones((5, 3))]),
    (DeepSubspaceClustering, np.ones((5, 2, 3))),
])
def test_inference_before_fit_is_not_fitted_error(make, X):
    est = make()
    for method in (est.predict, est.transform, est.score):
        with pytest.raises(NotFittedError):
            method(X)


# ---- concurrent inference ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["MultiTaskRNNClusterer", "DeepCluster", "DEC"])
def test_concurrent_transform_changes_no_module_state(name):
    make, data, _ = CASES[name]
    X, _ = _blobs()
    est = make().fit(data(X))
    module = est.net_.module_
    state = {k: v.clone() for k, v in module.state_dict().items()}
    expected = est.transform(data(X))
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(est.transform(data(X)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 40
    assert all(np.array_equal(r, expected) for r in results)
    assert not any(m.training for m in module.modules())
    assert all(torch.equal(v, module.state_dict()[k]) for k, v in state.items())
