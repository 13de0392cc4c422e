"""Save and load fitted estimators in a file that loads without running code.

:func:`save` writes one zip file; :func:`load` reads it back. Nothing in the path
unpickles: the parameters and the fitted scalars are JSON, the fitted arrays and the
networks' weights are ``.npy`` arrays read with ``allow_pickle=False``, and the
networks are rebuilt by this package from the saved parameters and fitted layout
before their weights are loaded. A file that is not such a file, or was changed
so that it no longer holds what this version builds, raises
:class:`ModelFileError` and runs nothing.

Layout of the zip file (format version 1):

``meta.json``
    ``{"format": "skdeepcluster-model", "format_version": 1, "estimator": "DEC",
    "fitted": true, "versions": {"skdeepcluster": ..., "torch": ..., "scikit-learn":
    ..., "numpy": ..., "skorch": ..., "python": ...}, "networks": {...}}``; per
    network, its kind (a torch module, or a skorch net around one), the class the
    estimator builds, the device it was on and the training mode of its layers.
``params.json``
    ``get_params(deep=False)``.
``attributes.json``
    The other fitted attributes: numbers, strings, shapes, the skorch histories, the
    k-NN vote of ``DeepCluster(final_clustering='spectral')`` (its training rows and
    labels, refitted at load), references to arrays, and each network's state dict.
``arrays/<i>.npy``
    Fitted arrays and the networks' tensors, as NumPy ``.npy`` files (numbers and
    booleans only).

JSON holds only lists, strings, numbers, booleans, null and tagged objects
(``{"__tuple__": [...]}``, ``{"__dict__": {...}}``, ``{"__array__": "arrays/0.npy"}``,
...), so it stays readable with any JSON tool; non-finite floats are tagged too.
See :ref:`persistence` for what is and is not kept.
"""

import json
import math
import os
import platform
import re
import tempfile
import warnings
import zipfile

import numpy as np
import sklearn
import skorch
import torch
from skorch.history import History
from sklearn.neighbors import KNeighborsClassifier

from . import distributed, inputs
from .base import _available, resolve_device, torch_seed_scope
from .dec import DEC
from .deepcluster import DeepCluster
from .multimodal import DeepMultimodalSubspaceClustering
from .nn import ClusteringModel, DeepClusterModel
from .rnn import MultiTaskRNNClusterer
from .subspace import DeepSubspaceClustering
from .training import ClusteringNet, DeepClusterNet, TensorBatchIterator

__all__ = ["InconsistentVersionWarning", "ModelFileError", "load", "save"]

FORMAT = "skdeepcluster-model"
FORMAT_VERSION = 1

_META, _PARAMS, _ATTRIBUTES = "meta.json", "params.json", "attributes.json"
_ARRAY_NAME = re.compile(r"arrays/[0-9]{1,9}\.npy")
# what an array in the file may hold: booleans and numbers, never Python objects
_ARRAY_KINDS = set("biufc")
# what reading a damaged, encrypted or oddly compressed member raises
_ZIP_ERRORS = (OSError, EOFError, zipfile.BadZipFile, RuntimeError, NotImplementedError)
# the skorch settings a saved net may carry besides its own (scalar) parameters
_NET_SUB_SETTINGS = ("optimizer__", "iterator_train__", "iterator_valid__",
                     "callbacks__print_log")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ModelFileError(ValueError):
    """A file that :func:`load` refuses: not a skdeepcluster model file, or changed.

    Raised before anything from the file is used; nothing from the file is run.
    """


class InconsistentVersionWarning(UserWarning):
    """The file was saved by another minor version of skdeepcluster.

    It is loaded when its parameters and networks match what this version builds
    (else :class:`ModelFileError` says what differs). Refit or re-save the model
    with this version to silence the warning.
    """


# ---- the networks each estimator holds, and how it builds them -------------------------
def _clustering_model(est, autoencoder):
    centers = torch.as_tensor(np.asarray(est.cluster_centers_), dtype=torch.float32)
    return ClusteringModel(autoencoder, centers, alpha=est.alpha,
                           keep_decoder=est.gamma is not None)


def _dec_network(est):
    return _clustering_model(est, est._build_autoencoder(est.n_features_in_))


def _rnn_network(est):
    return _clustering_model(est, est._build_autoencoder())


