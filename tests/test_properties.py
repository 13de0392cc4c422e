"""Property-based tests (hypothesis): any input and small parameters give a clear error
or a result of the right shape.

For each estimator, generated arrays (0 and 1 rows or columns, float32/float64, NaN,
inf, huge and tiny values, constant columns, duplicate rows, DataFrames, lists of
views) and generated small parameters must lead to one of:

- an exception of a type from ``CLEAR_ERRORS``, raised by skdeepcluster or by
  scikit-learn (not from inside torch, skorch or a linear-algebra routine), whose
  message names a parameter or the input;
- a fitted estimator whose ``labels_`` has one label in ``range(n_clusters)`` per
  row, whose ``predict`` and ``transform`` on the training rows have the right shape
  (``predict`` equal to ``labels_`` where the estimator promises it) and finite
  values, whose ``score`` is a finite float, which warns when it returns fewer
  distinct clusters than it was asked for and the data has, and which comes back
  from ``skdeepcluster.save`` / ``load`` with the same labels, predictions and
  embeddings.

The examples are derandomized (the same ones on every run: CI is reproducible) and
the networks tiny: the whole file takes about half a minute on one CPU thread.
"""

import io
import math
import re
import warnings

import numpy as np
from sklearn.exceptions import NotFittedError

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import skdeepcluster  # noqa: E402
from skdeepcluster import (  # noqa: E402
    DEC,
    DeepCluster,
    DeepMultimodalSubspaceClustering,
    DeepSubspaceClustering,
    MultiTaskRNNClusterer,
)

try:
    import pandas as pd
except ImportError:  # pragma: no cover - pandas is optional
    pd = None

CLEAR_ERRORS = (ValueError, TypeError, MemoryError, FloatingPointError, NotFittedError)
# an error raised inside these is not one that names the problem to the user
_RAW_SOURCES = ("/torch/", "/skorch/", "/numpy/linalg/", "/scipy/linalg/")
# a message names the problem when it names a parameter or one of these
_PROBLEM_WORDS = re.compile(
    r"\bX\b|input|sample|feature|column|row|modalit|view|channel|timestep|time step|"
    r"shape|dimension|array|diverged|memory|fitted|float|NaN|infinity|dtype", re.IGNORECASE)

PROPERTY_SETTINGS = settings(
    max_examples=250, deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)

# ---- data ------------------------------------------------------------------------------
# 1e39 and 1e300 are finite in float64 but not in float32, and 1e300**2 is not finite
SPECIAL_VALUES = [np.nan, np.inf, -np.inf, 1e300, -1e300, 1e-300, 5e-324, 0.0, -0.0]
SCALES = [1.0, 1e-3, 1e3, 1e-30, 1e30, 1e-300, 1e39, 1e300]


