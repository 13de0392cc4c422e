"""Plain PyTorch modules used by the estimators (no scikit-learn here)."""

from .autoencoder import DenoisingLayer, MLPAutoencoder, reconstruction_loss
from .clustering import ClusteringModel, StudentTHead, target_distribution

__all__ = [
    "ClusteringModel",
    "DenoisingLayer",
    "MLPAutoencoder",
    "StudentTHead",
    "reconstruction_loss",
    "target_distribution",
]
