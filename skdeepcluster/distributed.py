"""Data-parallel fitting on ``torch.distributed``: detection, shards, gathers, DDP.

A script that calls ``est.fit(X)`` and is launched by ``torchrun
--nproc_per_node=N`` (one node or several) runs N processes with the same ``X``.
DEC (and IDEC), DeepCluster and MultiTaskRNNClusterer then fit data-parallel:

- the processes join the default process group (``torchrun``'s environment:
  ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR``; or a group the script
  initialised itself), on ``cuda:LOCAL_RANK`` where the estimator's device is a GPU;
- they agree on the random state of the main process (rank 0), so that they build
  the same networks and draw the same batches;
- each training batch of ``batch_size`` rows is split between them (each takes
  ``batch_size // N`` rows of it) and ``DistributedDataParallel`` averages the
  gradients: one step is the step of the whole batch, as in a single process;
- every pass over the whole data (features for k-means, DEC's target distribution,
  the final labels) runs on one share of the rows per process and is gathered, and
  the result of each clustering (k-means, spectral) is the main process's;
- data read in batches (:class:`~skdeepcluster.inputs.StreamedData`: a torch
  Dataset, a memmap, image files) is split the same way, and each process reads
  only its rows: its part of every training batch, its share of every full pass;
- batch norms normalise with the statistics of the whole batch and dropouts apply
  each process's rows of the whole batch's mask, so that a step is the step of one
  process over the whole batch;

so that every process holds the same clustering at every step and ends with the
same fitted estimator. Outside such a launch nothing here changes a fit.

The estimators opt in (``_fit_scope(data_parallel=True)``); the training code asks
:func:`current` for the context of the fit in progress.
"""

import atexit
import contextvars
import functools
import os
from contextlib import contextmanager, nullcontext

import numpy as np
import torch
from torch import distributed as dist
from torch import nn

__all__ = ["is_main_process", "world_size"]

_CURRENT = contextvars.ContextVar("skdeepcluster_data_parallel", default=None)

#: Rows of data read in batches compared between the processes at the start of training.
N_CHECKED_ROWS = 16


def _group_size():
    """Processes of the default group, initialising it from ``torchrun``'s environment.

    1 when this process runs alone: no ``torch.distributed``, no group and no
    ``WORLD_SIZE`` above 1.
    """
    if not dist.is_available():
        return 1
    if not dist.is_initialized():
        if int(os.environ.get("WORLD_SIZE", "1")) < 2:
            return 1
        # no backend named: gloo for CPU tensors, and NCCL for CUDA tensors where
        # torch has it
        dist.init_process_group()
        atexit.register(_destroy_group)
    return dist.get_world_size()


def _destroy_group():
    if dist.is_initialized():
        dist.destroy_process_group()


def world_size():
    """Number of processes that fit together.

    Inside a script launched by ``torchrun`` this joins the default process group
    (as a data-parallel ``fit`` does), so it can be called before the first fit.

    Returns
    -------
    n_processes : int
        The size of the default process group; 1 outside a distributed launch.
    """
    return _group_size()


def is_main_process():
    """Whether this process is the main one (rank 0), or runs alone.

    :func:`skdeepcluster.save` writes only there; use it to print or store results
    once.

    Returns
    -------
    main : bool

    Examples
    --------
    >>> from skdeepcluster.distributed import is_main_process
    >>> is_main_process()  # not launched by torchrun
    True
    """
    return _group_size() < 2 or dist.get_rank() == 0


def current():
    """The :class:`DataParallel` context of the fit in progress, or None."""
    return _CURRENT.get()


@contextmanager
def fit_scope(device, rng):
    """The data-parallel context of one ``fit``: yields the ``(device, rng)`` to use.

    Alone, they are ``device`` and ``rng`` unchanged and nothing else happens. In
    a group, an index-less CUDA device becomes ``cuda:LOCAL_RANK`` (the current
    device for the fit), ``rng`` becomes a copy of the main process's (rank 0
    keeps its own object), and :func:`current` returns the context until the end
    of the block.
    """
    if _group_size() < 2:
        yield device, rng
        return
    device = _local_device(device)
    on_gpu = torch.device(device).type == "cuda"
    with torch.cuda.device(device) if on_gpu else nullcontext():
        context = DataParallel(device)
        rng = context.from_main_process(rng)
        token = _CURRENT.set(context)
        try:
            yield device, rng
        finally:
            _CURRENT.reset(token)


