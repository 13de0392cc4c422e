"""A mini-batch iterator that slices whole tensors instead of collating rows."""

import math

import torch


class TensorBatchIterator:
    """Iterate over a skorch ``Dataset`` holding tensors, one slice per batch.

    skorch's default ``DataLoader`` fetches and collates one row at a time, which
    dominates the cost of small networks; slicing the stored tensors gives the same
    batches at the cost of one indexing operation. Data read in batches
    (:class:`~skdeepcluster.inputs.StreamedData`) is iterated through its own
    ``DataLoader``, in the same order, reading the training view of its source.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        Its ``X`` (and ``y`` if not None) must be tensors (or dicts of tensors are
        not supported).
    batch_size : int
        Rows per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Draw a new permutation at every pass.
    generator : torch.Generator, default=None
        Source of the permutations; a seeded generator makes them reproducible and
        leaves the global torch RNG alone.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None, **_):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        if hasattr(self.dataset, "loader"):  # StreamedData: read batch by batch
            yield from self.dataset.loader(self.batch_size, shuffle=self.shuffle,
                                           generator=self.generator, train=True)
            return
        X, y = self.dataset.X, self.dataset.y
        n = len(self.dataset)
        order = None
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(X.device)
        for start in range(0, n, self.batch_size):
            if order is None:
                rows = slice(start, start + self.batch_size)
            else:
                rows = order[start : start + self.batch_size]
            yield X[rows], (None if y is None else y[rows])
