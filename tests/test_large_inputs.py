"""Data read in batches: image folders, video frames, torch Datasets, memory maps."""

import re
import sys
import weakref

import numpy as np
import pytest
import torch
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import DEC, DeepCluster, DeepSubspaceClustering, inputs
from skdeepcluster.datasets import (
    ImageFiles,
    ImageFolder,
    VideoFrames,
    deepcluster_transforms,
    load_fashion_mnist,
)
from skdeepcluster.nn import AlexNetBackbone
from skdeepcluster.training.nets import batched_apply

Image = pytest.importorskip("PIL.Image")
pytest.importorskip("torchvision")

N_IMAGES = 300


@pytest.fixture(scope="module")
def fashion():
    X, y = load_fashion_mnist(n_samples=N_IMAGES, random_state=0)
    return X.reshape(-1, 1, 28, 28), y


def _pixels(X):
    return (X * 255).round().astype(np.uint8)


def _write(path, image):
    """One PNG file of a (1 or 3, H, W) float image in [0, 1]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = _pixels(image)
    Image.fromarray(pixels[0] if pixels.shape[0] == 1 else pixels.transpose(1, 2, 0)).save(path)
    return path


@pytest.fixture(scope="module")
def grey_folder(fashion, tmp_path_factory):
    root = tmp_path_factory.mktemp("grey")
    for i, image in enumerate(fashion[0]):
        _write(root / f"{i:04d}.png", image)
    return root


@pytest.fixture(scope="module")
def rgb_folder(fashion, tmp_path_factory):
    """The images as RGB files, one subfolder per class (ImageFolder layout)."""
    root = tmp_path_factory.mktemp("rgb")
    X, y = fashion
    for i, (image, label) in enumerate(zip(X, y)):
        _write(root / f"class{label}" / f"{i:04d}.png", np.repeat(image, 3, axis=0))
    return root


DC = dict(n_clusters=10, conv_channels=(8, 16), feature_dim=32, pca_dim=16, n_epochs=2,
          batch_size=64, random_state=0)


def _nmi(a, b):
    return normalized_mutual_info_score(a, b)


def test_deepcluster_on_a_folder_agrees_with_the_array(fashion, grey_folder):
    X, _ = fashion
    from_array = DeepCluster(input_shape=(1, 28, 28), **DC).fit(X)
    from_folder = DeepCluster(input_shape=(1, 28, 28), **DC).fit(grey_folder)
    assert _nmi(from_array.labels_, from_folder.labels_) >= 0.9
    assert from_folder.n_features_in_ == 28 * 28
    # inference from files and from the array
    files = sorted(str(p) for p in grey_folder.iterdir())[:20]
    assert _nmi(from_folder.predict(files), from_array.predict(X[:20])) >= 0.9
    assert from_folder.transform(files).shape == (20, from_folder.n_components_)


def test_deepcluster_on_rgb_class_folders(fashion, rgb_folder):
    X, y = fashion
    data = ImageFolder(rgb_folder)
    assert data.channels == 3 and data.sample_shape == (3, 28, 28)
    assert data.classes == [f"class{k}" for k in range(10)]
    labels_of_files = np.array(data.targets)
    # files are read class folder by class folder: the same images as the array
    order = np.argsort(y, kind="stable")
    assert (labels_of_files == y[order]).all()
    X_rgb = np.repeat(X[order], 3, axis=1)
    from_array = DeepCluster(input_shape=(3, 28, 28), **DC).fit(X_rgb)
    from_folder = DeepCluster(input_shape=(3, 28, 28), **DC).fit(data)
    assert _nmi(from_array.labels_, from_folder.labels_) >= 0.9


def test_workers_read_the_same_batches(fashion, grey_folder):
    one = DeepCluster(input_shape=(1, 28, 28), **DC).fit(ImageFolder(grey_folder))
    two = DeepCluster(input_shape=(1, 28, 28), **DC).fit(
        ImageFolder(grey_folder, num_workers=2))
    assert _nmi(one.labels_, two.labels_) >= 0.9


def test_video_frames(fashion, tmp_path):
    X, _ = fashion
    for video in range(3):
        for frame in range(10):
            _write(tmp_path / f"video{video}" / f"{frame:03d}.png", X[10 * video + frame])
    (tmp_path / "empty_video").mkdir()
    frames = VideoFrames(tmp_path, frame_step=3)
    assert frames.videos == ["video0", "video1", "video2"]
    assert len(frames) == 12  # frames 0, 3, 6, 9 of each video
    assert frames.targets == [0] * 4 + [1] * 4 + [2] * 4
    np.testing.assert_allclose(frames[5][0].numpy(), np.round(X[13] * 255) / 255, atol=1e-6)
    dc = DeepCluster(n_clusters=3, input_shape=(1, 28, 28), conv_channels=(4,),
                     feature_dim=8, pca_dim=4, n_epochs=1, batch_size=4,
                     random_state=0).fit(frames)
    assert dc.labels_.shape == (12,)
    with pytest.raises(ValueError, match="frame_step"):
        VideoFrames(tmp_path, frame_step=0)


def test_paper_pipeline_with_alexnet(fashion, rgb_folder):
    train, test = deepcluster_transforms(size=64, resize=72)
    data = ImageFiles(sorted(str(p) for p in rgb_folder.rglob("*.png"))[:24],
                      transform=test, train_transform=train)
    assert data.sample_shape == (3, 64, 64)
    # the training view crops at random; the feature view is deterministic
    assert not torch.equal(data.training_view()[0][0], data.training_view()[0][0])
    assert torch.equal(data[0][0], data[0][0])
    dc = DeepCluster(n_clusters=2, input_shape=(3, 64, 64), n_epochs=1, batch_size=8,
                     pca_dim=4, random_state=0,
                     backbone=AlexNetBackbone(feature_dim=16, hidden_dim=32)).fit(data)
    assert dc.labels_.shape == (24,)


# ---- torch Datasets and memory maps ---------------------------------------------------
DEC_KW = dict(n_clusters=4, hidden_dims=(32,), embedding_dim=4, pretrain_epochs=2,
              max_iter=20, init="kmeans", n_init=2, batch_size=32, random_state=0)


class _Pairs(torch.utils.data.Dataset):
    """Items are (sample, target) pairs, samples as numpy arrays."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], int(self.y[i])


