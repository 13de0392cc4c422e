"""The self-expressive fine-tuning of DSC-Net / DMSC: its skorch net and the phase."""

import torch
from skorch.utils import to_tensor

from ..nn.subspace import SelfExpressiveAutoencoder, ridge_self_expression, self_expression_loss
from .nets import TrainingNet, make_net


class SelfExpressiveNet(TrainingNet):
    """Trains a :class:`~skdeepcluster.nn.subspace.SelfExpressiveAutoencoder` on the DSC loss.

    Loss: ``L_rec + lambda1 * ||C||² + lambda2 * L_se`` where ``L_rec`` is the
    module's normalised reconstruction loss (of the decoded ``C Z``), ``L_se`` the
    normalised self-expression error, a mean over samples (see
    :func:`~skdeepcluster.nn.subspace.self_expression_loss`) and ``||C||²`` the
    squared Frobenius norm. For one row this is a ridge problem with penalty
    ``lambda1 * n / lambda2`` (relative to the mean squared code norm) against a
    Gram matrix of the codes that also grows like ``n``: the optimum of ``n C``
    does not depend on ``n``. Full batch, rows in order.
    """

    def __init__(self, *args, lambda1=1.0, lambda2=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.lambda1 = lambda1
        self.lambda2 = lambda2

    def get_loss(self, y_pred, y_true, X=None, training=False):
        recon, z, cz = y_pred
        ae = self.module_.autoencoder
        coef = self.module_.self_expression.coefficients
        rec = ae.reconstruction_loss(recon, to_tensor(X, device=self.device))
        se = self_expression_loss(z, cz, ae.latent_blocks, ae.latent_weights)
        reg = coef.pow(2).sum()
        return rec + self.lambda1 * reg + self.lambda2 * se


def fit_self_expression(autoencoder, X, *, lambda1, lambda2, coef_init, lr, coef_lr, max_iter,
                        seed, device, verbose=0):
    """Train a self-expression layer C jointly with a pretrained autoencoder.

    Parameters
    ----------
    autoencoder : MultimodalSubspaceAutoencoder
        Pretrained; trained further in place.
    X : Tensor of shape (n, n_features)
        The rows C is learned on, float32 on ``device``.
    lambda1, lambda2 : float
        Weights of ``||C||²`` and of the self-expression error (:class:`SelfExpressiveNet`).
    coef_init : 'ridge' or float
        ``'ridge'``: start from the closed-form minimiser of the self-expression
        part of the loss for the pretrained codes; a float: every off-diagonal entry
        of ``n C``.
    lr, coef_lr : float
        Adam learning rates of the network and of ``n C``.
    max_iter : int
        Full-batch steps.
    seed : int
    device : str
    verbose : int, default=0

    Returns
    -------
    coef : ndarray of shape (n, n)
        C in float64 (zero diagonal).
    history : skorch.history.History
    """
    n = X.shape[0]
    init = coef_init
    if init == "ridge":
        # warm start: the minimiser of the self-expression objective on the pretrained codes
        with torch.no_grad():
            # a floor keeps the solution unique when lambda1 = 0 and n <= latent_dim
            ridge = max(lambda1 * n / lambda2, 1e-6)
            init = ridge_self_expression(autoencoder.encode(X), autoencoder.latent_blocks,
                                         autoencoder.latent_weights, ridge).mul_(n)
    model = SelfExpressiveAutoencoder(autoencoder, n, init=init)
    # full batch, rows in order: row i of C belongs to training row i
    net = make_net(SelfExpressiveNet, model, phase="self-expressive fine-tuning", lr=lr,
                   max_epochs=max_iter, batch_size=n, seed=seed, device=device,
                   verbose=verbose, shuffle=False, lambda1=lambda1, lambda2=lambda2,
                   lr_params=("coef_lr", "lr"),
                   optimizer__param_groups=[("self_expression.coef", {"lr": coef_lr})])
    net.fit(X)
    coef = model.self_expression.coefficients.detach().cpu().double().numpy()
    return coef, net.history
