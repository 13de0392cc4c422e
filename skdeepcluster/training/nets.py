"""skorch nets, one per loss, and the helpers that build and evaluate them."""

import torch
from skorch import NeuralNet
from skorch.callbacks import PrintLog, ProgressBar
from skorch.utils import to_tensor

from .. import distributed
from ..nn.autoencoder import reconstruction_loss
from ..nn.clustering import kl_clustering_loss
from .callbacks import DivergenceGuard, StopTraining
from .iterators import TensorBatchIterator


def autocast_bf16(device, enabled):
    """A context that runs ``device``'s matrix products in bfloat16 when ``enabled``.

    ``torch.autocast`` keeps precision-sensitive ops (distances, softmax, losses) in
    float32; disabled, it changes nothing.
    """
    device_type = torch.device(device).type
    if enabled and device_type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(
            "mixed_precision=True needs bfloat16 support, which this GPU lacks "
            "(compute capability 8.0 or newer); use mixed_precision=False."
        )
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=enabled)


def _to_float32(out):
    if isinstance(out, tuple):
        return tuple(_to_float32(o) for o in out)
    if isinstance(out, torch.Tensor) and out.is_floating_point():
        return out.float()
    return out


class _Interrupted(BaseException):
    """Carries a ``KeyboardInterrupt`` past ``NeuralNet.partial_fit``, which swallows it."""


class TrainingNet(NeuralNet):
    """The base of every net here: early stops that are not Ctrl-C, and Ctrl-C that stops.

    skorch's ``partial_fit`` catches ``KeyboardInterrupt`` around its fit loop (its
    callbacks stop training by raising one), so a Ctrl-C would end only the current
    training phase and the estimator would go on to the next one. Here a callback
    ends training with :class:`~skdeepcluster.training.callbacks.StopTraining`
    (caught in ``fit_loop``, then ``on_train_end`` runs as usual), and a real
    ``KeyboardInterrupt`` leaves ``fit``.

    In a data-parallel fit (:mod:`skdeepcluster.distributed`), training runs the
    forward pass through ``DistributedDataParallel`` (``data_parallel_``), each
    process takes (or, from data read in batches, reads) its part of every training
    batch, batch norms and dropouts act as on the whole batch, and the recorded
    batch loss is the mean over the processes (the loss of the whole batch, the same
    on all).
    """

    data_parallel_ = None  # a distributed.TrainingParallel during a data-parallel fit

    def fit_loop(self, X, y=None, *args, **kwargs):
        context = distributed.current()
        if context is not None:
            context.check_same_data(X)
            self.data_parallel_ = context.wrap(self)
        try:
            try:
                super().fit_loop(X, y, *args, **kwargs)
            except StopTraining:
                pass
            if self.data_parallel_ is not None:
                self.data_parallel_.finish()
            return self
        except KeyboardInterrupt as exc:
            raise _Interrupted from exc
        finally:
            if self.data_parallel_ is not None:
                self.data_parallel_.close()
            self.data_parallel_ = None

    def partial_fit(self, *args, **kwargs):
        try:
            return super().partial_fit(*args, **kwargs)
        except _Interrupted as exc:
            raise exc.__cause__ from None

    def get_iterator(self, dataset, training=False):
        iterator = super().get_iterator(dataset, training=training)
        return self.shard(iterator) if training else iterator

    def shard(self, batches):
        """This process's part of each training batch in a data-parallel fit, else ``batches``."""
        return batches if self.data_parallel_ is None else self.data_parallel_.shard(batches)

    def train_step(self, batch, **fit_params):
        step = super().train_step(batch, **fit_params)
        if self.data_parallel_ is not None:
            step["loss"] = self.data_parallel_.mean(step["loss"])
        return step

    def infer(self, x, **fit_params):
        parallel = self.data_parallel_
        forward = self.forward_batch if parallel is None else parallel.forward
        return forward(_to_device(x, self.device), **fit_params)

    def forward_batch(self, x, **fit_params):
        """The module's output on one batch (what ``infer`` returns)."""
        return self.module_(x, **fit_params)


