"""Student-t soft assignment (the DEC clustering layer) and its target distribution."""

import torch
from torch import nn
from torch.nn import functional as F


class StudentTHead(nn.Module):
    """Soft assignment of embeddings to trainable centroids.

    ``q_ij ∝ (1 + ||z_i - mu_j||² / alpha) ** (-(alpha + 1) / 2)``, normalised over
    ``j`` (Xie et al., 2016, eq. 1).

    Parameters
    ----------
    centers : Tensor of shape (n_clusters, embedding_dim)
        Initial centroids, usually from k-means on the embedding.
    alpha : float
        Degrees of freedom of the Student-t kernel.
    """

    def __init__(self, centers, alpha=1.0):
        super().__init__()
        self.centers = nn.Parameter(torch.as_tensor(centers).clone())
        self.alpha = float(alpha)

    def forward(self, z):
        # the exact (non-matmul) distance keeps results independent of batch size;
        # a bfloat16 embedding (mixed precision) is compared in the centers' precision
        dtype = torch.promote_types(z.dtype, self.centers.dtype)
        dist2 = torch.cdist(
            z.to(dtype), self.centers.to(dtype), compute_mode="donot_use_mm_for_euclid_dist"
        ).pow(2)
        logits = -(self.alpha + 1.0) / 2.0 * torch.log1p(dist2 / self.alpha)
        # softmax of log-kernels == row-normalised kernels, without underflow
        return torch.softmax(logits, dim=1)


def target_distribution(q):
    """Sharpened target ``p_ij = (q_ij² / f_j) / Σ_j' (q_ij'² / f_j')``, ``f_j = Σ_i q_ij``.

    Computed over the whole dataset (Xie et al., 2016, eq. 3).
    """
    weight = q.pow(2) / q.sum(dim=0)
    return weight / weight.sum(dim=1, keepdim=True)


def kl_clustering_loss(q, p):
    """DEC's clustering loss KL(P‖Q): summed over clusters, mean over rows (Keras ``kld``)."""
    return F.kl_div(q.clamp_min(1e-12).log(), p, reduction="batchmean")


class ClusteringModel(nn.Module):
    """An autoencoder with a Student-t clustering head on its embedding.

    Parameters
    ----------
    autoencoder : nn.Module
        Any module with ``encode(x) -> z`` and ``decode(z)``.
    centers : Tensor of shape (n_clusters, embedding_dim)
        Initial centroids.
    alpha : float
        Degrees of freedom of the Student-t kernel.
    keep_decoder : bool
        Also decode the embedding in ``forward`` (IDEC, the multi-task RNN);
        plain DEC drops the decoder.

    The forward pass returns ``(q, z, recon)``; ``recon`` is None without the decoder.
    """

    def __init__(self, autoencoder, centers, alpha=1.0, keep_decoder=False):
        super().__init__()
        self.autoencoder = autoencoder
        self.head = StudentTHead(centers, alpha)
        self.keep_decoder = keep_decoder

    def soft_assign(self, x):
        """Soft assignments Q of a batch, without decoding."""
        return self.head(self.autoencoder.encode(x))

    def forward(self, x):
        z = self.autoencoder.encode(x)
        recon = self.autoencoder.decode(z) if self.keep_decoder else None
        return self.head(z), z, recon
