"""Deep Embedded Clustering (DEC) and its improved variant with local structure preservation (IDEC)."""

import copy
import math
from numbers import Integral, Real

import numpy as np

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from . import inputs
from .base import BaseDeepClusterer, StudentTClusteringMixin, fit_context, positive_ints
from .nn import MLPAutoencoder
from .training import fit_dec_clustering, pretrain_autoencoder

#: the optimisation steps of ``pretrain_epochs='auto'``
PRETRAIN_STEPS = 1500
#: the most clustering iterations of ``max_iter='auto'``: the pretraining's budget
CLUSTERING_STEPS = PRETRAIN_STEPS


class DEC(StudentTClusteringMixin, BaseDeepClusterer):
    """Deep Embedded Clustering, with an IDEC mode that keeps the decoder.

    An autoencoder is pretrained to reconstruct the data; spectral clustering of the
    k-nearest-neighbour graph of its embedding (or, with ``init='kmeans'``, k-means,
    as in the paper) initialises the centroids of a Student-t soft assignment Q;
    then encoder and centroids are trained to minimise KL(P‖Q) against a sharpened target P that is
    recomputed over the whole dataset every ``update_interval`` iterations, until
    fewer than a fraction ``tol`` of the labels change between two updates (Xie et
    al., 2016). With ``gamma`` set, the decoder is kept and the loss is
    ``L_r + gamma * KL(P‖Q)``, which preserves the local structure of the data
    (IDEC, Guo et al., 2017).

    Read more in the :ref:`User Guide <dec>`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    hidden_dims : array-like of int, default=(500, 500, 2000)
        Widths of the hidden encoder layers (ReLU); the decoder mirrors them.
    embedding_dim : int, default=10
        Width of the linear embedding layer.
    autoencoder : torch.nn.Module, default=None
        Use this module instead of the built-in MLP. It must define ``encode(x)``
        and ``decode(z)``; it may define ``reconstruction_loss(recon, x)``. It is
        copied at each ``fit`` (its initial weights are kept: ``random_state`` does
        not redraw them). ``hidden_dims`` and ``embedding_dim`` are then ignored.
    alpha : float, default=1.0
        Degrees of freedom of the Student-t kernel.
    input_rms : float or None, default=2.0
        Multiply the data by one scalar, fitted on the training data, so that the
        root mean square of its entries is ``input_rms``; ``predict``,
        ``transform`` and ``score`` apply the same scalar. DEC then does not
        depend on the data's units: pixels in [0, 1] or in [0, 255] give the same
        labels (IDEC's ``gamma`` still weighs the reconstruction error in the
        data's units, as in the paper). The default network and learning rates
        train best at this order of magnitude: on digits in [0, 1] (root mean
        square 0.48), DEC's mean accuracy over ten seeds was 0.854 at 2 against
        0.819 on the data as given; on Fashion-MNIST it was about the same (see
        the user guide). The DEC reference code scales MNIST's 0–255 pixels by
        0.02, a root mean square of about 1.7.
        None: use ``X`` as given, e.g. to reproduce a recipe tuned for [0, 1] data
        (an SGD learning rate is tied to the scale of the data).
    pretrain : {'autoencoder', 'stacked_denoising'}, default='autoencoder'
        ``'autoencoder'`` trains the whole autoencoder end to end.
        ``'stacked_denoising'`` first trains each layer greedily as a denoising
        autoencoder (dropout ``corruption``), then fine-tunes end to end, as in the
        DEC paper; it needs the built-in MLP.
    pretrain_epochs : int or 'auto', default='auto'
        Epochs of end-to-end pretraining (and, with ``'stacked_denoising'``, also of
        each greedy layer). ``'auto'``: as many epochs as give 1,500 optimisation
        steps (mini-batches), ``ceil(1500 / ceil(n_samples / batch_size))``, so that
        a table of 150 rows is not left with a few hundred updates and 10,000 images
        are not given 8,000 (500 epochs on iris, 52 on digits, 10 on 10,000 images):
        against 50 epochs, DEC's mean NMI over 5 seeds rose from 0.817 to 0.862 on
        wine and from 0.588 to 0.628 on iris, and was 0.856 against 0.860 on digits
        and 0.737 against 0.765 on breast cancer (``python -m benchmarks dec``);
        3,000 steps gave digits 0.841 against 0.873 at 50 epochs (seeds 0–1).
    pretrain_lr : float, default=1e-3
        Learning rate of the pretraining.
    pretrain_optimizer : {'adam', 'sgd'}, default='adam'
        Optimiser of the pretraining. ``'sgd'`` is SGD with momentum 0.9, the
        recipe of the DEC paper (``pretrain_lr=0.1``) and of DEC-keras on MNIST and
        Fashion-MNIST (``pretrain_lr=1.0``, batch 256); on Fashion-MNIST it gave
        a better embedding than Adam (see the user guide).
    corruption : float, default=0.2
        Dropout rate of the greedy denoising layers.
    gamma : float, default=None
        None: DEC, the decoder is dropped after pretraining. A float: IDEC, the
        loss is ``L_r + gamma * KL(P‖Q)``; 0.1 is the IDEC paper's value, for
        pixels in [0, 1]. ``L_r`` is the mean squared reconstruction error of X in
        its own units, as in the paper (``input_rms`` rescales what the network
        sees, not the objective), so the balance depends on the scale of X.
    lr : float, default=1e-3
        Learning rate of the clustering phase.
    optimizer : {'adam', 'sgd'}, default='adam'
        Optimiser of the clustering phase. ``'sgd'`` is SGD with momentum 0.9, that
        of the DEC paper and of DEC-keras (with ``lr=0.01``). On digits Adam at 1e-3
        gave higher accuracy in a third of the iterations (see the user guide).
    max_iter : int or 'auto', default='auto'
        Maximum number of clustering iterations (mini-batches). ``'auto'``:
        1,500, the optimisation steps of the pretraining, whatever the number of
        rows; small datasets meet ``tol`` well before (digits after 200 to 300).
        Where clusters overlap the labels never settle to ``tol``, and the longer
        the KL phase runs the more it pulls the clusters round their centroids,
        away from the graph's start: on Fashion-MNIST 10k DEC's mean NMI over 5
        seeds was 0.649 with ``'auto'`` against 0.631 with 10,000 iterations, in
        a third of the time (``python -m benchmarks dec``; the references allow
        20,000).
    update_interval : int or 'auto', default='auto'
        Iterations between two updates of the target distribution P (and of the
        convergence test). ``'auto'`` uses one pass over the data,
        ``ceil(n_samples / batch_size)``, so it scales with the dataset instead of
        being tuned per dataset (the references use 140 for MNIST, 20 to 30 for
        small sets: about one pass over 70,000 and 7,000 samples).
    tol : float, default=1e-3
        Stop when fewer than this fraction of labels changes between two updates.
    init : {'spectral', 'kmeans'}, default='spectral'
        How the pretrained embedding is first clustered. ``'kmeans'``: k-means
        (``n_init`` restarts) places the centroids, as in the papers.
        ``'spectral'``: spectral clustering of the ``n_neighbors``-nearest-neighbour
        graph of the embedding (scikit-learn, on the CPU); each centroid is the
        mean of its cluster's codes and the one-hot spectral labels are the target
        P of the first ``update_interval`` iterations, so that training starts from
        the graph's clusters rather than from the nearest centroids (k-means is
        used when there are at most ``n_clusters + 1`` rows). k-means (10 restarts)
        labels the graph's spectral embedding: on the pretrained embeddings of 5
        seeds it gave a better start than scikit-learn's ``'cluster_qr'`` on
        digits (NMI 0.893 against 0.882), Fashion-MNIST 10k (0.656 against 0.645,
        4 seeds), iris (0.651 against 0.602) and breast cancer (0.666 against
        0.646), the same on wine. On digits the same
        pretrained networks gave NMI 0.853 with ``'spectral'`` against 0.780 with
        ``'kmeans'`` (2 paired seeds), and DEC with the spectral start on the
        embedding's graph alone gave NMI 0.860 over 5 seeds against 0.807 with
        ``'kmeans'`` (``python -m benchmarks dec``).
    n_neighbors : int, default=10
        Neighbours of the graph of ``init='spectral'`` (capped at
        ``n_samples - 1``).
    input_neighbors : bool, default=True
        With ``init='spectral'``, weigh each edge of the embedding's graph by
        whether the two rows are also neighbours in the input: edges of both graphs
        count 1,000 times more than edges of the embedding's graph alone (which
        keep it connected). The embedding and the raw rows each give some wrong
        neighbours, mostly not the same ones. Mean NMI over 5 seeds with and
        without it (``python -m benchmarks dec``): digits 0.895 against 0.858 (ACC
        0.880 against 0.818), Fashion-MNIST 10k 0.649 against 0.642, iris 0.622
        against 0.623, wine 0.851 against 0.850, breast cancer 0.702 against
        0.726; for tables of a few features False is as good and cheaper. The
        input's graph is computed by brute force,
        ``n_samples² × n_features`` operations: beyond 4e12 (about 70,000 images of
        28 × 28, minutes on one core) the embedding's graph is used alone, and so
        for data read in batches (a Dataset, a memmap, a folder) whose float32 copy
        would take more than 1 GiB; smaller ones are read whole for the graph.
    n_init : int, default=20
        Number of k-means restarts of ``init='kmeans'``.
    batch_size : int, default=64
        Mini-batch size of both phases. The papers use 256 on 70,000 images; 64
        gives small datasets enough optimisation steps per epoch (on digits it
        was both better and more stable, see the user guide).
    device : str or torch.device, default='auto'
        ``'auto'`` uses CUDA when available, else the CPU.
    mixed_precision : bool, default=False
        Train with bfloat16 matrix products (``torch.autocast``): the forward
        passes of pretraining and clustering and the passes that compute the
        target distribution. Weights, losses, the optimiser and ``predict`` stay in
        float32/float64. About twice as fast on CPUs with bfloat16 instructions
        (AVX-512 BF16, AMX); slower on CPUs without them, and on an NVIDIA H200,
        where this small network is bound by kernel launches (1.09–1.20× float32).
        Results differ from float32 training by more than rounding, as from another
        seed.
    verbose : int, default=0
        0: silent; 1: skorch's progress bars and one line per epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batch order, dropout and k-means. Pass an int for
        reproducible results across calls.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training row (argmax of Q).
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Centroids in the embedding space.
    pretrain_epochs_ : int
        Resolved ``pretrain_epochs``.
    n_iter_ : int
        Number of clustering iterations run.
    converged_ : bool
        Whether the ``tol`` criterion stopped training before ``max_iter``.
    history_ : skorch.history.History
        History of the clustering phase (loss per epoch, ``delta_label`` at updates).
    pretrain_history_ : skorch.history.History
        History of the end-to-end pretraining.
    net_ : ClusteringNet
        The trained skorch net; ``net_.module_`` holds the autoencoder and head.
    input_scale_ : float
        The scalar that ``input_rms`` multiplies the data by (1.0 when None).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    sklearn.cluster.KMeans : k-means on the raw features.

    Notes
    -----
    Training runs in float32 on ``device``; after ``fit`` the network is cast to
    float64 so that results do not depend on batch composition. P is computed over
    the whole dataset and a batch's targets are looked up by sample index; some
    public implementations recompute P from each batch, which is a different
    algorithm.

    **Reproducing the paper.** The defaults differ from the DEC paper's recipe in
    the centroid start, the input scaling, the pretraining and the optimisers;
    the paper's settings (stacked denoising pretraining with SGD, 50,000
    iterations of batch 256 per layer on MNIST's 70,000 images, about 183 epochs,
    and twice that for the fine-tuning; k-means start; SGD at 0.01 in the
    clustering phase until ``tol`` is met, which the IDEC code bounds at 20,000
    iterations; data as given) are::

        DEC(n_clusters=10, hidden_dims=(500, 500, 2000), embedding_dim=10,
            init="kmeans", n_init=20, input_rms=None, pretrain="stacked_denoising",
            pretrain_optimizer="sgd", pretrain_lr=0.1, pretrain_epochs=183,
            batch_size=256, optimizer="sgd", lr=0.01, update_interval=160,
            max_iter=20000)

    with ``gamma=0.1`` and ``optimizer="adam", lr=1e-3`` for IDEC (Guo et al.,
    2017). The paper's step decay of the pretraining rate is not implemented.

    References
    ----------
    .. [1] J. Xie, R. Girshick, A. Farhadi. "Unsupervised Deep Embedding for
       Clustering Analysis." ICML 2016.
    .. [2] X. Guo, L. Gao, X. Liu, J. Yin. "Improved Deep Embedded Clustering with
       Local Structure Preservation." IJCAI 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster import DEC
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 0.1, (20, 4)), rng.normal(1, 0.1, (20, 4))])
    >>> dec = DEC(n_clusters=2, hidden_dims=(16,), embedding_dim=2,
    ...           pretrain_epochs=20, max_iter=50, random_state=0).fit(X)
    >>> dec.labels_.shape
    (40,)
    >>> dec.predict(X[:3]).tolist() == dec.labels_[:3].tolist()
    True
    """

    _parameter_constraints = {
        **BaseDeepClusterer._parameter_constraints,
        "hidden_dims": ["array-like"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "autoencoder": [HasMethods(["encode", "decode"]), None],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "input_rms": [Interval(Real, 0, None, closed="neither"), None],
        "pretrain": [StrOptions({"autoencoder", "stacked_denoising"})],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "pretrain_lr": [Interval(Real, 0, None, closed="neither")],
        "pretrain_optimizer": [StrOptions({"adam", "sgd"})],
        "optimizer": [StrOptions({"adam", "sgd"})],
        "corruption": [Interval(Real, 0, 1, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left"), None],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "update_interval": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "init": [StrOptions({"spectral", "kmeans"})],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "input_neighbors": ["boolean"],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "mixed_precision": ["boolean"],
    }
    _value_constraints = {"hidden_dims": positive_ints()}

    def __init__(
        self,
        n_clusters=8,
        *,
        hidden_dims=(500, 500, 2000),
        embedding_dim=10,
        autoencoder=None,
        alpha=1.0,
        input_rms=2.0,
        pretrain="autoencoder",
        pretrain_epochs="auto",
        pretrain_lr=1e-3,
        pretrain_optimizer="adam",
        corruption=0.2,
        gamma=None,
        lr=1e-3,
        optimizer="adam",
        max_iter="auto",
        update_interval="auto",
        tol=1e-3,
        init="spectral",
        n_neighbors=10,
        input_neighbors=True,
        n_init=20,
        batch_size=64,
        device="auto",
        mixed_precision=False,
        verbose=0,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.autoencoder = autoencoder
        self.alpha = alpha
        self.input_rms = input_rms
        self.pretrain = pretrain
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.pretrain_optimizer = pretrain_optimizer
        self.corruption = corruption
        self.gamma = gamma
        self.lr = lr
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.update_interval = update_interval
        self.tol = tol
        self.init = init
        self.n_neighbors = n_neighbors
        self.input_neighbors = input_neighbors
        self.n_init = n_init
        self.batch_size = batch_size
        self.device = device
        self.mixed_precision = mixed_precision
        self.verbose = verbose
        self.random_state = random_state

    @fit_context
    def fit(self, X, y=None):
        """Pretrain the autoencoder, initialise the centroids, and train the clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), Dataset, memmap or image folder
            Training data. Its overall scale does not matter (see ``input_rms``);
            features on very different scales should be standardised first. Data
            that need not fit in memory (a torch ``Dataset``, a numpy memmap, a
            folder or list of image files) is read in batches, each sample as one
            flat row (see :ref:`large_datasets`).
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : DEC
            Fitted estimator.
        """
        X = inputs.check_rows(self, X, reset=True)
        self._check_pretrain_options()
        degenerate = self._warn_if_few_distinct_rows(X)
        scale = inputs.input_scale(X, self.input_rms)
        self.pretrain_epochs_ = self._resolve_pretrain_epochs(X.shape[0])
        with self._fit_scope(data_parallel=True) as (rng, seed, device):
            X_t = inputs.training_tensor(X if scale == 1.0 else X * scale, device)
            autoencoder = self._build_autoencoder(X.shape[1])
            self.pretrain_history_ = pretrain_autoencoder(
                autoencoder, X_t, epochs=self.pretrain_epochs_, lr=self.pretrain_lr,
                optimizer=self.pretrain_optimizer,
                stacked_denoising=self.pretrain == "stacked_denoising",
                corruption=self.corruption, seed=seed, **self._training_options(device))
            result = fit_dec_clustering(
                autoencoder, X_t, n_clusters=self.n_clusters, rng=rng, seed=seed + 1,
                alpha=self.alpha, gamma=self.gamma, lr=self.lr, optimizer=self.optimizer,
                max_iter=self._resolve_max_iter(), update_interval=self.update_interval,
                tol=self.tol,
                n_init=self.n_init, init=self.init, n_neighbors=self.n_neighbors,
                input_neighbors=self.input_neighbors,
                reconstruction_weight=self._reconstruction_weight(scale),
                **self._training_options(device))
        self._store_clustering(result)
        self.input_scale_ = scale
        if not degenerate:
            self._warn_if_clusters_lost()
        return self

    def _resolve_pretrain_epochs(self, n_samples):
        if self.pretrain_epochs != "auto":
            return self.pretrain_epochs
        return math.ceil(PRETRAIN_STEPS / math.ceil(n_samples / self.batch_size))

    def _resolve_max_iter(self):
        return CLUSTERING_STEPS if self.max_iter == "auto" else self.max_iter

    def _reconstruction_weight(self, scale):
        """IDEC's factor on ``L_r``: the error in the units of the data as given.

        As in the paper, the rescaling conditions the network but does not reweigh
        the objective. Data so large or small that this factor leaves float32's
        range cannot be trained in those units.
        """
        if self.gamma is None:
            return 1.0
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            weight = np.float64(1.0) / np.float64(scale) ** 2
        if not 1e-30 <= weight <= 1e30:
            raise ValueError(
                f"IDEC (gamma={self.gamma}) weighs its reconstruction error in the units of "
                f"X, whose root mean square here is about {self.input_rms / scale:.3g}: "
                f"the error then leaves float32's range. Rescale X (e.g. divide it by "
                "its largest absolute value), or use DEC (gamma=None)."
            )
        return float(weight)

    def _check_pretrain_options(self):
        if self.autoencoder is not None and self.pretrain == "stacked_denoising":
            raise ValueError(
                "pretrain='stacked_denoising' needs the built-in MLP autoencoder; "
                "use pretrain='autoencoder' with a custom autoencoder."
            )

    def _build_autoencoder(self, n_features):
        if self.autoencoder is not None:
            return copy.deepcopy(self.autoencoder)
        return MLPAutoencoder(n_features, tuple(self.hidden_dims), self.embedding_dim)

    def _training_options(self, device):
        return dict(batch_size=self.batch_size, device=device, verbose=self.verbose,
                    mixed_precision=self.mixed_precision)

    def _network_input(self, X):
        """Validated rows, rescaled as in ``fit`` (no copy when the scale is 1)."""
        X = inputs.check_rows(self, X, reset=False)
        return X if self.input_scale_ == 1.0 else X * self.input_scale_