def _deepcluster_network(est):
    # the builder probes the backbone on two rows for the size of its features
    backbone, feature_dim = est._build_backbone(torch.zeros(2, est.n_features_in_))
    n_pseudo = est.n_clusters if est.n_pseudo_clusters is None else est.n_pseudo_clusters
    return DeepClusterModel(backbone, feature_dim, n_pseudo,
                            input_shape=inputs.image_shape(est.input_shape))


def _subspace_network(est):
    return est._build_autoencoder([tuple(s) for s in est.modality_shapes_])


# estimator class -> {fitted attribute: builder of its network}
_ESTIMATORS = {
    "DEC": (DEC, {"net_": _dec_network}),
    "DeepCluster": (DeepCluster, {"net_": _deepcluster_network}),
    "MultiTaskRNNClusterer": (MultiTaskRNNClusterer, {"net_": _rnn_network}),
    "DeepSubspaceClustering": (DeepSubspaceClustering, {"autoencoder_": _subspace_network}),
    "DeepMultimodalSubspaceClustering": (DeepMultimodalSubspaceClustering,
                                         {"autoencoder_": _subspace_network}),
}
# skorch nets, and the classes their settings may name, by name (nothing is imported
# from a name in a file)
_NET_CLASSES = {cls.__name__: cls for cls in (ClusteringNet, DeepClusterNet)}
_NET_SETTING_CLASSES = {
    cls.__name__: cls for cls in (
        torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD, torch.nn.MSELoss,
        torch.nn.CrossEntropyLoss, TensorBatchIterator, torch.utils.data.DataLoader,
        skorch.dataset.Dataset)
}
_NET_CLASS_SETTINGS = ("criterion", "optimizer", "iterator_train", "iterator_valid",
                       "dataset")
# the custom-module parameters, which only pickle can carry
_MODULE_PARAMS = ("autoencoder", "backbone")


