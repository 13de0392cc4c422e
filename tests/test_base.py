"""The machinery every estimator shares: device resolution and the training tensor."""

import os
import pickle
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
import torch

from skdeepcluster import (
    DEC,
    DeepCluster,
    DeepMultimodalSubspaceClustering,
    DeepSubspaceClustering,
    MultiTaskRNNClusterer,
)
from skdeepcluster import inputs
from skdeepcluster.base import cuda_determinism, resolve_device
from skdeepcluster.inputs import training_tensor


def test_auto_device_follows_cuda_availability(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cuda:1") == "cuda:1"


def test_unavailable_or_invalid_device_is_a_value_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="not a valid torch device"):
        resolve_device("gpu0")


@pytest.mark.parametrize("device, message", [
    ("meta", "device='meta' cannot train"),
    ("mps", "device='mps' is not supported"),
    ("cuda:3", "cuda:3.*only 2 CUDA device"),
])
def test_devices_that_cannot_train_are_refused_by_name(monkeypatch, device, message):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(ValueError, match=message):
        resolve_device(device)
    with pytest.raises(ValueError, match=message):  # before any training
        DEC(n_clusters=2, device=device).fit(np.random.RandomState(0).rand(10, 3))


def test_training_tensor_on_cpu_is_float32_and_equal():
    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    X_t = training_tensor(X, "cpu")
    assert X_t.dtype == torch.float32 and X_t.device.type == "cpu"
    np.testing.assert_array_equal(X_t.numpy(), X)


def test_data_larger_than_free_gpu_memory_is_a_memory_error(monkeypatch):
    # 1,000 x 10 float32 rows are 40,000 bytes; the "GPU" has 1,000 free.
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (1_000, 10**9))
    X = np.ones((1_000, 10))
    with pytest.raises(MemoryError, match=r"\(1000, 10\) as float32.*device='cpu'"):
        training_tensor(X, "cuda")


def test_cuda_out_of_memory_while_copying_is_a_memory_error(monkeypatch):
    # Free memory can shrink between the check and the copy (another process).
    def out_of_memory(self, *args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory.")

    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (10**9, 10**9))
    monkeypatch.setattr(torch.Tensor, "to", out_of_memory)
    with pytest.raises(MemoryError, match="does not fit in the free memory of cuda"):
        training_tensor(np.ones((10, 3)), "cuda")


class _Sentinel(Exception):
    pass


@pytest.mark.parametrize("make, X", [
    (lambda: DEC(n_clusters=2), np.random.RandomState(0).rand(20, 4)),
    (lambda: DeepCluster(n_clusters=2, n_pseudo_clusters=2, pca_dim=2),
     np.random.RandomState(0).rand(20, 4)),
    (lambda: MultiTaskRNNClusterer(n_clusters=2), np.random.RandomState(0).rand(20, 8, 3)),
    (lambda: DeepSubspaceClustering(n_clusters=2), np.random.RandomState(0).rand(20, 4)),
    (lambda: DeepMultimodalSubspaceClustering(n_clusters=2, modalities=[2, 2]),
     np.random.RandomState(0).rand(20, 4)),
], ids=["DEC", "DeepCluster", "MultiTaskRNNClusterer", "DeepSubspaceClustering",
        "DeepMultimodalSubspaceClustering"])
def test_every_estimator_moves_its_data_through_the_guard(monkeypatch, make, X):
    def refuse(X, device):
        raise _Sentinel

    monkeypatch.setattr(inputs, "training_tensor", refuse)
    with pytest.raises(_Sentinel):
        make().fit(X)


def test_mixed_precision_on_a_gpu_without_bfloat16_is_a_value_error(monkeypatch):
    from skdeepcluster.training import autocast_bf16

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    with pytest.raises(ValueError, match="needs bfloat16 support"):
        autocast_bf16("cuda", True)
    with autocast_bf16("cuda", False):  # disabled: no check, no effect
        pass


def _determinism_flags():
    import torch.utils.deterministic

    return (torch.are_deterministic_algorithms_enabled(),
            torch.is_deterministic_algorithms_warn_only_enabled(),
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark,
            torch.utils.deterministic.fill_uninitialized_memory)


def test_cuda_determinism_is_scoped_to_the_block(monkeypatch):
    # The GPU suite showed two same-seed fits differing on CUDA (atomic sums,
    # cuDNN algorithm choice); the scope must switch torch to deterministic kernels
    # there and give the caller's settings back afterwards, also after an error.
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    before = _determinism_flags()
    with cuda_determinism("cpu"):
        assert _determinism_flags() == before
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ
    with pytest.raises(RuntimeError, match="inside"):
        with cuda_determinism("cuda:0"):
            assert _determinism_flags() == (True, True, True, False, False)
            assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
            raise RuntimeError("inside")
    assert _determinism_flags() == before
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    with cuda_determinism("cuda"):
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


def test_fit_is_deterministic_on_cuda_only_with_a_random_state(monkeypatch):
    # Record which device the scope was entered with (the resolved 'auto': cpu in
    # CI, cuda on a GPU machine, where this suite also runs).
    import skdeepcluster.base as base

    entered = []

    @contextmanager
    def spy(device):
        entered.append(device)
        yield

    monkeypatch.setattr(base, "cuda_determinism", spy)
    X = np.random.RandomState(0).rand(30, 4)
    DEC(n_clusters=2, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=1, max_iter=2,
        random_state=0).fit(X)
    DEC(n_clusters=2, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=1, max_iter=2).fit(X)
    assert entered == [resolve_device("auto")]


def test_a_network_pickled_on_a_gpu_loads_on_the_cpu(monkeypatch):
    # The pickle records the device the network was fitted on; on a machine without
    # that GPU the network is loaded on the CPU, with a warning, and predicts the same.
    X = np.random.RandomState(0).rand(40, 5)
    model = DeepSubspaceClustering(n_clusters=2, hidden_dims=(8,), pretrain_epochs=3,
                                   max_iter=3, device="cpu", random_state=0).fit(X)
    state = model.__getstate__()
    state["autoencoder_"].device = "cuda:0"  # as written on a GPU machine
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = DeepSubspaceClustering.__new__(DeepSubspaceClustering)
    with pytest.warns(UserWarning, match="fitted on cuda:0"):
        restored.__setstate__(state)
    assert next(restored.autoencoder_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


@pytest.mark.parametrize("make", [
    lambda: DEC(n_clusters=2, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=2,
                max_iter=3, random_state=0),
    lambda: DeepSubspaceClustering(n_clusters=2, hidden_dims=(8,), pretrain_epochs=3,
                                   max_iter=3, random_state=0),
], ids=["DEC", "DeepSubspaceClustering"])
def test_a_model_fitted_on_the_default_device_unpickles_without_a_gpu(monkeypatch, make):
    # Fitted on 'auto' (the GPU where the suite runs on one), loaded where CUDA is absent.
    X = np.random.RandomState(0).rand(40, 5)
    model = make().fit(X)
    data, expected = pickle.dumps(model), model.predict(X)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "loaded on the CPU" on a GPU machine
        restored = pickle.loads(data)
    np.testing.assert_array_equal(restored.predict(X), expected)


def test_values_beyond_float32_are_an_overflow_error():
    with pytest.raises(ValueError, match="up to 2e\\+39 .* beyond the range of float32"):
        training_tensor(np.array([[1.0, -2e39]]), "cpu")
    training_tensor(np.array([[1.0, 3e38]]), "cpu")  # within range
