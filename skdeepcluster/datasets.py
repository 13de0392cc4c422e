"""Loaders for real data that is available offline, synthetic generators, image files.

The image datasets (:class:`ImageFolder`, :class:`ImageFiles`, :class:`VideoFrames`)
read files in batches while an estimator trains; they need torchvision
(``pip install skdeepcluster[images]``).
"""

import gzip
import os

import numpy as np
from sklearn.utils import check_random_state

from ._images import ImageFiles, ImageFolder, VideoFrames, deepcluster_transforms  # noqa: F401

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(*, n_samples=None, random_state=0, data_home=None):
    """Fashion-MNIST, train and test pooled (70,000 images), pixels scaled to [0, 1].

    Reads the IDX files of the Debian package ``dataset-fashion-mnist``
    (``apt-get install dataset-fashion-mnist``).

    Parameters
    ----------
    n_samples : int, default=None
        Return a class-stratified random subset of this size (the same for a given
        ``random_state``), in the pooled order; None returns all 70,000 images.
    random_state : int, default=0
        Seed of the subset selection.
    data_home : str, default=None
        Folder with the ``*-ubyte.gz`` files; defaults to the environment variable
        ``SKDEEPCLUSTER_FASHION_MNIST`` if set, else the Debian package's folder.

    Returns
    -------
    X : ndarray of shape (n, 784), float32
        Flattened 28×28 images in [0, 1].
    y : ndarray of shape (n,), int64
        Classes 0–9.
    """
    folder = data_home or os.environ.get("SKDEEPCLUSTER_FASHION_MNIST") or FASHION_MNIST_DIR
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Fashion-MNIST not found in {folder!r}: install the Debian package "
            "'dataset-fashion-mnist' or pass data_home."
        )
    parts = [(_read_idx(os.path.join(folder, f"{p}-images-idx3-ubyte.gz")),
              _read_idx(os.path.join(folder, f"{p}-labels-idx1-ubyte.gz")))
             for p in ("train", "t10k")]
    X = np.concatenate([im for im, _ in parts]).reshape(-1, 28 * 28)
    y = np.concatenate([lab for _, lab in parts]).astype(np.int64)
    if n_samples is not None:
        from sklearn.model_selection import train_test_split

        idx, _ = train_test_split(np.arange(len(y)), train_size=n_samples, stratify=y,
                                  random_state=check_random_state(random_state))
        idx = np.sort(idx)
        X, y = X[idx], y[idx]
    return X.astype(np.float32) / 255.0, y


def make_sensor_windows(n_samples=200, *, n_timesteps=64, n_channels=6, n_clusters=4,
                        noise=0.3, random_state=None):
    """Labelled synthetic windows that look like multichannel inertial sensor data.

    Each cluster (activity) gives every channel its own rhythm: a sine with a
    cluster-specific frequency (1 to 6 cycles per window), amplitude and offset.
    Every window starts at a random phase (shared by its channels, like a movement
    seen by several sensors) and gets Gaussian noise, so windows of one cluster are
    not aligned in time: that defeats k-means on the raw values while the rhythm
    stays recognisable.

    Parameters
    ----------
    n_samples : int, default=200
        Number of windows, split as evenly as possible over the clusters.
    n_timesteps : int, default=64
        Time steps per window.
    n_channels : int, default=6
        Channels per time step (e.g. 3-axis accelerometer + 3-axis gyroscope).
    n_clusters : int, default=4
        Number of activities.
    noise : float, default=0.3
        Standard deviation of the additive Gaussian noise.
    random_state : int, RandomState instance or None, default=None
        Seeds the cluster patterns, phases and noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_channels)
    y : ndarray of shape (n_samples,), int64
        The activity of each window.

    Examples
    --------
    >>> from skdeepcluster.datasets import make_sensor_windows
    >>> X, y = make_sensor_windows(40, n_timesteps=32, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((40, 32, 6), [0, 1, 2, 3])
    """
    rng = check_random_state(random_state)
    freq = rng.uniform(1.0, 6.0, (n_clusters, n_channels))
    amp = rng.uniform(0.5, 1.5, (n_clusters, n_channels))
    offset = rng.uniform(-0.5, 0.5, (n_clusters, n_channels))
    y = np.arange(n_samples) % n_clusters
    rng.shuffle(y)
    t = np.arange(n_timesteps) / n_timesteps
    phase = rng.uniform(0, 2 * np.pi, (n_samples, 1, 1))
    X = (amp[y][:, None, :] * np.sin(2 * np.pi * freq[y][:, None, :] * t[None, :, None] + phase)
         + offset[y][:, None, :])
    X += rng.normal(0.0, noise, X.shape)
    return X, y.astype(np.int64)


