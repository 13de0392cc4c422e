"""
=====================================
Bringing your own network: a backbone
=====================================

:class:`~skdeepcluster.DeepCluster` trains any torch module that maps a batch of
images to feature vectors: pass it as ``backbone`` and DeepCluster adds the
classifier head, the pseudo-labels and the final clustering.
(:class:`~skdeepcluster.DEC` takes an ``autoencoder`` in the same way: any module with
``encode`` and ``decode``.) The module is copied at each ``fit``, so one instance
serves several fits, and its initial weights are kept (``random_state`` does not
redraw them: seed torch before building it).

Here a small convnet with global average pooling, which sees digits the same
wherever they sit in the image, replaces the built-in convnet on scikit-learn's
8×8 digits; every other parameter keeps its default. The built-in convnet's
augmentations (shifts and flips) apply to the built-in convnet only.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import DeepCluster


class PooledConvNet(torch.nn.Module):
    """Two 3×3 convolutions, then the average of each channel over the image."""

    def __init__(self, channels=32):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Conv2d(1, channels, 3, padding=1), torch.nn.BatchNorm2d(channels),
            torch.nn.ReLU(),
            torch.nn.Conv2d(channels, channels, 3, padding=1),
            torch.nn.BatchNorm2d(channels), torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())

    def forward(self, x):  # x: (n, 1, 8, 8) because input_shape=(1, 8, 8)
        return self.layers(x)


X, y = load_digits(return_X_y=True)
X = X / 16.0

torch.manual_seed(0)  # the backbone's initial weights
models = {
    "built-in convnet (defaults)": DeepCluster(n_clusters=10, input_shape=(1, 8, 8),
                                               random_state=0),
    "your backbone": DeepCluster(n_clusters=10, input_shape=(1, 8, 8),
                                 backbone=PooledConvNet(), random_state=0),
}
scores = {}
for name, model in models.items():
    model.fit(X)
    scores[name] = normalized_mutual_info_score(y, model.labels_)
    print(f"{name}: NMI {scores[name]:.3f}, feature size {model.transform(X).shape[1]}")

# %%
# Pseudo-label stability and the result
# -------------------------------------
# ``history_`` records, per epoch, the NMI between the pseudo-labels of this epoch
# and of the previous one: how settled the clustering the network trains on is.
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for name, model in models.items():
    nmi = np.asarray(model.history_[:, "nmi"], dtype=float)
    axes[0].plot(np.arange(1, len(nmi) + 1), nmi, marker="o", label=name)
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("NMI(epoch t, epoch t-1)")
axes[0].legend()
axes[1].bar(list(scores), list(scores.values()), color=["tab:blue", "tab:orange"])
axes[1].set_ylabel("NMI with the digit classes")
axes[1].set_ylim(0, 1)
fig.tight_layout()
plt.show()
