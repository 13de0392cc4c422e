"""What the two subspace clustering estimators share: fit, out-of-sample predict, docs.

``fit`` is: check the input (one flat array and the shape of each modality),
pretrain the autoencoder, fine-tune it with a self-expression layer C on all rows
(or on ``n_landmarks`` of them), build the affinity from C and cluster it
spectrally. ``predict`` codes new rows over each cluster's training codes by ridge
regression and picks the cluster with the smallest residual.
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from . import inputs
from .base import BaseDeepClusterer, fit_context, positive_ints
from .nn.subspace import MultimodalSubspaceAutoencoder
from .spectral import neighbor_mask, spectral_labels, subspace_affinity
from .training import fit_self_expression, pretrain_autoencoder

# bytes per entry of C during fit: float32 C, mask, gradient and two Adam moments,
# plus about five float64 n × n arrays in the post-processing and spectral step
_BYTES_PER_COEF = 5 * 4 + 5 * 8


def estimate_memory(n_samples):
    """Approximate peak memory (bytes) of the n × n self-expression part of a fit."""
    return _BYTES_PER_COEF * n_samples**2


def classwise_residual_forms(codes, labels, n_clusters, ridge):
    """Per cluster ``k``, the matrix ``ridge (Z_kᵀ Z_k + ridge I)⁻¹`` of its training codes.

    ``zᵀ F_k z`` is the residual ``min_c ||z - Z_kᵀ c||² + ridge ||c||²`` of coding
    ``z`` over cluster ``k``'s codes, computed through small latent Gram matrices.
    """
    eye = np.eye(codes.shape[1])
    return np.stack([ridge * np.linalg.inv(codes[labels == k].T @ codes[labels == k]
                                           + ridge * eye) for k in range(n_clusters)])


class SubspaceClusteringBase(BaseDeepClusterer):
    """Shared fit / predict machinery of the two subspace clustering estimators.

    Subclasses set ``_multimodal`` and define the properties ``_fusion``,
    ``_fusion_function`` and ``_modality_weights``, and ``_resolve_shapes(n_features,
    view_shapes)``, which returns each modality's shape.
    """

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
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), None],
        "n_landmarks": [Interval(Integral, 2, None, closed="left"), None],
        "max_memory_gb": [Interval(Real, 0, None, closed="neither"), None],
    }
    _value_constraints = {"hidden_dims": positive_ints(), "conv_channels": positive_ints(),
                          "kernel_sizes": positive_ints()}

    # ---- fit -----------------------------------------------------------------------
    @fit_context
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
        X, view_shapes = inputs.check_views(self, X, reset=True, multimodal=self._multimodal)
        degenerate = self._warn_if_few_distinct_rows(X)
        shapes = self._resolve_shapes(X.shape[1], view_shapes)
        n_samples = X.shape[0]
        n_fit = n_samples if self.n_landmarks is None else min(self.n_landmarks, n_samples)
        self._check_memory(n_fit, n_samples)
        self._check_architecture(shapes)
        with self._fit_scope() as (rng, seed, device):
            X_t = inputs.training_tensor(X, device)
            autoencoder = self._build_autoencoder(shapes)
            autoencoder.set_scaling(X_t)
            self.pretrain_history_ = pretrain_autoencoder(
                autoencoder, X_t, epochs=self.pretrain_epochs, lr=self.pretrain_lr,
                batch_size=self.batch_size, device=device, seed=seed, verbose=self.verbose)
            landmarks = (np.arange(n_samples) if n_fit == n_samples
                         else np.sort(rng.choice(n_samples, n_fit, replace=False)))
            self.coef_, self.history_ = fit_self_expression(
                autoencoder, X_t[torch.as_tensor(landmarks, device=device)],
                lambda1=self.lambda1, lambda2=self.lambda2, coef_init=self.coef_init,
                lr=self.lr, coef_lr=self.coef_lr, max_iter=self.max_iter, seed=seed + 1,
                device=device, verbose=self.verbose)
            self.n_iter_ = len(self.history_)
            # keep the autoencoder, not the net: C and its Adam state are n × n each
            # float64 and eval mode for good (inference writes no module state)
            self.autoencoder_ = autoencoder.double().eval()
            self.modality_shapes_ = shapes
            self.landmark_indices_ = landmarks
            self._cluster(rng, X, landmarks, degenerate)
        if not degenerate:
            self._warn_if_clusters_lost()
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

    def _cluster(self, rng, X, landmarks, degenerate=False):
        """Affinity + spectral clustering on the landmarks; out-of-sample coding for the rest.

        With fewer distinct rows than clusters (``degenerate``), spectral clustering
        splits identical rows at random; every row is then labelled by the coding
        rule of ``predict``, so that identical rows share a label and ``predict``
        agrees with ``labels_``.
        """
        neighbors = None
        if self.n_neighbors is not None and len(landmarks) >= 2:
            neighbors = neighbor_mask(self._standardized(X[landmarks]),
                                      self._mask_neighbors(len(landmarks)),
                                      self.autoencoder_.sizes)
        self.affinity_ = subspace_affinity(
            self.coef_, self.n_clusters, threshold_ratio=self.threshold_ratio,
            subspace_dim=self.subspace_dim, affinity_power=self.affinity_power,
            neighbors=neighbors)
        landmark_labels = spectral_labels(self.affinity_, self.n_clusters, rng)
        codes = self._transform(X[landmarks])
        self.train_codes_ = codes
        self.train_labels_ = landmark_labels
        # per-cluster ridge coding over the training codes, through small latent Gram matrices
        self.ridge_ = (self.lambda1 / self.lambda2 * len(landmarks)
                       * float(np.mean(np.sum(codes**2, 1))))
        self._residual_forms = classwise_residual_forms(codes, landmark_labels,
                                                        self.n_clusters, max(self.ridge_, 1e-12))
        if degenerate:
            self.labels_ = self._code_residuals(self._transform(X))[0]
        elif len(landmarks) == X.shape[0]:
            self.labels_ = landmark_labels
        else:
            labels, _ = self._code_residuals(self._transform(X))
            labels[landmarks] = landmark_labels
            self.labels_ = labels

    def _mask_neighbors(self, n_fit):
        """``n_neighbors``, capped at the mean cluster size less one (at least 1).

        A row with more neighbours than its cluster holds must count rows of other
        clusters among them.
        """
        return max(1, min(self.n_neighbors, n_fit // self.n_clusters - 1))

    def _standardized(self, X):
        """Rows as the network sees them: each modality shifted and scaled by its scalars."""
        ae = self.autoencoder_
        blocks = np.split(X, np.cumsum(ae.sizes)[:-1], axis=1)
        return np.hstack([(b - float(ae.shift[m])) / float(ae.scale[m])
                          for m, b in enumerate(blocks)])

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
        X, _ = inputs.check_views(self, X, reset=False, multimodal=self._multimodal)
        return self._transform(X)

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
