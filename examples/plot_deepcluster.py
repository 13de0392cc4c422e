"""
=====================================================
DeepCluster on handwritten digits: clusters and NMI
=====================================================

:class:`skdeepcluster.DeepCluster` trains a small convnet to predict the k-means
clusters of its own features, re-clustering every epoch. Here it runs on the 8×8
digits of scikit-learn, seen as images (``input_shape=(8, 8)``), with two numbers of
pseudo-clusters: as many as the classes (10) and five times more (50).

The first figure shows, for each of the 10 final clusters, a few of its images.
The second shows the NMI between each epoch's pseudo-labels and the previous
epoch's (how stable the clustering the network is trained on has become), which
DeepCluster records in ``history_``. The third compares the two final clusterings
of the trained features: k-means (the paper's) and spectral clustering of their
nearest-neighbour graph (``final_clustering='spectral'``, the default).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import DeepCluster, cluster_accuracy

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixels in [0, 1]

models = {}
for k in (10, 50):
    models[k] = DeepCluster(
        n_clusters=10, n_pseudo_clusters=k, input_shape=(8, 8), conv_channels=(8, 16),
        feature_dim=32, pca_dim=16, n_epochs=10, batch_size=128,
        augment=False,  # horizontal flips turn some digits into others
        random_state=0,
    ).fit(X)
    labels = models[k].labels_
    print(f"n_pseudo_clusters={k}: NMI={normalized_mutual_info_score(y, labels):.3f} "
          f"ACC={cluster_accuracy(y, labels):.3f}")

# %%
# Images per found cluster
# ------------------------
# Each row is one cluster of the model trained on 50 pseudo-clusters; the title
# gives its size.
labels = models[50].labels_
n_show = 10
fig, axes = plt.subplots(10, n_show, figsize=(n_show * 0.8, 10 * 0.9))
rng = np.random.RandomState(0)
for c in range(10):
    members = np.flatnonzero(labels == c)
    picks = rng.choice(members, size=min(n_show, len(members)), replace=False)
    for j in range(n_show):
        ax = axes[c, j]
        ax.axis("off")
        if j < len(picks):
            ax.imshow(X[picks[j]].reshape(8, 8), cmap="gray_r")
    axes[c, 0].set_title(f"cluster {c} ({len(members)})", fontsize=7, loc="left")
fig.suptitle("DeepCluster on digits: images per cluster\n(not the defaults: a smaller network, augment=False)")
fig.tight_layout()

# %%
# Stability of the pseudo-labels
# ------------------------------
# NMI between the assignments of consecutive epochs (the first epoch has none).
fig, ax = plt.subplots(figsize=(5, 3.5))
for k, model in models.items():
    nmi = np.asarray(model.history_[:, "nmi"], dtype=float)
    ax.plot(np.arange(1, len(nmi) + 1), nmi, marker="o", label=f"{k} pseudo-clusters")
ax.set_xlabel("epoch")
ax.set_ylabel("NMI(epoch t, epoch t-1)")
ax.legend()
fig.tight_layout()

# %%
# The final clustering: k-means or spectral
# -----------------------------------------
# With the same parameters and seed the network trains exactly as before; only the
# last step changes. Spectral clustering of the 10-nearest-neighbour graph follows
# clusters that are not round in the whitened feature space, which k-means cannot.
spectral = models[50]  # final_clustering='spectral', the default
kmeans = DeepCluster(**{**spectral.get_params(), "final_clustering": "kmeans"}).fit(X)
scores = {}
for name, model in (("k-means", kmeans), ("spectral", spectral)):
    scores[name] = (normalized_mutual_info_score(y, model.labels_),
                    cluster_accuracy(y, model.labels_))
    print(f"final {name}: NMI={scores[name][0]:.3f} ACC={scores[name][1]:.3f}")
print(f"predict on the training rows agrees with labels_ on "
      f"{np.mean(spectral.predict(X) == spectral.labels_):.1%} of them (k-NN vote)")
fig, ax = plt.subplots(figsize=(5, 3.5))
width = 0.35
for i, name in enumerate(scores):
    ax.bar(np.arange(2) + (i - 0.5) * width, scores[name], width, label=name)
ax.set_xticks(np.arange(2), ["NMI", "ACC"])
ax.set_ylim(0, 1)
ax.set_title("final clustering of the same trained network")
ax.legend()
fig.tight_layout()
plt.show()
