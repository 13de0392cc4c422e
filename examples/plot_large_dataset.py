"""
==========================================================
DeepCluster on a folder of image files, read in batches
==========================================================

An estimator of skdeepcluster can train on data that never sits in memory as one
array: here a folder of PNG files, decoded a batch at a time while
:class:`skdeepcluster.DeepCluster` trains (see :ref:`large_datasets`). The example
writes the folder itself: 1,000 handwritten digits of scikit-learn, upscaled to
32×32 grey images, one subfolder per digit (the layout of torchvision's
``ImageFolder``; the estimator does not read the subfolder names, we use them to
score the clusters).

:class:`skdeepcluster.datasets.ImageFolder` lists the files; passing the folder's
path to ``fit`` does the same with the default settings. ``num_workers`` decodes
files in that many processes beside the training.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import DeepCluster, cluster_accuracy
from skdeepcluster.datasets import ImageFolder

X, y = load_digits(return_X_y=True)
X, y = X[:1000], y[:1000]
folder = Path(tempfile.mkdtemp()) / "digits"
for i, (pixels, digit) in enumerate(zip(X, y)):
    image = Image.fromarray((pixels.reshape(8, 8) * 255 / 16).astype(np.uint8))
    (folder / str(digit)).mkdir(parents=True, exist_ok=True)
    image.resize((32, 32), Image.BILINEAR).save(folder / str(digit) / f"{i:04d}.png")

images = ImageFolder(folder, num_workers=0)
print(f"{len(images)} files, images of shape {images.sample_shape}, "
      f"classes {images.classes}")

# %%
# Fit from the files
# ------------------
# ``input_shape`` is the shape of the images as read, ``(channels, height, width)``.
dc = DeepCluster(n_clusters=10, input_shape=images.sample_shape, conv_channels=(8, 16, 32),
                 feature_dim=32, pca_dim=16, n_epochs=6, batch_size=128, augment=False,
                 random_state=0).fit(images)
truth = np.array(images.targets)
print(f"NMI {normalized_mutual_info_score(truth, dc.labels_):.3f}, "
      f"ACC {cluster_accuracy(truth, dc.labels_):.3f}")

# %%
# Files are predicted the same way: a list of paths, read in batches. Here the
# first file of each digit's folder.
first = [truth.tolist().index(digit) for digit in range(10)]
print("clusters of digits 0-9:", dc.predict([images.paths[i] for i in first]))

# %%
# A few images of each cluster
# ----------------------------
fig, axes = plt.subplots(10, 8, figsize=(6, 8))
rng = np.random.RandomState(0)
for c in range(10):
    members = np.flatnonzero(dc.labels_ == c)
    picks = rng.choice(members, size=min(8, len(members)), replace=False)
    for j, ax in enumerate(axes[c]):
        ax.axis("off")
        if j < len(picks):
            ax.imshow(images[picks[j]][0][0], cmap="gray_r")
    axes[c, 0].set_title(f"cluster {c} ({len(members)})", fontsize=7, loc="left")
fig.suptitle("DeepCluster trained from PNG files")
fig.tight_layout()
plt.show()
