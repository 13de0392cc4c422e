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
from .nets import (
    AutoencoderNet,
    ClusteringNet,
    MixedPrecisionNet,
    autocast_bf16,
    batched_apply,
    make_net,
)

__all__ = [
    "AutoencoderNet",
    "ClusteringNet",
    "DeepClusterNet",
    "DivergenceGuard",
    "IterationLimit",
    "MixedPrecisionNet",
    "PseudoLabelUpdate",
    "TargetDistributionUpdate",
    "TensorBatchIterator",
    "UniformClusterIterator",
    "autocast_bf16",
    "batched_apply",
    "fit_whitening",
    "make_net",
    "whiten",
]
