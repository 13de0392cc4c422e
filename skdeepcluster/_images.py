"""Image files as torch Datasets: a folder, a list of paths, a folder of video frames.

Files are decoded by Pillow and transformed by torchvision's transforms v2 (the
``images`` extra), imported when a dataset is built, so that the package works
without them. Every item is
``(image, target)``: a float32 tensor of shape ``(channels, height, width)`` and an
int (the class or video index, -1 when there is none), the layout of torchvision's
``ImageFolder``; the estimators read the image and ignore the target.
"""

import copy
import os
from pathlib import Path

import numpy as np
import torch

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")

__all__ = ["ImageFiles", "ImageFolder", "VideoFrames", "deepcluster_transforms"]


def _torchvision():
    """torchvision's transforms v2 and Pillow's ``Image``, or an ImportError naming the extra."""
    try:
        from PIL import Image
        from torchvision.transforms import v2
    except ImportError as exc:
        raise ImportError(
            "Reading image files needs torchvision and Pillow: "
            "pip install skdeepcluster[images]") from exc
    return Image, v2


# Pillow modes of grey-level images (with or without alpha)
_GREY_MODES = ("1", "L", "LA", "La", "I", "I;16", "F")


def _image_files(folder):
    """The image files directly inside ``folder``, sorted by name."""
    return sorted(str(p) for p in Path(folder).iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def _subfolders(folder):
    return sorted(p for p in Path(folder).iterdir() if p.is_dir())


def _check_folder(root):
    if not os.path.isdir(root):
        raise ValueError(f"{str(root)!r} is not a folder.")


def deepcluster_transforms(size=224, resize=256, mean=(0.485, 0.456, 0.406),
                           std=(0.229, 0.224, 0.225)):
    """The image pipeline of DeepCluster (Caron et al., 2018), as torchvision transforms.

    Parameters
    ----------
    size : int, default=224
        Side of the square images the network sees.
    resize : int, default=256
        Shorter side after resizing, before the centre crop of ``transform``.
    mean, std : sequence of float, default=ImageNet's
        Per-channel normalisation (one value per channel of the images).

    Returns
    -------
    train_transform : callable
        ``RandomResizedCrop(size)``, random horizontal flip, float in [0, 1],
        normalisation: the augmentation of the training steps.
    transform : callable
        ``Resize(resize)``, ``CenterCrop(size)``, float in [0, 1], normalisation: the
        images of the feature passes (k-means, ``predict``, ``transform``).

    Examples
    --------
    >>> from skdeepcluster.datasets import deepcluster_transforms
    >>> train_transform, transform = deepcluster_transforms(size=32, resize=36)
    """
    _, v2 = _torchvision()
    finish = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(mean), list(std))]
    train = v2.Compose([v2.RandomResizedCrop(size, antialias=True),
                        v2.RandomHorizontalFlip(), *finish])
    test = v2.Compose([v2.Resize(resize, antialias=True), v2.CenterCrop(size), *finish])
    return train, test


class ImageFiles(torch.utils.data.Dataset):
    """Images read from a list of files, decoded when an item is read.

    Parameters
    ----------
    paths : sequence of str or path-like
        Image files (PNG, JPEG, BMP, GIF, WebP, TIFF).
    channels : {1, 3} or None, default=None
        Decode as grey (1) or RGB (3); None: the channels of the first image.
    image_size : int or (int, int) or None, default=None
        Resize every image to this ``(height, width)`` (an int: a square). None:
        the images are used at their size, which must then be the same for all.
    transform : callable or None, default=None
        Applied to each decoded image (a uint8 tensor of shape ``(channels, height,
        width)``) instead of the default (the resize, then floats in [0, 1]); it
        must return a float tensor, of one shape for all images.
    train_transform : callable or None, default=None
        Used instead of ``transform`` for the training steps (augmentation, e.g. the
        first of :func:`deepcluster_transforms`); the passes over all images
        (k-means features, ``predict``, ``transform``) use ``transform``. None:
        ``transform`` everywhere.
    targets : sequence of int or None, default=None
        A label per image, returned as the second item (ignored by the estimators).
    num_workers : int, default=0
        Processes that decode images while the network trains (the ``num_workers``
        of the ``DataLoader`` the estimators read this dataset with).

    Attributes
    ----------
    paths : list of str
    targets : list of int
    sample_shape : tuple of int
        ``(channels, height, width)`` of an item's image (that of the first image).
    """

    def __init__(self, paths, *, channels=None, image_size=None, transform=None,
                 train_transform=None, targets=None, num_workers=0):
        _, v2 = _torchvision()
        self.paths = [os.fspath(p) for p in paths]
        if not self.paths:
            raise ValueError("No image files given: the list of paths is empty.")
        if channels not in (None, 1, 3):
            raise ValueError(f"channels={channels!r} must be 1 (grey), 3 (RGB) or None.")
        if targets is not None and len(targets) != len(self.paths):
            raise ValueError(f"{len(targets)} targets for {len(self.paths)} image files.")
        self.targets = [-1] * len(self.paths) if targets is None else [int(t) for t in targets]
        self.num_workers = num_workers
        if channels is None:
            channels = 1 if self._decode(self.paths[0], None) in _GREY_MODES else 3
        self.channels = channels
        # without a resize, every image must have the size of the first one
        self._check_size = transform is None and image_size is None
        if transform is None:
            steps = []
            if image_size is not None:
                size = (image_size, image_size) if isinstance(image_size, int) else image_size
                steps.append(v2.Resize(tuple(size), antialias=True))
            steps.append(v2.ToDtype(torch.float32, scale=True))
            transform = v2.Compose(steps)
        self.image_size = image_size
        self.transform = transform
        self.train_transform = train_transform
        self.sample_shape = tuple(self._load(0, self.transform).shape)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        return self._load(index, self.transform), self.targets[index]

    def training_view(self):
        """This dataset with ``train_transform`` (what the training steps read)."""
        if self.train_transform is None:
            return self
        view = copy.copy(self)
        view.transform = self.train_transform
        return view

    @staticmethod
    def _decode(path, channels):
        """The image as a uint8 tensor ``(channels, height, width)`` (None: its mode)."""
        Image, _ = _torchvision()
        try:
            with Image.open(path) as image:
                if channels is None:
                    return image.mode
                pixels = np.array(image.convert("L" if channels == 1 else "RGB"))
        except Exception as exc:  # Pillow's errors name the codec's problem
            raise ValueError(f"Cannot read the image file {path!r}: {exc}") from exc
        pixels = torch.from_numpy(pixels)
        return pixels[None] if pixels.ndim == 2 else pixels.permute(2, 0, 1)

    def _load(self, index, transform):
        path = self.paths[index]
        image = self._decode(path, self.channels)
        if index and self._check_size and tuple(image.shape[1:]) != self._first_size:
            raise ValueError(
                f"The image {path!r} is {image.shape[2]}x{image.shape[1]} pixels, but "
                f"{self.paths[0]!r} is {self._first_size[1]}x{self._first_size[0]}: "
                "pass image_size to resize them all.")
        if not index:
            self._first_size = tuple(image.shape[1:])
        out = transform(image)
        if not torch.is_tensor(out) or not out.is_floating_point():
            raise TypeError(f"The transform must return a float tensor; got {type(out)} "
                            f"for {path!r}.")
        return out


