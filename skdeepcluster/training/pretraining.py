"""Autoencoder pretraining, the first phase of DEC, IDEC, the RNN and the subspace models."""

from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import StepLR

from ..nn import DenoisingLayer
from .nets import AutoencoderNet, batched_apply, make_net, optimizer_kwargs


def step_decay(epochs, factor):
    """Multiply the learning rate by ``factor`` after 70 % of ``epochs``, as skorch callbacks.

    The multi-task RNN's reference trains 100 epochs with ``StepLR(step_size=70,
    gamma=0.1)``; None gives no callback (a constant rate).
    """
    if factor is None:
        return []
    step = max(1, round(0.7 * epochs))  # StepLR steps after each epoch
    return [("lr_decay", LRScheduler(StepLR, step_size=step, gamma=factor))]


def pretrain_autoencoder(autoencoder, X, *, epochs, lr, batch_size, device, seed, verbose=0,
                         optimizer="adam", mixed_precision=False, lr_decay=None,
                         stacked_denoising=False, corruption=0.2):
    """Train ``autoencoder`` in place to reconstruct ``X``; return the end-to-end history.

    Parameters
    ----------
    autoencoder : nn.Module
        Defines ``encode(x)`` and ``decode(z)`` (and may define
        ``reconstruction_loss``).
    X : Tensor of shape (n_samples, ...)
        Training data, float32 on ``device``.
    epochs : int
        Epochs of end-to-end training (and of each greedy layer); 0 leaves the
        weights as they are.
    lr : float
        Learning rate.
    batch_size : int
    device : str
    seed : int
        Seed of the batch order (greedy layer ``i`` uses ``seed + i + 1``).
    verbose : int, default=0
    optimizer : {'adam', 'sgd'}, default='adam'
        See :func:`~skdeepcluster.training.optimizer_kwargs`.
    mixed_precision : bool, default=False
        bfloat16 forward passes (:class:`~skdeepcluster.training.MixedPrecisionNet`).
    lr_decay : float or None, default=None
        Step decay of the learning rate after 70 % of the epochs (:func:`step_decay`).
    stacked_denoising : bool, default=False
        First train each layer greedily as a denoising autoencoder on the codes of
        the layers below (dropout ``corruption`` on its input), as in the DEC paper;
        needs an autoencoder with ``n_layers`` and ``encode(x, n_layers=i)``
        (:class:`~skdeepcluster.nn.MLPAutoencoder`).
    corruption : float, default=0.2
        Dropout rate of the greedy denoising layers.

    Returns
    -------
    history : skorch.history.History
        History of the end-to-end training.
    """
    common = dict(batch_size=batch_size, device=device, verbose=verbose,
                  mixed_precision=mixed_precision, **optimizer_kwargs(optimizer))
    if stacked_denoising:
        for i in range(autoencoder.n_layers):
            codes = batched_apply(autoencoder, X, lambda m, x: m.encode(x, n_layers=i),
                                  batch_size, device)
            layer = DenoisingLayer(autoencoder, i, corruption)
            make_net(AutoencoderNet, layer, phase=f"greedy pretraining of layer {i}", lr=lr,
                     max_epochs=epochs, seed=seed + i + 1, lr_params=("pretrain_lr",),
                     **common).fit(codes)
    net = make_net(AutoencoderNet, autoencoder, phase="autoencoder pretraining", lr=lr,
                   max_epochs=epochs, seed=seed, callbacks=step_decay(epochs, lr_decay),
                   lr_params=("pretrain_lr",), **common)
    if epochs == 0:
        net.initialize()
    else:
        net.fit(X)
    return net.history
