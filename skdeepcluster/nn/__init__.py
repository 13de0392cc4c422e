"""Plain PyTorch modules used by the estimators (no scikit-learn here)."""

from .autoencoder import DenoisingLayer, MLPAutoencoder, reconstruction_loss
from .backbones import (
    AlexNetBackbone,
    ConvBackbone,
    DeepClusterModel,
    MLPBackbone,
    RandomCropFlip,
    SobelFilter,
    VGG16Backbone,
    crop_shift,
    pooled_blocks,
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
    "AlexNetBackbone",
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
    "VGG16Backbone",
    "crop_shift",
    "kl_clustering_loss",
    "pooled_blocks",
    "recalibrate_embedding_norm",
    "reconstruction_loss",
    "target_distribution",
]
