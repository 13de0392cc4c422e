"""skorch callbacks, one job each."""

import math

import numpy as np
import torch
from skorch.callbacks import Callback

from ..nn.clustering import target_distribution


class StopTraining(Exception):
    """Raised by a callback to end a training phase early, as a normal end of training.

    The nets of :mod:`skdeepcluster.training.nets` catch it in ``fit_loop`` and then
    run ``on_train_end`` as usual. skorch's own idiom (raising ``KeyboardInterrupt``,
    which ``NeuralNet.partial_fit`` swallows) is not used: a real Ctrl-C must stop
    the whole ``fit``.
    """


def divergence_error(phase, cause, lr_params, epoch=None):
    """The ``FloatingPointError`` every training phase raises when it diverges.

    Parameters
    ----------
    phase : str
        Name of the training phase.
    cause : str
        What went wrong, e.g. ``"the loss became nan"``.
    lr_params : sequence of str
        The estimator parameters (learning rates) that set this phase's steps.
    epoch : int or None
        Epoch of the phase (1-based), when known.
    """
    where = "" if epoch is None else f" at epoch {epoch}"
    names = " or ".join(lr_params)
    return FloatingPointError(
        f"Training diverged during {phase}: {cause}{where}. Lower {names}, or rescale "
        "the input (e.g. to [0, 1] or unit variance)."
    )


def check_finite(values, phase, what, lr_params, epoch=None):
    """Raise :func:`divergence_error` when a tensor or array is not all finite.

    For what the losses do not show: the weights at the end of a phase (the last
    step can overflow them after the last loss was measured), DeepCluster's
    features before they are whitened and clustered.
    """
    finite = (bool(torch.isfinite(values).all()) if isinstance(values, torch.Tensor)
              else bool(np.isfinite(values).all()))
    if not finite:
        raise divergence_error(phase, f"{what} became non-finite", lr_params, epoch)


class DivergenceGuard(Callback):
    """Stop with a clear error as soon as the training loss is not finite or explodes.

    A loss explodes when it exceeds ``growth_limit`` times the phase's first loss
    (the loss of the initial weights, or the first positive one). Healthy training
    lowers the loss from there, or raises it by small factors (DEC's clustering
    loss while the target sharpens); a loss ten thousand times its start is a
    step size that overshoots (e.g. ``coef_lr`` of the subspace models, which
    otherwise trains to a meaningless ``C`` without any non-finite value).

    At the end of the phase, the weights are checked too: the last step can make
    them non-finite after the last loss was measured.

    Parameters
    ----------
    phase : str
        Name of the training phase, used in the message.
    lr_params : sequence of str, default=('lr',)
        The estimator parameters named in the message as the ones to lower.
    growth_limit : float, default=1e4
        Largest ratio of a batch loss to the phase's first loss.
    """

    def __init__(self, phase, lr_params=("lr",), growth_limit=1e4):
        self.phase = phase
        self.lr_params = lr_params
        self.growth_limit = growth_limit

    def on_train_begin(self, net, **kwargs):
        self.reference_ = 0.0

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if not training or loss is None:
            return
        # skorch has just recorded this batch's loss as a float: reading it back from
        # the history costs no kernel and no GPU sync, unlike testing the tensor.
        value = net.history[-1, "batches", -1, "train_loss"]
        epoch = len(net.history)
        if not math.isfinite(value):
            raise divergence_error(self.phase, f"the loss became {value}", self.lr_params,
                                   epoch)
        if self.reference_ <= 0.0:
            self.reference_ = value
        elif value > self.growth_limit * self.reference_:
            raise divergence_error(
                self.phase, f"the loss rose from {self.reference_:.3g} to {value:.3g}, "
                f"more than {self.growth_limit:g} times its start", self.lr_params, epoch)

    def on_train_end(self, net, **kwargs):
        # the last step can overflow the weights after the last loss was measured
        for name, param in net.module_.named_parameters():
            check_finite(param.detach(), self.phase, f"the weights ({name})", self.lr_params)


class IterationLimit(Callback):
    """End training after ``max_iter`` optimisation steps (mini-batches).

    Raises :class:`StopTraining` before the step that would exceed the limit.
    """

    def __init__(self, max_iter):
        self.max_iter = max_iter

    def on_train_begin(self, net, **kwargs):
        self.n_iter_ = 0

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training and self.n_iter_ >= self.max_iter:
            raise StopTraining

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self.n_iter_ += 1


class TargetDistributionUpdate(Callback):
    """Refresh DEC's target distribution P over the whole dataset, and test convergence.

    Every ``update_interval`` training batches, the soft assignments Q of all
    training rows are computed in eval mode, ``net.target_`` is set to
    ``target_distribution(Q)`` (the clustering loss looks up a batch's targets by
    sample index), and the hard labels are compared with those of the previous
    update: when fewer than a fraction ``tol`` of them changed, training stops
    (Xie et al., 2016, sec. 3.1.3).

    Parameters
    ----------
    update_interval : int
        Training batches between two updates of P.
    tol : float
        Stopping threshold on the fraction of changed labels.
    soft_assign : callable
        ``soft_assign(module, X) -> Q`` over all rows of ``X``, in eval mode.
    initial_labels : Tensor of shape (n_samples,) or None, default=None
        Labels whose one-hot matrix serves as P until the first update (instead
        of P computed from Q), and against which that update tests convergence.
    """

    def __init__(self, update_interval, tol, soft_assign, initial_labels=None):
        self.update_interval = update_interval
        self.tol = tol
        self.soft_assign = soft_assign
        self.initial_labels = initial_labels

    def on_train_begin(self, net, X=None, **kwargs):
        self.X_ = X
        self.n_updates_ = 0
        self.n_iter_ = 0
        self.labels_ = None
        self.converged_ = False
        self.delta_label_ = math.nan

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        if self.n_iter_ == 0 and self.initial_labels is not None:
            q = self.soft_assign(net.module_, self.X_)
            self.labels_ = self.initial_labels.to(q.device)
            net.target_ = torch.nn.functional.one_hot(self.labels_, q.shape[1]).to(q.dtype)
            self.n_updates_ += 1
        elif self.n_iter_ % self.update_interval == 0:
            q = self.soft_assign(net.module_, self.X_)
            net.target_ = target_distribution(q)
            labels = q.argmax(dim=1)
            if self.labels_ is not None:
                self.delta_label_ = (labels != self.labels_).double().mean().item()
                net.history.record("delta_label", self.delta_label_)
                if self.delta_label_ < self.tol:
                    self.converged_ = True
                    raise StopTraining
            self.labels_ = labels
            self.n_updates_ += 1
        self.n_iter_ += 1

    def on_train_end(self, net, **kwargs):
        # keep no training data or tensors on the fitted net (pickle size, devices)
        self.X_ = self.labels_ = None
        net.target_ = None
