"""
======================================================
Deep subspace clustering of one view, and new samples
======================================================

:class:`skdeepcluster.DeepSubspaceClustering` with its defaults on a union of five
3-dimensional linear subspaces of a 30-dimensional space (with a little noise),
where k-means fails: the subspaces all pass through the origin, so their samples are
not grouped around distinct centres. The self-expression coefficients C code each
sample with samples of its own subspace, which the affinity shows as diagonal blocks
(samples ordered by true subspace). ``predict`` then labels samples that ``fit``
never saw.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.model_selection import train_test_split

from skdeepcluster import DeepSubspaceClustering
from skdeepcluster.datasets import make_subspaces

X, y = make_subspaces(n_samples=600, n_features=30, n_subspaces=5, subspace_dim=3,
                      noise=0.02, random_state=0)
X_fit, X_new, y_fit, y_new = train_test_split(X, y, test_size=100, stratify=y,
                                              random_state=0)
order = np.argsort(y_fit, kind="stable")
X_fit, y_fit = X_fit[order], y_fit[order]

model = DeepSubspaceClustering(n_clusters=5, random_state=0).fit(X_fit)
kmeans = KMeans(n_clusters=5, n_init=10, random_state=0).fit(X_fit)
print(f"DeepSubspaceClustering NMI {normalized_mutual_info_score(y_fit, model.labels_):.3f}, "
      f"k-means NMI {normalized_mutual_info_score(y_fit, kmeans.labels_):.3f}")
print(f"on {len(X_new)} new samples: predict ARI "
      f"{adjusted_rand_score(y_new, model.predict(X_new)):.3f}")

# %%
# The affinity and the coefficients
# ---------------------------------
# Rows and columns are the training samples in the order of their true subspace;
# the lines mark the subspaces' boundaries.
bounds = np.flatnonzero(np.diff(y_fit)) + 0.5
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for ax, matrix, title in [(axes[0], model.affinity_, "affinity (affinity_)"),
                          (axes[1], np.abs(model.coef_), "|C| (coef_)")]:
    image = ax.imshow(matrix, cmap="magma", interpolation="nearest",
                      vmax=np.quantile(matrix, 0.99))
    for b in bounds:
        ax.axhline(b, color="w", lw=0.4)
        ax.axvline(b, color="w", lw=0.4)
    ax.set_title(title)
    ax.set_xlabel("sample (by true subspace)")
    ax.set_ylabel("sample (by true subspace)")
    fig.colorbar(image, ax=ax, fraction=0.046, label="weight")
fig.tight_layout()
plt.show()
