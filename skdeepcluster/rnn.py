"""Multi-task recurrent autoencoder clustering of sensor windows (Deep Inertial Sensory Clustering)."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import StepLR

from .base import BaseDeepClusterer
from .dec import DEC
from .nn import MultiTaskRecurrentAutoencoder
from .training import AutoencoderNet


@torch.no_grad()
def _recalibrate_batchnorm(autoencoder, X, batch_size):
    """Set the embedding's BatchNorm statistics to their average over all of ``X`` in eval mode.

    Training-mode BatchNorm keeps exponential averages of batch statistics gathered
    with dropout on; they lag behind the weights and do not fit eval-mode
    activations, so the eval-mode embedding (k-means init, P, predict) would be
    shifted against the one being trained. Recomputing them before every use of the
    eval-mode embedding removes that shift.
    """
    norm = autoencoder.embed_norm
    was_training = autoencoder.training
    autoencoder.eval()
    norm.reset_running_stats()
    norm.momentum = None  # cumulative average over the batches below
    norm.train()
    for start in range(0, len(X), batch_size):
        autoencoder.encode(X[start : start + batch_size].to(norm.running_mean.dtype))
    norm.momentum = 0.1
    autoencoder.train(was_training)


class MultiTaskRNNClusterer(DEC):
    """Deep clustering of multichannel sensor windows with a multi-task recurrent autoencoder.

    Each window is split in two: a bidirectional ConvGRU encodes the first
    ``n_timesteps - future_steps`` steps into an embedding ``z``; two conditional
    GRU decoders started from ``z`` reconstruct that part time-reversed and predict
    the last ``future_steps`` steps. The autoencoder is pretrained on
    ``L_AE = MSE(reconstruction) + MSE(future)``; k-means on ``z`` initialises the
    centroids of a Student-t soft assignment Q, then everything is trained on
    ``L_AE + gamma * KL(P‖Q)`` with DEC's target distribution P, recomputed over the
    whole dataset every ``update_interval`` iterations, until fewer than a fraction
    ``tol`` of the labels change between two updates ("Deep Inertial Sensory
    Clustering", Amrani; the clustering phase is IDEC's, Guo et al., 2017).

    Read more in the :ref:`User Guide <rnn>`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    hidden_size : int, default=256
        Hidden channels of the encoder (per direction) and of each decoder.
    num_layers : int, default=2
        Stacked recurrent layers of the encoder and of each decoder.
    kernel_size : int, default=1
        Width (odd) of the ConvGRU gate convolutions over the spatial axis. It matters only
        with ``sensor_axes``: over a spatial axis of length 1 the ConvGRU is a GRU.
    sensor_axes : int, default=None
        None: the channels are the convolution's input channels over a spatial axis
        of length 1 (the reference layout). An int ``a`` (e.g. 3 for tri-axial
        sensors): the channels, ordered sensor by sensor (acc x, y, z, gyro x, y, z),
        are laid out as ``n_channels // a`` sensors × ``a`` axes and the gate
        convolutions run across the axes (use ``kernel_size=3``).
    embedding_dim : int, default=64
        Dimension of the embedding ``z``.
    dropout : float, default=0.2
        Dropout between encoder layers (no effect with ``num_layers=1``).
    future_steps : int or 'auto', default='auto'
        Steps at the end of each window that the future decoder predicts; the encoder
        reads the others. ``'auto'`` uses half the window, ``n_timesteps // 2``, as the
        reference; 0 disables the future task (the encoder reads the whole window).
    teacher_forcing : float, default=0.0
        Probability that a decoder step reads the true previous value instead of its
        own previous output, during training only.
    scaling : {'standard', 'minmax'} or None, default='standard'
        Per-channel scaling learned in ``fit`` over all windows and time steps and
        applied by every method: zero mean and unit variance, or [0, 1] (the
        reference's min-max). A scaler in a Pipeline cannot see the channels of a
        3-D array.
    reconstruction_loss : {'mse', 'normalized'}, default='mse'
        Loss of each decoder. ``'mse'``: the mean squared error (the reference).
        ``'normalized'``: each window-channel's squared errors are divided by that
        window-channel's variance over the decoded steps (+ 0.01, in scaled units), so
        windows with small oscillations (standing, walking) count as much as windows
        with large ones instead of being reduced to their mean level; the input still
        carries the amplitude.
    znorm_input : bool, default=False
        Also feed the encoder each window z-normalised per channel over the steps it
        reads, as extra input channels, so that both level and shape are visible.
    alpha : float, default=1.0
        Degrees of freedom of the Student-t kernel.
    gamma : float, default=0.1
        Weight of ``KL(P‖Q)`` in the clustering loss ``L_AE + gamma * KL(P‖Q)``.
    pretrain_epochs : int, default=100
        Epochs of autoencoder pretraining.
    pretrain_lr : float, default=1e-3
        Adam learning rate of the pretraining.
    pretrain_lr_decay : float or None, default=None
        Multiply the pretraining learning rate by this factor after 70 % of
        ``pretrain_epochs`` (a step decay, as the reference's StepLR with step 70 of
        100 epochs and factor 0.1). None keeps it constant.
    lr : float, default=1e-3
        Adam learning rate of the clustering phase.
    max_iter : int, default=2000
        Maximum number of clustering iterations (mini-batches); 0 keeps the k-means
        initialisation of the pretrained embedding.
    update_interval : int or 'auto', default='auto'
        Iterations between two updates of P and of the stopping test; ``'auto'`` is
        one pass over the data.
    tol : float, default=1e-3
        Stop when fewer than this fraction of labels changes between two updates.
    n_init : int, default=20
        Number of k-means restarts for the centroid initialisation.
    batch_size : int, default=256
        Mini-batch size.
    device : str or torch.device, default='auto'
        ``'auto'`` uses CUDA when available, else the CPU.
    verbose : int, default=0
        0: silent; 1: skorch's progress bars and one line per epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batch order, dropout, teacher forcing and k-means.
        Pass an int for reproducible results.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training window (argmax of Q).
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Centroids in the embedding space.
    n_iter_ : int
        Number of clustering iterations run.
    converged_ : bool
        Whether the ``tol`` criterion stopped training before ``max_iter``.
    history_ : skorch.history.History
        History of the clustering phase.
    pretrain_history_ : skorch.history.History
        History of the autoencoder pretraining.
    net_ : ClusteringNet
        The trained skorch net; ``net_.module_.autoencoder`` is the
        :class:`~skdeepcluster.nn.MultiTaskRecurrentAutoencoder`.
    n_timesteps_ : int
        Time steps per window seen in ``fit``.
    n_channels_ : int
        Channels seen in ``fit`` (1 for 2-D input).
    future_steps_ : int
        Resolved ``future_steps``.
    channel_offset_, channel_scale_ : ndarray of shape (`n_channels_`,)
        The per-channel scaling ``(x - offset) / scale``.
    n_features_in_ : int
        Equal to ``n_timesteps_`` (the second axis of ``X``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a 2-D DataFrame input.

    See Also
    --------
    DEC : the same clustering phase on flat feature vectors.

    Notes
    -----
    Input is 3-D ``(n_samples, n_timesteps, n_channels)``, or 2-D
    ``(n_samples, n_timesteps)`` for univariate series (the tslearn convention, and
    what Pipelines send). :func:`skdeepcluster.preprocessing.sliding_windows` cuts a
    continuous recording into windows.

    Very short series: with ``future_steps='auto'`` a window of ``n_timesteps`` steps
    is split into ``n_timesteps - n_timesteps // 2`` encoder steps and
    ``n_timesteps // 2`` future steps, so a single time step has no future task (the
    model is then a reconstruction autoencoder of that step) and two steps are split
    one/one. An explicit ``future_steps`` must leave the encoder at least one step,
    else ``fit`` raises a ``ValueError``. ``predict`` and ``transform`` apply the same
    split, so they read only the first ``n_timesteps - future_steps`` steps.

    Two mistakes of the reference code are mended: the k-means centroids are loaded
    into the clustering head, and the full-data Q used for P and for the stopping
    test is computed in eval mode (no dropout, BatchNorm running statistics). P is
    computed over the whole dataset, as in DEC, not from each batch.

    Training runs in float32; afterwards the network runs in float64, so results do
    not depend on how rows are batched.

    References
    ----------
    .. [1] H. Amrani. "Deep Inertial Sensory Clustering." Master thesis, sec. 4.2;
       H. Amrani, D. Micucci, P. Napoletano. "Unsupervised Deep Learning-based
       clustering for Human Activity Recognition." IEEE ICCE-Berlin 2022.
    .. [2] X. Guo, L. Gao, X. Liu, J. Yin. "Improved Deep Embedded Clustering with
       Local Structure Preservation." IJCAI 2017.

    Examples
    --------
    >>> from skdeepcluster import MultiTaskRNNClusterer
    >>> from skdeepcluster.datasets import make_sensor_windows
    >>> X, y = make_sensor_windows(40, n_timesteps=16, n_channels=3, n_clusters=2,
    ...                            random_state=0)
    >>> model = MultiTaskRNNClusterer(n_clusters=2, hidden_size=8, num_layers=1,
    ...                               embedding_dim=4, pretrain_epochs=5, max_iter=10,
    ...                               random_state=0).fit(X)
    >>> model.labels_.shape, model.transform(X).shape
    ((40,), (40, 4))
    >>> bool((model.predict(X) == model.labels_).all())
    True
    """

    _parameter_constraints = {
        **BaseDeepClusterer._parameter_constraints,
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "sensor_axes": [Interval(Integral, 1, None, closed="left"), None],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "future_steps": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "teacher_forcing": [Interval(Real, 0, 1, closed="both")],
        "scaling": [StrOptions({"standard", "minmax"}), None],
        "reconstruction_loss": [StrOptions({"mse", "normalized"})],
        "znorm_input": ["boolean"],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left")],
        "pretrain_lr": [Interval(Real, 0, None, closed="neither")],
        "pretrain_lr_decay": [Interval(Real, 0, 1, closed="right"), None],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "update_interval": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
    }

    # DEC's training code reads it; mixed precision is not offered for the recurrent
    # model, which has not been measured with it
    mixed_precision = False

    def __init__(
        self,
        n_clusters=8,
        *,
        hidden_size=256,
        num_layers=2,
        kernel_size=1,
        sensor_axes=None,
        embedding_dim=64,
        dropout=0.2,
        future_steps="auto",
        teacher_forcing=0.0,
        scaling="standard",
        reconstruction_loss="mse",
        znorm_input=False,
        alpha=1.0,
        gamma=0.1,
        pretrain_epochs=100,
        pretrain_lr=1e-3,
        pretrain_lr_decay=None,
        lr=1e-3,
        max_iter=2000,
        update_interval="auto",
        tol=1e-3,
        n_init=20,
        batch_size=256,
        device="auto",
        verbose=0,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.kernel_size = kernel_size
        self.sensor_axes = sensor_axes
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.future_steps = future_steps
        self.teacher_forcing = teacher_forcing
        self.scaling = scaling
        self.reconstruction_loss = reconstruction_loss
        self.znorm_input = znorm_input
        self.alpha = alpha
        self.gamma = gamma
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.pretrain_lr_decay = pretrain_lr_decay
        self.lr = lr
        self.max_iter = max_iter
        self.update_interval = update_interval
        self.tol = tol
        self.n_init = n_init
        self.batch_size = batch_size
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    # ---- input ---------------------------------------------------------------------
    def _check_windows(self, X, reset):
        """Validate 2-D/3-D windows, return them 3-D and scaled (float64)."""
        if not reset:
            check_is_fitted(self)
            shape = getattr(X, "shape", None)
            if shape is not None and len(shape) == 3:
                self._check_layout(shape)  # clearer than sklearn's "n features" message
        X = validate_data(self, X, dtype=[np.float64, np.float32], allow_nd=True, reset=reset)
        if X.ndim not in (2, 3):
            raise ValueError(
                "Expected a 2-D array (n_samples, n_timesteps) or a 3-D array "
                f"(n_samples, n_timesteps, n_channels), got a {X.ndim}-D array."
            )
        if X.ndim == 2:
            X = X[:, :, None]
        if reset:
            if X.shape[0] < self.n_clusters:
                raise ValueError(
                    f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}."
                )
            self._fit_layout(X)
        else:
            self._check_layout(X.shape)
        return (X - self.channel_offset_) / self.channel_scale_

    def _fit_layout(self, X):
        n_timesteps, n_channels = X.shape[1:]
        future = n_timesteps // 2 if self.future_steps == "auto" else self.future_steps
        if future >= n_timesteps:
            raise ValueError(
                f"Windows of n_timesteps={n_timesteps} are too short for "
                f"future_steps={future}: the encoder needs at least one time step."
            )
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size={self.kernel_size} must be odd ('same' padding).")
        if self.sensor_axes is not None and n_channels % self.sensor_axes:
            raise ValueError(
                f"sensor_axes={self.sensor_axes} does not divide n_channels={n_channels}."
            )
        self.n_timesteps_, self.n_channels_, self.future_steps_ = n_timesteps, n_channels, future
        if self.scaling == "standard":
            offset, scale = X.mean(axis=(0, 1)), X.std(axis=(0, 1))
        elif self.scaling == "minmax":
            offset, scale = X.min(axis=(0, 1)), np.ptp(X, axis=(0, 1))
        else:
            offset, scale = np.zeros(n_channels), np.ones(n_channels)
        scale = np.where(scale > 0, scale, 1.0)  # constant channels are only shifted
        self.channel_offset_ = offset.astype(np.float64)
        self.channel_scale_ = scale.astype(np.float64)

    def _check_layout(self, shape):
        n_timesteps, n_channels = shape[1], (shape[2] if len(shape) == 3 else 1)
        if n_channels != self.n_channels_:
            raise ValueError(
                f"X has {n_channels} channels, but {type(self).__name__} was fitted "
                f"with {self.n_channels_} channels."
            )
        if n_timesteps != self.n_timesteps_:
            raise ValueError(
                f"X has {n_timesteps} timesteps, but {type(self).__name__} was fitted "
                f"with {self.n_timesteps_} timesteps."
            )

    def _validate_inference_data(self, X, **kwargs):
        return self._check_windows(X, reset=False)

    # ---- fit -----------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Pretrain the multi-task autoencoder, initialise the centroids, train the clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Training windows; 2-D input is a set of univariate series.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : MultiTaskRNNClusterer
            Fitted estimator.
        """
        X = self._check_windows(X, reset=True)
        with self._fit_scope() as (rng, seed, device):
            X_t = self._training_tensor(X, device)
            autoencoder = MultiTaskRecurrentAutoencoder(
                self.n_channels_, self.n_timesteps_, self.future_steps_,
                hidden_size=self.hidden_size, embedding_dim=self.embedding_dim,
                num_layers=self.num_layers, kernel_size=self.kernel_size,
                dropout=self.dropout, sensor_axes=self.sensor_axes,
                teacher_forcing=self.teacher_forcing, loss=self.reconstruction_loss,
                znorm_input=self.znorm_input,
            )
            net = self._net(AutoencoderNet, autoencoder, phase="autoencoder pretraining",
                            lr=self.pretrain_lr, max_epochs=self.pretrain_epochs, seed=seed,
                            device=device, callbacks=self._pretrain_schedule())
            self.pretrain_history_ = net.fit(X_t).history
            _recalibrate_batchnorm(autoencoder, X_t, self.batch_size)
            # DEC's clustering phase; gamma is a float, so the decoders are kept (IDEC loss)
            self._fit_clustering(autoencoder, X_t, rng, seed, device)
        self._warn_if_clusters_lost()
        return self

    def _pretrain_schedule(self):
        """The step decay of the pretraining learning rate, as skorch callbacks."""
        if self.pretrain_lr_decay is None:
            return []
        step = max(1, round(0.7 * self.pretrain_epochs))  # StepLR steps after each epoch
        return [("lr_decay", LRScheduler(StepLR, step_size=step, gamma=self.pretrain_lr_decay))]

    def _fit_clustering(self, autoencoder, X, rng, seed, device):
        super()._fit_clustering(autoencoder, X, rng, seed, device)
        # statistics for the final weights (the last steps moved them since the last P)
        _recalibrate_batchnorm(self.net_.module_.autoencoder, X, self.batch_size)
        self.labels_ = self._predict_proba(X).argmax(axis=1)

    def _clustering_optimizer(self):
        """Adam, as in the reference (DEC's ``optimizer`` is not a parameter here)."""
        return {}

    def _soft_assign_train(self, module, X):
        _recalibrate_batchnorm(module.autoencoder, X, self.batch_size)
        return super()._soft_assign_train(module, X)

    # ---- inference (DEC's, on validated and scaled windows) --------------------------
    def predict_proba(self, X):
        """Soft assignments Q (Student-t kernel) of each window to each cluster.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Windows shaped like the training windows (unscaled: the fitted
            per-channel scaling is applied).

        Returns
        -------
        Q : ndarray of shape (n_samples, n_clusters)
            Rows sum to one.
        """
        return super().predict_proba(X)

    def predict(self, X):
        """Cluster of each window: the argmax of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Windows shaped like the training windows.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster labels.
        """
        return super().predict(X)

    def transform(self, X):
        """Embed windows with the trained encoder (it reads the first part of each window).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Windows shaped like the training windows.

        Returns
        -------
        Z : ndarray of shape (n_samples, embedding_dim)
            Embeddings (float64).
        """
        return super().transform(X)

    def score(self, X, y=None):
        """Negative clustering loss ``-KL(P‖Q)`` on ``X`` (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Windows shaped like the training windows.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            ``-KL(P‖Q)``, averaged over windows.
        """
        return super().score(X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
