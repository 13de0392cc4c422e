"""skorch net for the self-expressive fine-tuning of DSC-Net / DMSC."""

from skorch import NeuralNet
from skorch.utils import to_tensor

from ..nn.subspace import self_expression_loss


class SelfExpressiveNet(NeuralNet):
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
