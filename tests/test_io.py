"""Saving and loading: skdeepcluster.save / load (no pickle), and pickle with safe tensors."""

import io
import json
import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import skdeepcluster
from skdeepcluster import (
    DEC,
    DeepCluster,
    DeepMultimodalSubspaceClustering,
    DeepSubspaceClustering,
    MultiTaskRNNClusterer,
)
from skdeepcluster.io import InconsistentVersionWarning, ModelFileError

_X = np.random.RandomState(0).rand(30, 6)
_WINDOWS = _X.reshape(30, 3, 2)

# tiny fits of every estimator, and of the variants that hold other fitted state
CASES = {
    "DEC": (lambda: DEC(n_clusters=3, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=2,
                        max_iter=4, random_state=0), _X),
    "IDEC-sgd": (lambda: DEC(n_clusters=3, hidden_dims=(8, 4), embedding_dim=2, gamma=0.1,
                             pretrain="stacked_denoising", pretrain_epochs=1, optimizer="sgd",
                             max_iter=4, random_state=0), _X),
    "DeepCluster-spectral": (lambda: DeepCluster(
        n_clusters=3, hidden_dims=(8,), feature_dim=4, pca_dim=2, n_epochs=2, batch_size=8,
        final_clustering="spectral", n_neighbors=4, random_state=0), _X),
    "DeepCluster-images": (lambda: DeepCluster(
        n_clusters=3, input_shape=(2, 3), conv_channels=(2,), feature_dim=4, pca_dim=2,
        n_epochs=2, batch_size=8, sobel=True, random_state=0), _X),
    "MultiTaskRNNClusterer": (lambda: MultiTaskRNNClusterer(
        n_clusters=3, hidden_size=4, num_layers=1, embedding_dim=2, pretrain_epochs=2,
        max_iter=4, random_state=0), _WINDOWS),
    "DeepSubspaceClustering": (lambda: DeepSubspaceClustering(
        n_clusters=3, hidden_dims=(8,), embedding_dim=4, pretrain_epochs=2, max_iter=3,
        n_landmarks=20, random_state=np.random.RandomState(1)), _X),
    "DeepMultimodalSubspaceClustering": (lambda: DeepMultimodalSubspaceClustering(
        n_clusters=3, fusion="intermediate", hidden_dims=(8,), embedding_dim=4,
        modality_weights=[1.0, 2.0], pretrain_epochs=2, max_iter=3, random_state=0),
        [_X[:, :2], _X[:, 2:]]),
}


def _fit(name):
    make, X = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lost clusters, k-NN graph warnings on tiny data
        return make().fit(X), X


@pytest.fixture(scope="module")
def fitted():
    return {name: _fit(name) for name in CASES}


def _saved(model):
    buffer = io.BytesIO()
    skdeepcluster.save(model, buffer)
    return buffer.getvalue()


def _assert_same_results(restored, model, X):
    assert type(restored) is type(model)
    np.testing.assert_array_equal(restored.labels_, model.labels_)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    np.testing.assert_array_equal(restored.transform(X), model.transform(X))
    assert restored.score(X) == model.score(X)
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


def _same_params(a, b):
    pa, pb = a.get_params(deep=False), b.get_params(deep=False)
    assert pa.keys() == pb.keys()
    for key in pa:
        if isinstance(pa[key], np.random.RandomState):
            sa, sb = pa[key].get_state(), pb[key].get_state()
            assert sa[0] == sb[0] and np.array_equal(sa[1], sb[1]) and sa[2:] == sb[2:]
        else:
            assert pa[key] == pb[key] and type(pa[key]) is type(pb[key]), key


def _same_history(a, b):
    # repr: the same values of the same types, NaN included (DeepCluster's first nmi)
    assert type(a) is type(b) and repr(list(a)) == repr(list(b))