class ImageFolder(ImageFiles):
    """The images of a folder: directly in it, or one subfolder per class.

    Files directly in ``root`` make a flat layout (targets -1); otherwise each
    subfolder of ``root`` is a class (torchvision's ``ImageFolder`` layout) and its
    images get the class's index in ``classes``. Files are read in name order.

    Parameters
    ----------
    root : str or path-like
    **kwargs
        See :class:`ImageFiles`.

    Attributes
    ----------
    classes : list of str
        Subfolder names (empty for a flat folder).

    Examples
    --------
    >>> from skdeepcluster.datasets import ImageFolder
    >>> images = ImageFolder("photos/", image_size=64)  # doctest: +SKIP
    """

    def __init__(self, root, **kwargs):
        _torchvision()
        _check_folder(root)
        self.root = os.fspath(root)
        paths, targets, self.classes = _image_files(root), None, []
        if not paths:
            for k, sub in enumerate(_subfolders(root)):
                files = _image_files(sub)
                if files:
                    self.classes.append(sub.name)
                    paths += files
                    targets = (targets or []) + [len(self.classes) - 1] * len(files)
        if not paths:
            raise ValueError(
                f"No image files ({', '.join(IMAGE_EXTENSIONS)}) in the folder {self.root!r} "
                "or its subfolders.")
        super().__init__(paths, targets=targets, **kwargs)


class VideoFrames(ImageFiles):
    """Frames of videos: one subfolder of ``root`` per video, frames as image files.

    Frames are read in name order (name them with zero-padded numbers); every
    ``frame_step``-th frame of each video is kept. The target of a frame is the
    index of its video in ``videos``.

    Parameters
    ----------
    root : str or path-like
    frame_step : int, default=1
        Keep frames 0, ``frame_step``, ``2 * frame_step``, ... of each video
        (consecutive frames are nearly identical).
    **kwargs
        See :class:`ImageFiles`.

    Attributes
    ----------
    videos : list of str
        Names of the video subfolders that hold frames.

    Examples
    --------
    >>> from skdeepcluster.datasets import VideoFrames
    >>> frames = VideoFrames("videos/", frame_step=5, image_size=224)  # doctest: +SKIP
    """

    def __init__(self, root, *, frame_step=1, **kwargs):
        _torchvision()
        _check_folder(root)
        if not isinstance(frame_step, int) or isinstance(frame_step, bool) or frame_step < 1:
            raise ValueError(f"frame_step={frame_step!r} must be a positive int.")
        self.root, self.frame_step, self.videos = os.fspath(root), frame_step, []
        paths, targets = [], []
        for sub in _subfolders(root):
            frames = _image_files(sub)[::frame_step]
            if frames:
                self.videos.append(sub.name)
                paths += frames
                targets += [len(self.videos) - 1] * len(frames)
        if not paths:
            raise ValueError(f"No video frames in {self.root!r}: expected one subfolder of "
                             "image files per video.")
        super().__init__(paths, targets=targets, **kwargs)
