"""Batch-norm statistics measured in eval mode."""

import torch


@torch.no_grad()
def recalibrate_embedding_norm(autoencoder, X, batch_size):
    """Set ``autoencoder.embed_norm``'s statistics to their average over ``X`` in eval mode.

    Training-mode BatchNorm keeps exponential averages of batch statistics gathered
    with dropout on; they lag behind the weights and do not fit eval-mode
    activations, so the eval-mode embedding (k-means init, P, predict) would be
    shifted against the one being trained. Recomputing them before every use of the
    eval-mode embedding removes that shift.

    Parameters
    ----------
    autoencoder : nn.Module
        Has ``encode(x)`` and a BatchNorm layer ``embed_norm`` on the embedding.
    X : Tensor
        All training samples.
    batch_size : int
    """
    norm = autoencoder.embed_norm
    was_training = autoencoder.training
    autoencoder.eval()
    norm.reset_running_stats()
    norm.momentum = None  # cumulative average over the batches below
    norm.train()
    for start in range(0, len(X), batch_size):
        autoencoder.encode(X[start : start + batch_size].to(norm.running_mean.dtype))
    norm.momentum = 0.1
    autoencoder.train(was_training)
