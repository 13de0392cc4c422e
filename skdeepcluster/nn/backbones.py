"""DeepCluster networks: backbones that produce features, and the classifier head."""

import math

import torch
from torch import nn
from torch.nn import functional as F

from .. import distributed


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
    estimator's ``fit``); in a data-parallel fit each process applies its rows of
    the shifts and flips drawn for the whole batch, as one process would.

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
            shift = lambda shape: torch.randint(0, 2 * p + 1, shape, device=x.device)  # noqa: E731
            dy = distributed.batch_noise((n, 1), shift)
            dx = distributed.batch_noise((n, 1), shift)
            rows = (torch.arange(h, device=x.device) + dy)[:, None, :, None]  # (n,1,h,1)
            cols = (torch.arange(w, device=x.device) + dx)[:, None, None, :]  # (n,1,1,w)
            batch = torch.arange(n, device=x.device)[:, None, None, None]
            chans = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
            x = padded[batch, chans, rows, cols]
        flip = distributed.batch_noise((n,), lambda shape: torch.rand(shape, device=x.device)) < 0.5
        return torch.where(flip[:, None, None, None], x.flip(-1), x)


def pooled_blocks(image_size, n_blocks, min_image=16, min_size=4):
    """How many convolution blocks pool 2×2 on images of ``image_size``.

    Images whose shorter side is under ``min_image`` pixels are not pooled: each
    halving would leave too few pixels to tell shapes apart. Larger images pool in
    the first blocks, as many as keep the map at least ``min_size`` pixels on its
    shorter side (at most ``n_blocks``): none on 8×8 or 16×15 images, two on 16×16,
    three (of three blocks) on 28×28 and larger.

    Parameters
    ----------
    image_size : tuple of int
        ``(height, width)``.
    n_blocks : int
    min_image : int, default=16
    min_size : int, default=4

    Returns
    -------
    int
    """
    side, n = min(image_size), 0
    if side < min_image:
        return 0
    while n < n_blocks and math.ceil(side / 2) >= min_size:
        side, n = math.ceil(side / 2), n + 1
    return n


def crop_shift(image_size):
    """The largest shift of :class:`RandomCropFlip` for ``image_size``: 1/12 of the
    shorter side, rounded down (2 pixels at 28×28, 1 at 15×16, none at 8×8)."""
    return min(image_size) // 12


class ConvBackbone(nn.Module):
    """A small convnet with batch norm for images, shaped by the image size.

    Blocks of ``Conv 3×3 → BatchNorm → ReLU``, one per entry of ``channels``; the
    first ``pooled`` of them end with ``MaxPool 2×2`` (by default
    :func:`pooled_blocks`: small images are not pooled away). Then a linear layer
    to ``feature_dim``. Its output, before any activation, is the feature vector
    DeepCluster clusters (as the reference clusters the last fully connected layer
    before its ReLU).

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
        Apply :class:`RandomCropFlip` in training mode, with shifts of up to
        ``shift`` pixels.
    pooled : int or None, default=None
        Number of blocks that pool; None: :func:`pooled_blocks` of the image size.
    shift : int or None, default=None
        Largest shift of the augmentation; None: :func:`crop_shift` of the image size.
    """

    def __init__(self, in_channels, image_size, channels, feature_dim, sobel=False,
                 augment=True, pooled=None, shift=None):
        super().__init__()
        h, w = image_size
        shift = crop_shift(image_size) if shift is None else shift
        self.augment = RandomCropFlip(shift) if augment else nn.Identity()
        self.sobel = SobelFilter() if sobel else nn.Identity()
        pooled = pooled_blocks(image_size, len(channels)) if pooled is None else pooled
        layers, c_in = [], 2 if sobel else in_channels
        for i, c_out in enumerate(channels):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out),
                       nn.ReLU(inplace=True)]
            if i < pooled:
                layers.append(nn.MaxPool2d(2, ceil_mode=True))
                h, w = math.ceil(h / 2), math.ceil(w / 2)
            c_in = c_out
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


