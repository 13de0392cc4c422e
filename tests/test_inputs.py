"""The input layer, alone: each kind of input, its fitted layout and its errors."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from skdeepcluster import inputs


class _Est(BaseEstimator):
    """The least an estimator needs for the input layer."""

    def __init__(self, n_clusters=2):
        self.n_clusters = n_clusters

    def fit(self, X, y=None):
        return self


def _fitted(est):
    est.fitted_ = True  # check_is_fitted looks for a trailing-underscore attribute
    return est


def test_rows_record_width_and_refuse_fewer_samples_than_clusters():
    est = _Est(n_clusters=3)
    X = inputs.check_rows(est, np.ones((5, 4), dtype=np.float32), reset=True)
    assert X.dtype == np.float32 and est.n_features_in_ == 4
    with pytest.raises(ValueError, match="n_samples=2 should be >= n_clusters=3"):
        inputs.check_rows(_Est(n_clusters=3), np.ones((2, 4)), reset=True)
    with pytest.raises(NotFittedError):
        inputs.check_rows(_Est(), np.ones((5, 4)), reset=False)
    with pytest.raises(ValueError, match="4 features"):
        inputs.check_rows(_fitted(est), np.ones((5, 3)), reset=False)


def test_images_are_flattened_and_checked_against_input_shape():
    est = _Est()
    X = np.arange(2 * 3 * 4, dtype=float).reshape(2, 1, 3, 4)
    flat = inputs.check_images(est, X, (1, 3, 4), reset=True)
    np.testing.assert_array_equal(flat, X.reshape(2, 12))
    # one channel may come without its axis, and (H, W) means one channel
    np.testing.assert_array_equal(inputs.check_images(_Est(), X[:, 0], (3, 4), reset=True), flat)
    with pytest.raises(ValueError, match="do not match input_shape"):
        inputs.check_images(_Est(), X, (1, 4, 3), reset=True)
    with pytest.raises(ValueError, match="pass input_shape"):
        inputs.check_images(_Est(), X, None, reset=True)
    with pytest.raises(ValueError, match="needs 12"):
        inputs.check_images(_Est(), np.ones((2, 10)), (3, 4), reset=True)
    with pytest.raises(ValueError, match="positive integers"):
        inputs.image_shape((0, 4))


def test_windows_are_3d_and_their_layout_is_checked_by_name():
    est = _Est()
    X = inputs.check_windows(est, np.ones((4, 10)), reset=True)  # univariate series
    assert X.shape == (4, 10, 1) and (est.n_timesteps_, est.n_channels_) == (10, 1)
    est = _Est()
    inputs.check_windows(est, np.ones((4, 10, 3)), reset=True)
    _fitted(est)
    with pytest.raises(ValueError, match="2 channels, but _Est was fitted with 3"):
        inputs.check_windows(est, np.ones((4, 10, 2)), reset=False)
    with pytest.raises(ValueError, match="8 timesteps, but _Est was fitted with 10"):
        inputs.check_windows(est, np.ones((4, 8, 3)), reset=False)
    with pytest.raises(ValueError, match="got a 4-D array"):
        inputs.check_windows(_Est(), np.ones((4, 10, 3, 2)), reset=True)


def test_views_are_stacked_side_by_side_with_their_shapes():
    a, b = np.ones((6, 3)), np.zeros((6, 2, 2))
    est = _Est()
    X, shapes = inputs.check_views(est, [a, b], reset=True, multimodal=True)
    assert X.shape == (6, 7) and shapes == [(3,), (2, 2)]
    np.testing.assert_array_equal(X[:, :3], a)
    with pytest.raises(ValueError, match="takes one modality"):
        inputs.check_views(_Est(), [a, b], reset=True, multimodal=False)
    with pytest.raises(ValueError, match="same number of rows"):
        inputs.check_views(_Est(), [a, b[:5]], reset=True, multimodal=True)
    est.modality_shapes_ = shapes
    with pytest.raises(ValueError, match="X has 3 modalities; the model was fitted with 2"):
        inputs.check_views(est, [a, a, a], reset=False, multimodal=True)
    X, shapes = inputs.check_views(_Est(), a, reset=True, multimodal=False)
    assert shapes is None and X.shape == (6, 3)


def test_view_shape_reads_images_from_data_or_from_input_shape():
    assert inputs.view_shape((5,), None) == (5,)
    assert inputs.view_shape((12,), (3, 4)) == (1, 3, 4)
    assert inputs.view_shape((3, 4), None) == (1, 3, 4)
    with pytest.raises(ValueError, match="12 values in all"):
        inputs.view_shape((12,), (3, 5))
    with pytest.raises(ValueError, match="positive integers"):
        inputs.view_shape((12,), (2.5, 4.8))


def test_input_scale_brings_the_root_mean_square_to_the_target():
    X = np.random.RandomState(0).normal(size=(5000, 3)) * 7
    scale = inputs.input_scale(X, 2.0)
    assert np.sqrt(np.mean((X * scale) ** 2)) == pytest.approx(2.0)
    assert inputs.input_scale(X, None) == 1.0
    assert inputs.input_scale(np.zeros((3, 2)), 2.0) == 1.0


def test_views_are_checked_one_by_one_at_inference():
    a, b = np.ones((6, 3)), np.zeros((6, 2, 2))
    est = _Est()
    inputs.check_views(est, [a, b], reset=True, multimodal=True)
    _fitted(est)
    X, _ = inputs.check_views(est, [a + 1, b], reset=False, multimodal=True)
    assert X.shape == (6, 7)
    with pytest.raises(ValueError, match=r"Modality 0 has samples of shape \(4,\), but the "
                                         r"model was fitted with samples of shape \(3,\)"):
        inputs.check_views(est, [np.ones((6, 4)), np.ones((6, 3))], reset=False,
                           multimodal=True)
    with pytest.raises(ValueError, match=r"Modality 1 has samples of shape \(4, 1\)"):
        inputs.check_views(est, [a, np.ones((6, 4, 1))], reset=False, multimodal=True)
    # fitted on one array split by columns: the widths of the split are checked
    est = _fitted(_Est())
    inputs.check_views(est, np.ones((6, 7)), reset=True, multimodal=True)
    est.modality_shapes_ = [(3,), (1, 2, 2)]
    inputs.check_views(est, [a, b], reset=False, multimodal=True)
    with pytest.raises(ValueError, match="Modality 0 has samples of shape"):
        inputs.check_views(est, [b, a], reset=False, multimodal=True)


def test_view_column_names_are_recorded_and_checked():
    pd = pytest.importorskip("pandas")
    a = pd.DataFrame(np.ones((6, 2)), columns=["x", "y"])
    b = pd.DataFrame(np.zeros((6, 3)), columns=["p", "q", "r"])
    est = _Est()
    inputs.check_views(est, [a, b], reset=True, multimodal=True)
    _fitted(est)
    inputs.check_views(est, [a, b], reset=False, multimodal=True)
    with pytest.raises(ValueError, match=r"modality 1 should match .* got \['q', 'p', 'r'\]"):
        inputs.check_views(est, [a, b[["q", "p", "r"]]], reset=False, multimodal=True)
    with pytest.warns(UserWarning, match="Modality 0 of X has no feature names"):
        inputs.check_views(est, [a.to_numpy(), b], reset=False, multimodal=True)


def test_a_list_of_1d_arrays_is_not_taken_for_rows_of_modalities():
    views = [np.arange(5.0), np.arange(5.0) + 1]
    with pytest.raises(ValueError, match=r"list of 2 1-D arrays.*x.reshape\(-1, 1\)"):
        inputs.check_views(_Est(), views, reset=True, multimodal=True)
    # a single-modality estimator reads it as rows, as scikit-learn does
    X, _ = inputs.check_views(_Est(), views, reset=True, multimodal=False)
    assert X.shape == (2, 5)


def test_windows_without_timesteps_or_channels_are_refused():
    with pytest.raises(ValueError, match="0 channels; windows need at least one"):
        inputs.check_windows(_Est(), np.ones((4, 5, 0)), reset=True)


def test_distinct_rows_are_counted_up_to_the_limit():
    X = np.repeat(np.eye(3), 10, axis=0)  # 3 distinct rows, each 10 times
    assert inputs.n_distinct_rows(X, at_most=2) == 2
    assert inputs.n_distinct_rows(X, at_most=5) == 3
    assert inputs.n_distinct_rows(np.zeros((50, 4)), at_most=3) == 1
    assert inputs.n_distinct_rows(np.ones((7, 2, 3)), at_most=2) == 1  # windows, images


def test_input_scale_handles_squares_beyond_float64():
    X = np.random.RandomState(0).normal(size=(100, 3))
    base = inputs.input_scale(X, 1.0)
    for factor in (1e200, 1e-200):
        assert inputs.input_scale(X * factor, 1.0) * factor == pytest.approx(base)
