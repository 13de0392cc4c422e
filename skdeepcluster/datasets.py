"""Loaders for real data that is available offline."""

import gzip
import os

import numpy as np
from sklearn.utils import check_random_state

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
        Folder with the ``*-ubyte.gz`` files; defaults to the Debian package's.

    Returns
    -------
    X : ndarray of shape (n, 784), float32
        Flattened 28×28 images in [0, 1].
    y : ndarray of shape (n,), int64
        Classes 0–9.
    """
    folder = data_home or FASHION_MNIST_DIR
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
