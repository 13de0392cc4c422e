"""skorch glue: the nets, callbacks and batch iterator the estimators train with."""

from .callbacks import DivergenceGuard, IterationLimit, TargetDistributionUpdate
from .iterators import TensorBatchIterator
from .nets import AutoencoderNet, ClusteringNet, batched_apply, make_net

__all__ = [
    "AutoencoderNet",
    "ClusteringNet",
    "DivergenceGuard",
    "IterationLimit",
    "TargetDistributionUpdate",
    "TensorBatchIterator",
    "batched_apply",
    "make_net",
]