def _local_device(device):
    dev = torch.device(device)
    if dev.type != "cuda" or dev.index is not None:
        return device
    local = os.environ.get("LOCAL_RANK")
    index = int(local) if local is not None else torch.cuda.current_device()
    return f"cuda:{index}"


class DataParallel:
    """What the training phases of one data-parallel fit need from the process group.

    Parameters
    ----------
    device : str
        The device of this process's fit.
    """

    def __init__(self, device):
        self.device = device
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()

    # ---- agreement -------------------------------------------------------------------
    def from_main_process(self, value):
        """The main process's ``value`` (any picklable object), on every process."""
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return value if self.rank == 0 else box[0]

    def check_same_data(self, X):
        """Refuse a fit whose processes got different training data.

        Each process must pass the whole data set (the same ``X``); its share of
        every batch is taken here. Compared: the shape and the sum of the values,
        which for data read in batches (a torch Dataset, a memmap, image files) are
        those of :data:`N_CHECKED_ROWS` rows spread over it (reading it all would
        cost a pass over the data).
        """
        if hasattr(X, "read"):  # data read in batches (inputs.StreamedData)
            rows = np.unique(np.linspace(0, len(X) - 1, N_CHECKED_ROWS).round().astype(int))
            total = float(X.read(rows.tolist()).double().sum()) if len(X) else 0.0
        else:
            total = float(torch.as_tensor(X).double().sum())
        seen = [None] * self.world_size
        dist.all_gather_object(seen, (tuple(X.shape), total))
        shapes = {shape for shape, _ in seen}
        sums = np.array([s for _, s in seen])
        if len(shapes) > 1 or not np.allclose(sums, sums[0], rtol=1e-6, atol=1e-6):
            raise ValueError(
                "In a data-parallel fit every process must pass the same X (the whole "
                f"data; each process trains on its share of every batch): got shapes "
                f"{[shape for shape, _ in seen]} and sums {sums.tolist()} on ranks "
                f"0..{self.world_size - 1}.")

    # ---- training --------------------------------------------------------------------
    def wrap(self, net):
        """The data-parallel training of a skorch net (:class:`TrainingParallel`)."""
        return TrainingParallel(net, self)

    def whole_batch(self, module, x):
        """``module(x)``, a batch norm or a dropout, as on the whole training batch.

        In eval mode, the module's own ``forward``; in training mode,
        :meth:`batch_norm` or :meth:`dropout` (rows along axis 0).
        """
        if not module.training:
            return type(module).forward(module, x)
        if isinstance(module, nn.Dropout):
            return self.dropout(x, module.p)
        return self.batch_norm(module, x)

    def batch_noise(self, shape, batch_dim, draw):
        """This process's part of the noise of the whole training batch.

        ``draw(global_shape)`` is called with ``shape`` whose axis ``batch_dim`` (this
        process's rows) is ``world_size`` times longer, and this process's part of it
        is returned. The processes draw alike (their random states agree), so each
        row gets the noise (a dropout mask) it gets when one process trains on the
        whole batch, and the random states stay in step.
        """
        per = shape[batch_dim]
        whole = list(shape)
        whole[batch_dim] = per * self.world_size
        return draw(whole).narrow(batch_dim, self.rank * per, per)

    def dropout(self, x, p, batch_dim=0):
        """Training-mode dropout of ``x`` (this process's rows along ``batch_dim``) with
        its part of the mask of the whole batch (:meth:`batch_noise`): the mask
        ``F.dropout`` draws for the whole batch in one process (``bernoulli_(1 - p)``
        on a tensor of its shape, divided by ``1 - p``)."""
        if p == 0:
            return x
        mask = self.batch_noise(x.shape, batch_dim,
                                lambda shape: x.new_empty(shape).bernoulli_(1 - p).div_(1 - p))
        return x * mask

    def batch_norm(self, norm, x):
        """Training-mode batch norm ``norm`` of ``x`` with the statistics of the whole
        batch: the rows of all processes, as ``torch.nn.SyncBatchNorm`` (which runs on
        GPUs only) computes them.

        The mean, then the variance, are all-reduced through autograd, so that the
        gradients of the whole batch's loss flow back to every process's rows; the
        running statistics are updated with them as a batch norm of the whole batch
        does.
        """
        # statistics in float32 at least (a bfloat16 sum over a batch loses its digits)
        h = x if x.dtype in (torch.float32, torch.float64) else x.float()
        dims = [d for d in range(h.dim()) if d != 1]
        count = h.numel() // h.shape[1] * self.world_size
        mean = _sum_over_processes(h.sum(dims)) / count
        centred = h - _per_channel(mean, h)
        var = _sum_over_processes(centred.pow(2).sum(dims)) / count
        if norm.track_running_stats:
            norm.num_batches_tracked.add_(1)
            momentum = (1.0 / float(norm.num_batches_tracked) if norm.momentum is None
                        else norm.momentum)
            with torch.no_grad():
                norm.running_mean.lerp_(mean.to(norm.running_mean.dtype), momentum)
                unbiased = var * (count / max(count - 1, 1))
                norm.running_var.lerp_(unbiased.to(norm.running_var.dtype), momentum)
        out = centred * _per_channel(torch.rsqrt(var + norm.eps), h)
        if norm.affine:
            out = out * _per_channel(norm.weight, h) + _per_channel(norm.bias, h)
        return out.to(x.dtype)

    # ---- passes over all rows --------------------------------------------------------
    def _share(self, n):
        """Rows ``[start, stop)`` of this process when ``n`` rows are split."""
        per = -(-n // self.world_size)
        start = min(self.rank * per, n)
        return start, min(start + per, n)

    def map_rows(self, func, X):
        """``func(X)`` computed on one share of the rows per process, gathered in order.

        Every process evaluates ``func`` on the same number of rows (``ceil(n / N)``;
        the last shares are shifted back to stay inside ``X``), so that the outputs
        can be gathered; each process then keeps, for each share, the rows it owns.
        """
        n = len(X)
        per = -(-n // self.world_size)
        starts = [min(r * per, n - per) for r in range(self.world_size)]
        out = func(X[starts[self.rank]:starts[self.rank] + per])
        parts = out if isinstance(out, tuple) else (out,)
        gathered = []
        for part in parts:
            pieces = [torch.empty_like(part) for _ in range(self.world_size)]
            dist.all_gather(pieces, part.contiguous())
            owned = [p[r * per - s:][:max(0, min(per, n - r * per))]
                     for r, (p, s) in enumerate(zip(pieces, starts))]
            gathered.append(torch.cat(owned))
        return tuple(gathered) if isinstance(out, tuple) else gathered[0]

    def local_rows(self, X):
        """The rows of ``X`` this process owns (possibly none)."""
        start, stop = self._share(len(X))
        return X[start:stop]

    def merge_moments(self, n, mean, m2):
        """Count, mean and sum of squared deviations over all processes' rows.

        Each process passes those of its own rows (:meth:`local_rows`); all get the
        same merged values (Chan et al.'s pairwise update, in rank order).
        """
        seen = [None] * self.world_size
        local = (n, torch.as_tensor(mean).cpu(), torch.as_tensor(m2).cpu())
        dist.all_gather_object(seen, local)
        n, mean, m2 = 0, 0.0, 0.0
        for n_b, mean_b, m2_b in seen:
            if n_b == 0:
                continue
            delta = mean_b - mean
            total = n + n_b
            mean = mean + delta * (n_b / total)
            m2 = m2 + m2_b + delta.pow(2) * (n * n_b / total)
            n = total
        device = torch.device(self.device)
        as_device = (lambda t: t.to(device)) if torch.is_tensor(mean) else (lambda t: t)
        return n, as_device(mean), as_device(m2)


class TrainingParallel:
    """One net's training in a data-parallel fit: DDP forward, batch shares, mean loss.

    ``forward`` is ``DistributedDataParallel`` around the net's training forward
    pass: the net's ``forward_batch(x)`` may call any methods of its module
    (``encode``, ``decode``), so DDP wraps a module whose ``forward`` is that call,
    and the gradients are averaged over the processes at every backward pass. The
    graph is static (the parameters a step uses are those of the first step), which
    lets a module hold parameters its training loss leaves out (DEC's decoder)
    without a search for them at every step. Until :meth:`close`, the batch norms
    and dropouts of the module act on each process's rows as on the whole batch
    (:meth:`DataParallel.whole_batch`): statistics of all rows, dropout masks of all
    rows, so that a step is the step of one process over the whole batch.

    Parameters
    ----------
    net : skdeepcluster.training.TrainingNet
        Initialised (its ``module_`` built).
    context : DataParallel
    """

    def __init__(self, net, context):
        device = torch.device(context.device)
        self.context = context
        self.forward = nn.parallel.DistributedDataParallel(
            _ForwardBatch(net), device_ids=[device.index] if device.type == "cuda" else None,
            static_graph=True)
        self._replaced = [m for m in net.module_.modules()
                          if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.Dropout))]
        for module in self._replaced:  # an attribute of the instance, removed by close()
            module.forward = functools.partial(context.whole_batch, module)

    def shard(self, batches):
        """This process's part of each training batch of ``batches``.

        An iterator over data read in batches (its ``dataset`` a
        :class:`~skdeepcluster.inputs.StreamedData`) then reads only those rows; the
        batches of a tensor are sliced.
        """
        rank, world_size = self.context.rank, self.context.world_size
        data = getattr(batches, "dataset", None)
        if hasattr(data, "sharded"):  # data read in batches (inputs.StreamedData)
            batches.dataset = data.sharded(rank, world_size)
            return batches
        return _ShardedBatches(batches, rank, world_size)

    def mean(self, value):
        """Mean of a scalar tensor over the processes (a batch loss: the whole batch's)."""
        value = value.detach().clone()
        dist.all_reduce(value)
        return value / self.context.world_size

    def finish(self):
        """Give every process the main process's buffers (batch-norm running statistics).

        DDP copies them from the main process before each forward pass; the last
        training step then updates each process's copy with its own rows.
        """
        for buffer in self.forward.module.buffers():
            dist.broadcast(buffer, src=0)

    def close(self):
        """Give the batch norms and dropouts their own ``forward`` back (the fit ended or
        failed)."""
        for module in self._replaced:
            del module.forward