def load_basic_motions(*, split=None):
    """BasicMotions: smartwatch accelerometer and gyroscope windows of four activities.

    Four students wore a smartwatch while standing, walking, running and playing
    badminton; each window is 10 s at 10 Hz of the 3-axis accelerometer and the
    3-axis gyroscope. From the UEA multivariate time series classification archive
    (Bagnall et al., 2018); a copy ships with this package (it also ships with aeon
    and sktime), so it loads offline.

    Parameters
    ----------
    split : {'train', 'test'} or None, default=None
        The archive's train or test half (40 windows each); None pools both.

    Returns
    -------
    X : ndarray of shape (n_windows, 100, 6), float32
        Channels: accelerometer x, y, z, then gyroscope x, y, z.
    y : ndarray of shape (n_windows,), str
        'Standing', 'Walking', 'Running' or 'Badminton'.

    References
    ----------
    .. [1] A. Bagnall, H. A. Dau, J. Lines, M. Flynn, J. Large, A. Bostrom,
       P. Southam, E. Keogh. "The UEA multivariate time series classification
       archive, 2018." arXiv:1811.00075.

    Examples
    --------
    >>> from skdeepcluster.datasets import load_basic_motions
    >>> X, y = load_basic_motions()
    >>> X.shape, sorted(set(y.tolist()))
    ((80, 100, 6), ['Badminton', 'Running', 'Standing', 'Walking'])
    """
    if split not in (None, "train", "test"):
        raise ValueError(f"split must be 'train', 'test' or None, got {split!r}.")
    with np.load(os.path.join(os.path.dirname(__file__), "data", "basic_motions.npz")) as f:
        X, y, parts = f["X"], f["y"], f["split"]
    if split is not None:
        X, y = X[parts == split], y[parts == split]
    return X, y.astype(str)


def make_subspaces(n_samples=300, *, n_features=30, n_subspaces=3, subspace_dim=3,
                   noise=0.0, random_state=None):
    """Samples from a union of random linear subspaces (a subspace clustering benchmark).

    Each subspace is spanned by ``subspace_dim`` random orthonormal directions in
    ``R^n_features``; its samples are Gaussian combinations of them, plus isotropic
    Gaussian noise of standard deviation ``noise``. Samples are split as evenly as
    possible between subspaces and ordered by subspace.

    Parameters
    ----------
    n_samples : int, default=300
    n_features : int, default=30
        Ambient dimension.
    n_subspaces : int, default=3
    subspace_dim : int, default=3
    noise : float, default=0.0
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Index of the subspace of each sample.

    Examples
    --------
    >>> from skdeepcluster.datasets import make_subspaces
    >>> X, y = make_subspaces(n_samples=10, n_features=5, n_subspaces=2, subspace_dim=2,
    ...                       random_state=0)
    >>> X.shape, y.tolist()
    ((10, 5), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    """
    if subspace_dim > n_features:
        raise ValueError(f"subspace_dim={subspace_dim} should be <= n_features={n_features}.")
    if n_samples < n_subspaces:
        raise ValueError(f"n_samples={n_samples} should be >= n_subspaces={n_subspaces}.")
    rng = check_random_state(random_state)
    counts = np.full(n_subspaces, n_samples // n_subspaces)
    counts[: n_samples % n_subspaces] += 1
    parts = []
    for n_k in counts:
        basis, _ = np.linalg.qr(rng.standard_normal((n_features, subspace_dim)))
        parts.append(rng.standard_normal((n_k, subspace_dim)) @ basis.T)
    X = np.vstack(parts) + noise * rng.standard_normal((n_samples, n_features))
    y = np.repeat(np.arange(n_subspaces), counts)
    return X, y
