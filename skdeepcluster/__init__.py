"""Deep clustering estimators with a scikit-learn interface."""

from .dec import DEC
from .deepcluster import DeepCluster
from .metrics import cluster_accuracy
from .rnn import MultiTaskRNNClusterer
from .multimodal import DeepMultimodalSubspaceClustering
from .subspace import DeepSubspaceClustering

__version__ = "0.1.0"

__all__ = [
    "DEC",
    "DeepCluster",
    "DeepMultimodalSubspaceClustering",
    "DeepSubspaceClustering",
    "MultiTaskRNNClusterer",
    "cluster_accuracy",
    "__version__",
]