def test_dec_on_a_dataset_of_pairs(fashion):
    X, y = fashion
    rows = X.reshape(len(X), -1)[:120]
    expected = DEC(**DEC_KW).fit(rows)
    dec = DEC(**DEC_KW).fit(_Pairs(rows, y))
    np.testing.assert_array_equal(dec.labels_, expected.labels_)
    tensors = torch.utils.data.TensorDataset(torch.as_tensor(rows))
    np.testing.assert_allclose(dec.transform(tensors), expected.transform(rows), atol=1e-10)


def test_dec_on_a_memmap_reads_batches(fashion, tmp_path, monkeypatch):
    X, _ = fashion
    rows = np.tile(X.reshape(len(X), -1), (15, 1))  # 4,500 rows
    path = tmp_path / "rows.f32"
    with open(path, "wb") as f:
        f.write(b"header!!")  # rows start at an offset in the file
        rows.tofile(f)
    mm = np.memmap(path, dtype=np.float32, mode="r", offset=8, shape=rows.shape)
    reads, pread = [], inputs.os.pread
    monkeypatch.setattr(inputs.os, "pread", lambda fd, n, at: reads.append(n) or pread(fd, n, at))
    dec = DEC(**DEC_KW).fit(mm)
    # batches (of training, and of 4,096 rows for the input scale), never the whole file
    assert 0 < max(reads) <= 4096 * rows.itemsize * rows.shape[1] < rows.nbytes
    np.testing.assert_array_equal(dec.labels_, DEC(**DEC_KW).fit(rows).labels_)
    np.testing.assert_array_equal(dec.predict(mm), dec.predict(rows))
    # a view of a memmap is read through its mapping, row for row the same
    np.testing.assert_array_equal(dec.predict(mm[10:50]), dec.predict(rows[10:50]))


