"""Deep subspace clustering network (DSC-Net) on one modality."""

from . import inputs
from ._subspace_base import SubspaceClusteringBase
from ._subspace_docs import _ATTRIBUTES_DOC, _COMMON_PARAMS_DOC, _NOTES_DOC


class DeepSubspaceClustering(SubspaceClusteringBase):
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
        **SubspaceClusteringBase._parameter_constraints,
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
                 threshold_ratio=0.2, subspace_dim=10, affinity_power=3.0, n_neighbors=10,
                 n_landmarks=None, max_memory_gb=4.0,
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
        self.n_neighbors = n_neighbors
        self.n_landmarks = n_landmarks
        self.max_memory_gb = max_memory_gb
        self.batch_size = batch_size
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def _resolve_shapes(self, n_features, block_shapes):
        block = block_shapes[0] if block_shapes else (n_features,)
        return [inputs.view_shape(block, self.input_shape)]
