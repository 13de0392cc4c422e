"""skorch glue: the nets, callbacks and batch iterator the estimators train with, and the
training phases they share (autoencoder pretraining, DEC's clustering phase).
"""

from .callbacks import DivergenceGuard, IterationLimit, StopTraining, TargetDistributionUpdate
from .dec_clustering import ClusteringResult, fit_dec_clustering
from .deepcluster import (
    DeepClusterNet,
    PseudoLabelUpdate,
    UniformClusterIterator,
    fit_whitening,
    train_deepcluster,
    whiten,
)
from .iterators import TensorBatchIterator
from .nets import (
    AutoencoderNet,
    ClusteringNet,
    MixedPrecisionNet,
    TrainingNet,
    autocast_bf16,
    batched_apply,
    make_net,
    optimizer_kwargs,
)
from .self_expressive import SelfExpressiveNet, fit_self_expression
from .pretraining import pretrain_autoencoder, step_decay

__all__ = [
    "AutoencoderNet",
    "ClusteringNet",
    "ClusteringResult",
    "DeepClusterNet",
    "DivergenceGuard",
    "IterationLimit",
    "MixedPrecisionNet",
    "PseudoLabelUpdate",
    "SelfExpressiveNet",
    "StopTraining",
    "TargetDistributionUpdate",
    "TensorBatchIterator",
    "TrainingNet",
    "UniformClusterIterator",
    "autocast_bf16",
    "batched_apply",
    "fit_dec_clustering",
    "fit_self_expression",
    "fit_whitening",
    "make_net",
    "optimizer_kwargs",
    "pretrain_autoencoder",
    "step_decay",
    "train_deepcluster",
    "whiten",
]
