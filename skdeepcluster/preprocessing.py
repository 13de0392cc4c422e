"""Preparing sensor data for the time-series clusterers."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_array


@validate_params(
    {
        "recording": ["array-like"],
        "width": [Interval(Integral, 1, None, closed="left")],
        "step": [Interval(Integral, 1, None, closed="left"), None],
        "labels": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def sliding_windows(recording, width, step=None, *, labels=None):
    """Cut a continuous recording into overlapping windows.

    Parameters
    ----------
    recording : array-like of shape (n_timesteps,) or (n_timesteps, n_channels)
        One continuous recording, time along the first axis.
    width : int
        Window length in time steps.
    step : int, default=None
        Time steps between the starts of two windows; None uses ``width // 2``
        (50 % overlap, as in UCI HAR), at least 1. A trailing part shorter than a
        window is dropped.
    labels : array-like of shape (n_timesteps,), default=None
        A label per time step (e.g. the activity); each window gets its most
        frequent label (the smallest one on ties).

    Returns
    -------
    windows : ndarray of shape (n_windows, width) or (n_windows, width, n_channels)
        2-D for a 1-D recording (univariate series), else 3-D.
    window_labels : ndarray of shape (n_windows,)
        Only returned when ``labels`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.preprocessing import sliding_windows
    >>> rec = np.arange(20.0).reshape(10, 2)      # 10 time steps, 2 channels
    >>> sliding_windows(rec, width=4, step=2).shape
    (4, 4, 2)
    """
    # allow_nd so that a 3-D array gets the message below, which names the shapes
    rec = check_array(recording, ensure_2d=False, allow_nd=True,
                      dtype=[np.float64, np.float32], input_name="recording")
    if rec.ndim not in (1, 2):
        raise ValueError(
            f"recording must be 1-D (n_timesteps,) or 2-D (n_timesteps, n_channels), "
            f"got a {rec.ndim}-D array."
        )
    n_timesteps = rec.shape[0]
    if width > n_timesteps:
        raise ValueError(
            f"width={width} is longer than the recording (n_timesteps={n_timesteps})."
        )
    step = max(width // 2, 1) if step is None else step
    starts = np.arange(0, n_timesteps - width + 1, step)
    windows = np.stack([rec[s : s + width] for s in starts])
    if labels is None:
        return windows
    labels = np.asarray(labels)
    if labels.shape != (n_timesteps,):
        raise ValueError(
            f"labels must have shape (n_timesteps,) = ({n_timesteps},), got {labels.shape}."
        )
    window_labels = []
    for s in starts:
        values, counts = np.unique(labels[s : s + width], return_counts=True)
        window_labels.append(values[np.argmax(counts)])
    return windows, np.asarray(window_labels)


def channel_scaling(X, method):
    """Per-channel offset and scale of windows, over all windows and time steps.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_channels)
    method : {'standard', 'minmax'} or None
        Zero mean and unit variance, [0, 1], or no scaling.

    Returns
    -------
    offset, scale : ndarray of shape (n_channels,), float64
        Scaled windows are ``(X - offset) / scale``; a constant channel is only
        shifted (scale 1).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.preprocessing import channel_scaling
    >>> X = np.stack([np.zeros((4, 2)), np.ones((4, 2))])   # 2 windows, 4 steps
    >>> channel_scaling(X, "minmax")
    (array([0., 0.]), array([1., 1.]))
    """
    n_channels = X.shape[2]
    if hasattr(X, "batches"):  # data read in batches (skdeepcluster.inputs.StreamedData)
        return _streamed_channel_scaling(X, method)
    if method == "standard":
        offset, scale = X.mean(axis=(0, 1)), X.std(axis=(0, 1))
    elif method == "minmax":
        offset, scale = X.min(axis=(0, 1)), np.ptp(X, axis=(0, 1))
    else:
        offset, scale = np.zeros(n_channels), np.ones(n_channels)
    scale = np.where(scale > 0, scale, 1.0)
    return offset.astype(np.float64), scale.astype(np.float64)


def _streamed_channel_scaling(X, method):
    n, total, squares = 0, 0.0, 0.0
    low, high = np.inf, -np.inf
    for rows in X.batches(4096):
        rows = rows.double().numpy()
        n += rows.shape[0] * rows.shape[1]
        if method == "standard":
            total = total + rows.sum(axis=(0, 1))
            squares = squares + np.square(rows).sum(axis=(0, 1))
        elif method == "minmax":
            low = np.minimum(low, rows.min(axis=(0, 1)))
            high = np.maximum(high, rows.max(axis=(0, 1)))
        else:
            break
    if method == "standard":
        offset = total / n
        scale = np.sqrt(np.maximum(squares / n - offset**2, 0))
    elif method == "minmax":
        offset, scale = low, high - low
    else:
        offset, scale = np.zeros(X.shape[2]), np.ones(X.shape[2])
    scale = np.where(scale > 0, scale, 1.0)
    return np.asarray(offset, np.float64), np.asarray(scale, np.float64)


def window_statistics(X):
    """Per-channel mean, standard deviation and mean absolute step of each window.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_channels)

    Returns
    -------
    stats : ndarray of shape (n_samples, 3 * n_channels)
        The means of all channels, then their standard deviations (over time), then
        the means of ``|x[t + 1] - x[t]|`` (0 for a window of one step).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.preprocessing import window_statistics
    >>> window_statistics(np.array([[[0.0], [2.0], [0.0], [2.0]]]))
    array([[1., 1., 2.]])
    """
    if hasattr(X, "batches"):  # data read in batches: statistics batch by batch
        return np.concatenate([window_statistics(rows.numpy()) for rows in X.batches(4096)])
    X = np.asarray(X, dtype=np.float64)
    steps = np.abs(np.diff(X, axis=1)).mean(axis=1) if X.shape[1] > 1 else np.zeros(
        (X.shape[0], X.shape[2]))
    return np.concatenate([X.mean(axis=1), X.std(axis=1), steps], axis=1)
