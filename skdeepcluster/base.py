"""Shared estimator machinery: parameters, device, seeding, pickling, inference, tags."""

import functools
import io
import os
import pickle
import warnings
from contextlib import contextmanager, nullcontext
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError
from skorch import NeuralNet

from . import distributed, inputs
from .nn.clustering import kl_clustering_loss, target_distribution
from .training import batched_apply


def resolve_device(device):
    """Turn the ``device`` parameter into a torch device string.

    ``'auto'`` means ``'cuda'`` when a GPU is visible, else ``'cpu'``. A device that
    cannot train here gets a ``ValueError`` naming the parameter: an unknown name, a
    CUDA device that is absent, ``'meta'`` (tensors without data) and ``'mps'``
    (no float64, which inference uses).
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a valid torch device.") from exc
    kind = resolved.type
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but CUDA is not available.")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r} was requested but only "
                             f"{torch.cuda.device_count()} CUDA device(s) are visible.")
    elif kind == "meta":
        raise ValueError(f"device={device!r} cannot train a model: 'meta' tensors hold no "
                         "data. Use device='cpu' or a GPU.")
    elif kind == "mps":
        raise ValueError(f"device={device!r} is not supported: fitted models run in "
                         "float64, which MPS lacks. Use device='cpu'.")
    elif kind != "cpu":
        backend = getattr(torch, kind, None)
        available = getattr(backend, "is_available", None)
        if available is None or not available():
            raise ValueError(f"device={device!r} was requested but {kind} is not "
                             "available here.")
    return str(resolved)


@contextmanager
def torch_seed_scope(seed, device):
    """Seed torch for the duration of a ``with`` block and restore the caller's RNG state.

    Only the CPU generator and, on CUDA, the generator of the device in use are
    touched, so the user's other RNG streams are left alone.
    """
    dev = torch.device(device)
    cuda_devices = [dev.index or 0] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_devices):
        torch.random.default_generator.manual_seed(seed)
        if cuda_devices:
            with torch.cuda.device(cuda_devices[0]):
                torch.cuda.manual_seed(seed)
        yield


@contextmanager
def cuda_determinism(device):
    """Make CUDA kernels deterministic for a ``with`` block, then restore the settings.

    On a GPU, some kernels sum with atomic additions (``index_add_`` in k-means) and
    cuDNN may pick a different convolution algorithm on each call, so two fits with
    the same seed differ in the last bits and then in the labels. Within the block,
    torch uses its deterministic kernels (``warn_only``: an op that has none warns
    instead of failing) and cuDNN its deterministic algorithms. cuBLAS needs
    ``CUBLAS_WORKSPACE_CONFIG`` for that (PyTorch's reproducibility notes); it is set
    to ``:4096:8`` for the block when the caller has not set it. Deterministic mode
    would also fill every new tensor with NaN before use (a debugging aid that costs
    one kernel per allocation); no code here reads memory before writing it, so that
    is switched off. On the CPU this does nothing.
    """
    if torch.device(device).type != "cuda":
        yield
        return
    import torch.utils.deterministic as torch_deterministic

    saved = (torch.are_deterministic_algorithms_enabled(),
             torch.is_deterministic_algorithms_warn_only_enabled(),
             torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark,
             torch_deterministic.fill_uninitialized_memory)
    cublas_config_was_set = "CUBLAS_WORKSPACE_CONFIG" in os.environ
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    torch_deterministic.fill_uninitialized_memory = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved[2:4]
        torch_deterministic.fill_uninitialized_memory = saved[4]
        if not cublas_config_was_set:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def _items(value):
    if isinstance(value, (str, bytes)):
        return None
    try:
        return list(np.asarray(value, dtype=object).ravel()) if np.ndim(value) else None
    except (TypeError, ValueError):
        return None


def positive_ints(*, allow_empty=True):
    """A value rule: a sequence of positive ints (layer widths, kernel sizes, column counts).

    For :attr:`BaseDeepClusterer._value_constraints`; returns ``(test, description)``.
    """
    def test(value):
        items = _items(value)
        return (items is not None and (allow_empty or len(items) > 0)
                and all(_is_int(v) and v >= 1 for v in items))
    what = "a sequence of positive ints"
    return test, what if allow_empty else f"a non-empty {what[2:]}"


def nonnegative_weights():
    """A value rule: finite non-negative numbers, not all zero (per-modality weights)."""
    def test(value):
        items = _items(value)
        if not items or not all(isinstance(v, Real) and not isinstance(v, (bool, np.bool_))
                                for v in items):
            return False
        w = np.asarray(items, dtype=float)
        return bool(np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0)
    return test, "a non-empty sequence of finite non-negative numbers, not all zero"


def fit_context(fit):
    """The decorator of every estimator's ``fit``: checked parameters, all-or-nothing state.

    It applies scikit-learn's ``_fit_context`` (the ``_parameter_constraints``), then
    :meth:`BaseDeepClusterer._check_param_values` (what those constraints cannot
    say: element values, ints that are bools). If ``fit`` raises anything, a
    ``KeyboardInterrupt`` included, the estimator's attributes are put back as they
    were before the call: a failed re-fit leaves the previous model intact (and an
    unfitted estimator unfitted), never a mix of old and new fitted attributes.
    ``fit`` only rebinds attributes (it never mutates a fitted object in place), so
    a shallow copy of ``__dict__`` is that state.
    """
    @_fit_context(prefer_skip_nested_validation=True)
    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        self._check_param_values()
        saved = self.__dict__.copy()
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    return wrapper


class _TensorExtractingPickler(pickle.Pickler):
    """Pickles an object graph with every torch tensor replaced by a reference.

    The tensors are collected in ``tensors`` (each once; shared tensors keep their
    identity), to be written by ``torch.save`` and read back with
    ``weights_only=True``.
    """

    def __init__(self, file, tensors):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.tensors = tensors
        self._index = {}

    def persistent_id(self, obj):
        if not isinstance(obj, torch.Tensor) or isinstance(
                obj, torch.nn.parameter.UninitializedTensorMixin):
            return None
        key = id(obj)
        if key not in self._index:
            self._index[key] = len(self.tensors)
            self.tensors.append(obj.detach().as_subclass(torch.Tensor))
        kind = type(obj)
        return ("tensor", self._index[key], obj.requires_grad,
                None if kind in (torch.Tensor, torch.nn.Parameter) else kind,
                kind is torch.nn.Parameter)


class _TensorRestoringUnpickler(pickle.Unpickler):
    def __init__(self, file, tensors):
        super().__init__(file)
        self.tensors = tensors
        self._restored = {}

    def persistent_load(self, pid):
        tag, index, requires_grad, subclass, parameter = pid
        if tag != "tensor":
            raise pickle.UnpicklingError(f"Unknown reference {tag!r} in a pickled network.")
        if index not in self._restored:
            tensor = self.tensors[index]
            if parameter:
                tensor = torch.nn.Parameter(tensor, requires_grad=requires_grad)
            else:
                if subclass is not None:
                    tensor = tensor.as_subclass(subclass)
                tensor.requires_grad_(requires_grad)
            self._restored[index] = tensor
        return self._restored[index]


def _available(device):
    """Whether tensors saved on ``device`` can be loaded there on this machine."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and (device.index or 0) < torch.cuda.device_count()
    return device.type == "cpu" or device.type == "meta"


def _module_device(obj):
    """The device of a tensor, or of the first parameter of a module (or skorch net)."""
    if isinstance(obj, torch.Tensor):
        return str(obj.device)
    module = getattr(obj, "module_", obj)
    tensor = next(module.parameters(), None) if isinstance(module, torch.nn.Module) else None
    return "cpu" if tensor is None else str(tensor.device)


class _PickledModule:
    """A torch module (or skorch net) as pickled structure plus ``torch.save`` tensor bytes.

    The object is pickled with every tensor taken out (:class:`_TensorExtractingPickler`);
    the tensors are written once by ``torch.save`` and read back with
    ``torch.load(weights_only=True)``, so no tensor bytes go through the unrestricted
    unpickler (skorch nets load their own modules the same way). Pickling a module
    directly would also record CUDA storages that cannot be read back on a machine
    without that GPU: a model fitted on a GPU loads on the same GPU where there is
    one, else on the CPU (with a warning), as skorch does for its nets.
    """

    def __init__(self, obj):
        tensors = []
        buffer = io.BytesIO()
        _TensorExtractingPickler(buffer, tensors).dump(obj)
        self.structure = buffer.getvalue()
        buffer = io.BytesIO()
        torch.save(tensors, buffer)
        self.data = buffer.getvalue()
        self.device = _module_device(obj)

    def load(self):
        if not hasattr(self, "structure"):
            raise pickle.UnpicklingError(
                "This pickle holds a network written by an earlier skdeepcluster as a whole "
                "torch.save module, which only torch.load(weights_only=False) can read; it "
                "is not loaded. Unpickle it with the version that wrote it and save it "
                "again (pickle, or skdeepcluster.save).")
        map_location = None
        if not _available(self.device):
            warnings.warn(
                f"This model was fitted on {self.device}, which is not available here: its "
                "network is loaded on the CPU.", UserWarning, stacklevel=3)
            map_location = "cpu"
        tensors = torch.load(io.BytesIO(self.data), map_location=map_location,
                             weights_only=True)
        return _TensorRestoringUnpickler(io.BytesIO(self.structure), tensors).load()


def _holds_torch_state(value):
    return isinstance(value, (torch.nn.Module, torch.Tensor, NeuralNet))


class BaseDeepClusterer(
    ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin, BaseEstimator
):
    """Base class of the deep clustering estimators.

    It holds what every estimator shares: the common parameter constraints (and
    ``_value_constraints``, the element values they cannot express), the device and
    seeding rules, all-or-nothing ``fit`` (:func:`fit_context`), the warning on
    degenerate data, pickling of fitted torch modules, float64 inference and the
    tags. Input checks live in :mod:`skdeepcluster.inputs`. Training runs in
    float32; after ``fit`` the networks are cast to float64, so that
    ``predict``/``transform`` do not depend on how rows are batched (float32 sums
    differ by ~1e-6 between batch sizes).

    Notes
    -----
    Reproducibility: the same data and ``random_state`` give the same result with the
    same torch version, device, thread count and kind of CPU or GPU. ``fit`` draws its
    randomness from ``random_state`` only and restores the caller's global torch RNG
    state. On a GPU, a fit with a ``random_state`` runs torch's deterministic kernels
    (see :func:`cuda_determinism`).
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }
    # What the constraints above cannot say, checked by _check_param_values at fit:
    # parameter name -> (test, description), e.g. positive_ints() for layer widths.
    _value_constraints = {}

    # ---- pickling ----------------------------------------------------------------
    def __getstate__(self):
        # torch modules and skorch nets travel as structure + tensor bytes read with
        # torch.load(weights_only=True) (see _PickledModule)
        state = super().__getstate__()
        modules = {k: v for k, v in state.items() if _holds_torch_state(v)}
        if modules:
            state = {**state, **{k: _PickledModule(v) for k, v in modules.items()}}
        return state

    def __setstate__(self, state):
        state = {k: v.load() if isinstance(v, _PickledModule) else v for k, v in state.items()}
        super().__setstate__(state)

    # ---- saving ------------------------------------------------------------------
    def save(self, path):
        """Save the estimator to a file that :func:`skdeepcluster.load` reads safely.

        Parameters as JSON, fitted arrays and network weights as NumPy arrays, in one
        zip file; loading it runs no code from the file (see :ref:`persistence`).
        Same as :func:`skdeepcluster.save`.

        Parameters
        ----------
        path : str, path-like or binary file object
            Where to write.
        """
        from .io import save

        save(self, path)

    # ---- fitting -----------------------------------------------------------------
    @contextmanager
    def _fit_scope(self, data_parallel=False):
        """Resolve the device and seed torch for one ``fit``.

        Yields ``(rng, seed, device)``: a numpy ``RandomState`` for everything drawn
        on the numpy side (k-means seeds), the integer that seeded torch (reuse it
        for DataLoader generators), and the resolved device string. With a
        ``random_state`` on a GPU, CUDA kernels are made deterministic for the fit
        (:func:`cuda_determinism`), so that the same seed gives the same labels there
        too; without one, the fit keeps the faster defaults.

        ``data_parallel=True`` (an estimator whose training phases support it): in a
        script launched by ``torchrun`` with several processes, the fit runs
        data-parallel (:mod:`skdeepcluster.distributed`); alone, nothing changes.
        """
        device = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        scope = distributed.fit_scope(device, rng) if data_parallel else nullcontext((device, rng))
        with scope as (device, rng):
            seed = int(rng.randint(np.iinfo(np.int32).max))
            determinism = (nullcontext() if self.random_state is None
                           else cuda_determinism(device))
            with torch_seed_scope(seed, device), determinism:
                yield rng, seed, device

    def _check_param_values(self):
        """Check what ``_parameter_constraints`` cannot: element values, bools as ints.

        A sequence parameter is checked against its rule in ``_value_constraints``
        (e.g. every layer width a positive int); an integer parameter refuses
        ``True``/``False``, which scikit-learn's ``Interval(Integral, ...)`` accepts.
        Raises scikit-learn's ``InvalidParameterError`` (a ``ValueError``) with the
        wording of its own parameter checks.
        """
        name = type(self).__name__
        for param, constraints in self._parameter_constraints.items():
            value = getattr(self, param)
            if (isinstance(value, (bool, np.bool_)) and "boolean" not in constraints
                    and any(isinstance(c, Interval) and c.type is Integral
                            for c in constraints)):
                raise InvalidParameterError(
                    f"The '{param}' parameter of {name} must be an int, not a bool. "
                    f"Got {value!r} instead.")
        for param, (test, description) in self._value_constraints.items():
            value = getattr(self, param)
            if value is not None and not test(value):
                raise InvalidParameterError(
                    f"The '{param}' parameter of {name} must be {description}. "
                    f"Got {value!r} instead.")

    def _warn_if_few_distinct_rows(self, X):
        """Warn when ``X`` has fewer distinct rows than ``n_clusters``; return whether it did.

        Identical rows get identical embeddings, so they land in the same cluster:
        such data cannot give ``n_clusters`` clusters (scikit-learn's KMeans warns
        likewise). ``X`` is the validated training array, one row per sample.
        """
        n_distinct = inputs.n_distinct_rows(X, at_most=self.n_clusters)
        if n_distinct >= self.n_clusters:
            return False
        warnings.warn(
            f"X has only {n_distinct} distinct sample(s) for n_clusters={self.n_clusters}: "
            f"identical samples share a cluster, so {type(self).__name__} finds at most "
            f"{n_distinct} cluster(s). Remove duplicates or lower n_clusters.",
            ConvergenceWarning, stacklevel=5)  # warn -> this -> fit -> 2 wrappers -> caller
        return True

    def _warn_if_clusters_lost(self):
        """Warn when fewer distinct labels than ``n_clusters`` came out of training.

        A centroid-based clustering loss can empty clusters, and a collapsed
        representation (or an affinity graph with fewer groups) can leave fewer;
        the labels are still valid, but the user asked for more clusters than the
        model found (as scikit-learn's KMeans warns).
        """
        n_found = np.unique(self.labels_).size
        if n_found < self.n_clusters:
            warnings.warn(
                f"{type(self).__name__} found only {n_found} distinct clusters of the "
                f"{self.n_clusters} requested: the learned representation separates "
                "fewer groups. Check the training losses (pretrain_history_, history_): a "
                "diverged or collapsed network gives such a representation; a lower "
                "learning rate or another random_state helps.",
                ConvergenceWarning,
                stacklevel=5,  # warn -> this -> fit -> fit_context's 2 wrappers -> caller
            )

    def fit_predict(self, X, y=None):
        """Fit the model and return the cluster label of each training row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster labels, equal to ``labels_``.
        """
        return self.fit(X).labels_

    # ---- inference ---------------------------------------------------------------
    def _apply(self, module, X, fn, device):
        """Run ``fn(module, batch)`` over ``X`` in float64 and return numpy.

        Fitted modules stay in eval mode (``fit`` leaves them so), so inference
        writes no module state and may run in several threads at once; a module
        still in training mode (a model pickled by an earlier version) is switched
        to eval mode for good.
        """
        if module.training:
            module.eval()
        out = batched_apply(module, X, fn, self.batch_size, device, dtype=torch.float64)
        if isinstance(out, tuple):
            return tuple(o.cpu().numpy() for o in out)
        return out.cpu().numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # inference runs in float64 (see the class docstring)
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


class StudentTClusteringMixin(TransformerMixin):
    """Inference of the estimators trained by DEC's clustering phase (DEC, the RNN).

    A ``TransformerMixin`` itself, so that scikit-learn wraps the ``transform``
    defined here for ``set_output``.

    The estimator defines ``_network_input(X)``, which validates new data and
    scales it as in ``fit``, and stores the phase's result with
    :meth:`_store_clustering`.
    """

    def _store_clustering(self, result):
        """Fitted attributes from a :class:`~skdeepcluster.training.ClusteringResult`."""
        self.net_ = result.net
        self.history_ = result.net.history
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.cluster_centers_ = result.cluster_centers
        self.labels_ = result.labels

    def predict_proba(self, X):
        """Soft assignments Q (Student-t kernel) of each sample to each cluster.

        Parameters
        ----------
        X : array-like
            New samples, shaped and scaled like the training data (see ``fit``).

        Returns
        -------
        Q : ndarray of shape (n_samples, n_clusters)
            Rows sum to one.
        """
        X = self._network_input(X)  # first: it raises NotFittedError when unfitted
        return self._apply(self.net_.module_, X, lambda m, x: m.soft_assign(x),
                           self.net_.device)

    def predict(self, X):
        """Cluster of each sample: the argmax of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like
            New samples, shaped and scaled like the training data (see ``fit``).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster labels.
        """
        return self.predict_proba(X).argmax(axis=1)

    def transform(self, X):
        """Embed samples with the trained encoder.

        Parameters
        ----------
        X : array-like
            New samples, shaped and scaled like the training data (see ``fit``).

        Returns
        -------
        Z : ndarray of shape (n_samples, embedding_dim)
            Embeddings (float64).
        """
        X = self._network_input(X)
        return self._apply(self.net_.module_, X, lambda m, x: m.autoencoder.encode(x),
                           self.net_.device)

    def score(self, X, y=None):
        """Negative clustering loss ``-KL(P‖Q)`` on ``X`` (higher is better).

        P is the sharpened target computed from Q over ``X``. Scores are comparable
        between models with the same ``n_clusters``.

        Parameters
        ----------
        X : array-like
            Samples, shaped and scaled like the training data (see ``fit``).
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            ``-KL(P‖Q)``, averaged over samples.
        """
        q = torch.as_tensor(self.predict_proba(X))
        return -float(kl_clustering_loss(q, target_distribution(q)))

    @property
    def _n_features_out(self):
        return self.cluster_centers_.shape[1]