def _versions():
    from . import __version__

    return {"skdeepcluster": __version__, "torch": torch.__version__,
            "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "skorch": skorch.__version__, "python": platform.python_version()}


# ---- encoding ----------------------------------------------------------------------------
class _Writer:
    """Turns values into JSON with tagged objects, collecting arrays as ``.npy`` members."""

    def __init__(self, owner):
        self.owner = owner
        self.arrays = {}

    def array(self, value, where):
        value = np.asarray(value)
        if value.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(f"{where} is an array of dtype {value.dtype}, which "
                            f"skdeepcluster.save cannot store; {self.owner} cannot be saved "
                            "with skdeepcluster.save (use pickle).")
        name = f"arrays/{len(self.arrays)}.npy"
        self.arrays[name] = value
        return {"__array__": name}

    def tensor(self, value, where):
        value = value.detach().cpu()
        try:
            array = value.numpy()
        except TypeError as exc:  # e.g. bfloat16 has no NumPy dtype
            raise TypeError(f"{where} is a tensor of dtype {value.dtype}, which "
                            "skdeepcluster.save cannot store.") from exc
        return self.array(array, where)

    def encode(self, value, where):
        if value is None or isinstance(value, (bool, str)):
            return value
        if type(value) is int:
            return value
        if type(value) is float:
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS - {"c"}:
            return {"__scalar__": [value.dtype.str, self.encode(value.item(), where)]}
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, History):
            return {"__history__": [self.encode(v, f"{where}[{i}]")
                                    for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError(f"{where} is a dict with keys that are not strings; "
                                f"{self.owner} cannot be saved with skdeepcluster.save.")
            return {"__dict__": {k: self.encode(v, f"{where}[{k!r}]") for k, v in value.items()}}
        if isinstance(value, np.ndarray):
            if value.dtype == object and all(isinstance(v, str) for v in value.ravel()):
                return {"__str_array__": [list(value.shape),
                                          [str(v) for v in value.ravel()]]}
            return self.array(value, where)
        if isinstance(value, torch.device):
            return {"__device__": str(value)}
        if isinstance(value, np.random.RandomState):
            kind, keys, pos, has_gauss, cached = value.get_state()
            return {"__random_state__": [kind, self.array(keys, where), int(pos),
                                         int(has_gauss), float(cached)]}
        if type(value) is KNeighborsClassifier and hasattr(value, "_fit_X"):
            # the k-NN vote is refitted at load on the same rows and labels
            return {"__kneighbors__": [
                self.encode(value.get_params(deep=False), f"{where}.get_params()"),
                self.array(value._fit_X, f"{where}._fit_X"),
                self.array(value.classes_[value._y], f"{where} labels")]}
        if isinstance(value, (torch.nn.Module, skorch.NeuralNet)):
            raise TypeError(
                f"{where} is a torch module ({type(value).__name__}) that {self.owner} does "
                "not build itself; skdeepcluster.save stores only networks it can rebuild. "
                "Save this model with pickle or joblib instead.")
        raise TypeError(f"{where} is a {type(value).__name__}, which skdeepcluster.save cannot "
                        f"store; {self.owner} cannot be saved this way (use pickle).")


def _training_modes(module):
    return {name: m.training for name, m in module.named_modules()}


def _encode_network(writer, est, name, value):
    """The JSON description of a fitted network (its weights as arrays)."""
    where = f"{type(est).__name__}.{name}"
    info = {}
    if isinstance(value, skorch.NeuralNet):
        if type(value).__name__ not in _NET_CLASSES:
            raise TypeError(f"{where} is a {type(value).__name__}, which skdeepcluster.save "
                            "cannot rebuild (use pickle).")
        module = value.module_
        settings, classes = {}, {}
        for key, setting in value.get_params(deep=False).items():
            if key in _NET_CLASS_SETTINGS:
                if isinstance(setting, type) and _NET_SETTING_CLASSES.get(
                        setting.__name__) is setting:
                    classes[key] = setting.__name__
            elif key not in ("device", "compile") and (
                    setting is None or type(setting) in (bool, int, float, str)):
                settings[key] = writer.encode(setting, f"{where}.{key}")
        history = value.history
        same = [k for k, v in vars(est).items() if v is history and k != name]
        info = {"kind": "skorch", "net_class": type(value).__name__, "device": str(value.device),
                "settings": {"__dict__": settings}, "classes": {"__dict__": classes},
                "history": ({"__attribute__": same[0]} if same
                            else writer.encode(history, f"{where}.history"))}
    else:
        module = value
        param = next(module.parameters(), None)
        info = {"kind": "module", "device": "cpu" if param is None else str(param.device)}
    state = {k: writer.tensor(t, f"{where} weight {k!r}") for k, t in module.state_dict().items()}
    info.update({"module_class": type(module).__name__, "state_dict": {"__dict__": state},
                 "training": writer.encode(_training_modes(module), where)})
    return info


def save(estimator, path):
    """Save an estimator to a file that :func:`load` reads without running code.

    The parameters are written as JSON, the fitted arrays and the networks' weights
    as NumPy ``.npy`` arrays (no pickle anywhere), in one zip file; see
    :ref:`persistence` for the layout and what is kept. An unfitted estimator is
    saved with its parameters only.

    Parameters
    ----------
    estimator : BaseDeepClusterer
        A :class:`DEC`, :class:`DeepCluster`, :class:`MultiTaskRNNClusterer`,
        :class:`DeepSubspaceClustering` or :class:`DeepMultimodalSubspaceClustering`,
        fitted or not. Subclasses, and estimators with a custom
        ``autoencoder`` or ``backbone`` module, cannot be saved this way (the
        module's code is not in the file): pickle them instead.
    path : str, path-like or binary file object
        Where to write. A path is written through a temporary file in the same
        directory, so an existing file is replaced only by a complete one. In a
        script launched with several processes (``torchrun``, see :ref:`scaling`),
        only the main process (rank 0) writes: after a data-parallel ``fit`` all
        hold the same model.

    Raises
    ------
    TypeError
        When the estimator holds something this format cannot store (a custom
        module, a parameter or attribute of an unsupported type); the message
        names it. Nothing is written then.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> import skdeepcluster
    >>> from skdeepcluster import DEC
    >>> X = np.random.RandomState(0).rand(40, 4)
    >>> dec = DEC(n_clusters=2, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=2,
    ...           max_iter=5, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "dec.skdc")
    >>> dec.save(path)
    >>> restored = skdeepcluster.load(path)
    >>> bool((restored.predict(X) == dec.predict(X)).all())
    True
    """
    cls = type(estimator)
    name = cls.__name__
    if _ESTIMATORS.get(name, (None,))[0] is not cls:
        raise TypeError(
            f"skdeepcluster.save stores the estimators of skdeepcluster "
            f"({', '.join(_ESTIMATORS)}), not {cls.__module__}.{cls.__qualname__}; "
            "pickle it instead.")
    builders = _ESTIMATORS[name][1]
    params = estimator.get_params(deep=False)
    for key in _MODULE_PARAMS:
        if params.get(key) is not None:
            raise TypeError(
                f"{name}({key}={type(params[key]).__name__}(...)) holds a custom torch module, "
                "whose code skdeepcluster.save cannot store: the file could only bring it "
                "back by running code. Save this model with pickle or joblib instead (and "
                "load such files only from sources you trust).")
    writer = _Writer(name)
    encoded_params = {k: writer.encode(v, f"{name} parameter {k!r}") for k, v in params.items()}
    networks, attributes = {}, {}
    fitted = {k: v for k, v in vars(estimator).items() if k not in params}
    for key, value in fitted.items():
        if key in builders and isinstance(value, (torch.nn.Module, skorch.NeuralNet)):
            networks[key] = _encode_network(writer, estimator, key, value)
        else:
            attributes[key] = writer.encode(value, f"{name}.{key}")
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "estimator": name,
            "fitted": bool(fitted), "versions": _versions(),
            "networks": {k: {"kind": v["kind"], "module_class": v["module_class"],
                             "device": v["device"]} for k, v in networks.items()}}
    attributes = {"attributes": {"__dict__": attributes}, "networks": {"__dict__": networks}}
    members = {_META: meta, _PARAMS: {"__dict__": encoded_params}, _ATTRIBUTES: attributes}

    if not distributed.is_main_process():  # every process holds the same model: one file
        return
    if hasattr(path, "write"):
        _write_zip(path, members, writer.arrays)
        return
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".skdc-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_zip(f, members, writer.arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _write_zip(f, members, arrays):
    with zipfile.ZipFile(f, "w") as zf:
        for member, content in members.items():
            # meta and parameters readable by eye; the attributes (histories) compact
            indent = None if member == _ATTRIBUTES else 1
            text = json.dumps(content, allow_nan=False, indent=indent)
            zf.writestr(member, text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
        for member, array in arrays.items():
            with zf.open(member, "w", force_zip64=array.nbytes > 2**30) as out:
                np.lib.format.write_array(out, np.ascontiguousarray(array),
                                          allow_pickle=False)


# ---- decoding ----------------------------------------------------------------------------
class _Reader:
    """Reads the members of an open zip file and decodes tagged JSON."""

    def __init__(self, zf, source):
        self.zf = zf
        self.source = source
        self.names = set(zf.namelist())

    def error(self, message):
        return ModelFileError(f"{self.source} is not a valid skdeepcluster model file: {message}")

    def json(self, member):
        if member not in self.names:
            raise self.error(f"it has no {member}.")
        try:
            return json.loads(self.zf.read(member).decode("utf-8"),
                              parse_constant=self._no_constant)
        except (ValueError, RecursionError) + _ZIP_ERRORS as exc:
            raise self.error(f"{member} is not valid JSON ({exc!r}).") from exc

    def _no_constant(self, token):
        raise ValueError(f"non-standard JSON constant {token}")

    def array(self, member):
        if not isinstance(member, str) or not _ARRAY_NAME.fullmatch(member) \
                or member not in self.names:
            raise self.error(f"it refers to an array {member!r} that it does not hold.")
        info = self.zf.getinfo(member)
        try:
            with self.zf.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise ValueError(f"unsupported .npy version {version}")
                header_size = f.tell()
                if dtype.hasobject or dtype.kind not in _ARRAY_KINDS or dtype.fields:
                    raise ValueError(f"it holds dtype {dtype}, not numbers")
                nbytes = math.prod(shape) * dtype.itemsize
                if info.file_size != header_size + nbytes:
                    raise ValueError(f"its size does not match its header ({shape}, {dtype})")
                data = f.read(nbytes)
        except (ValueError,) + _ZIP_ERRORS as exc:
            raise self.error(f"{member} is not a NumPy array of numbers ({exc}).") from exc
        array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        return array.copy()  # writable, owns its memory

    def decode(self, value, where):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.decode(v, where) for v in value]
        if not isinstance(value, dict) or len(value) != 1:
            raise self.error(f"unexpected value in {where}.")
        (tag, body), = value.items()
        try:
            decoder = getattr(self, "_decode_" + tag.strip("_"))
        except AttributeError:
            raise self.error(f"unknown tag {tag!r} in {where}.") from None
        try:
            return decoder(body, where)
        except ModelFileError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, OverflowError,
                RuntimeError) as exc:
            raise self.error(f"bad {tag} value in {where} ({exc}).") from exc

    def _decode_float(self, body, where):
        if body not in ("nan", "inf", "-inf"):
            raise ValueError(f"{body!r}")
        return float(body)

    def _decode_scalar(self, body, where):
        dtype, item = body
        dtype = np.dtype(dtype)
        if dtype.kind not in _ARRAY_KINDS - {"c"}:
            raise ValueError(f"dtype {dtype}")
        return dtype.type(self.decode(item, where))

    def _decode_tuple(self, body, where):
        return tuple(self.decode(v, where) for v in self._list(body))

    def _decode_dict(self, body, where):
        if not isinstance(body, dict):
            raise TypeError("not an object")
        return {k: self.decode(v, f"{where}[{k!r}]") for k, v in body.items()}

    def _decode_history(self, body, where):
        return History(self.decode(v, where) for v in self._list(body))

    def _decode_array(self, body, where):
        return self.array(body)

    def _decode_str_array(self, body, where):
        shape, items = body
        if not all(isinstance(s, str) for s in items):
            raise TypeError("not strings")
        return np.asarray(items, dtype=object).reshape(shape)

    def _decode_device(self, body, where):
        return torch.device(str(body))

    def _decode_random_state(self, body, where):
        kind, keys, pos, has_gauss, cached = body
        state = np.random.RandomState()
        state.set_state((str(kind), self.decode(keys, where), int(pos), int(has_gauss),
                         float(cached)))
        return state

    def _decode_kneighbors(self, body, where):
        params, X, labels = (self.decode(v, where) for v in body)
        if not isinstance(params, dict):
            raise TypeError("parameters are not an object")
        return KNeighborsClassifier(**params).fit(X, labels)

    def _decode_attribute(self, body, where):
        raise self.error(f"unexpected attribute reference in {where}.")

    @staticmethod
    def _list(body):
        if not isinstance(body, list):
            raise TypeError("not a list")
        return body


