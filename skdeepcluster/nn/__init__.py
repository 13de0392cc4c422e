"""Plain PyTorch modules used by the estimators (no scikit-learn here)."""

from .autoencoder import DenoisingLayer, MLPAutoencoder, reconstruction_loss
from .backbones import (
    ConvBackbone,
    DeepClusterModel,
    MLPBackbone,
    RandomCropFlip,
    SobelFilter,
)
from .clustering import ClusteringModel, StudentTHead, kl_clustering_loss, target_distribution
from .normalization import recalibrate_embedding_norm
from .recurrent import (
    BiConvGRUEncoder,
    ConditionalGRUDecoder,
    ConvGRUCell,
    MultiTaskRecurrentAutoencoder,
)

__all__ = [
    "BiConvGRUEncoder",
    "ConditionalGRUDecoder",
    "ConvGRUCell",
    "MultiTaskRecurrentAutoencoder",
    "ClusteringModel",
    "ConvBackbone",
    "DeepClusterModel",
    "DenoisingLayer",
    "MLPAutoencoder",
    "MLPBackbone",
    "RandomCropFlip",
    "SobelFilter",
    "StudentTHead",
    "kl_clustering_loss",
    "recalibrate_embedding_norm",
    "reconstruction_loss",
    "target_distribution",
]
