"""Plain PyTorch modules used by the estimators (no scikit-learn here)."""

from .autoencoder import DenoisingLayer, MLPAutoencoder, reconstruction_loss
from .backbones import (
    ConvBackbone,
    DeepClusterModel,
    MLPBackbone,
    RandomCropFlip,
    SobelFilter,
)
from .clustering import ClusteringModel, StudentTHead, target_distribution

__all__ = [
    "ClusteringModel",
    "ConvBackbone",
    "DeepClusterModel",
    "DenoisingLayer",
    "MLPAutoencoder",
    "MLPBackbone",
    "RandomCropFlip",
    "SobelFilter",
    "StudentTHead",
    "reconstruction_loss",
    "target_distribution",
]