# ---- round trips ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_save_load_round_trip_is_exact(fitted, name, tmp_path):
    model, X = fitted[name]
    path = tmp_path / "model.skdc"
    model.save(path)  # the method and the function write the same file
    assert path.read_bytes() == _saved(model)
    before = torch.random.get_rng_state()
    restored = skdeepcluster.load(path)
    assert torch.equal(torch.random.get_rng_state(), before)  # rebuilding draws nothing
    _assert_same_results(restored, model, X)
    _same_params(restored, model)
    for key, value in vars(model).items():  # every fitted attribute is back
        assert hasattr(restored, key), key
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(restored, key), value)
            assert getattr(restored, key).dtype == value.dtype
    # the networks hold the same weights, in float64, as fitted
    module = (model.net_.module_ if hasattr(model, "net_") else model.autoencoder_)
    module_r = (restored.net_.module_ if hasattr(restored, "net_") else restored.autoencoder_)
    for (k, v), (k_r, v_r) in zip(module.state_dict().items(), module_r.state_dict().items()):
        assert k == k_r and v.dtype == v_r.dtype and torch.equal(v, v_r)
    if hasattr(model, "net_"):
        _same_history(restored.net_.history, model.net_.history)
        assert restored.history_ is restored.net_.history
        assert restored.net_.module_ is not None and restored.net_.initialized_


def test_histories_and_vote_are_kept(fitted):
    model, X = fitted["DeepCluster-spectral"]
    restored = skdeepcluster.load(io.BytesIO(_saved(model)))
    _same_history(restored.history_, model.history_)
    np.testing.assert_array_equal(restored.neighbors_.predict(model.transform(X)),
                                  model.neighbors_.predict(model.transform(X)))
    subspace, _ = fitted["DeepSubspaceClustering"]
    restored = skdeepcluster.load(io.BytesIO(_saved(subspace)))
    _same_history(restored.history_, subspace.history_)
    _same_history(restored.pretrain_history_, subspace.pretrain_history_)


def test_feature_names_and_output_config_survive():
    import pandas as pd
    df = pd.DataFrame(_X, columns=[f"f{i}" for i in range(6)])
    model = DeepCluster(n_clusters=2, hidden_dims=(8,), feature_dim=4, pca_dim=2, n_epochs=1,
                        batch_size=8, random_state=0).set_output(transform="pandas").fit(df)
    restored = skdeepcluster.load(io.BytesIO(_saved(model)))
    np.testing.assert_array_equal(restored.feature_names_in_, model.feature_names_in_)
    assert restored.feature_names_in_.dtype == object
    assert restored._sklearn_output_config == {"transform": "pandas"}
    out = restored.transform(df)
    assert isinstance(out, pd.DataFrame)
    pd.testing.assert_frame_equal(out, model.transform(df))
    with pytest.raises(ValueError, match="feature names"):
        restored.predict(df[df.columns[::-1]])


def test_unfitted_estimator_round_trips_unfitted():
    model = DeepMultimodalSubspaceClustering(n_clusters=4, modalities=[3, 3],
                                             input_shapes=[None, None], device="cpu")
    restored = skdeepcluster.load(io.BytesIO(_saved(model)))
    _same_params(restored, model)
    with pytest.raises(NotFittedError):
        check_is_fitted(restored)


# ---- what cannot be saved --------------------------------------------------------------------
class _TinyAutoencoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = torch.nn.Linear(6, 2)

    def encode(self, x):
        return self.enc(x)

    def decode(self, z):  # weights tied to the encoder's
        return z @ self.enc.weight


def test_custom_module_is_refused_and_nothing_is_written(tmp_path):
    model = DEC(n_clusters=2, autoencoder=_TinyAutoencoder(), pretrain_epochs=1, max_iter=2,
                random_state=0).fit(_X)
    path = tmp_path / "model.skdc"
    with pytest.raises(TypeError, match="custom torch module.*pickle"):
        model.save(path)
    assert not path.exists() and os.listdir(tmp_path) == []
    path.write_bytes(b"old")  # an existing file stays as it was
    with pytest.raises(TypeError, match="pickle"):
        skdeepcluster.save(model, path)
    assert path.read_bytes() == b"old"


def test_subclass_and_unsupported_values_are_refused():
    class MyDEC(DEC):
        pass

    with pytest.raises(TypeError, match="not .*MyDEC.*pickle"):
        _saved(MyDEC())
    with pytest.raises(TypeError, match=r"parameter 'input_shapes'.*set"):
        _saved(DeepMultimodalSubspaceClustering(input_shapes=[{1, 2}]))