def _version_tuple(version):
    match = re.match(r"(\d+)\.(\d+)", str(version))
    return None if match is None else (int(match[1]), int(match[2]))


def _check_meta(meta, reader):
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise reader.error(f"its meta.json does not declare format {FORMAT!r}.")
    version = meta.get("format_version")
    if type(version) is not int or version < 1:
        raise reader.error(f"format_version {version!r} is not a positive integer.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{reader.source} was written in file format {version} by a newer skdeepcluster "
            f"({_saved_version(meta)}); this version reads format {FORMAT_VERSION} and "
            "older. Upgrade skdeepcluster to load it.")
    name = meta.get("estimator")
    if name not in _ESTIMATORS:
        raise reader.error(f"estimator {name!r} is not one of {', '.join(_ESTIMATORS)}.")
    from . import __version__

    saved = _saved_version(meta)
    saved_mm, here_mm = _version_tuple(saved), _version_tuple(__version__)
    if saved_mm is None:
        raise reader.error(f"its skdeepcluster version {saved!r} is not a version number.")
    if saved_mm[0] != here_mm[0]:
        raise ModelFileError(
            f"{reader.source} was saved with skdeepcluster {saved}; this is {__version__}. "
            "Files load across minor versions of the same major version only: load it with "
            f"skdeepcluster {saved_mm[0]}.x and refit, or fit the model again with this "
            "version.")
    if saved_mm != here_mm:
        warnings.warn(
            f"{reader.source} was saved with skdeepcluster {saved} and is loaded with "
            f"{__version__}: its parameters and networks are checked against this version "
            "(an incompatibility raises ModelFileError), but results may differ where an "
            "algorithm changed between the versions. Refit, or save it again, to silence "
            "this warning.", InconsistentVersionWarning, stacklevel=3)
    return _ESTIMATORS[name], saved_mm != here_mm