def batch_share(n_rows, rank, world_size):
    """The rows of a training batch of ``n_rows`` that process ``rank`` trains on.

    The batch is cut in ``world_size`` equal parts in order (process ``r`` takes the
    ``r``-th), so that the mean of the processes' mean losses is the batch's mean
    loss; the at most ``world_size - 1`` rows left over are not used.

    Returns
    -------
    rows : slice or None
        None when a part would have fewer than two rows (batch norm needs two):
        every process then skips the batch alike.
    """
    per = n_rows // world_size
    return slice(rank * per, (rank + 1) * per) if per >= 2 else None


def _per_channel(values, x):
    """``values`` (one per channel, axis 1 of ``x``) shaped to broadcast against ``x``."""
    return values.reshape(1, -1, *([1] * (x.dim() - 2)))


class _SumOverProcesses(torch.autograd.Function):
    """All-reduce (sum) whose gradient is the all-reduced gradient."""

    @staticmethod
    def forward(ctx, value):
        value = value.clone()
        dist.all_reduce(value)
        return value

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


def _sum_over_processes(value):
    return _SumOverProcesses.apply(value)


class _ForwardBatch(nn.Module):
    """A skorch net's training forward pass (``net.forward_batch``) as a module."""

    def __init__(self, net):
        super().__init__()
        self.module = net.module_
        self._forward_batch = net.forward_batch

    def forward(self, x, **fit_params):
        return self._forward_batch(x, **fit_params)


class _ShardedBatches:
    """Each batch of ``batches`` cut in ``world_size`` equal parts; this process's part.

    The parts are those of :func:`batch_share`: equal parts
    make DDP's average of the per-process mean losses the mean over the batch; a
    batch that gives a process fewer than two rows is skipped, by every process alike.
    """

    def __init__(self, batches, rank, world_size):
        self.batches = batches
        self.rank = rank
        self.world_size = world_size

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for X, y in self.batches:
            rows = batch_share(len(X), self.rank, self.world_size)
            if rows is not None:
                yield X[rows], (None if y is None else y[rows])


def map_rows(func, X):
    """``func(X)``; in a data-parallel fit, computed on shares of the rows and gathered."""
    context = current()
    return func(X) if context is None else context.map_rows(func, X)


def batch_noise(shape, draw):
    """``draw(shape)``; in a data-parallel fit, this process's rows (axis 0) of the
    draw for the whole batch (:meth:`DataParallel.batch_noise`)."""
    context = current()
    return draw(shape) if context is None else context.batch_noise(shape, 0, draw)


def from_main_process(value):
    """``value``; in a data-parallel fit, the main process's ``value`` on every process."""
    context = current()
    return value if context is None else context.from_main_process(value)