# ---- pickle ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_pickle_loads_tensors_with_weights_only(fitted, name, monkeypatch):
    model, X = fitted[name]
    data = pickle.dumps(model)
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    restored = pickle.loads(data)
    assert calls and all(w is True for w in calls), calls
    _assert_same_results(restored, model, X)


def test_pickle_keeps_a_custom_module_with_tied_weights():
    model = DEC(n_clusters=2, autoencoder=_TinyAutoencoder(), pretrain_epochs=1, max_iter=2,
                random_state=0).fit(_X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(_X), model.predict(_X))
    assert isinstance(restored.autoencoder, _TinyAutoencoder)
    ae = restored.net_.module_.autoencoder
    assert ae.enc.weight.requires_grad and isinstance(ae.enc.weight, torch.nn.Parameter)


def test_legacy_pickled_module_is_refused_with_a_clear_error():
    from skdeepcluster.base import _PickledModule

    legacy = _PickledModule.__new__(_PickledModule)
    legacy.data, legacy.device = b"whole module bytes", "cpu"  # the old layout
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False.*not loaded"):
        legacy.load()


# ---- tampered and foreign files ---------------------------------------------------------------
class _Payload:
    """Unpickling this creates a marker file: the proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _rewrite(data, changes):
    """The zip ``data`` with members replaced (bytes), edited (callable) or removed (None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            content = src.read(name)
            change = changes.get(name, content)
            if callable(change):
                change = change(content)
            if change is not None:
                dst.writestr(name, change)
        for name, change in changes.items():
            if name not in src.namelist() and isinstance(change, bytes):
                dst.writestr(name, change)
    return out.getvalue()


def _edit_json(edit):
    def change(content):
        doc = json.loads(content)
        edit(doc)
        return json.dumps(doc).encode()
    return change


@pytest.fixture(scope="module")
def dec_file(fitted):
    return _saved(fitted["DEC"][0])


def _object_npy(payload):
    buffer = io.BytesIO()
    np.save(buffer, np.array([payload, 1], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def _params(edit):
    return lambda d, p: _rewrite(d, {"params.json": _edit_json(lambda m: edit(m["__dict__"]))})


def _meta(edit):
    return lambda d, p: _rewrite(d, {"meta.json": _edit_json(edit)})


def _net(edit):
    return lambda d, p: _rewrite(d, {"attributes.json": _edit_json(
        lambda m: edit(m["networks"]["__dict__"]["net_"]))})


TAMPERED = [  # (how the file is changed, what the error says); p is a code-running payload
    pytest.param(lambda d, p: pickle.dumps(p), "not a zip archive", id="pickle-file"),
    pytest.param(lambda d, p: d[: len(d) // 2], "not a zip archive|damaged or truncated",
                 id="truncated"),
    pytest.param(lambda d, p: d[:-200] + bytes(200), "not a zip archive|damaged or truncated",
                 id="zeroed-tail"),
    pytest.param(lambda d, p: _rewrite(d, {"arrays/0.npy": pickle.dumps(p)}),
                 r"arrays/0\.npy is not a NumPy array", id="pickle-as-array"),
    pytest.param(lambda d, p: _rewrite(d, {"arrays/0.npy": _object_npy(p)}),
                 r"arrays/0\.npy .*not numbers", id="object-array"),
    pytest.param(lambda d, p: _rewrite(d, {"params.json": pickle.dumps(p)}),
                 "params.json is not valid JSON", id="pickle-as-json"),
    pytest.param(lambda d, p: _rewrite(d, {"data.pkl": pickle.dumps(p)}),
                 r"unexpected members \['data.pkl'\]", id="extra-member"),
    pytest.param(lambda d, p: _rewrite(d, {"meta.json": None}), "it has no meta.json",
                 id="no-meta"),
    pytest.param(_meta(lambda m: m.update(estimator="builtins.eval")),
                 "estimator 'builtins.eval' is not one of", id="class-name"),
    pytest.param(_meta(lambda m: m.update(estimator="DeepCluster")),
                 r"DeepCluster .*has no parameter", id="other-class"),
    pytest.param(_meta(lambda m: m.update(format="other")), "does not declare format",
                 id="foreign-format"),
    pytest.param(_params(lambda m: m.update(n_clusters=-1)),
                 "invalid parameters for DEC.*n_clusters", id="bad-param"),
    pytest.param(_params(lambda m: m.update(alpha={"__pickle__": "gASV"})),
                 "unknown tag '__pickle__'", id="unknown-tag"),
    pytest.param(_params(lambda m: m.update(alpha={"__scalar__": ["|O", 1]})),
                 "bad __scalar__", id="object-scalar"),
    pytest.param(_params(lambda m: m.pop("alpha")), r"lacks the parameter\(s\) \['alpha'\]",
                 id="missing-param"),
    pytest.param(lambda d, p: _rewrite(d, {"params.json": b"[" * 100_000 + b"]" * 100_000}),
                 "params.json is not valid JSON", id="deep-json"),
    pytest.param(lambda d, p: _rewrite(d, {"arrays/0.npy": _npy(np.zeros((5, 5)))}),
                 "do not fit the network", id="weight-shape"),
    pytest.param(lambda d, p: _rewrite(d, {"arrays/0.npy": None}),
                 r"array 'arrays/0\.npy' that it does not hold", id="missing-array"),
    pytest.param(_net(lambda n: n.update(net_class="os.system")), "unknown net 'os.system'",
                 id="net-class"),
    pytest.param(_net(lambda n: n["classes"]["__dict__"].update(optimizer="subprocess.Popen")),
                 "unknown class 'subprocess.Popen'", id="optimizer-class"),
    pytest.param(_net(lambda n: n["settings"]["__dict__"].update(module__hook="os.system")),
                 "unexpected setting 'module__hook'", id="net-setting"),
    pytest.param(lambda d, p: _rewrite(d, {"attributes.json": _edit_json(
        lambda m: m["networks"]["__dict__"].update(autoencoder_={}))}),
                 r"no network named \['autoencoder_'\]", id="extra-network"),
    pytest.param(lambda d, p: _rewrite(d, {"attributes.json": _edit_json(
        lambda m: m["attributes"]["__dict__"].update(predict=1))}),
                 "'predict' cannot be a fitted attribute", id="method-name"),
]


@pytest.mark.parametrize("tamper, message", TAMPERED)
def test_tampered_file_raises_a_clear_error_and_runs_nothing(dec_file, tamper, message,
                                                             tmp_path):
    marker = tmp_path / "code-ran"
    data = tamper(dec_file, _Payload(marker))
    path = tmp_path / "model.skdc"
    path.write_bytes(data)
    with pytest.raises(ModelFileError, match=message):
        skdeepcluster.load(path)
    with pytest.raises(ModelFileError, match=message):
        skdeepcluster.load(io.BytesIO(data))
    assert not marker.exists()


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def test_a_torch_checkpoint_is_a_foreign_file(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.ones(2)}, path)  # a zip file, but not this format
    with pytest.raises(ModelFileError, match=r"unexpected members|no meta\.json"):
        skdeepcluster.load(path)
    with pytest.raises(FileNotFoundError):
        skdeepcluster.load(tmp_path / "missing.skdc")


# ---- versions ---------------------------------------------------------------------------------
def _with_version(data, version=None, format_version=None):
    def edit(meta):
        if version is not None:
            meta["versions"]["skdeepcluster"] = version
        if format_version is not None:
            meta["format_version"] = format_version
    return _rewrite(data, {"meta.json": _edit_json(edit)})


def _next_minor():
    major, minor = skdeepcluster.__version__.split(".")[:2]
    return f"{major}.{int(minor) + 1}.0", f"{int(major) + 1}.0.0"


def test_another_minor_version_loads_with_a_warning(fitted, dec_file):
    model, X = fitted["DEC"]
    minor, _ = _next_minor()
    with pytest.warns(InconsistentVersionWarning, match=f"saved with skdeepcluster {minor}"):
        restored = skdeepcluster.load(io.BytesIO(_with_version(dec_file, minor)))
    _assert_same_results(restored, model, X)
    # a patch release is the same version as far as files go
    major_minor = ".".join(skdeepcluster.__version__.split(".")[:2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        skdeepcluster.load(io.BytesIO(_with_version(dec_file, major_minor + ".99")))


def test_another_minor_version_says_what_does_not_fit(dec_file):
    minor, _ = _next_minor()
    newer = _rewrite(_with_version(dec_file, minor), {"params.json": _edit_json(
        lambda m: m["__dict__"].update(new_option=1))})
    with pytest.warns(InconsistentVersionWarning):
        with pytest.raises(ModelFileError, match=rf"no parameter\(s\) \['new_option'\].*{minor}"):
            skdeepcluster.load(io.BytesIO(newer))
    older = _rewrite(_with_version(dec_file, minor), {"params.json": _edit_json(
        lambda m: m["__dict__"].pop("tol"))})
    with pytest.warns(InconsistentVersionWarning) as record:
        assert skdeepcluster.load(io.BytesIO(older)).tol == DEC().tol
    assert any("['tol']" in str(w.message) and "take their defaults" in str(w.message)
               for w in record)
    resized = _rewrite(_with_version(dec_file, minor), {"params.json": _edit_json(
        lambda m: m["__dict__"].update(hidden_dims={"__tuple__": [9]}))})
    with pytest.warns(InconsistentVersionWarning):
        with pytest.raises(ModelFileError, match="weights of DEC.net_ do not fit"):
            skdeepcluster.load(io.BytesIO(resized))


def test_another_major_version_or_a_newer_format_is_refused(dec_file):
    _, major = _next_minor()
    with pytest.raises(ModelFileError, match=f"saved with skdeepcluster {major}.*minor versions"):
        skdeepcluster.load(io.BytesIO(_with_version(dec_file, major)))
    with pytest.raises(ModelFileError, match="file format 2 by a newer skdeepcluster"):
        skdeepcluster.load(io.BytesIO(_with_version(dec_file, format_version=2)))
    with pytest.raises(ModelFileError, match="not a version number"):
        skdeepcluster.load(io.BytesIO(_with_version(dec_file, "unknown")))


def test_meta_records_the_versions(dec_file):
    import sklearn
    import skorch

    with zipfile.ZipFile(io.BytesIO(dec_file)) as zf:
        meta = json.loads(zf.read("meta.json"))
    assert meta["estimator"] == "DEC" and meta["fitted"] is True
    assert meta["versions"]["skdeepcluster"] == skdeepcluster.__version__
    assert meta["versions"]["torch"] == torch.__version__
    assert meta["versions"]["scikit-learn"] == sklearn.__version__
    assert meta["versions"]["numpy"] == np.__version__
    assert meta["versions"]["skorch"] == skorch.__version__


# ---- devices -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["DEC", "DeepSubspaceClustering"])
def test_a_file_saved_on_a_gpu_loads_on_the_cpu(fitted, name, monkeypatch):
    model, X = fitted[name]
    attr = "net_" if name == "DEC" else "autoencoder_"
    data = _rewrite(_saved(model), {"attributes.json": _edit_json(
        lambda m: m["networks"]["__dict__"][attr].update(device="cuda:0"))})  # as on a GPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="fitted on cuda:0, which is not available"):
        restored = skdeepcluster.load(io.BytesIO(data))
    _assert_same_results(restored, model, X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = skdeepcluster.load(io.BytesIO(data), device="cpu")
    module = restored.net_.module_ if name == "DEC" else restored.autoencoder_
    assert next(module.parameters()).device.type == "cpu"
    if name == "DEC":
        assert restored.net_.device == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_fitted_on_the_gpu_loads_on_the_cpu():
    model = DEC(n_clusters=3, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=2,
                max_iter=4, device="cuda", random_state=0).fit(_X)
    data = _saved(model)
    restored = skdeepcluster.load(io.BytesIO(data), device="cpu")
    assert next(restored.net_.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(restored.predict(_X), model.predict(_X))
    on_gpu = skdeepcluster.load(io.BytesIO(data))
    assert next(on_gpu.net_.module_.parameters()).device.type == "cuda"
    np.testing.assert_array_equal(on_gpu.predict(_X), model.predict(_X))
