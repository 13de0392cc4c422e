"""Batch-norm statistics measured in eval mode."""

import torch

from .. import distributed


@torch.no_grad()
def recalibrate_embedding_norm(autoencoder, X, batch_size):
    """Set ``autoencoder.embed_norm``'s statistics to those of ``X`` in eval mode.

    Training-mode BatchNorm keeps exponential averages of batch statistics gathered
    with dropout on; they lag behind the weights and do not fit eval-mode
    activations, so the eval-mode embedding (k-means init, P, predict) would be
    shifted against the one being trained. Recomputing them before every use of the
    eval-mode embedding removes that shift.

    The statistics are exact over all rows, whatever their order: the pre-norm
    embeddings of all rows are computed in eval mode (by batches of ``batch_size``),
    and ``running_mean`` and ``running_var`` are set to their mean and their
    unbiased variance (what BatchNorm stores), accumulated in float64. An average
    of per-batch statistics would not be: the mean of per-batch variances misses
    the spread between batches, which is large when rows come sorted by class.
    The modules' train/eval modes are left as they were. In a data-parallel fit
    (:mod:`skdeepcluster.distributed`) each process measures its share of the rows
    and the moments are merged.

    Parameters
    ----------
    autoencoder : nn.Module
        Has ``encode(x)`` and a BatchNorm layer ``embed_norm`` on the embedding,
        whose input is ``(n, features)``.
    X : Tensor or StreamedData
        All training samples.
    batch_size : int
    """
    norm = autoencoder.embed_norm
    n, mean, m2 = 0, 0.0, 0.0
    parallel = distributed.current()

    def accumulate(module, args):
        # Chan et al.'s pairwise update: per-batch moments in float64, combined exactly
        nonlocal n, mean, m2
        h = args[0].detach().double()
        n_b = h.shape[0]
        mean_b = h.mean(0)
        m2_b = (h - mean_b).pow(2).sum(0)
        delta = mean_b - mean
        total = n + n_b
        mean = mean + delta * (n_b / total)
        m2 = m2 + m2_b + delta.pow(2) * (n * n_b / total)
        n = total

    modes = {m: m.training for m in autoencoder.modules()}
    handle = norm.register_forward_pre_hook(accumulate)
    try:
        autoencoder.eval()
        rows = X if parallel is None else parallel.local_rows(X)
        if hasattr(rows, "batches"):  # data read in batches
            batches = rows.batches(batch_size)
        else:
            batches = (rows[start : start + batch_size]
                       for start in range(0, len(rows), batch_size))
        for x in batches:
            autoencoder.encode(x.to(norm.running_mean.device, norm.running_mean.dtype))
    finally:
        handle.remove()
        for module, training in modes.items():
            module.training = training
    if parallel is not None:  # each process measured its share of the rows
        n, mean, m2 = parallel.merge_moments(n, mean, m2)
    if n < 2:  # no variance from one row: the statistics of a fresh BatchNorm
        norm.reset_running_stats()
        return
    norm.running_mean.copy_(mean)
    norm.running_var.copy_(m2 / max(n - 1, 1))  # unbiased, as BatchNorm stores it
    norm.num_batches_tracked.fill_(1)
