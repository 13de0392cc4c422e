"""skorch glue: the nets, callbacks and batch iterator the estimators train with."""

from .callbacks import DivergenceGuard, IterationLimit, TargetDistributionUpdate
from .deepcluster import (
    DeepClusterNet,
    PseudoLabelUpdate,
    UniformClusterIterator,
    fit_whitening,
    whiten,
)
from .iterators import TensorBatchIterator
from .nets import AutoencoderNet, ClusteringNet, batched_apply, make_net

__all__ = [
    "AutoencoderNet",
    "ClusteringNet",
    "DeepClusterNet",
    "DivergenceGuard",
    "IterationLimit",
    "PseudoLabelUpdate",
    "TargetDistributionUpdate",
    "TensorBatchIterator",
    "UniformClusterIterator",
    "batched_apply",
    "fit_whitening",
    "make_net",
    "whiten",
]
