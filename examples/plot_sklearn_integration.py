"""
=========================================
Using the estimators with scikit-learn
=========================================

The estimators are scikit-learn estimators: this example puts :class:`~skdeepcluster.DEC`
in a :class:`~sklearn.pipeline.Pipeline` after a scaler, searches a parameter with
:class:`~sklearn.model_selection.GridSearchCV` twice (without labels, on the
estimator's own ``score``, then with labels through
:func:`skdeepcluster.metrics.get_scorer`), clones the best pipeline and saves and
loads a fitted model. The data is scikit-learn's wine table (178 wines, 13 chemical
measurements in different units, 3 cultivars), which ships with scikit-learn.

The search compares DEC (``gamma=None``, the default) with IDEC (``gamma=0.1``); every
other parameter keeps its default.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_wine
from sklearn.metrics import normalized_mutual_info_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdeepcluster
from skdeepcluster import DEC
from skdeepcluster.metrics import get_scorer

X, y = load_wine(return_X_y=True)

# %%
# A Pipeline with a scaler
# ------------------------
# The wine measurements are in different units (alcohol in %, proline in mg/L), so
# each is standardised first; DEC then only rescales the whole table by one scalar.
pipe = make_pipeline(StandardScaler(), DEC(n_clusters=3, random_state=0))
labels = pipe.fit_predict(X)
print(f"Pipeline(StandardScaler, DEC): NMI {normalized_mutual_info_score(y, labels):.3f}")

# %%
# Searching without labels
# ------------------------
# ``GridSearchCV`` with no ``scoring`` calls the estimator's ``score`` on the held-out
# fold: higher is better for every estimator of the package. What it measures:
#
# * :class:`~skdeepcluster.DEC` and :class:`~skdeepcluster.MultiTaskRNNClusterer`:
#   ``-KL(P‖Q)``, how confidently the rows are assigned (comparable between models
#   with the same ``n_clusters``);
# * :class:`~skdeepcluster.DeepCluster`: minus the k-means objective in the whitened
#   feature space;
# * :class:`~skdeepcluster.DeepSubspaceClustering` and
#   :class:`~skdeepcluster.DeepMultimodalSubspaceClustering`: minus the rows' coding
#   residual on the learned subspaces.
#
# These scores measure how well the model fits its own objective, not how well
# it recovers classes: use them to compare settings of one estimator, not to
# compare estimators.
grid = {"dec__gamma": [None, 0.1]}
cv = KFold(n_splits=2, shuffle=True, random_state=0)
unsupervised = GridSearchCV(pipe, grid, cv=cv).fit(X)
print("without labels, best:", unsupervised.best_params_)

# %%
# Searching with labels
# ---------------------
# With labels (a labelled sample of your data), score the clusters against them:
# ``get_scorer`` maps ``'cluster_accuracy'`` (accuracy under the best matching of
# clusters to classes), ``'nmi'`` and ``'ari'`` to scorers that call ``predict``.
# The two searches need not pick the same candidate: the estimator's own score
# measures how confidently the model assigns the rows, not whether its clusters are
# the cultivars.
supervised = GridSearchCV(pipe, grid, cv=cv, scoring=get_scorer("nmi")).fit(X, y)
print("with labels (NMI), best:", supervised.best_params_)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
names = ["DEC (gamma=None)", "IDEC (gamma=0.1)"]
for ax, search, label in [(axes[0], unsupervised, "score: -KL(P‖Q), held-out fold"),
                          (axes[1], supervised, "NMI with the cultivars, held-out fold")]:
    mean = search.cv_results_["mean_test_score"]
    std = search.cv_results_["std_test_score"]
    ax.bar(names, mean, yerr=std, color=["tab:blue", "tab:orange"], capsize=4)
    ax.set_ylabel(label)
    ax.set_xlabel("candidate (other parameters: defaults)")
axes[0].set_title("GridSearchCV without labels")
axes[1].set_title("GridSearchCV with labels")
fig.tight_layout()
plt.show()

# %%
# clone, save and load
# --------------------
# ``clone`` gives an unfitted copy with the same parameters. A fitted estimator saves
# to one file that loads without running code from it (JSON parameters and ``.npy``
# arrays; see the user guide's "Saving and loading"); a Pipeline around it pickles.
best = clone(supervised.best_estimator_)
print("clone is unfitted:", not hasattr(best[-1], "labels_"))

dec = pipe[-1]
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "wine.skdc"
    dec.save(path)
    loaded = skdeepcluster.load(path)
Z = pipe[0].transform(X)
print("loaded model predicts the same labels:",
      bool(np.array_equal(loaded.predict(Z), dec.predict(Z))))

# %%
# GPU and mixed precision
# -----------------------
# ``device='auto'`` (the default) trains on CUDA when PyTorch sees a GPU; pass
# ``device='cpu'`` or ``'cuda:1'`` to choose. :class:`~skdeepcluster.DEC` and
# :class:`~skdeepcluster.DeepCluster` also train in bfloat16 mixed precision with
# ``mixed_precision=True``, which pays off on GPUs and CPUs with bfloat16 arithmetic.
# Neither changes how the estimator is used::
#
#     DEC(n_clusters=3, device="cuda", mixed_precision=True)