def _conv_bn_relu(c_in, c_out, kernel, stride=1, padding=1):
    return [nn.Conv2d(c_in, c_out, kernel, stride, padding), nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True)]


class _ImageNetBackbone(nn.Module):
    """Convolutions with batch norm, then two fully connected layers (the features).

    The classifier of the reference networks without its last ReLU: ``Dropout →
    Linear → ReLU → Dropout → Linear``, whose output DeepCluster clusters.
    Subclasses build ``convs`` and set ``pool_size``.
    """

    def _finish(self, convs, c_out, pool_size, hidden_dim, feature_dim, sobel):
        self.sobel = SobelFilter() if sobel else nn.Identity()
        self.convs = nn.Sequential(*convs)
        # the identity at 224 px, where the reference networks end on this size
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        self.fc = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(c_out * pool_size * pool_size, hidden_dim),
            nn.ReLU(inplace=True), nn.Dropout(0.5), nn.Linear(hidden_dim, feature_dim))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.fc(self.pool(self.convs(self.sobel(x))).flatten(1))


class AlexNetBackbone(_ImageNetBackbone):
    """The AlexNet of DeepCluster (Caron et al., 2018): batch norm after each convolution.

    Five convolutions (96 11×11 stride 4, 256 5×5, 384, 384, 256 3×3; max pooling
    3×3 stride 2 after the first, second and fifth), then ``Dropout → Linear(9216,
    hidden_dim) → ReLU → Dropout → Linear(hidden_dim, feature_dim)``. Made for
    224×224 images (an adaptive average pooling to 6×6 lets other sizes through).

    Parameters
    ----------
    in_channels : int, default=3
        Channels of the input images (ignored with ``sobel=True``).
    feature_dim : int, default=4096
        Size of the features (4,096 in the reference).
    hidden_dim : int, default=4096
        Width of the first fully connected layer.
    sobel : bool, default=True
        Feed the network Sobel gradients of the grey level (:class:`SobelFilter`),
        as the reference does.
    """

    def __init__(self, in_channels=3, feature_dim=4096, hidden_dim=4096, sobel=True):
        super().__init__()
        c = 2 if sobel else in_channels
        pool = nn.MaxPool2d(3, 2)
        convs = [*_conv_bn_relu(c, 96, 11, 4, 2), pool,
                 *_conv_bn_relu(96, 256, 5, 1, 2), pool,
                 *_conv_bn_relu(256, 384, 3), *_conv_bn_relu(384, 384, 3),
                 *_conv_bn_relu(384, 256, 3), pool]
        self._finish(convs, 256, 6, hidden_dim, feature_dim, sobel)


class VGG16Backbone(_ImageNetBackbone):
    """VGG-16 with batch norm (Simonyan & Zisserman, 2015), DeepCluster's larger network.

    Thirteen 3×3 convolutions in five stages (64, 128, 256, 512, 512 channels, max
    pooling 2×2 after each), then ``Dropout → Linear(25088, hidden_dim) → ReLU →
    Dropout → Linear(hidden_dim, feature_dim)``. Made for 224×224 images.

    Parameters
    ----------
    in_channels : int, default=3
        Channels of the input images (ignored with ``sobel=True``).
    feature_dim : int, default=4096
    hidden_dim : int, default=4096
    sobel : bool, default=False
        Feed the network Sobel gradients of the grey level.
    """

    def __init__(self, in_channels=3, feature_dim=4096, hidden_dim=4096, sobel=False):
        super().__init__()
        convs, c = [], 2 if sobel else in_channels
        for width, repeat in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
            for _ in range(repeat):
                convs += _conv_bn_relu(c, width, 3)
                c = width
            convs.append(nn.MaxPool2d(2, 2))
        self._finish(convs, 512, 7, hidden_dim, feature_dim, sobel)


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