def _saved_version(meta):
    versions = meta.get("versions")
    return versions.get("skdeepcluster") if isinstance(versions, dict) else None


def _load_device(requested, saved, where):
    if requested is not None:
        return requested
    if _available(saved):
        return saved
    warnings.warn(f"{where} was fitted on {saved}, which is not available here: it is "
                  "loaded on the CPU.", UserWarning, stacklevel=4)
    return "cpu"


def _rebuild_network(reader, est, name, info, builder, device):
    where = f"{type(est).__name__}.{name}"
    if not isinstance(info, dict):
        raise reader.error(f"network {name!r} is not described.")
    kind = info.get("kind")
    if kind not in ("skorch", "module"):
        raise reader.error(f"network {name!r} has unknown kind {kind!r}.")
    state = reader.decode(info.get("state_dict"), f"{where} weights")
    training = reader.decode(info.get("training"), f"{where} modes")
    if not isinstance(state, dict) or not isinstance(training, dict) \
            or not all(isinstance(v, np.ndarray) for v in state.values()):
        raise reader.error(f"network {name!r} has no state dict of arrays.")
    device = _load_device(device, str(info.get("device")), where)
    try:
        # the builders draw initial weights: leave the caller's random state alone
        with torch_seed_scope(0, "cpu"):
            module = builder(est)
    except Exception as exc:
        raise ModelFileError(
            f"{reader.source}: {where} could not be rebuilt from the saved parameters and "
            f"fitted attributes ({type(exc).__name__}: {exc}).") from exc
    if type(module).__name__ != info.get("module_class"):
        raise ModelFileError(
            f"{reader.source}: {where} was a {info.get('module_class')}, but this version "
            f"builds a {type(module).__name__} from the saved parameters.")
    try:
        module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()},
                               strict=True, assign=True)
    except (RuntimeError, TypeError) as exc:
        raise ModelFileError(
            f"{reader.source}: the weights of {where} do not fit the network this version "
            f"builds from the saved parameters: {exc}") from exc
    module = module.to(device)
    for sub_name, sub in module.named_modules():
        sub.training = bool(training.get(sub_name, sub.training))
    if kind == "module":
        return module
    net_class = _NET_CLASSES.get(info.get("net_class"))
    if net_class is None:
        raise reader.error(f"network {name!r} names an unknown net {info.get('net_class')!r}.")
    settings = reader.decode(info.get("settings"), f"{where} settings")
    classes = reader.decode(info.get("classes"), f"{where} settings")
    if not isinstance(settings, dict) or not isinstance(classes, dict):
        raise reader.error(f"network {name!r} has no settings.")
    kwargs = {"criterion": torch.nn.MSELoss, "train_split": None,
              "iterator_train": TensorBatchIterator, "iterator_valid": TensorBatchIterator}
    for key, cls_name in classes.items():
        if key not in _NET_CLASS_SETTINGS or cls_name not in _NET_SETTING_CLASSES:
            raise reader.error(f"network {name!r} names an unknown class {cls_name!r}.")
        kwargs[key] = _NET_SETTING_CLASSES[cls_name]
    for key, value in settings.items():
        if key in _NET_CLASS_SETTINGS or key in ("module", "callbacks", "device", "compile") \
                or ("__" in key and not key.startswith(_NET_SUB_SETTINGS)):
            raise reader.error(f"network {name!r} has an unexpected setting {key!r}.")
        if not (value is None or type(value) in (bool, int, float, str)):
            raise reader.error(f"network {name!r} setting {key!r} is not a scalar.")
        kwargs[key] = value
    try:
        net = net_class(module, device=str(device), compile=False, **kwargs)
        net.initialize()
    except Exception as exc:
        raise ModelFileError(f"{reader.source}: the skorch net {where} could not be rebuilt "
                             f"({type(exc).__name__}: {exc}).") from exc
    net.module = type(module)  # as fit leaves it: the instance is module_
    history = info.get("history")
    if isinstance(history, dict) and set(history) == {"__attribute__"}:
        history = getattr(est, str(history["__attribute__"]), None)
        if not isinstance(history, History):
            raise reader.error(f"network {name!r} refers to a history it does not hold.")
    else:
        history = reader.decode(history, f"{where} history")
        if not isinstance(history, History):
            raise reader.error(f"network {name!r} has no history.")
    net.history_ = history
    return net


