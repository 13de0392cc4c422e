"""Multimodal autoencoders with a self-expression layer (DSC-Net, DMSC).

Every modality is a block of columns of one flat input tensor ``(n, sum(d_m))``;
a modality is either flat features (MLP layers) or an image ``(C, H, W)`` (strided
convolutions). The modalities are fused at the input ('early'), after the lower
half of the encoder layers ('intermediate') or at the latent code ('late') with an
element-wise 'sum', 'max' or a 'concat' along the feature / channel axis; or not
fused at all ('affinity'): separate autoencoders whose latent codes share one
self-expression matrix. Every modality has its own decoder branch.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

FUSIONS = ("early", "intermediate", "late", "affinity")
FUSION_FUNCTIONS = ("sum", "max", "concat")


def fuse(tensors, function):
    """Fuse per-modality tensors of shape ``(n, ...)``.

    'sum' and 'max' are element-wise (equal shapes); 'concat' joins along axis 1
    (features of flat tensors, channels of images).
    """
    if function == "concat":
        return torch.cat(tensors, dim=1)
    stacked = torch.stack(tensors)
    return stacked.sum(0) if function == "sum" else stacked.amax(0)


def fused_shape(shapes, function):
    """Shape (without the sample axis) of ``fuse`` applied to tensors of ``shapes``."""
    if function == "concat":
        return (sum(s[0] for s in shapes), *shapes[0][1:])
    return shapes[0]


def _conv_out(size, kernel):
    return (size + 2 * (kernel // 2) - kernel) // 2 + 1


def _encoder_layer(in_shape, width, kernel):
    """One encoder layer and its output shape: Linear for flat, stride-2 conv for images."""
    if len(in_shape) == 1:
        return nn.Linear(in_shape[0], width), (width,)
    conv = nn.Conv2d(in_shape[0], width, kernel, stride=2, padding=kernel // 2)
    return conv, (width, _conv_out(in_shape[1], kernel), _conv_out(in_shape[2], kernel))


def _decoder_layer(in_shape, out_shape, kernel):
    """The layer mapping ``in_shape`` back to ``out_shape`` (Linear or transposed conv)."""
    if len(out_shape) == 1:
        return nn.Linear(math.prod(in_shape), out_shape[0])
    pad = kernel // 2
    extra = [o - ((i - 1) * 2 - 2 * pad + kernel) for i, o in zip(in_shape[1:], out_shape[1:])]
    return nn.ConvTranspose2d(in_shape[0], out_shape[0], kernel, stride=2, padding=pad,
                              output_padding=tuple(extra))


class _Stack(nn.Module):
    """Layers with ReLU between them; ``relu_last`` adds one after the last layer."""

    def __init__(self, layers, relu_last):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.relu_last = relu_last

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1 or self.relu_last:
                x = F.relu(x)
        return x


class MultimodalSubspaceAutoencoder(nn.Module):
    """Per-modality encoders and decoders, fused as DMSC prescribes (Abavisani & Patel, 2018).

    The module takes and returns flat tensors ``(n, sum(d_m))`` whose column blocks are
    the modalities. Inputs are standardised inside the module with one scalar shift
    and scale per modality (``set_scaling``), so that the losses do not depend on the
    data's units. The latent code is linear (no ReLU), so that it can span linear
    subspaces with both signs.

    Parameters
    ----------
    shapes : list of tuple
        Per modality: ``(d,)`` for flat features or ``(C, H, W)`` for images.
    widths : sequence of int
        Output widths of the encoder layers (units of a Linear layer, channels of a
        conv layer); every modality uses the same widths.
    kernels : sequence of int
        Kernel sizes of the conv layers (ignored for flat modalities).
    fusion : {'early', 'intermediate', 'late', 'affinity'}
        Where the modalities meet. 'intermediate' fuses after the first
        ``max(1, len(widths) // 2)`` layers; the remaining layers are shared.
    fusion_function : {'sum', 'max', 'concat'}
        How they meet (ignored by 'affinity').
    weights : sequence of float, default=None
        Per-modality weights of the reconstruction loss (and, with 'affinity', of the
        self-expression loss); None: equal weights summing to one.
    """

    def __init__(self, shapes, widths, kernels, fusion="late", fusion_function="concat",
                 weights=None):
        super().__init__()
        self.weights = (list(weights) if weights is not None
                        else [1.0 / len(shapes)] * len(shapes))
        self.shapes = [tuple(s) for s in shapes]
        self.sizes = [math.prod(s) for s in self.shapes]
        self.fusion = fusion
        self.fusion_function = fusion_function
        n_layers = len(widths)
        split = {"early": 0, "intermediate": max(1, n_layers // 2),
                 "late": n_layers, "affinity": n_layers}[fusion]
        kernels = list(kernels)
        self.register_buffer("shift", torch.zeros(len(self.shapes)))
        self.register_buffer("scale", torch.ones(len(self.shapes)))

        # encoders: per-modality lower layers, then (spatial fusion) shared upper layers
        lower, lower_shapes = [], []
        for shape in self.shapes:
            layers, path = [], [shape]
            for i in range(split):
                layer, out = _encoder_layer(path[-1], widths[i], kernels[i])
                layers.append(layer)
                path.append(out)
            lower.append(_Stack(layers, relu_last=split < n_layers))
            lower_shapes.append(path)
        self.lower = nn.ModuleList(lower)
        if fusion == "affinity":
            self.trunk = None
            self.latent_shapes = [p[-1] for p in lower_shapes]
        else:
            tops = [p[-1] for p in lower_shapes]
            if fusion_function != "concat" and len(set(tops)) > 1:
                raise ValueError(
                    f"fusion={fusion!r} with fusion_function={fusion_function!r} needs "
                    f"modalities of equal shapes at the fusion point, got {tops}; use "
                    "fusion_function='concat' or fusion='affinity'.")
            if fusion_function == "concat" and len({t[1:] for t in tops}) > 1:
                raise ValueError(
                    f"fusion={fusion!r} with 'concat' needs images of equal height and "
                    f"width at the fusion point, got {tops}.")
            trunk_path = [fused_shape(tops, fusion_function)]
            layers = []
            for i in range(split, n_layers):
                layer, out = _encoder_layer(trunk_path[-1], widths[i], kernels[i])
                layers.append(layer)
                trunk_path.append(out)
            self.trunk = _Stack(layers, relu_last=False)
            self.latent_shapes = [trunk_path[-1]]

        # decoders: one branch per modality, mirroring its encoder path
        decoders = []
        for m, path in enumerate(lower_shapes):
            if fusion == "affinity":
                seq, ks = path[::-1], kernels[:split][::-1]
            else:
                seq = trunk_path[::-1][:-1] + path[::-1]
                if split == n_layers:  # late: the branch starts from the fused code
                    seq[0] = trunk_path[0]
                ks = kernels[split:n_layers][::-1] + kernels[:split][::-1]
            layers = [_decoder_layer(a, b, k) for a, b, k in zip(seq[:-1], seq[1:], ks)]
            decoders.append(_Stack(layers, relu_last=False))
        self.decoders = nn.ModuleList(decoders)
        self.latent_blocks = [math.prod(s) for s in self.latent_shapes]

    @property
    def latent_dim(self):
        """Width of the flattened (fused) latent code."""
        return sum(self.latent_blocks)

    def set_scaling(self, x):
        """Set each modality's scalar shift and scale from a flat training tensor."""
        for m, block in enumerate(self.split(x)):
            self.shift[m] = block.mean()
            std = block.std() if block.numel() > 1 else torch.ones(())
            self.scale[m] = torch.where(std > 0, std, torch.ones_like(std))

    def split(self, x):
        """Column blocks of a flat tensor, one per modality."""
        return torch.split(x, self.sizes, dim=1)

    def normalize(self, x):
        """Standardised modalities, reshaped to their shapes."""
        return [((b - self.shift[m]) / self.scale[m]).reshape(-1, *self.shapes[m])
                for m, b in enumerate(self.split(x))]

    def encode(self, x):
        """Flat input -> flattened latent code (the fused one, or the modalities' side by side)."""
        codes = [enc(b) for enc, b in zip(self.lower, self.normalize(x))]
        if self.trunk is None:
            return torch.cat([c.flatten(1) for c in codes], dim=1)
        return self.trunk(fuse(codes, self.fusion_function)).flatten(1)

    def decode(self, z):
        """Latent code -> flat reconstruction of the standardised input."""
        if self.trunk is None:
            parts = torch.split(z, self.latent_blocks, dim=1)
            codes = [p.reshape(-1, *s) for p, s in zip(parts, self.latent_shapes)]
        else:
            codes = [z.reshape(-1, *self.latent_shapes[0])] * len(self.decoders)
        return torch.cat([dec(c).flatten(1) for dec, c in zip(self.decoders, codes)], dim=1)

    def reconstruction_loss(self, recon, x):
        """Weighted sum over modalities of the mean squared error on the standardised input."""
        targets = [t.flatten(1) for t in self.normalize(x)]
        parts = torch.split(recon, self.sizes, dim=1)
        return sum(w * F.mse_loss(p, t) for w, p, t in zip(self.weights, parts, targets))

    @property
    def latent_weights(self):
        """Weights of the latent blocks in the self-expression loss."""
        return self.weights if self.trunk is None else [1.0]

    def forward(self, x):
        return self.decode(self.encode(x))


class SelfExpression(nn.Module):
    """Self-expression layer: ``Z -> C Z`` with an ``n × n`` matrix C whose diagonal is zero.

    Row ``i`` of C codes sample ``i`` over the other samples; the diagonal is masked
    at every forward pass (so no sample codes itself, Ji et al., 2017).

    The parameter is the scaled matrix ``n C``, not C: a sample is coded over about
    ``n / n_clusters`` others, so the entries of C shrink like ``1 / n`` while the
    entries of ``n C`` (and the row sums of C) stay of the same size for any ``n``.
    Adam moves every parameter entry by about its learning rate per step whatever
    its gradient, so a learning rate on C itself is far too large for large ``n``
    (at ``n = 4000`` and ``lr = 1e-2`` the row sums of C grew to 16 against 2.3 at
    the optimum); on ``n C`` it means the same for any ``n``.

    Parameters
    ----------
    n_samples : int
    init : float or Tensor of shape (n_samples, n_samples)
        A float: initial value of every off-diagonal entry of ``n C`` (so each row
        of C initially sums to about ``init``). A tensor: the initial ``n C``.
    """

    def __init__(self, n_samples, init=0.1):
        super().__init__()
        if torch.is_tensor(init):
            coef = init.detach().to(torch.float32)
        else:
            coef = torch.full((n_samples, n_samples), float(init))
        self.coef = nn.Parameter(coef)
        self.register_buffer("mask", (1.0 - torch.eye(n_samples)) / n_samples,
                             persistent=False)

    @property
    def coefficients(self):
        """C with its diagonal set to zero."""
        return self.coef * self.mask

    def forward(self, z):
        return self.coefficients @ z


class SelfExpressiveAutoencoder(nn.Module):
    """An autoencoder whose decoder sees the self-expressed codes ``C Z`` (DSC-Net).

    ``forward(x)`` returns ``(recon, z, cz)`` for the full batch ``x`` (the rows of
    C are the training samples, in order).
    """

    def __init__(self, autoencoder, n_samples, init=0.1):
        super().__init__()
        self.autoencoder = autoencoder
        self.self_expression = SelfExpression(n_samples, init)

    def forward(self, x):
        z = self.autoencoder.encode(x)
        cz = self.self_expression(z)
        return self.autoencoder.decode(cz), z, cz


def ridge_self_expression(z, blocks, weights, ridge):
    """Minimiser ``C`` of :func:`self_expression_loss` ``+ ridge/n ||C||²`` with zero diagonal.

    The loss is ``(1/n) ||Zs - C Zs||²`` for the codes ``Zs`` whose blocks are scaled
    by ``sqrt(w / mean_i ||z_i||²)``; with the penalty ``(ridge / n) ||C||²`` each row
    is a ridge regression whose zero-diagonal solution is ``C_ij = -P_ij / P_ii`` with
    ``P = (Zs Zsᵀ + ridge I)⁻¹`` (Lu et al., 2012, least squares regression).
    ``P`` is computed through the small ``d × d`` matrix
    ``M = Zsᵀ Zs + ridge I`` (Woodbury): ``P = (I - Zs M⁻¹ Zsᵀ) / ridge``, so the
    cost is ``O(n² d)``.

    Parameters
    ----------
    z : Tensor of shape (n, d)
    blocks, weights : as in :func:`self_expression_loss`
    ridge : float
        ``lambda1 * n / lambda2`` for the fine-tuning loss of
        :class:`~skdeepcluster.training.self_expressive.SelfExpressiveNet`.

    Returns
    -------
    Tensor of shape (n, n)
        C (zero diagonal), in the dtype of ``z``.
    """
    dtype, z = z.dtype, z.double()
    weights, norms = _block_normalisation(z, blocks, weights)
    scaled = torch.cat([zb * (w / norm).sqrt()
                        for w, norm, zb in zip(weights, norms, torch.split(z, blocks, 1))], dim=1)
    eye_d = torch.eye(scaled.shape[1], dtype=z.dtype, device=z.device)
    m_inv = torch.linalg.inv(scaled.T @ scaled + ridge * eye_d)
    p = -(scaled @ m_inv) @ scaled.T  # ridge * P minus the identity
    p.diagonal().add_(1.0)
    coef = p.div_(-p.diagonal()[:, None].clone())  # in place: one n × n float64 array
    coef.fill_diagonal_(0.0)
    return coef.to(dtype)


def self_expression_loss(z, cz, blocks, weights=None):
    """Weighted sum over latent blocks of ``mean_i ||z_i - (Cz)_i||² / mean_i ||z_i||²``.

    Dividing by the mean squared norm of the codes makes the term free of the
    latent scale (and of ``n``), so that the weights ``lambda1, lambda2`` mean the
    same thing on any data.
    """
    weights, norms = _block_normalisation(z, blocks, weights)
    total = 0.0
    for w, norm, zb, czb in zip(weights, norms, torch.split(z, blocks, 1),
                                torch.split(cz, blocks, 1)):
        total = total + w * (zb - czb).pow(2).sum(1).mean() / norm
    return total


def _block_normalisation(z, blocks, weights=None):
    """Weights (default: equal, summing to one) and mean squared code norm of each latent
    block: the normalisation shared by the self-expression loss and its ridge minimiser."""
    weights = weights or [1.0 / len(blocks)] * len(blocks)
    norms = [zb.pow(2).sum(1).mean().clamp_min(1e-12) for zb in torch.split(z, blocks, 1)]
    return weights, norms
