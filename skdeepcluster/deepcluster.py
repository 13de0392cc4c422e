"""DeepCluster: k-means pseudo-labels alternating with training of the network."""

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from . import inputs
from .base import BaseDeepClusterer, fit_context, positive_ints
from .cluster_init import kmeans
from .graph_clustering import _input_rows_for_graph, knn_spectral_clustering
from .nn import ConvBackbone, DeepClusterModel, MLPBackbone
from .training import fit_whitening, train_deepcluster, whiten
from .training.callbacks import check_finite


class DeepCluster(BaseDeepClusterer):
    """DeepCluster: train a network to predict k-means clusters of its own features.

    Every epoch, the features of the whole dataset (eval mode, the layer before
    the classifier head) are PCA-whitened to ``pca_dim`` dimensions and
    L2-normalised, clustered by k-means into ``n_pseudo_clusters`` clusters, and
    these assignments become pseudo-labels: a freshly initialised classifier head
    and the backbone are trained for one epoch with cross-entropy on batches drawn
    uniformly over the clusters (Caron et al., 2018). After the last epoch, spectral
    clustering of the k-nearest-neighbour graph of the trained network's whitened
    features gives the ``n_clusters`` final clusters (or, with
    ``final_clustering='kmeans'``, k-means on these features, as the reference).

    Read more in the :ref:`User Guide <deepcluster>`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters of the final clustering.
    n_pseudo_clusters : int, default=None
        Number of k-means clusters used as pseudo-labels during training; None uses
        ``n_clusters``. It may be much larger than ``n_clusters``: the reference
        over-clusters (10,000 clusters for ImageNet's 1,000 classes). On 10,000
        Fashion-MNIST images, 50 or 100 pseudo-clusters did about 0.02 NMI worse than
        10.
    input_shape : tuple of int, default=None
        ``(channels, height, width)`` or ``(height, width)`` of images: ``X`` may
        then be 4-D (or 3-D for one channel) images, or flat rows of
        ``prod(input_shape)`` features; the built-in backbone is a convnet. None:
        ``X`` is 2-D feature rows and the built-in backbone is an MLP.
    input_rms : float or None, default=1.0
        Multiply the data by one scalar, fitted on the training data, so that the
        root mean square of its entries is ``input_rms``; ``predict``,
        ``transform`` and ``score`` apply the same scalar (``input_scale_``). The
        clustering then does not depend on the data's units: data multiplied by
        1e30 or 1e-30 gives the labels of the data itself, where float32 would
        overflow, or batch norm's ``eps`` would drown the tiny variances, and the
        features collapse. On digits in [0, 1] (root mean square 0.48), NMI over 4
        seeds went from 0.601 (data as given) to 0.639 with the convnet and stayed
        at 0.76 with the MLP. None: use ``X`` as given.
    conv_channels : array-like of int, default=(16, 32, 64)
        Channels of the convnet's ``Conv 3×3 → BatchNorm → ReLU`` blocks (images
        only). Images under 16 pixels on their shorter side are not pooled; larger
        ones end the first blocks with a 2×2 max pooling, as many as keep the map
        at least 4 pixels wide (:func:`~skdeepcluster.nn.pooled_blocks`: every
        block on 28×28): with every block pooled, NMI fell from 0.800 to 0.693 on
        8×8 digits and from 0.889 to 0.825 on 16×15 UCI numerals (5 seeds, 2-pixel
        shifts both ways, ``python -m benchmarks deepcluster``).
    hidden_dims : array-like of int, default=(512, 256)
        Widths of the MLP's ``Linear → BatchNorm → ReLU`` layers (flat rows only).
    feature_dim : int, default=64
        Size of the feature vector the built-in backbones end with. On 10,000
        Fashion-MNIST images, 64 gave ACC 0.651 and NMI 0.586 over 10 seeds,
        against 0.624 and 0.576 with 128.
    backbone : torch.nn.Module, default=None
        Use this module instead of the built-in backbones. It receives batches of
        flat rows, or of shape ``(n, *input_shape)`` when ``input_shape`` is set, and
        returns features of shape ``(n, d)``. It is copied at each ``fit`` (its
        initial weights are kept: ``random_state`` does not redraw them).
        ``conv_channels``, ``hidden_dims``, ``feature_dim``, ``sobel`` and
        ``augment`` are then ignored.
    sobel : bool, default=False
        Feed the convnet Sobel gradients of the grey-level image instead of the
        image (the reference's choice for colour images).
    augment : bool, default=True
        Train the convnet on randomly shifted and horizontally flipped images,
        shifts of up to 1/12 of the shorter side (:func:`~skdeepcluster.nn.crop_shift`:
        2 pixels on 28×28, 1 on 16×15, none on 8×8): 2-pixel shifts gave NMI 0.800
        on 8×8 digits and 0.889 on 16×15 UCI numerals, against 0.842 and 0.917 with
        these (5 seeds, ``python -m benchmarks deepcluster``).
    pca_dim : int, default=32
        Dimensions kept by the PCA-whitening of the features (fewer when there are
        fewer samples). Must not exceed the feature size. Whitening gives every kept
        direction the same weight, so keeping too many lets noise directions shape
        the pseudo-labels: on 10,000 Fashion-MNIST images 32 beat 64 by about 0.05
        NMI. The reference keeps 256 of
        4,096 AlexNet features.
    n_epochs : int, default=10
        Number of epochs, each one k-means run followed by one pass of training. On
        Fashion-MNIST the pseudo-labels stop improving after a few epochs and then
        oscillate; 20 or 30 epochs did no better than 10.
    lr : float, default=0.05
        Learning rate of SGD.
    momentum : float, default=0.9
        Momentum of SGD (the head's momentum is reset with the head every epoch).
    weight_decay : float, default=5e-4
        L2 penalty of SGD. The reference uses 1e-5 on ImageNet's 1.3 million
        images; on 10,000 Fashion-MNIST images 5e-4 gave clusters that matched the
        classes better (ACC +0.05, NMI +0.02 on each of 3 paired seeds).
    n_init : int, default=10
        Number of k-means restarts of the final clustering (each epoch's k-means
        runs once, with 20 iterations, as the reference); unused with
        ``final_clustering='spectral'`` (the default).
    final_clustering : {'kmeans', 'spectral'}, default='spectral'
        How the trained network's whitened features are clustered into
        ``n_clusters`` at the end. ``'kmeans'``: k-means, as the reference;
        ``predict`` maps rows to the nearest centroid. ``'spectral'``: scikit-learn's
        :class:`~sklearn.cluster.SpectralClustering` of the ``n_neighbors``-nearest-
        neighbour graph (labels by ``assign_labels='kmeans'``), on the CPU;
        ``predict`` gives each row the majority cluster of its ``n_neighbors``
        nearest training rows, which agrees with ``labels_`` on about 99 % of the
        training rows. With fewer distinct rows than ``n_clusters``, k-means is
        used instead. The default: on 10,000 Fashion-MNIST images, the same
        trained networks gave NMI 0.661 with ``'spectral'`` against 0.586 with
        ``'kmeans'`` (higher on each of 10 paired seeds) at the same ACC.
    n_neighbors : int, default=10
        Neighbours of the graph and of the vote of ``final_clustering='spectral'``
        (capped at ``n_samples - 1``); unused with ``'kmeans'``.
    input_neighbors : bool, default=True
        With ``final_clustering='spectral'``, weigh each edge of the features'
        graph by whether the two rows are also neighbours in the input: edges of
        both graphs count 1,000 times more than the others, which keep the graph
        connected (:func:`~skdeepcluster.graph_clustering.agreement_affinity`, as
        :class:`DEC`'s spectral start). The network's features and the pixels each
        give some wrong neighbours, mostly not the same ones. Mean NMI over 5
        seeds with and without it (``python -m benchmarks deepcluster``):
        Fashion-MNIST 10k 0.683 against 0.667 (but ACC 0.589 against 0.643),
        8 × 8 digits 0.893 against 0.857, 16 × 15 numerals 0.930 against 0.917.
        The input's graph is computed by brute force, ``n_samples² × n_features``
        operations: beyond 4e12 (about 70,000 images of 28 × 28) the features'
        graph is used alone, and so for data read in batches whose float32 copy
        would take more than 1 GiB; smaller ones are read whole for the graph.
    batch_size : int, default=256
        Mini-batch size of training and inference; at least 2 (batch norm).
    device : str or torch.device, default='auto'
        ``'auto'`` uses CUDA when available, else the CPU. k-means runs on the same
        device (torch on CUDA, scikit-learn on the CPU).
    mixed_precision : bool, default=False
        Train with bfloat16 convolutions and matrix products (``torch.autocast``):
        the training steps and each epoch's feature extraction. Weights, the loss,
        the optimiser, PCA, k-means and ``predict`` stay in float32/float64. Faster
        on CPUs with bfloat16 instructions (AVX-512 BF16, AMX: a fit 0.75× as long);
        slower on CPUs without them; not measured on a GPU. Results differ from
        float32 training as from another seed.
    verbose : int, default=0
        0: silent; 1: skorch's progress bars and one line per epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batch draws, the augmentation and k-means. Pass an
        int for reproducible results across calls.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training row: its nearest final centroid, or its spectral
        cluster.
    input_scale_ : float
        The scalar that ``input_rms`` multiplies the data by (1.0 when None).
    cluster_centers_ : ndarray of shape (n_clusters, `n_components_`)
        Centroids in the whitened, L2-normalised feature space (with
        ``final_clustering='spectral'``, the mean of each cluster's rows).
    neighbors_ : sklearn.neighbors.KNeighborsClassifier or None
        With ``final_clustering='spectral'``: the training rows' whitened features
        and labels, which ``predict`` votes with; None with ``'kmeans'``.
    n_components_ : int
        Dimensions kept by the final PCA.
    pca_mean_ : ndarray of shape (n_features_out_of_backbone,)
        Mean of the final features.
    pca_projection_ : ndarray of shape (n_features_out_of_backbone, `n_components_`)
        Whitening projection: principal axes divided by the square roots of their
        variances.
    n_iter_ : int
        Number of epochs run.
    history_ : skorch.history.History
        Per epoch: ``train_loss``, ``nmi`` (NMI between the epoch's pseudo-labels
        and the previous epoch's; NaN at the first), ``n_nonempty`` and seconds in
        ``time_features``, ``time_pca``, ``time_kmeans`` and ``time_train``.
    net_ : DeepClusterNet
        The trained skorch net; ``net_.module_`` holds the backbone and the head.
    n_features_in_ : int
        Number of features seen during ``fit`` (pixels per image for images).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    DEC : Deep Embedded Clustering, trained on a KL clustering loss.
    sklearn.cluster.KMeans : k-means on the raw features.

    Notes
    -----
    Training runs in float32 on ``device``; after ``fit`` the network is cast to
    float64 so that results do not depend on batch composition. ``predict`` maps
    rows through the network, the stored whitening and L2 normalisation, to the
    nearest centroid (or, after a spectral final step, to the vote of their nearest
    training rows). The reference code has no ``predict``; this is the natural
    inductive extension.

    References
    ----------
    .. [1] M. Caron, P. Bojanowski, A. Joulin, M. Douze. "Deep Clustering for
       Unsupervised Learning of Visual Features." ECCV 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster import DeepCluster
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 0.1, (20, 4)), rng.normal(1, 0.1, (20, 4))])
    >>> dc = DeepCluster(n_clusters=2, n_pseudo_clusters=4, hidden_dims=(16,),
    ...                  feature_dim=8, pca_dim=2, n_epochs=3, batch_size=16,
    ...                  random_state=0).fit(X)
    >>> dc.labels_.shape
    (40,)
    >>> dc.predict(X[:3]).tolist() == dc.labels_[:3].tolist()
    True
    """

    _parameter_constraints = {
        **BaseDeepClusterer._parameter_constraints,
        "n_pseudo_clusters": [Interval(Integral, 1, None, closed="left"), None],
        "input_shape": ["array-like", None],
        "input_rms": [Interval(Real, 0, None, closed="neither"), None],
        "conv_channels": ["array-like"],
        "hidden_dims": ["array-like"],
        "feature_dim": [Interval(Integral, 1, None, closed="left")],
        "backbone": [HasMethods(["forward"]), None],
        "sobel": ["boolean"],
        "augment": ["boolean"],
        "pca_dim": [Interval(Integral, 1, None, closed="left")],
        "n_epochs": [Interval(Integral, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "final_clustering": [StrOptions({"kmeans", "spectral"})],
        "input_neighbors": ["boolean"],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "mixed_precision": ["boolean"],
        # batch norm cannot train on single rows
        "batch_size": [Interval(Integral, 2, None, closed="left")],
    }
    _value_constraints = {"conv_channels": positive_ints(), "hidden_dims": positive_ints()}

    def __init__(
        self,
        n_clusters=8,
        *,
        n_pseudo_clusters=None,
        input_shape=None,
        input_rms=1.0,
        conv_channels=(16, 32, 64),
        hidden_dims=(512, 256),
        feature_dim=64,
        backbone=None,
        sobel=False,
        augment=True,
        pca_dim=32,
        n_epochs=10,
        lr=0.05,
        momentum=0.9,
        weight_decay=5e-4,
        n_init=10,
        final_clustering="spectral",
        n_neighbors=10,
        input_neighbors=True,
        batch_size=256,
        device="auto",
        mixed_precision=False,
        verbose=0,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.n_pseudo_clusters = n_pseudo_clusters
        self.input_shape = input_shape
        self.input_rms = input_rms
        self.conv_channels = conv_channels
        self.hidden_dims = hidden_dims
        self.feature_dim = feature_dim
        self.backbone = backbone
        self.sobel = sobel
        self.augment = augment
        self.pca_dim = pca_dim
        self.n_epochs = n_epochs
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.n_init = n_init
        self.final_clustering = final_clustering
        self.input_neighbors = input_neighbors
        self.n_neighbors = n_neighbors
        self.batch_size = batch_size
        self.device = device
        self.mixed_precision = mixed_precision
        self.verbose = verbose
        self.random_state = random_state

    # ---- fit -------------------------------------------------------------------------
    @fit_context
    def fit(self, X, y=None):
        """Alternate k-means pseudo-labelling and network training, then cluster.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ``*input_shape``)
            Training data: feature rows, or images when ``input_shape`` is set. Its
            overall scale does not matter (see ``input_rms``); features on very
            different scales should be standardised first. Data that need not fit
            in memory (a folder or list of image files, video frames, a torch
            ``Dataset``, a numpy memmap) is read in batches (see
            :ref:`large_datasets`).
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : DeepCluster
            Fitted estimator.
        """
        X = inputs.check_images(self, X, self.input_shape, reset=True)
        n_pseudo = self.n_clusters if self.n_pseudo_clusters is None else self.n_pseudo_clusters
        inputs.check_n_samples(X.shape[0], n_pseudo, "n_pseudo_clusters")
        self._check_layout(X.shape[0], n_pseudo)
        degenerate = self._warn_if_few_distinct_rows(X)
        scale = inputs.input_scale(X, self.input_rms)
        X = X if scale == 1.0 else X * scale
        with self._fit_scope(data_parallel=True) as (rng, seed, device):
            X_t = inputs.training_tensor(X, device)
            backbone, feature_dim = self._build_backbone(X_t, device)
            pca_dim = self._pca_dim(feature_dim, X.shape[0])
            model = DeepClusterModel(backbone, feature_dim, n_pseudo,
                                     input_shape=inputs.image_shape(self.input_shape))
            self.net_ = train_deepcluster(
                model, X_t, n_pseudo_clusters=n_pseudo, pca_dim=pca_dim, rng=rng, seed=seed,
                epochs=self.n_epochs, lr=self.lr, momentum=self.momentum,
                weight_decay=self.weight_decay, batch_size=self.batch_size, device=device,
                verbose=self.verbose, mixed_precision=self.mixed_precision)
            self.history_ = self.net_.history
            self.n_iter_ = len(self.net_.history)
            self._fit_final_clustering(X, X_t, pca_dim, rng, device, degenerate)
        self.input_scale_ = scale
        if not degenerate:
            self._warn_if_clusters_lost()
        return self

    def _check_layout(self, n_samples, n_pseudo):
        """Refuse what cannot train or cannot give the clusters asked for."""
        if n_samples < 2:
            raise ValueError(
                f"DeepCluster needs at least 2 samples (batch norm and PCA); got "
                f"{n_samples} sample.")
        if self.pca_dim == 1 and max(self.n_clusters, n_pseudo) > 2:
            raise ValueError(
                f"pca_dim=1 cannot give n_clusters={self.n_clusters} (n_pseudo_clusters="
                f"{n_pseudo}) clusters: after whitening and L2 normalisation every sample "
                "is +1 or -1, two points at most. Use pca_dim >= 2.")

    def _build_backbone(self, X, device="cpu"):
        """The backbone and the size of its features (probed on two rows)."""
        shape = inputs.image_shape(self.input_shape)
        if self.backbone is not None:
            backbone = copy.deepcopy(self.backbone)
        elif shape is not None:
            backbone = ConvBackbone(shape[0], shape[1:], tuple(self.conv_channels),
                                    self.feature_dim, sobel=self.sobel, augment=self.augment)
        else:
            backbone = MLPBackbone(X.shape[1], tuple(self.hidden_dims), self.feature_dim)
        backbone = backbone.to(device)
        probe = inputs.first_rows(X, 2).to(device)
        probe = probe if shape is None else probe.reshape(-1, *shape)
        backbone.eval()
        with torch.no_grad():
            out = backbone(probe)
        backbone.train()
        if out.ndim != 2:
            raise ValueError(
                f"The backbone must return features of shape (n, d); got {tuple(out.shape)}."
            )
        return backbone, out.shape[1]

    def _pca_dim(self, feature_dim, n_samples):
        if self.pca_dim > feature_dim:
            raise ValueError(
                f"pca_dim={self.pca_dim} is larger than the {feature_dim} features "
                "the backbone produces."
            )
        return min(self.pca_dim, max(n_samples - 1, 1))

    def _fit_final_clustering(self, X, X_t, pca_dim, rng, device, degenerate=False):
        feats = torch.as_tensor(self._features(X))
        check_finite(feats, "DeepCluster training", "the features", ("lr",))
        mean, projection = fit_whitening(feats, pca_dim)
        self.pca_mean_ = mean.numpy()
        self.pca_projection_ = projection.numpy()
        self.n_components_ = self.pca_projection_.shape[1]
        z = self._whiten(feats.numpy())
        # fewer distinct rows than clusters: a graph would split identical rows at
        # random, k-means gives identical rows one label
        if self.final_clustering == "spectral" and not degenerate:
            agree_with = _input_rows_for_graph(X_t) if self.input_neighbors else None
            self.labels_, self.cluster_centers_, self.neighbors_ = knn_spectral_clustering(
                z, self.n_clusters, self.n_neighbors, rng, agree_with=agree_with,
                assign_labels="kmeans")
            return
        self.neighbors_ = None
        self.cluster_centers_, _ = kmeans(z, self.n_clusters, n_init=self.n_init,
                                          random_state=rng, device=device)
        # labels from the same guts as predict, so that they agree exactly
        self.labels_ = self._nearest_center(z)

    # ---- inference guts (no validation) -----------------------------------------------
    def _features(self, X):
        return self._apply(self.net_.module_, X, lambda m, x: m.features(x), self.net_.device)

    def _whiten(self, feats):
        t = lambda a: torch.as_tensor(a, dtype=torch.float64)  # noqa: E731
        return whiten(t(feats), t(self.pca_mean_), t(self.pca_projection_)).numpy()

    def _sq_distances(self, z):
        # per-centroid differences (no matmul trick): exact and batch-independent
        return np.stack([((z - c) ** 2).sum(axis=1) for c in self.cluster_centers_], axis=1)

    def _nearest_center(self, z):
        return self._sq_distances(z).argmin(axis=1)

    # ---- public inference ----------------------------------------------------------
    def transform(self, X):
        """Whitened, L2-normalised features of the trained network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ``*input_shape``)
            New data, in the units of the training data.

        Returns
        -------
        Z : ndarray of shape (n_samples, `n_components_`)
            The space in which ``cluster_centers_`` live (float64).
        """
        X = inputs.check_images(self, X, self.input_shape, reset=False)
        return self._whiten(self._features(X if self.input_scale_ == 1.0
                                            else X * self.input_scale_))

    def predict(self, X):
        """Index of the nearest centroid in the whitened feature space.

        With ``final_clustering='spectral'``: the most common label among the
        ``n_neighbors`` nearest training rows in that space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ``*input_shape``)
            New data, in the units of the training data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster labels.
        """
        z = self.transform(X)
        if self.neighbors_ is not None:  # fitted with the spectral final step
            return self.neighbors_.predict(z)
        return self._nearest_center(z)

    def score(self, X, y=None):
        """Opposite of the k-means objective of ``X`` in the whitened feature space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ``*input_shape``)
            Data.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            Minus the sum of squared distances to the nearest centroid (higher is
            better; with ``final_clustering='spectral'`` the centroids are the
            clusters' means).
        """
        return -float(self._sq_distances(self.transform(X)).min(axis=1).sum())

    @property
    def _n_features_out(self):
        return self.n_components_