@pytest.mark.parametrize("streamed", [False, True])
def test_full_data_passes_hold_no_batch_outputs(streamed):
    # each batch's outputs are written into the N-row results and dropped: kept
    # until a final concatenation, they fragmented the heap (see batched_apply)
    rows = torch.randn(1000, 5, generator=torch.Generator().manual_seed(0))
    X = inputs.StreamedData(torch.utils.data.TensorDataset(rows)) if streamed else rows
    module = torch.nn.Linear(5, 3)
    outputs, alive = [], []

    def fn(m, x):
        alive.append(sum(ref() is not None for ref in outputs))
        out = m(x), x.sum(1)
        outputs.append(weakref.ref(out[0]))
        return out

    z, sums = batched_apply(module, X, fn, 64, "cpu")
    assert len(outputs) == 16 and max(alive) <= 1  # at most the previous batch's
    with torch.no_grad():
        torch.testing.assert_close(z, module(rows))
    torch.testing.assert_close(sums, rows.sum(1))


def test_values_are_checked_as_they_are_read(fashion, tmp_path):
    rows = fashion[0].reshape(N_IMAGES, -1)[:40].copy()
    rows[33, 5] = np.nan
    path = tmp_path / "nan.npy"
    np.save(path, rows)
    with pytest.raises(ValueError, match=r"NaN.*\[33\]"):
        DEC(**DEC_KW).fit(np.load(path, mmap_mode="r"))


def test_layout_is_checked_at_inference(fashion):
    rows = fashion[0].reshape(N_IMAGES, -1)[:60]
    dec = DEC(**DEC_KW).fit(torch.utils.data.TensorDataset(torch.as_tensor(rows)))
    narrow = torch.utils.data.TensorDataset(torch.as_tensor(rows[:, :100]))
    with pytest.raises(ValueError, match="100 features"):
        dec.predict(narrow)
    with pytest.raises(ValueError, match="input_shape"):  # images need their shape
        DeepCluster(**DC).fit(torch.utils.data.TensorDataset(torch.zeros(20, 1, 8, 8)))


def test_estimators_holding_all_data_read_it_whole(fashion, monkeypatch):
    rows = fashion[0].reshape(N_IMAGES, -1)[:60]
    kw = dict(n_clusters=3, hidden_dims=(16,), embedding_dim=4, pretrain_epochs=2,
              max_iter=5, random_state=0)
    expected = DeepSubspaceClustering(**kw).fit(rows).labels_
    data = torch.utils.data.TensorDataset(torch.as_tensor(rows))
    np.testing.assert_array_equal(DeepSubspaceClustering(**kw).fit(data).labels_, expected)
    monkeypatch.setattr(inputs, "_free_memory", lambda: 1000)
    with pytest.raises(MemoryError, match="DeepSubspaceClustering holds all"):
        DeepSubspaceClustering(**kw).fit(data)


# ---- bad inputs ------------------------------------------------------------------
def test_empty_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match=f"No image files .*{re.escape(str(tmp_path))}"):
        DeepCluster(**DC).fit(str(tmp_path))
    with pytest.raises(ValueError, match="not a folder"):
        ImageFolder(tmp_path / "missing")


def test_unreadable_file_is_named(fashion, tmp_path):
    _write(tmp_path / "a.png", fashion[0][0])
    (tmp_path / "b.png").write_bytes(b"not a png")
    for i in range(2, 6):
        _write(tmp_path / f"{'cdef'[i - 2]}.png", fashion[0][i])
    data = ImageFolder(tmp_path)  # the first file decodes; b.png is read in fit
    with pytest.raises(ValueError, match=r"Cannot read the image file .*b\.png"):
        DeepCluster(n_clusters=2, input_shape=(1, 28, 28), n_epochs=1, pca_dim=2,
                    random_state=0).fit(data)


