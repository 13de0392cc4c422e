"""Deep clustering estimators with a scikit-learn interface."""

from .dec import DEC
from .metrics import cluster_accuracy
from .rnn import MultiTaskRNNClusterer

__version__ = "0.1.0"

__all__ = ["DEC", "MultiTaskRNNClusterer", "cluster_accuracy", "__version__"]
