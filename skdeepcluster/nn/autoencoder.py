"""Fully connected autoencoder, and the reconstruction loss every autoencoder shares."""

from torch import nn
from torch.nn import functional as F


class MLPAutoencoder(nn.Module):
    """Symmetric fully connected autoencoder with ReLU hidden layers.

    The embedding layer and the output layer are linear, as in DEC
    (Xie et al., 2016): ``d - hidden_dims - embedding_dim`` and its mirror image.

    Parameters
    ----------
    n_features : int
        Input dimension ``d``.
    hidden_dims : sequence of int
        Widths of the hidden encoder layers; the decoder mirrors them.
    embedding_dim : int
        Width of the linear embedding layer.
    """

    def __init__(self, n_features, hidden_dims, embedding_dim):
        super().__init__()
        dims = [n_features, *hidden_dims, embedding_dim]
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        rev = dims[::-1]
        self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(rev[:-1], rev[1:]))

    @property
    def n_layers(self):
        """Number of encoder layers (equal to the number of decoder layers)."""
        return len(self.encoder)

    def encode(self, x, n_layers=None):
        """Map ``x`` through the first ``n_layers`` encoder layers (all by default)."""
        n_layers = self.n_layers if n_layers is None else n_layers
        for i in range(n_layers):
            x = self.encoder[i](x)
            if i < self.n_layers - 1:
                x = F.relu(x)
        return x

    def decode(self, z):
        """Map an embedding back to input space."""
        for i, layer in enumerate(self.decoder):
            z = layer(z)
            if i < self.n_layers - 1:
                z = F.relu(z)
        return z

    def layer_pair(self, i):
        """Encoder layer ``i`` and the decoder layer that inverts it."""
        return self.encoder[i], self.decoder[self.n_layers - 1 - i]

    def forward(self, x):
        return self.decode(self.encode(x))


def reconstruction_loss(autoencoder, recon, x):
    """Loss of ``recon`` against the input ``x``.

    Uses ``autoencoder.reconstruction_loss(recon, x)`` when the module defines
    one (e.g. a sequence model whose targets are not ``x`` itself); otherwise the
    mean squared error per input feature (Keras ``mse``, as in IDEC).
    """
    custom = getattr(autoencoder, "reconstruction_loss", None)
    if custom is not None:
        return custom(recon, x)
    return F.mse_loss(recon, x)


class DenoisingLayer(nn.Module):
    """One encoder/decoder layer pair of an :class:`MLPAutoencoder`, as a denoising autoencoder.

    Used for greedy layer-wise pretraining (the stacked denoising autoencoder of
    DEC, Xie et al., 2016, sec. 3.2): the layers are the autoencoder's own (shared
    parameters, not copies), so training this module trains the autoencoder.
    Dropout corrupts the layer's input (except for the first layer, whose input is
    the data, as in the reference Caffe code) and its hidden output (except for the
    embedding layer).

    Parameters
    ----------
    autoencoder : MLPAutoencoder
    index : int
        Which layer pair (0 = next to the data).
    corruption : float
        Dropout rate.
    """

    def __init__(self, autoencoder, index, corruption):
        super().__init__()
        self.encoder, self.decoder = autoencoder.layer_pair(index)
        last = index == autoencoder.n_layers - 1
        self.input_dropout = nn.Dropout(corruption if index > 0 else 0.0)
        self.hidden_dropout = nn.Dropout(0.0 if last else corruption)
        self.hidden_relu = not last
        self.output_relu = index > 0  # it reconstructs ReLU activations

    def encode(self, x):
        h = self.encoder(self.input_dropout(x))
        return F.relu(h) if self.hidden_relu else h

    def decode(self, h):
        out = self.decoder(self.hidden_dropout(h))
        return F.relu(out) if self.output_relu else out
