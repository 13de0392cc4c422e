"""Scratch probe used to try MultiTaskRNNClusterer settings on BasicMotions (see RESULTS_rnn.md).

    PYTHONPATH=. python benchmarks/rnn_tuning_probe.py '{"hidden_size": 32, ..., "ds": 2}' 0,1

The JSON holds estimator parameters plus ``ds`` (keep every ds-th time step) and ``zn``
(1: z-normalise each window and channel; 2: per-channel median/IQR scaling, scaling=None)
and ``eps`` (the variance floor of ``reconstruction_loss='normalized'``).
Per seed it prints: ``init`` = NMI of k-means (n_init=20, random_state=0) on the pretrained
embedding; ``final`` = NMI of the fitted labels; the confusion matrix (rows: Badminton,
Running, Standing, Walking); and, for Standing + Walking only, 2-means NMI, the 5-fold
accuracy of a logistic-regression probe and the spread of the embedding.
"""
import json, sys, time
import numpy as np, torch
torch.set_num_threads(1)
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score as nmi
from skdeepcluster import MultiTaskRNNClusterer
from skdeepcluster.datasets import load_basic_motions
from skdeepcluster.training import batched_apply

params = json.loads(sys.argv[1]); seeds = [int(s) for s in sys.argv[2].split(',')]
ds = params.pop("ds", 1); zn = params.pop("zn", 0)
if "eps" in params:  # the 'normalized' loss's variance floor
    from skdeepcluster.nn import MultiTaskRecurrentAutoencoder
    MultiTaskRecurrentAutoencoder.normalized_loss_eps = params.pop("eps")
X, y = load_basic_motions(); X = X[:, ::ds].astype(np.float64)  # as bench_rnn.py
if zn == 1: X = (X - X.mean(1, keepdims=True)) / (X.std(1, keepdims=True) + 1e-8)
if zn == 2:
    q = np.percentile(X, [25, 50, 75], axis=(0, 1)); X = (X - q[1]) / (q[2] - q[0]); params["scaling"] = None
print("absmax", np.abs(X).max(axis=(0,1)).round(1))
init = {}
orig = MultiTaskRNNClusterer._fit_clustering
def patched(self, ae, Xt, rng, seed, device):
    z = batched_apply(ae, Xt, lambda m, x: m.encode(x), 256, device).cpu().numpy()
    init['nmi'] = nmi(y, KMeans(4, n_init=20, random_state=0).fit_predict(z))
    sel = (y == 'Standing') | (y == 'Walking')
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    print('SW kmeans2 nmi', round(nmi(y[sel], KMeans(2, n_init=20, random_state=0).fit_predict(z[sel])), 3),
          'SW probe acc', cross_val_score(LogisticRegression(max_iter=1000), z[sel], y[sel], cv=5).mean().round(3),
          'z std SW', z[sel].std(0).mean().round(3), 'z std all', z.std(0).mean().round(3))
    return orig(self, ae, Xt, rng, seed, device)
MultiTaskRNNClusterer._fit_clustering = patched
res = []
from sklearn.metrics import confusion_matrix
for s in seeds:
    t = time.perf_counter()
    m = MultiTaskRNNClusterer(4, random_state=s, **params).fit(X)
    r = dict(seed=s, init=round(init['nmi'], 3), final=round(nmi(y, m.labels_), 3), n_iter=m.n_iter_,
             loss=round(m.pretrain_history_[-1, 'train_loss'], 4), sec=round(time.perf_counter() - t, 1))
    res.append(r); print(json.dumps(r), flush=True); print(confusion_matrix(np.unique(y, return_inverse=True)[1], m.labels_).tolist())
print("MEAN", json.dumps(params), "ds", ds, "init", np.mean([r['init'] for r in res]).round(3), "final", np.mean([r['final'] for r in res]).round(3), flush=True)
