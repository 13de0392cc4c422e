"""
=====================================
DEC and IDEC on the digits data set
=====================================

Cluster scikit-learn's 8×8 digits (scaled to [0, 1]) with Deep Embedded
Clustering, compare with k-means on the raw pixels, and look inside: a 2-D
projection of the learned embedding coloured by cluster, and the training curves
of both phases. Short settings keep this example fast; the defaults train longer.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import DEC
from skdeepcluster.metrics import cluster_accuracy

X, y = load_digits(return_X_y=True)
X = X / 16.0

dec = DEC(n_clusters=10, pretrain_epochs=20, max_iter=1000, random_state=0).fit(X)
idec = DEC(n_clusters=10, pretrain_epochs=20, max_iter=1000, gamma=0.1, random_state=0).fit(X)
kmeans = KMeans(n_clusters=10, n_init=10, random_state=0).fit(X)

for name, labels in [("k-means (pixels)", kmeans.labels_), ("DEC", dec.labels_),
                     ("IDEC", idec.labels_)]:
    print(f"{name:>16}: ACC={cluster_accuracy(y, labels):.3f} "
          f"NMI={normalized_mutual_info_score(y, labels):.3f}")

# %%
# The embedding
# -------------
# ``transform`` returns the 10-d embedding; PCA projects it to 2-D. Colours are
# DEC's clusters; the crosses are the learned centroids.
Z = dec.transform(X)
pca = PCA(2).fit(Z)
Z2, C2 = pca.transform(Z), pca.transform(dec.cluster_centers_)
fig, ax = plt.subplots(figsize=(6, 5))
ax.scatter(Z2[:, 0], Z2[:, 1], c=dec.labels_, cmap="tab10", s=6)
ax.scatter(C2[:, 0], C2[:, 1], c="k", marker="x", s=80)
ax.set_title("DEC embedding of digits (PCA of the 10-d codes)\n"
             "not the defaults: pretrain_epochs=20, max_iter=1000")
ax.set_xlabel("PC 1")
ax.set_ylabel("PC 2")
plt.show()

# %%
# Training curves
# ---------------
# Pretraining minimises the reconstruction error; the clustering phase minimises
# KL(P‖Q) (DEC) or ``L_r + 0.1·KL`` (IDEC). ``delta_label`` is the fraction of labels
# that changed between two updates of the target distribution; training stops
# when it falls below ``tol``. DEC's KL loss rises while it trains: every refresh
# of P sharpens the target, so the loss is measured against a moving target, and
# the label changes, not the loss, tell when the clustering has settled.
fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
axes[0].plot(dec.pretrain_history_[:, "train_loss"])
axes[0].set(title="pretraining (pretrain_epochs=20)", xlabel="epoch", ylabel="reconstruction MSE", yscale="log")
for model, name in [(dec, "DEC"), (idec, "IDEC")]:
    axes[1].plot(model.history_[:, "train_loss"], label=name)
    rows = [h for h in model.history_ if "delta_label" in h]
    axes[2].plot([h["epoch"] for h in rows], [h["delta_label"] for h in rows], label=name)
axes[1].set(title="clustering phase", xlabel="epoch", ylabel="loss")
axes[2].axhline(dec.tol, color="gray", ls="--", label="tol")
axes[2].set(title="label changes", xlabel="epoch", ylabel="fraction", yscale="log")
axes[1].legend()
axes[2].legend()
fig.tight_layout()
plt.show()