def load(path, *, device=None):
    """Load an estimator written by :func:`save`, without running code from the file.

    The file's JSON and ``.npy`` arrays are read with no unpickling; the networks are
    built by this package from the saved parameters and fitted layout, then their
    weights are loaded (shapes checked).

    Parameters
    ----------
    path : str, path-like or binary file object
        A file written by :func:`save` (or :meth:`BaseDeepClusterer.save`).
    device : str, torch.device or None, default=None
        Where to put the networks. None: the device they were fitted on when it is
        available here, else the CPU (with a warning), as for a pickle. ``'cpu'``,
        ``'cuda'``, ``'cuda:1'``: there. The estimator's ``device`` parameter is
        the saved one (it applies to the next ``fit``).

    Returns
    -------
    estimator : BaseDeepClusterer
        The estimator (one of the five), fitted as saved (or unfitted, if it was saved unfitted).

    Raises
    ------
    ModelFileError
        The file is not a skdeepcluster model file (not a zip file, truncated,
        missing or unexpected members, an array that holds Python objects, a pickle
        in place of an array, an unknown estimator class), was written by a newer
        file format or another major version, or holds parameters, attributes or
        weights that do not fit what this version builds. The message says which.
        Nothing from the file has been run or returned.

    Warns
    -----
    InconsistentVersionWarning
        The file comes from another minor version of skdeepcluster; it loads when
        its parameters and networks match this version.
    UserWarning
        A network was fitted on a device that is not available here and is loaded
        on the CPU.
    """
    source = "The file object" if hasattr(path, "read") else repr(os.fspath(path))
    requested = None if device is None else resolve_device(device)
    try:
        zf = zipfile.ZipFile(path if hasattr(path, "read") else os.fspath(path))
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"{source} is not a skdeepcluster model file: it is not a "
                             f"zip archive ({exc}).") from exc
    with zf:
        try:
            return _load(_Reader(zf, source), requested)
        except zipfile.BadZipFile as exc:
            raise ModelFileError(f"{source} is not a valid skdeepcluster model file: it is "
                                 f"damaged or truncated ({exc}).") from exc
        except RecursionError as exc:
            raise ModelFileError(f"{source} is not a valid skdeepcluster model file: its "
                                 "values are nested too deeply.") from exc


