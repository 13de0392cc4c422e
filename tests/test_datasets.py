import gzip

import numpy as np
import pytest

from skdeepcluster.datasets import load_basic_motions, load_fashion_mnist, make_subspaces


def _write_idx(path, array):
    # IDX: two zero bytes, the type code (0x08 = unsigned byte), the number of axes,
    # then each axis length as a big-endian uint32, then the raw bytes.
    header = bytes([0, 0, 8, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def fake_fashion(tmp_path):
    """A Fashion-MNIST folder in the Debian package's layout: 40 train and 20 test
    images, whose first pixel encodes the row's pooled index."""
    rng = np.random.RandomState(0)
    images, labels = {}, {}
    for part, n, offset in [("train", 40, 0), ("t10k", 20, 40)]:
        img = rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8)
        img[:, 0, 0] = np.arange(offset, offset + n)
        images[part], labels[part] = img, np.arange(n) % 10
        _write_idx(tmp_path / f"{part}-images-idx3-ubyte.gz", img)
        _write_idx(tmp_path / f"{part}-labels-idx1-ubyte.gz", labels[part])
    return tmp_path, images, labels


def test_pools_train_and_test_and_scales(fake_fashion):
    folder, images, labels = fake_fashion
    X, y = load_fashion_mnist(data_home=str(folder))
    assert X.shape == (60, 784) and X.dtype == np.float32 and y.dtype == np.int64
    expected = np.concatenate([images["train"], images["t10k"]]).reshape(60, -1) / 255.0
    np.testing.assert_allclose(X, expected, rtol=1e-6)
    np.testing.assert_array_equal(y, np.concatenate([labels["train"], labels["t10k"]]))


def test_subset_is_stratified_sorted_and_seeded(fake_fashion):
    folder, _, _ = fake_fashion
    X, y = load_fashion_mnist(n_samples=30, random_state=1, data_home=str(folder))
    assert np.bincount(y).tolist() == [3] * 10
    rows = np.rint(X[:, 0] * 255).astype(int)  # the pooled index of each row
    assert np.all(np.diff(rows) > 0)
    X2, _ = load_fashion_mnist(n_samples=30, random_state=1, data_home=str(folder))
    X3, _ = load_fashion_mnist(n_samples=30, random_state=2, data_home=str(folder))
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, X3)


def test_folder_from_environment_variable(fake_fashion, monkeypatch):
    folder, _, _ = fake_fashion
    monkeypatch.setenv("SKDEEPCLUSTER_FASHION_MNIST", str(folder))
    X, _ = load_fashion_mnist()
    assert X.shape == (60, 784)


def test_missing_folder_names_the_package(tmp_path, monkeypatch):
    monkeypatch.delenv("SKDEEPCLUSTER_FASHION_MNIST", raising=False)
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist"):
        load_fashion_mnist(data_home=str(tmp_path / "nowhere"))


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="split must be 'train', 'test' or None, got 'val'"):
        load_basic_motions(split="val")
    with pytest.raises(ValueError, match="subspace_dim=5 should be <= n_features=4"):
        make_subspaces(20, n_features=4, subspace_dim=5)
    with pytest.raises(ValueError, match="n_samples=2 should be >= n_subspaces=3"):
        make_subspaces(2, n_subspaces=3)