def test_mixed_sizes_need_a_resize(fashion, tmp_path):
    _write(tmp_path / "a.png", fashion[0][0])
    _write(tmp_path / "b.png", fashion[0][1][:, :20, :24])
    data = ImageFolder(tmp_path)
    with pytest.raises(ValueError, match=r"b\.png.* 24x20 pixels.*image_size"):
        data[1]
    resized = ImageFolder(tmp_path, image_size=16)
    assert resized[1][0].shape == (1, 16, 16)


def test_images_need_the_images_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)  # as if Pillow were not installed
    with pytest.raises(ImportError, match=r"skdeepcluster\[images\]"):
        ImageFolder(tmp_path)


def test_rnn_on_a_memmap_of_windows(tmp_path):
    from skdeepcluster import MultiTaskRNNClusterer
    from skdeepcluster.datasets import make_sensor_windows

    X, _ = make_sensor_windows(80, n_timesteps=96, n_channels=3, random_state=0)
    np.save(tmp_path / "windows.npy", X.astype(np.float32))
    mm = np.load(tmp_path / "windows.npy", mmap_mode="r")
    kw = dict(n_clusters=4, pretrain_epochs=2, max_iter=10, hidden_size=8, random_state=0)
    expected = MultiTaskRNNClusterer(**kw).fit(X.astype(np.float32))
    rnn = MultiTaskRNNClusterer(**kw).fit(mm)
    assert rnn.time_stride_ > 1  # windows averaged in blocks as they are read
    np.testing.assert_array_equal(rnn.labels_, expected.labels_)
    np.testing.assert_array_equal(rnn.predict(mm), expected.predict(X))
    with pytest.raises(ValueError, match="timesteps"):
        rnn.predict(torch.utils.data.TensorDataset(torch.zeros(5, 50, 3)))


def test_package_works_without_the_images_extra(tmp_path):
    import subprocess

    code = (
        "import sys; sys.modules['torchvision'] = sys.modules['PIL'] = None\n"
        "import numpy as np, skdeepcluster.datasets\n"
        "from skdeepcluster import DEC\n"
        "X = np.random.RandomState(0).rand(40, 5)\n"
        "print(DEC(n_clusters=2, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=1,\n"
        "          max_iter=5, random_state=0).fit(X).labels_.shape)\n"
        f"skdeepcluster.datasets.ImageFolder({str(tmp_path)!r})\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "(40,)" in out.stdout
    assert "pip install skdeepcluster[images]" in out.stderr


def test_kmeans_distances_in_blocks(monkeypatch):
    from skdeepcluster import cluster_init

    X = torch.as_tensor(np.random.RandomState(0).normal(size=(500, 3)), dtype=torch.float32)
    whole = cluster_init.torch_kmeans(X, 5, n_init=2, random_state=np.random.RandomState(0))
    monkeypatch.setattr(cluster_init, "_BLOCK_PAIRS", 64)  # blocks of 12 rows
    blocks = cluster_init.torch_kmeans(X, 5, n_init=2, random_state=np.random.RandomState(0))
    torch.testing.assert_close(blocks[0], whole[0])
    assert torch.equal(blocks[1], whole[1])


@pytest.mark.parametrize("backbone", ["alexnet", "vgg16"])
def test_imagenet_backbones(backbone):
    from skdeepcluster.nn import VGG16Backbone

    net = (AlexNetBackbone(feature_dim=16, hidden_dim=32) if backbone == "alexnet"
           else VGG16Backbone(feature_dim=16, hidden_dim=32, sobel=True))
    net.eval()
    with torch.no_grad():
        assert net(torch.rand(2, 3, 64, 64)).shape == (2, 16)
    assert net.convs[0].in_channels == 2  # Sobel gradients in