def _load(reader, device):
    expected = {_META, _PARAMS, _ATTRIBUTES}
    unexpected = sorted(n for n in reader.names
                        if n not in expected and not _ARRAY_NAME.fullmatch(n))
    if unexpected:
        raise reader.error(f"unexpected members {unexpected}.")
    (cls, builders), other_version = _check_meta(reader.json(_META), reader)
    name = cls.__name__
    params = reader.decode(reader.json(_PARAMS), "params.json")
    if not isinstance(params, dict):
        raise reader.error("params.json does not hold the parameters.")
    known = cls().get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ModelFileError(
            f"{reader.source}: {name} in this version of skdeepcluster has no parameter(s) "
            f"{unknown} (the file was saved with skdeepcluster "
            f"{_saved_version(reader.json(_META))}, or was changed).")
    missing = sorted(set(known) - set(params))
    if missing and not other_version:
        raise reader.error(f"params.json lacks the parameter(s) {missing} of {name}.")
    if missing:
        warnings.warn(f"{reader.source} has no value for the parameter(s) {missing}, new in "
                      "this version: they take their defaults.", InconsistentVersionWarning,
                      stacklevel=3)
    for key in _MODULE_PARAMS:
        if params.get(key) is not None:
            raise reader.error(f"parameter {key!r} must be None in a saved file.")
    estimator = cls(**params)
    try:
        estimator._validate_params()
    except ValueError as exc:  # InvalidParameterError
        raise ModelFileError(f"{reader.source}: invalid parameters for {name}: {exc}") from exc

    content = reader.json(_ATTRIBUTES)
    if not isinstance(content, dict) or set(content) != {"attributes", "networks"}:
        raise reader.error("attributes.json does not hold the fitted attributes.")
    attributes = reader.decode(content["attributes"], "attributes.json")
    networks = content["networks"]
    if not isinstance(attributes, dict) or not isinstance(networks, dict) \
            or set(networks) != {"__dict__"} or not isinstance(networks["__dict__"], dict):
        raise reader.error("attributes.json does not hold the fitted attributes.")
    networks = networks["__dict__"]
    clash = sorted((set(attributes) | set(networks)) & set(known))
    if clash:
        raise reader.error(f"fitted attributes {clash} have the names of parameters.")
    unknown = sorted(set(networks) - set(builders))
    if unknown:
        raise reader.error(f"{name} holds no network named {unknown}.")
    for key in list(attributes) + list(networks):
        # fitted attributes only: no dunder, no name of a method or class attribute
        if not _ATTRIBUTE_NAME.fullmatch(key) or key.startswith("__") or hasattr(cls, key):
            raise reader.error(f"{key!r} cannot be a fitted attribute of {name}.")
    for key, value in attributes.items():
        setattr(estimator, key, value)
    for key, info in networks.items():
        setattr(estimator, key,
                _rebuild_network(reader, estimator, key, info, builders[key], device))
    return estimator