@st.composite
def matrices(draw, rows=st.integers(0, 12), cols=st.integers(0, 5), max_finite=np.inf):
    """A float matrix: plain, scaled, with special entries, constant parts or duplicates.

    ``max_finite`` leaves out scales and finite special values above it.
    """
    n, d = draw(rows), draw(cols)
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    X = rng.normal(size=(n, d))
    X *= draw(st.sampled_from([s for s in SCALES if s <= max_finite]))
    kind = draw(st.sampled_from(["plain", "special", "constant_columns", "duplicates",
                                 "constant"]))
    if kind == "special" and X.size:
        special = [v for v in SPECIAL_VALUES if not np.isfinite(v) or abs(v) <= max_finite]
        for _ in range(draw(st.integers(1, 3))):
            X[rng.randint(n), rng.randint(d)] = draw(st.sampled_from(special))
    elif kind == "constant_columns" and d:
        X[:, rng.rand(d) < 0.5] = draw(st.sampled_from([0.0, 1.0, -7.5]))
    elif kind == "duplicates" and n:
        X = X[rng.randint(max(1, n // 3), size=n)]
    elif kind == "constant":
        X[:] = draw(st.sampled_from([0.0, 3.0]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    with np.errstate(over="ignore"):
        return X.astype(dtype)


def as_input(draw, X):
    """``X`` as given, or as a DataFrame with string column names."""
    if pd is not None and X.ndim == 2 and draw(st.booleans()):
        return pd.DataFrame(X, columns=[f"c{j}" for j in range(X.shape[1])])
    return X


def _n_distinct_rows(X):
    if len(X) == 0:
        return 0
    return len(np.unique(np.asarray(X, dtype=np.float64).reshape(len(X), -1), axis=0))


# ---- the property --------------------------------------------------------------------------
def _assert_clear(exc, estimator):
    message = str(exc)
    names = [re.escape(p) for p in estimator.get_params(deep=False)]
    assert re.search("|".join(names), message) or _PROBLEM_WORDS.search(message), (
        f"{type(exc).__name__} whose message names no parameter and no input: {message!r}")
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    where = tb.tb_frame.f_code.co_filename
    assert not any(s in where for s in _RAW_SOURCES), (
        f"{type(exc).__name__} raised inside {where}, not by a check: {exc}")


def check_fit(estimator, X, n_rows, n_distinct, *, predict_is_labels, warns_on_lost=True):
    """The property: a clear error, or a consistent result of the right shape.

    The fitted estimator must also come back identical from ``skdeepcluster.save``
    and ``load``.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator.fit(X)
        except CLEAR_ERRORS as exc:
            _assert_clear(exc, estimator)
            event(f"clear {type(exc).__name__}")
            return None
    event("fitted")
    k = estimator.n_clusters
    labels = estimator.labels_
    assert labels.shape == (n_rows,) and labels.dtype.kind in "iu"
    assert labels.min() >= 0 and labels.max() < k
    found = len(np.unique(labels))
    if warns_on_lost and found < min(k, n_distinct):
        assert caught, f"{found} clusters of {k} on {n_distinct} distinct rows, no warning"
    predicted = estimator.predict(X)
    assert predicted.shape == (n_rows,) and predicted.min() >= 0 and predicted.max() < k
    if predict_is_labels:
        np.testing.assert_array_equal(predicted, labels)
    Z = np.asarray(estimator.transform(X))
    assert Z.shape[0] == n_rows and Z.ndim == 2 and np.isfinite(Z).all()
    score = estimator.score(X)
    assert isinstance(score, float) and math.isfinite(score)
    if hasattr(estimator, "predict_proba"):
        Q = estimator.predict_proba(X)
        assert Q.shape == (n_rows, k) and np.allclose(Q.sum(axis=1), 1.0)
    buffer = io.BytesIO()
    estimator.save(buffer)
    buffer.seek(0)
    restored = skdeepcluster.load(buffer)
    np.testing.assert_array_equal(restored.labels_, labels)
    np.testing.assert_array_equal(restored.predict(X), predicted)
    np.testing.assert_array_equal(np.asarray(restored.transform(X)), Z)
    return estimator


widths = st.lists(st.integers(-1, 6), min_size=0, max_size=2).map(tuple)
n_clusters = st.sampled_from([0, 1, 2, 3, 4, True])


# ---- the estimators ---------------------------------------------------------------------------
@st.composite
def dec_cases(draw):
    input_rms = draw(st.sampled_from([2.0, None]))
    X = draw(matrices())
    params = dict(
        n_clusters=draw(n_clusters),
        hidden_dims=draw(widths),
        embedding_dim=draw(st.integers(1, 3)),
        pretrain=draw(st.sampled_from(["autoencoder", "stacked_denoising"])),
        pretrain_epochs=draw(st.integers(0, 2)),
        pretrain_optimizer=draw(st.sampled_from(["adam", "sgd"])),
        gamma=draw(st.sampled_from([None, 0.1])),
        input_rms=input_rms,
        optimizer=draw(st.sampled_from(["adam", "sgd"])),
        max_iter=draw(st.integers(0, 3)),
        update_interval=draw(st.sampled_from(["auto", 1, 2])),
        batch_size=draw(st.integers(1, 8)),
        n_init=1, device="cpu", random_state=0,
    )
    return as_input(draw, X), X, params


@given(dec_cases())
@PROPERTY_SETTINGS
def test_dec_property(case):
    X_in, X, params = case
    check_fit(DEC(**params), X_in, len(X), _n_distinct_rows(X), predict_is_labels=True)


@st.composite
def deepcluster_cases(draw):
    X = draw(matrices(rows=st.integers(0, 12)))
    final = draw(st.sampled_from(["kmeans", "spectral"]))
    params = dict(
        n_clusters=draw(n_clusters),
        n_pseudo_clusters=draw(st.sampled_from([None, 2, 5])),
        hidden_dims=draw(widths),
        feature_dim=draw(st.integers(1, 4)),
        pca_dim=draw(st.integers(1, 3)),
        augment=draw(st.booleans()),
        n_epochs=draw(st.integers(0, 2)),
        final_clustering=final,
        n_neighbors=draw(st.integers(1, 4)),
        batch_size=draw(st.integers(2, 8)),
        n_init=1, device="cpu", random_state=0,
    )
    if X.shape[1] and draw(st.booleans()):  # the same columns as one-row images
        params.update(input_shape=(1, X.shape[1]), conv_channels=draw(widths),
                      sobel=draw(st.booleans()))
    return as_input(draw, X), X, params


@given(deepcluster_cases())
@PROPERTY_SETTINGS
def test_deepcluster_property(case):
    X_in, X, params = case
    check_fit(DeepCluster(**params), X_in, len(X), _n_distinct_rows(X),
              predict_is_labels=params["final_clustering"] == "kmeans")


@st.composite
def rnn_cases(draw):
    n, t, c = draw(st.integers(0, 10)), draw(st.integers(0, 5)), draw(st.integers(0, 3))
    X = draw(matrices(rows=st.just(n), cols=st.just(t * c)))
    X = X.reshape(n, t, c)
    if c == 1 and draw(st.booleans()):
        X = X[:, :, 0]  # univariate series as 2-D rows
    params = dict(
        n_clusters=draw(n_clusters),
        hidden_size=draw(st.integers(1, 3)),
        num_layers=draw(st.integers(1, 2)),
        kernel_size=draw(st.sampled_from([1, 3])),
        embedding_dim=draw(st.integers(1, 3)),
        dropout=draw(st.sampled_from([0.0, 0.2])),
        future_steps=draw(st.sampled_from(["auto", 0, 1])),
        scaling=draw(st.sampled_from(["standard", "minmax", None])),
        reconstruction_loss=draw(st.sampled_from(["mse", "normalized"])),
        znorm_input=draw(st.booleans()),
        pretrain_epochs=draw(st.integers(0, 1)),
        max_iter=draw(st.integers(0, 2)),
        batch_size=draw(st.integers(1, 8)),
        final_clustering=draw(st.sampled_from(["spectral", "kmeans"])),
        n_init=1, device="cpu", random_state=0,
    )
    return as_input(draw, X), X, params


@given(rnn_cases())
@PROPERTY_SETTINGS
def test_rnn_property(case):
    X_in, X, params = case
    # the spectral assignment predicts new windows by a k-NN vote, as DeepCluster's
    check_fit(MultiTaskRNNClusterer(**params), X_in, len(X), _n_distinct_rows(X),
              predict_is_labels=params["final_clustering"] == "kmeans")


_SUBSPACE = dict(device="cpu", random_state=0)


def _subspace_params(draw):
    return dict(
        n_clusters=draw(n_clusters),
        hidden_dims=draw(widths),
        embedding_dim=draw(st.integers(1, 3)),
        coef_init=draw(st.sampled_from(["ridge", 0.1])),
        pretrain_epochs=draw(st.integers(0, 2)),
        max_iter=draw(st.integers(1, 3)),
        subspace_dim=draw(st.integers(1, 3)),
        n_landmarks=draw(st.sampled_from([None, 2, 5])),
        coef_lr=draw(st.sampled_from([1.0, 1e6])),
        batch_size=draw(st.integers(1, 8)),
        **_SUBSPACE,
    )


@st.composite
def subspace_cases(draw):
    X = draw(matrices())
    return as_input(draw, X), X, _subspace_params(draw)


@given(subspace_cases())
@PROPERTY_SETTINGS
def test_subspace_property(case):
    X_in, X, params = case
    check_fit(DeepSubspaceClustering(**params), X_in, len(X), _n_distinct_rows(X),
              predict_is_labels=False)


@st.composite
def multimodal_cases(draw):
    X = draw(matrices(cols=st.integers(0, 6)))
    params = _subspace_params(draw)
    params.update(fusion=draw(st.sampled_from(["early", "intermediate", "late", "affinity"])),
                  fusion_function=draw(st.sampled_from(["sum", "max", "concat"])))
    d = X.shape[1]
    cuts = sorted(draw(st.lists(st.integers(0, d), max_size=2)))
    blocks = np.split(X, cuts, axis=1)
    layout = draw(st.sampled_from(["views", "modalities", "single"]))
    if layout == "views":
        X_in = [as_input(draw, b) for b in blocks]
    elif layout == "modalities":
        X_in, params["modalities"] = as_input(draw, X), [b.shape[1] for b in blocks]
    else:
        X_in = as_input(draw, X)
    if draw(st.booleans()):
        n_weights = len(blocks) if layout != "single" else 1
        params["modality_weights"] = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 0.0, -1.0]),
                                                   min_size=n_weights, max_size=n_weights))
    return X_in, X, params


@given(multimodal_cases())
@PROPERTY_SETTINGS
def test_multimodal_property(case):
    X_in, X, params = case
    check_fit(DeepMultimodalSubspaceClustering(**params), X_in, len(X), _n_distinct_rows(X),
              predict_is_labels=False)
