"""Multi-task recurrent autoencoder clustering of sensor windows (Deep Inertial Sensory Clustering)."""

import functools
import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from . import inputs
from .base import BaseDeepClusterer, StudentTClusteringMixin, fit_context
from .graph_clustering import knn_spectral_clustering
from .nn import MultiTaskRecurrentAutoencoder, recalibrate_embedding_norm
from .preprocessing import channel_scaling, window_statistics
from .training import fit_dec_clustering, pretrain_autoencoder

#: the number of steps ``time_stride='auto'`` reads a window in
READ_STEPS = 50
#: the optimisation steps of ``pretrain_epochs='auto'``
PRETRAIN_STEPS = 60


class MultiTaskRNNClusterer(StudentTClusteringMixin, BaseDeepClusterer):
    """Deep clustering of multichannel sensor windows with a multi-task recurrent autoencoder.

    The network reads each window at a stride (``time_stride``, about 50 steps per
    window by default). Each window is split in two: a bidirectional ConvGRU encodes
    the first ``n_read - future_steps`` of the ``n_read`` steps it reads into an
    embedding ``z``; two conditional
    GRU decoders started from ``z`` reconstruct that part time-reversed and predict
    the last ``future_steps`` steps. The autoencoder is pretrained on
    ``L_AE = loss(reconstruction) + loss(future)``; k-means on ``z`` initialises the
    centroids of a Student-t soft assignment Q. With ``max_iter > 0`` everything is
    then trained on ``L_AE + gamma * KL(P‖Q)`` with DEC's target distribution P,
    recomputed over the whole dataset every ``update_interval`` iterations, until
    fewer than a fraction ``tol`` of the labels change between two updates ("Deep
    Inertial Sensory Clustering", Amrani; the clustering phase is IDEC's, Guo et
    al., 2017). The final assignment (``final_clustering='spectral'``, the default)
    is spectral clustering of the k-nearest-neighbour graph of the windows in the
    *assignment space*: the standardised embedding beside simple statistics of each
    window and channel (mean, standard deviation, mean absolute step), weighted by
    ``statistics_weight``.

    Read more in the :ref:`User Guide <rnn>`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    hidden_size : int, default=32
        Hidden channels of the encoder (per direction) and of each decoder. 32 (with
        ``num_layers=1``, ``embedding_dim=16``): on BasicMotions and JapaneseVowels
        64 cost twice the time for NMI within +-0.09 of it (2 seeds), and the
        reference's 256 x 2 layers took 150 s per fit on BasicMotions.
    num_layers : int, default=1
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
    embedding_dim : int, default=16
        Dimension of the embedding ``z``.
    dropout : float, default=0.2
        Dropout between encoder layers (no effect with ``num_layers=1``).
    time_stride : int or 'auto', default='auto'
        The network reads each window as the means of consecutive blocks of
        ``time_stride`` steps, ``n_read = n_timesteps // time_stride`` steps (a trailing
        part shorter than a block is dropped); 1 reads every step. ``'auto'`` uses
        ``max(1, round(n_timesteps / 50))``, so that every window is read in about 50
        steps and the cost of a fit does not grow with the window length: the
        reference's recipe reached NMI 0.85 on BasicMotions read at 50 of its 100
        steps, and 2,229 windows of 200 steps are fitted in seconds.
    future_steps : int or 'auto', default='auto'
        Steps, of the ``n_read`` the network reads, at the end of each window that the
        future decoder predicts; the encoder reads the others. ``'auto'`` uses half,
        ``n_read // 2``, as the reference; 0 disables the future task (the encoder
        reads the whole window).
    teacher_forcing : float, default=0.0
        Probability that a decoder step reads the true previous value instead of its
        own previous output, during training only.
    scaling : {'standard', 'minmax'} or None, default='standard'
        Per-channel scaling learned in ``fit`` over all windows and time steps and
        applied by every method: zero mean and unit variance, or [0, 1] (the
        reference's min-max). A scaler in a Pipeline cannot see the channels of a
        3-D array.
    reconstruction_loss : {'mse', 'normalized'}, default='normalized'
        Loss of each decoder. ``'mse'``: the mean squared error (the reference).
        ``'normalized'``: each window-channel's squared errors are divided by that
        window-channel's variance over the decoded steps (+ 0.01, in scaled units), so
        windows with small oscillations (standing, walking) count as much as windows
        with large ones instead of being reduced to their mean level; the input still
        carries the amplitude. With the plain MSE standing and walking merged on
        BasicMotions (NMI about 0.6 against 0.85 for the reference's recipe).
    znorm_input : bool, default=False
        Also feed the encoder each window z-normalised per channel over the steps it
        reads, as extra input channels, so that both level and shape are visible.
    alpha : float, default=1.0
        Degrees of freedom of the Student-t kernel.
    gamma : float, default=0.1
        Weight of ``KL(P‖Q)`` in the clustering loss ``L_AE + gamma * KL(P‖Q)``.
    pretrain_epochs : int or 'auto', default='auto'
        Epochs of autoencoder pretraining. ``'auto'``: as many epochs as give 60
        optimisation steps (mini-batches), ``ceil(60 / ceil(n_samples / batch_size))``,
        so that 80 windows get as many updates as 2,229 and the cost of pretraining
        is bounded; 200 steps cost 3x the time for +0.02 mean NMI over
        BasicMotions, ItalyPowerDemand, ArrowHead and the watch recordings (2 seeds).
    pretrain_lr : float, default=1e-2
        Adam learning rate of the pretraining (1e-2 with the step decay below: the
        reference's recipe on BasicMotions).
    pretrain_lr_decay : float or None, default=0.1
        Multiply the pretraining learning rate by this factor after 70 % of
        the pretraining epochs (a step decay, as the reference's StepLR with step 70
        of 100 epochs and factor 0.1). None keeps it constant.
    lr : float, default=1e-3
        Adam learning rate of the clustering phase.
    max_iter : int, default=0
        Maximum number of clustering iterations (mini-batches); 0 keeps the k-means
        initialisation of the pretrained embedding (no clustering loss). 0: the
        clustering loss moved NMI by -0.03 to +0.004 against k-means on the same
        embedding (BasicMotions, JapaneseVowels, 2 seeds), as it lowered the mean
        NMI over 29 UEA datasets in Lafabregue et al. (2022), and it costs time; in
        ``python -m benchmarks rnn`` ``max_iter=100`` gave mean NMI 0.352 against
        0.351 without.
    update_interval : int or 'auto', default='auto'
        Iterations between two updates of P and of the stopping test; ``'auto'`` is
        one pass over the data.
    tol : float, default=1e-3
        Stop when fewer than this fraction of labels changes between two updates.
    n_init : int, default=20
        Number of k-means restarts for the centroid initialisation.
    final_clustering : {'spectral', 'kmeans'}, default='spectral'
        ``'kmeans'``: the labels are the argmax of Q (the k-means centroids, moved by
        the clustering phase if ``max_iter > 0``), the reference. ``'spectral'``:
        spectral clustering of the ``n_neighbors``-nearest-neighbour graph of the
        training windows in the assignment space (``statistics_weight``);
        ``predict`` then labels new windows by the vote of their ``n_neighbors``
        nearest training windows in that space. Spectral: mean NMI 0.40 against
        0.37 for k-means on the same embedding over six data sets (2 seeds), 0.48
        with the window statistics; in ``python -m benchmarks rnn`` (seven data
        sets, 5 seeds) 0.473 against 0.351 for ``'kmeans'``.
        On data with fewer distinct windows than ``n_clusters`` (warned) the labels
        are those of ``'kmeans'``.
    statistics_weight : float, default=2.0
        Weight of the window statistics beside the embedding in the assignment space
        of ``final_clustering='spectral'``: the standardised embedding scaled by
        ``1 / sqrt(embedding_dim)`` beside the standardised per-channel mean,
        standard deviation and mean absolute step of each scaled window (full
        resolution) scaled by ``statistics_weight / sqrt(3 * n_channels)``; 0 uses the
        embedding alone. 2.0: mean NMI 0.476 over six data sets against 0.454 for 1.0,
        0.429 for 0.5 and 0.403 for the embedding alone (2 seeds); BasicMotions 1.00.
    n_neighbors : int, default=10
        Neighbours of the graph and of the vote of ``final_clustering='spectral'``
        (at most ``n_samples - 1``).
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
        Cluster of each training window (argmax of Q, or the spectral clustering).
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Centroids in the embedding space, those of the Student-t kernel of
        ``predict_proba``; after the spectral clustering, the mean embedding of each
        cluster found (a cluster it did not find keeps its k-means centroid).
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
    time_stride_ : int
        Resolved ``time_stride``.
    n_read_ : int
        Time steps the network reads per window, ``n_timesteps_ // time_stride_``.
    future_steps_ : int
        Resolved ``future_steps``.
    pretrain_epochs_ : int
        Resolved ``pretrain_epochs``.
    neighbors_ : KNeighborsClassifier or None
        With ``final_clustering='spectral'``: fitted on the training windows in the
        assignment space and ``labels_``, the vote of ``predict``; None with
        ``'kmeans'``.
    assignment_offset_, assignment_scale_ : ndarray or None
        The standardisation and weights of the assignment space (embedding, then
        statistics): a window's coordinates are ``(f - offset) / scale``; None with
        ``'kmeans'``.
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

    Very short series: with ``future_steps='auto'`` a window read in ``n_read`` steps
    is split into ``n_read - n_read // 2`` encoder steps and ``n_read // 2`` future
    steps, so a single time step has no future task (the
    model is then a reconstruction autoencoder of that step) and two steps are split
    one/one. An explicit ``future_steps`` must leave the encoder at least one step,
    else ``fit`` raises a ``ValueError``. ``predict`` and ``transform`` apply the same
    split, so the embedding depends only on the first ``n_read - future_steps``
    steps read (the window statistics of ``final_clustering='spectral'`` on all).

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
    BasicMotions (4 activities, 80 windows × 100 steps × 6 channels, bundled with the
    package) with the defaults:

    >>> from sklearn.metrics import normalized_mutual_info_score
    >>> from skdeepcluster import MultiTaskRNNClusterer
    >>> from skdeepcluster.datasets import load_basic_motions
    >>> X, y = load_basic_motions()
    >>> model = MultiTaskRNNClusterer(n_clusters=4, random_state=0).fit(X)
    >>> normalized_mutual_info_score(y, model.labels_) > 0.95
    True
    >>> model.transform(X).shape, model.predict(X[:5]).shape
    ((80, 16), (5,))

    Over seeds 0-4 this gives NMI 0.993 in 2.4 s per fit on a 2-core CPU, where
    tslearn's DTW k-means on the same windows, z-normalised per channel, gives 0.830
    in 1.6 s (``python -m benchmarks rnn``; tslearn is not a dependency):

    >>> from tslearn.clustering import TimeSeriesKMeans  # doctest: +SKIP
    >>> Xz = (X - X.mean(axis=(0, 1))) / X.std(axis=(0, 1))  # doctest: +SKIP
    >>> dtw = TimeSeriesKMeans(4, metric="dtw", n_init=2, max_iter=10,
    ...                        random_state=0).fit_predict(Xz)  # doctest: +SKIP
    """

    _parameter_constraints = {
        **BaseDeepClusterer._parameter_constraints,
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "sensor_axes": [Interval(Integral, 1, None, closed="left"), None],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "time_stride": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "future_steps": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "teacher_forcing": [Interval(Real, 0, 1, closed="both")],
        "scaling": [StrOptions({"standard", "minmax"}), None],
        "reconstruction_loss": [StrOptions({"mse", "normalized"})],
        "znorm_input": ["boolean"],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "pretrain_lr": [Interval(Real, 0, None, closed="neither")],
        "pretrain_lr_decay": [Interval(Real, 0, 1, closed="right"), None],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "update_interval": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "final_clustering": [StrOptions({"spectral", "kmeans"})],
        "statistics_weight": [Interval(Real, 0, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        hidden_size=32,
        num_layers=1,
        kernel_size=1,
        sensor_axes=None,
        embedding_dim=16,
        dropout=0.2,
        time_stride="auto",
        future_steps="auto",
        teacher_forcing=0.0,
        scaling="standard",
        reconstruction_loss="normalized",
        znorm_input=False,
        alpha=1.0,
        gamma=0.1,
        pretrain_epochs="auto",
        pretrain_lr=1e-2,
        pretrain_lr_decay=0.1,
        lr=1e-3,
        max_iter=0,
        update_interval="auto",
        tol=1e-3,
        n_init=20,
        final_clustering="spectral",
        statistics_weight=2.0,
        n_neighbors=10,
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
        self.time_stride = time_stride
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
        self.final_clustering = final_clustering
        self.statistics_weight = statistics_weight
        self.n_neighbors = n_neighbors
        self.batch_size = batch_size
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    # ---- fit -----------------------------------------------------------------------
    @fit_context
    def fit(self, X, y=None):
        """Pretrain the multi-task autoencoder, initialise the centroids, train the clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Training windows; 2-D input is a set of univariate series. A torch
            ``Dataset`` of windows or a numpy memmap is read in batches (see
            :ref:`large_datasets`).
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : MultiTaskRNNClusterer
            Fitted estimator.
        """
        X = inputs.check_windows(self, X, reset=True)
        self._check_layout()
        degenerate = self._warn_if_few_distinct_rows(X)
        self.channel_offset_, self.channel_scale_ = channel_scaling(X, self.scaling)
        X = self._scale(X)
        X_read = self._read(X)
        self.pretrain_epochs_ = self._resolve_pretrain_epochs(X.shape[0])
        # the batch-norm statistics of the embedding, measured in eval mode before
        # every full-data pass (k-means init, each P, the final labels)
        recalibrate = functools.partial(recalibrate_embedding_norm, batch_size=self.batch_size)
        with self._fit_scope(data_parallel=True) as (rng, seed, device):
            X_t = inputs.training_tensor(X_read, device)
            autoencoder = self._build_autoencoder()
            self.pretrain_history_ = pretrain_autoencoder(
                autoencoder, X_t, epochs=self.pretrain_epochs_, lr=self.pretrain_lr,
                lr_decay=self.pretrain_lr_decay, seed=seed, **self._training_options(device))
            recalibrate(autoencoder, X_t)
            # IDEC's loss: gamma is a float, so the decoders are kept
            result = fit_dec_clustering(
                autoencoder, X_t, n_clusters=self.n_clusters, rng=rng, seed=seed + 1,
                alpha=self.alpha, gamma=self.gamma, lr=self.lr, max_iter=self.max_iter,
                update_interval=self.update_interval, tol=self.tol, n_init=self.n_init,
                refresh=recalibrate, **self._training_options(device))
            self._store_clustering(result)
            self.neighbors_ = self.assignment_offset_ = self.assignment_scale_ = None
            # on fewer distinct windows than clusters the graph would split identical
            # windows: they keep the k-means labels, which identical windows share
            if self.final_clustering == "spectral" and not degenerate:
                self._fit_spectral(X, X_read, rng)
        if not degenerate:
            self._warn_if_clusters_lost()
        return self

    def _check_layout(self):
        """Resolve ``time_stride`` and ``future_steps``; check the parameters against the windows."""
        n_timesteps, n_channels = self.n_timesteps_, self.n_channels_
        if self.time_stride == "auto":
            stride = max(1, round(n_timesteps / READ_STEPS))
        else:
            stride = self.time_stride
        if stride > n_timesteps:
            raise ValueError(
                f"time_stride={stride} is longer than the windows (n_timesteps={n_timesteps})."
            )
        n_read = n_timesteps // stride
        future = n_read // 2 if self.future_steps == "auto" else self.future_steps
        if future >= n_read:
            raise ValueError(
                f"Windows of n_timesteps={n_timesteps} (read in {n_read} steps with "
                f"time_stride={stride}) are too short for future_steps={future}: the "
                "encoder needs at least one time step."
            )
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size={self.kernel_size} must be odd ('same' padding).")
        if self.sensor_axes is not None and n_channels % self.sensor_axes:
            raise ValueError(
                f"sensor_axes={self.sensor_axes} does not divide n_channels={n_channels}."
            )
        self.time_stride_, self.n_read_, self.future_steps_ = stride, n_read, future

    def _resolve_pretrain_epochs(self, n_samples):
        if self.pretrain_epochs != "auto":
            return self.pretrain_epochs
        batches = math.ceil(n_samples / self.batch_size)
        return math.ceil(PRETRAIN_STEPS / batches)

    def _read(self, X):
        """The windows as the network reads them: means of blocks of ``time_stride_`` steps."""
        stride, n_read = self.time_stride_, self.n_read_
        if stride == 1:
            return X
        if isinstance(X, inputs.StreamedData):
            return X.map(self._read, (n_read, X.shape[2]))
        X = X[:, : n_read * stride]
        return X.reshape(X.shape[0], n_read, stride, X.shape[2]).mean(axis=2)

    # ---- the spectral final assignment ---------------------------------------------
    def _fit_spectral(self, X, X_read, rng):
        """Spectral clustering in the assignment space; the vote and centroids of inference."""
        z = self._embed(X_read)
        feats = np.hstack([z, window_statistics(X)])
        offset = feats.mean(axis=0)
        scale = feats.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        d_z = z.shape[1]
        weights = np.concatenate([
            np.full(d_z, 1.0 / np.sqrt(d_z)),
            np.full(feats.shape[1] - d_z,
                    self.statistics_weight / np.sqrt(feats.shape[1] - d_z)),
        ])
        # weight 0 drops a block: an infinite scale maps it to 0
        with np.errstate(divide="ignore"):
            self.assignment_scale_ = scale / weights
        self.assignment_offset_ = offset
        space = (feats - offset) / self.assignment_scale_
        n_neighbors = max(1, min(self.n_neighbors, X.shape[0] - 1))
        labels, _, self.neighbors_ = knn_spectral_clustering(
            space, self.n_clusters, n_neighbors, rng)
        self.labels_ = labels
        # the Student-t kernel of predict_proba around each cluster's mean embedding
        centers = self.cluster_centers_.copy()
        for k in range(labels.max() + 1):
            centers[k] = z[labels == k].mean(axis=0)
        head = self.net_.module_.head
        with torch.no_grad():
            head.centers.copy_(torch.as_tensor(centers, dtype=head.centers.dtype))
        self.cluster_centers_ = centers

    def _embed(self, X_read):
        return self._apply(self.net_.module_, X_read, lambda m, x: m.autoencoder.encode(x),
                           self.net_.device)

    def _assignment_space(self, X):
        """Scaled windows (full resolution) in the space of the spectral assignment."""
        feats = np.hstack([self._embed(self._read(X)), window_statistics(X)])
        return (feats - self.assignment_offset_) / self.assignment_scale_

    def predict(self, X):
        """Cluster of each window.

        With ``final_clustering='spectral'``: the most common label among the
        ``n_neighbors`` nearest training windows in the assignment space; with
        ``'kmeans'``: the argmax of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            New windows, in the units of the training data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster labels.
        """
        if getattr(self, "neighbors_", None) is None:
            return super().predict(X)
        X = self._scale(inputs.check_windows(self, X, reset=False))
        return self.neighbors_.predict(self._assignment_space(X))

    def _build_autoencoder(self):
        return MultiTaskRecurrentAutoencoder(
            self.n_channels_, self.n_read_, self.future_steps_,
            hidden_size=self.hidden_size, embedding_dim=self.embedding_dim,
            num_layers=self.num_layers, kernel_size=self.kernel_size, dropout=self.dropout,
            sensor_axes=self.sensor_axes, teacher_forcing=self.teacher_forcing,
            loss=self.reconstruction_loss, znorm_input=self.znorm_input,
        )

    def _training_options(self, device):
        # mixed precision is not offered for the recurrent model (not measured)
        return dict(batch_size=self.batch_size, device=device, verbose=self.verbose,
                    mixed_precision=False)

    def _scale(self, X):
        if isinstance(X, inputs.StreamedData):
            return X.map(self._scale)
        return (X - self.channel_offset_) / self.channel_scale_

    def _network_input(self, X):
        """Validated windows (3-D), scaled per channel as in ``fit``, read at the stride."""
        return self._read(self._scale(inputs.check_windows(self, X, reset=False)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
