"""
=====================================================
Comparing the estimators with k-means and spectral
=====================================================

Each estimator of the package, with its **default parameters**, beside
scikit-learn's :class:`~sklearn.cluster.KMeans` and
:class:`~sklearn.cluster.SpectralClustering` (of the 10-nearest-neighbour graph) on
the kind of data it is made for:

* images: scikit-learn's 8×8 digits, pixels in [0, 1], for :class:`~skdeepcluster.DEC`,
  :class:`~skdeepcluster.DeepCluster` (told the image shape) and
  :class:`~skdeepcluster.DeepSubspaceClustering`;
* sensor windows: BasicMotions (smartwatch accelerometer and gyroscope, 4 activities)
  for :class:`~skdeepcluster.MultiTaskRNNClusterer`; the classical clusterers get the
  windows flattened, each channel standardised;
* several views: the left and right halves of each digit as two views for
  :class:`~skdeepcluster.DeepMultimodalSubspaceClustering`; the classical clusterers
  get the halves side by side.

To keep the gallery fast, the digits rows use a class-stratified subset of 900 of the
1,797 images (said on the figure). Each panel is the same 2-D t-SNE map of its
row's data, coloured by the clusters that column's method found, with the NMI
against the true classes and the fit time. One seed is one draw: the
:doc:`/benchmarks` page gives the means over five seeds on the full data sets.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.datasets import load_digits
from sklearn.manifold import TSNE
from sklearn.metrics import normalized_mutual_info_score
from sklearn.model_selection import train_test_split

from skdeepcluster import (DEC, DeepCluster, DeepMultimodalSubspaceClustering,
                           DeepSubspaceClustering, MultiTaskRNNClusterer)
from skdeepcluster.datasets import load_basic_motions

digits, digit_labels = load_digits(return_X_y=True)
keep, _ = train_test_split(np.arange(len(digit_labels)), train_size=900,
                           stratify=digit_labels, random_state=0)
digits, digit_labels = digits[np.sort(keep)] / 16.0, digit_labels[np.sort(keep)]

windows, activity = load_basic_motions()  # 80 windows x 100 steps x 6 channels
flat_windows = ((windows - windows.mean(axis=(0, 1))) / windows.std(axis=(0, 1)))
flat_windows = flat_windows.reshape(len(windows), -1)

halves = [digits.reshape(-1, 8, 8)[:, :, :4].reshape(-1, 32),
          digits.reshape(-1, 8, 8)[:, :, 4:].reshape(-1, 32)]

# One row per estimator: (title, estimator, its input, the baselines' input, classes)
rows = [
    ("DEC", DEC(n_clusters=10, random_state=0), digits, digits, digit_labels),
    ("DeepCluster", DeepCluster(n_clusters=10, input_shape=(8, 8), random_state=0),
     digits, digits, digit_labels),
    ("DeepSubspaceClustering", DeepSubspaceClustering(n_clusters=10, random_state=0),
     digits, digits, digit_labels),
    ("MultiTaskRNNClusterer", MultiTaskRNNClusterer(n_clusters=4, random_state=0),
     windows, flat_windows, activity),
    ("DeepMultimodalSubspaceClustering",
     DeepMultimodalSubspaceClustering(n_clusters=10, random_state=0),
     halves, np.hstack(halves), digit_labels),
]
data_names = {"DEC": "900 digits (of 1,797)", "DeepCluster": "900 digits as 8×8 images",
              "DeepSubspaceClustering": "900 digits (of 1,797)",
              "MultiTaskRNNClusterer": "BasicMotions, 80 windows",
              "DeepMultimodalSubspaceClustering": "900 digits, 2 views (halves)"}


def timed_fit_predict(model, X):
    start = time.perf_counter()
    labels = model.fit_predict(X)
    return labels, time.perf_counter() - start


# %%
# Fit everything, print the scores
results = []
for name, model, X, X_flat, y in rows:
    k = len(np.unique(y))
    methods = [
        (f"{name}\n(defaults)", model, X),
        ("KMeans", KMeans(n_clusters=k, n_init=10, random_state=0), X_flat),
        ("SpectralClustering\n(10-NN graph)",
         SpectralClustering(n_clusters=k, affinity="nearest_neighbors", n_neighbors=10,
                            assign_labels="cluster_qr", random_state=0), X_flat),
    ]
    row = []
    for method, estimator, data in methods:
        labels, seconds = timed_fit_predict(estimator, data)
        score = normalized_mutual_info_score(y, labels)
        print(f"{data_names[name]:>30} | {method.splitlines()[0]:>32}: "
              f"NMI {score:.3f} in {seconds:.1f} s")
        row.append((method, labels, score, seconds))
    results.append(row)

# %%
# The figure
# ----------
# The t-SNE map only draws the data; every method clustered the data it was given
# (images, windows or views), not the map.
maps = {}
for name, _, _, X_flat, _ in rows:
    key = id(X_flat) if X_flat is not digits else "digits"
    if key not in maps:
        maps[key] = TSNE(n_components=2, init="pca", perplexity=min(30.0, len(X_flat) / 4),
                         random_state=0).fit_transform(X_flat)

fig, axes = plt.subplots(len(rows), 3, figsize=(10, 3.2 * len(rows)), dpi=100)
for (name, _, _, X_flat, _), row, ax_row in zip(rows, results, axes):
    xy = maps[id(X_flat) if X_flat is not digits else "digits"]
    for (method, labels, score, seconds), ax in zip(row, ax_row):
        ax.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="tab10", vmin=0, vmax=9, s=6)
        ax.set_title(method, fontsize=9)
        ax.text(0.99, 0.01, f"NMI {score:.2f}\n{seconds:.1f} s", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=9,
                bbox=dict(facecolor="white", alpha=0.8, edgecolor="none"))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("t-SNE 1", fontsize=8)
    ax_row[0].set_ylabel(f"{data_names[name]}\nt-SNE 2", fontsize=8)
fig.suptitle("Default parameters, seed 0; colour = cluster found; "
             "digits rows: a 900-image subset", fontsize=10)
fig.tight_layout()
plt.show()
