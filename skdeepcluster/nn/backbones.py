"""DeepCluster networks: backbones that produce features, and the classifier head."""

import math

import torch
from torch import nn
from torch.nn import functional as F


class SobelFilter(nn.Module):
    """Fixed Sobel filtering: grey level, then horizontal and vertical gradients.

    DeepCluster (Caron et al., 2018) feeds the network image gradients instead of
    colours, so that k-means cannot group images by colour alone. The grey level is
    the mean of the input channels; the output has 2 channels. Nothing is trained.
    """

    def __init__(self):
        super().__init__()
        gx = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
        self.register_buffer("kernels", torch.stack([gx, gx.T])[:, None])

    def forward(self, x):
        grey = x.mean(dim=1, keepdim=True)
        return F.conv2d(grey, self.kernels.to(x.dtype), padding=1)


class RandomCropFlip(nn.Module):
    """Train-time augmentation of image batches: random shifted crops and horizontal flips.

    Each image is zero-padded by ``padding`` pixels and cropped back to its size at
    a random offset, then flipped left-right with probability 1/2. The identity in
    eval mode. Randomness comes from torch's global generator (seeded by the
    estimator's ``fit``).

    Parameters
    ----------
    padding : int
        Largest shift, in pixels.
    """

    def __init__(self, padding=2):
        super().__init__()
        self.padding = padding

    def forward(self, x):
        if not self.training:
            return x
        n, _, h, w = x.shape
        p = self.padding
        if p > 0:
            padded = F.pad(x, (p, p, p, p))
            dy = torch.randint(0, 2 * p + 1, (n, 1), device=x.device)
            dx = torch.randint(0, 2 * p + 1, (n, 1), device=x.device)
            rows = (torch.arange(h, device=x.device) + dy)[:, None, :, None]  # (n,1,h,1)
            cols = (torch.arange(w, device=x.device) + dx)[:, None, None, :]  # (n,1,1,w)
            batch = torch.arange(n, device=x.device)[:, None, None, None]
            chans = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
            x = padded[batch, chans, rows, cols]
        flip = torch.rand(n, device=x.device) < 0.5
        return torch.where(flip[:, None, None, None], x.flip(-1), x)


class ConvBackbone(nn.Module):
    """A small convnet with batch norm for images.

    Blocks of ``Conv 3×3 → BatchNorm → ReLU → MaxPool 2×2`` (one per entry of
    ``channels``), then a linear layer to ``feature_dim``. Its output, before any
    activation, is the feature vector DeepCluster clusters (as the reference
    clusters the last fully connected layer before its ReLU).

    Parameters
    ----------
    in_channels : int
        Channels of the input images.
    image_size : tuple of int
        ``(height, width)`` of the input images.
    channels : sequence of int
        Output channels of the convolution blocks.
    feature_dim : int
        Size of the feature vector.
    sobel : bool
        Filter the input with :class:`SobelFilter` first.
    augment : bool
        Apply :class:`RandomCropFlip` in training mode.
    """

    def __init__(self, in_channels, image_size, channels, feature_dim, sobel=False,
                 augment=True):
        super().__init__()
        self.augment = RandomCropFlip() if augment else nn.Identity()
        self.sobel = SobelFilter() if sobel else nn.Identity()
        layers, c_in = [], 2 if sobel else in_channels
        h, w = image_size
        for c_out in channels:
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2, ceil_mode=True)]
            c_in, h, w = c_out, math.ceil(h / 2), math.ceil(w / 2)
        self.convs = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in * h * w, feature_dim)
        for m in self.convs:
            if isinstance(m, nn.Conv2d):  # He init, as the reference convnets
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.sobel(self.augment(x))
        return self.fc(self.convs(x).flatten(1))


class MLPBackbone(nn.Module):
    """A multilayer perceptron for flat features.

    ``Linear → BatchNorm → ReLU`` per entry of ``hidden_dims``, then a linear layer
    to ``feature_dim`` (no activation).

    Parameters
    ----------
    n_features : int
    hidden_dims : sequence of int
    feature_dim : int
    """

    def __init__(self, n_features, hidden_dims, feature_dim):
        super().__init__()
        layers, d_in = [], n_features
        for d in hidden_dims:
            layers += [nn.Linear(d_in, d), nn.BatchNorm1d(d), nn.ReLU(inplace=True)]
            d_in = d
        layers.append(nn.Linear(d_in, feature_dim))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class DeepClusterModel(nn.Module):
    """A backbone and a linear classifier head over the pseudo-labels.

    ``features(x)`` is the backbone's output (what is clustered); ``forward(x)``
    returns the head's logits on ``ReLU(features)``. The head is re-initialised at
    every epoch (:meth:`reset_head`), because cluster ids do not correspond from one
    k-means run to the next.

    Parameters
    ----------
    backbone : nn.Module
        Maps a batch to features of shape ``(n, feature_dim)``.
    feature_dim : int
    n_classes : int
        Number of pseudo-labels (k-means clusters).
    input_shape : tuple of int or None
        When given, flat input rows are reshaped to ``(n, *input_shape)`` before the
        backbone.
    """

    def __init__(self, backbone, feature_dim, n_classes, input_shape=None):
        super().__init__()
        self.backbone = backbone
        self.input_shape = None if input_shape is None else tuple(input_shape)
        self.head = nn.Linear(feature_dim, n_classes)
        self.reset_head()

    def reset_head(self):
        """Fresh head weights: N(0, 0.01²) and zero bias (as the reference)."""
        with torch.no_grad():
            self.head.weight.normal_(0.0, 0.01)
            self.head.bias.zero_()

    def features(self, x):
        if self.input_shape is not None:
            x = x.reshape(x.shape[0], *self.input_shape)
        return self.backbone(x)

    def forward(self, x):
        return self.head(F.relu(self.features(x)))
