"""Docstring parts shared by DeepSubspaceClustering and DeepMultimodalSubspaceClustering."""

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
        pretrained codes of UCI multiple features best.
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
        both UCI multiple features and scikit-learn's digits).
    affinity_power : float, default=3.0
        Exponent of the angular affinity (larger is sharper).
    n_neighbors : int or None, default=10
        Keep the affinity only between rows of which one is among the other's
        ``n_neighbors`` nearest in angle in the input (each modality standardised
        as the network sees it): two rows that C relates but that point in
        different directions are not joined. Over 5 seeds it raised NMI on
        scikit-learn's digits from 0.823 to 0.895 and on breast cancer from 0.494 to
        0.727 (``python -m benchmarks subspace``), on UCI multiple features from
        0.948 to 0.958 (``python -m benchmarks multimodal``). Of 5, 7, 10, 15 and 20
        neighbours, 10 gave the best mean NMI over the six sets of these two tables
        with more than 40 rows (5 and 7 were within 0.005, 15 and 20 lower, on the
        fitted C of the tables' seeds). It is capped at the mean cluster size less
        one, ``n_fit // n_clusters - 1`` (at least 1), since more neighbours than a
        cluster holds must include rows of other clusters: on nutrimouse (40 mice,
        5 diets) the cap (7) gave 0.523 against 0.455 with 10. With several
        modalities the angle is averaged over them (each scaled to unit norm
        apart), so that a modality counts the same whatever its number of columns:
        on the same fitted C this raised NMI from 0.950 (the angle of the
        modalities side by side) to 0.958 on UCI multiple features, and from 0.895
        to 0.898 on digits as two half-images. None: the affinity of the reference
        code, on all pairs.
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
    this start with ``lambda1=1e-2`` raised NMI from 0.932 to 0.948 (with the
    affinity on all pairs, ``n_neighbors=None``).

    C costs ``n²`` memory; see ``max_memory_gb`` and ``n_landmarks``. The affinity
    post-processing follows the reference code (see :mod:`skdeepcluster.spectral`),
    except for the neighbour mask of ``n_neighbors``.
    ``predict`` codes new rows over the training codes with ridge regression and
    assigns the cluster with the smallest class-wise residual (after Peng, Zhang & Yi,
    2013). Each cluster codes the row on its own: one joint ridge code over all
    training codes spreads over clusters whose subspaces are not orthogonal, and its
    class-wise residuals then agreed with ``labels_`` on only half of the training
    rows of a union of subspaces, against over 95 % this way. Same data, same
    ``random_state``, same device and thread count: same labels.

    Reproducing the papers: ``n_neighbors=None`` (the affinity on all pairs), a
    float ``coef_init`` (the constant start of C: ``c`` on C is ``coef_init = c * n``),
    ``subspace_dim`` and ``affinity_power`` as the reference script of the dataset,
    and, for images, the default ``conv_channels`` and ``kernel_sizes`` (DSC-Net's
    Extended Yale B network). ``lambda1`` and ``lambda2`` have no direct counterpart:
    the loss terms here are normalised, the references' are sums over their data.
"""
