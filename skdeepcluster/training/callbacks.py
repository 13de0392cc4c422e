"""skorch callbacks, one job each."""

import math

from skorch.callbacks import Callback

from ..nn.clustering import target_distribution


class DivergenceGuard(Callback):
    """Stop with a clear error as soon as the training loss is not finite.

    Parameters
    ----------
    phase : str
        Name of the training phase, used in the message.
    """

    def __init__(self, phase):
        self.phase = phase

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if not training or loss is None:
            return
        # skorch has just recorded this batch's loss as a float: reading it back from
        # the history costs no kernel and no GPU sync, unlike testing the tensor.
        value = net.history[-1, "batches", -1, "train_loss"]
        if not math.isfinite(value):
            raise FloatingPointError(
                f"Training diverged during {self.phase}: the loss became {value} "
                f"at epoch {len(net.history)}. Lower the learning rate or rescale the "
                "input (e.g. to [0, 1] or unit variance)."
            )


class IterationLimit(Callback):
    """End training after ``max_iter`` optimisation steps (mini-batches).

    Uses skorch's own early-stopping idiom: ``KeyboardInterrupt`` is caught by
    ``NeuralNet.partial_fit``, which then runs ``on_train_end`` normally.
    """

    def __init__(self, max_iter):
        self.max_iter = max_iter

    def on_train_begin(self, net, **kwargs):
        self.n_iter_ = 0

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training and self.n_iter_ >= self.max_iter:
            raise KeyboardInterrupt

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
    """

    def __init__(self, update_interval, tol, soft_assign):
        self.update_interval = update_interval
        self.tol = tol
        self.soft_assign = soft_assign

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
        if self.n_iter_ % self.update_interval == 0:
            q = self.soft_assign(net.module_, self.X_)
            net.target_ = target_distribution(q)
            labels = q.argmax(dim=1)
            if self.labels_ is not None:
                self.delta_label_ = (labels != self.labels_).double().mean().item()
                net.history.record("delta_label", self.delta_label_)
                if self.delta_label_ < self.tol:
                    self.converged_ = True
                    raise KeyboardInterrupt
            self.labels_ = labels
            self.n_updates_ += 1
        self.n_iter_ += 1

    def on_train_end(self, net, **kwargs):
        # keep no training data or tensors on the fitted net (pickle size, devices)
        self.X_ = self.labels_ = None
        net.target_ = None
