"""
============================================================
Clustering smartwatch activity windows with a multi-task RNN
============================================================

:class:`skdeepcluster.MultiTaskRNNClusterer` on BasicMotions: 80 windows (100 steps
at 10 Hz) of a smartwatch's accelerometer and gyroscope while four people stand, walk, run and
play badminton. The labels are used only to score the clustering.

The first figure shows raw accelerometer windows of each cluster found; the
second shows the learned embedding (projected to 2-D with PCA).

The estimator runs with its defaults: it reads each window in 50 steps, pretrains
the recurrent autoencoder for 60 optimisation steps with the variance-normalised
reconstruction loss, and labels the windows by spectral clustering of the embedding
beside each window's per-channel statistics. The user guide (:ref:`rnn`) explains
each default, and the :doc:`/benchmarks` page compares the defaults with tslearn's
clusterers over five seeds.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import MultiTaskRNNClusterer
from skdeepcluster.datasets import load_basic_motions
from skdeepcluster.metrics import cluster_accuracy

X, y = load_basic_motions()  # 80 windows x 100 steps x 6 channels

model = MultiTaskRNNClusterer(n_clusters=4, random_state=0)
start = time.perf_counter()
labels = model.fit_predict(X)
print(f"ACC {cluster_accuracy(y, labels):.3f}  NMI {normalized_mutual_info_score(y, labels):.3f}  "
      f"({time.perf_counter() - start:.1f} s, windows read at stride {model.time_stride_})")

# %%
# Raw windows of each cluster (accelerometer x, y, z; up to 4 windows each)
fig, axes = plt.subplots(4, 3, figsize=(9, 7), sharex=True, sharey="col")
for k in range(4):
    members = np.flatnonzero(labels == k)[:4]
    for c, axis in enumerate("xyz"):
        ax = axes[k, c]
        for i in members:
            ax.plot(X[i, :, c], lw=0.8)
        if k == 0:
            ax.set_title(f"accelerometer {axis}")
    classes, counts = np.unique(y[labels == k], return_counts=True)
    axes[k, 0].set_ylabel(f"cluster {k}\n(mostly {classes[np.argmax(counts)]})"
                          if len(classes) else f"cluster {k}")
fig.tight_layout()

# %%
# The embedding, coloured by cluster, marked by true activity
Z = PCA(n_components=2).fit_transform(model.transform(X))
fig, ax = plt.subplots(figsize=(6, 5))
markers = dict(zip(sorted(set(y)), "os^D"))
for activity, marker in markers.items():
    sel = y == activity
    ax.scatter(Z[sel, 0], Z[sel, 1], c=labels[sel], cmap="tab10", vmin=0, vmax=9,
               marker=marker, label=activity, edgecolors="k", linewidths=0.3)
ax.set_xlabel("PC 1")
ax.set_ylabel("PC 2")
ax.legend(title="true activity (marker)")
ax.set_title("MultiTaskRNNClusterer embedding (colour = cluster)")
plt.show()