class MixedPrecisionNet(TrainingNet):
    """A net whose training forward passes can run in mixed precision.

    Parameters
    ----------
    mixed_precision : bool, default=False
        Run the forward pass of every training step under bfloat16 autocast
        (:func:`autocast_bf16`) and cast its outputs back to float32: losses,
        gradients of the float32 weights and the optimiser stay float32.
    """

    def __init__(self, *args, mixed_precision=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.mixed_precision = mixed_precision

    def infer(self, x, **fit_params):
        with autocast_bf16(self.device, self.mixed_precision):
            out = super().infer(x, **fit_params)
        return _to_float32(out) if self.mixed_precision else out


class AutoencoderNet(MixedPrecisionNet):
    """Trains any module with ``encode``/``decode`` to reconstruct its input.

    Fit with ``y=None``: the targets are the inputs themselves.
    """

    def forward_batch(self, x, **fit_params):
        return self.module_.decode(self.module_.encode(x))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return reconstruction_loss(self.module_, y_pred, to_tensor(X, device=self.device))


class ClusteringNet(MixedPrecisionNet):
    """Trains a :class:`~skdeepcluster.nn.ClusteringModel` on KL(P‖Q).

    Fit with ``y = arange(n_samples)``: each batch carries its sample indices, so
    the loss looks up that batch's rows of the target distribution ``target_``
    (computed over the whole dataset by
    :class:`~skdeepcluster.training.TargetDistributionUpdate`).

    Parameters
    ----------
    gamma : float or None
        None: loss ``KL(P‖Q)`` (DEC). A float: ``L_r + gamma * KL(P‖Q)`` with the
        module's reconstruction loss ``L_r`` (IDEC, Guo et al., 2017); the module
        must keep its decoder.
    reconstruction_weight : float, default=1.0
        Factor on ``L_r``. An estimator that trains on rescaled inputs passes
        ``1 / scale**2``, so that ``L_r`` is measured in the units of its input data.
    """

    def __init__(self, *args, gamma=None, reconstruction_weight=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.gamma = gamma
        self.reconstruction_weight = reconstruction_weight

    target_ = None

    def get_loss(self, y_pred, y_true, X=None, training=False):
        q, _, recon = y_pred
        p = self.target_[to_tensor(y_true, device=self.device)]
        kl = kl_clustering_loss(q, p)
        if self.gamma is None:
            return kl
        x = to_tensor(X, device=self.device)
        recon_loss = reconstruction_loss(self.module_.autoencoder, recon, x)
        return self.reconstruction_weight * recon_loss + self.gamma * kl


def optimizer_kwargs(name):
    """skorch arguments for an optimiser name.

    ``'adam'``: :func:`make_net`'s default (fused Adam); ``'sgd'``: SGD with
    momentum 0.9, as in the DEC paper.
    """
    return {"optimizer": torch.optim.SGD, "optimizer__momentum": 0.9} if name == "sgd" else {}


def make_net(net_cls, module, *, phase, lr, max_epochs, batch_size, device, seed,
             verbose, callbacks=(), optimizer=torch.optim.Adam, shuffle=True,
             lr_params=("lr",), **kwargs):
    """Build a skorch net with the conventions every estimator follows.

    No validation split (skorch's default holds out 20 %), tensor-slicing batches,
    a seeded shuffling generator (reproducible, global RNG untouched), a divergence
    guard, and progress output only when ``verbose``.

    Parameters
    ----------
    net_cls : type
        A :class:`TrainingNet` subclass.
    module : nn.Module
        An initialised module; skorch keeps its weights.
    phase : str
        Name of the training phase, for messages.
    seed : int
        Seed of the shuffling generator.
    verbose : int
        0: silent; 1 or more: skorch's progress bar and one line per epoch.
    callbacks : sequence of (name, Callback)
        Extra callbacks, run in order before the divergence guard.
    shuffle : bool, default=True
        Shuffle the training rows at every epoch; False keeps their order (needed
        when a parameter is tied to sample positions, e.g. a self-expression layer).
    lr_params : sequence of str, default=('lr',)
        The estimator parameters that set this phase's learning rates, named by the
        divergence guard's message.
    **kwargs
        Passed to ``net_cls``. Adam gets ``optimizer__fused=True`` unless given.
    """
    if not issubclass(net_cls, TrainingNet):
        raise TypeError(f"{net_cls.__name__} must subclass TrainingNet (Ctrl-C, early stops).")
    callbacks = list(callbacks) + [("divergence_guard", DivergenceGuard(phase, lr_params))]
    if optimizer is torch.optim.Adam:
        # The fused kernel updates all parameters in one pass: the optimiser step of the
        # default DEC network drops from about 16 to 4 ms per batch on one CPU thread.
        kwargs.setdefault("optimizer__fused", True)
    if verbose:
        callbacks.append(("progress_bar", ProgressBar()))
    return net_cls(
        module,
        criterion=torch.nn.MSELoss,  # unused: every net defines get_loss
        optimizer=optimizer,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        iterator_train=TensorBatchIterator,
        iterator_train__shuffle=shuffle,
        iterator_train__generator=torch.Generator().manual_seed(seed),
        iterator_valid=TensorBatchIterator,
        callbacks=callbacks,
        callbacks__print_log=PrintLog() if verbose else None,
        device=device,
        verbose=verbose,
        **kwargs,
    )


@torch.no_grad()
def batched_apply(module, X, fn, batch_size, device, dtype=torch.float32):
    """Apply ``fn(module, x_batch)`` to all rows of ``X`` in eval mode, without gradients.

    A module in training mode (during ``fit``) is put in eval mode for the call and
    back in training mode after. A module already in eval mode (every fitted
    module) is left untouched: inference then writes no module state, so several
    threads may run it at once.

    Parameters
    ----------
    module : nn.Module
    X : ndarray, Tensor or StreamedData
        Rows; :class:`~skdeepcluster.inputs.StreamedData` is read through its
        ``DataLoader``, a batch at a time.
    fn : callable
        Returns a tensor, or a tuple of tensors, per batch.
    batch_size : int
    device : str or torch.device
    dtype : torch.dtype
        Dtype of the input batches (float64 for public inference, see ``base``).

    Returns
    -------
    Tensor or tuple of Tensor
        Outputs concatenated over batches, on ``device``.

    Notes
    -----
    In a data-parallel fit (:mod:`skdeepcluster.distributed`), each process
    applies ``fn`` to its share of the rows and all get the outputs of all rows.
    """
    return distributed.map_rows(
        lambda rows: _apply_in_batches(module, rows, fn, batch_size, device, dtype), X)


def _apply_in_batches(module, X, fn, batch_size, device, dtype):
    was_training = module.training
    if was_training:
        module.eval()
    try:
        batches = (X.batches(batch_size) if hasattr(X, "batches")
                   else (X[i : i + batch_size] for i in range(0, len(X), batch_size)))
        outs, start = None, 0
        for x in batches:
            out = fn(module, _to_batch(x, device, dtype))
            parts = out if isinstance(out, tuple) else (out,)
            if outs is None:
                outs = _output_buffers(parts, len(X))
            for buffer, part in zip(outs, parts):
                buffer[start:start + len(part)] = part
            start += len(parts[0])
    finally:
        if was_training:
            module.train()
    return outs if isinstance(out, tuple) else outs[0]


def _output_buffers(parts, n_rows):
    """One tensor of ``n_rows`` rows per output, written batch by batch.

    Per-batch outputs kept for a final concatenation are small blocks left among
    the freed activations of every batch, holes the allocator cannot reuse: a
    DeepCluster fit from 70,000 PNG files then peaks at 6,977 MiB of resident
    memory instead of 1,055 MiB (``python -m benchmarks.tables.large dc_folder_70k_w2``).
    """
    return tuple(p.new_empty((n_rows, *p.shape[1:])) for p in parts)


def _to_device(x, device):
    # batches of a DataLoader with pinned memory copy to the GPU while it computes
    if isinstance(x, torch.Tensor) and x.is_pinned():
        return x.to(device, non_blocking=True)
    return to_tensor(x, device=device)


def _to_batch(x, device, dtype):
    if isinstance(x, torch.Tensor):
        return _to_device(x, device).to(dtype=dtype)
    # torch.tensor copies, so read-only arrays (memmaps) are accepted without a warning
    return torch.tensor(x, dtype=dtype, device=device)
