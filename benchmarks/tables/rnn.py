"""MultiTaskRNNClusterer with its defaults on BasicMotions."""

import numpy as np

from benchmarks._harness import Method, optional_baseline, run_quality

DATASETS = ("basic_motions",)
QUICK = dict(pretrain_epochs=2, max_iter=10)


def _znorm(X):
    """Each window and channel z-normalised over time (tslearn's convention)."""
    return (X - X.mean(axis=1, keepdims=True)) / (X.std(axis=1, keepdims=True) + 1e-8)


def methods(data, ctx):
    from sklearn.cluster import KMeans

    from skdeepcluster import MultiTaskRNNClusterer

    k = data.n_clusters

    def rnn(d, seed):
        return MultiTaskRNNClusterer(n_clusters=k, random_state=seed,
                                     **ctx.est(**QUICK)).fit(d.X).labels_

    def dtw(tslearn):
        from tslearn.clustering import TimeSeriesKMeans

        def run(d, seed):
            extra = dict(max_iter=2) if ctx.quick else {}
            return TimeSeriesKMeans(n_clusters=k, metric="dtw", random_state=seed,
                                    **extra).fit_predict(_znorm(np.asarray(d.X, np.float64)))
        return run

    def umap_kmeans(umap):
        def run(d, seed):
            emb = umap.UMAP(random_state=seed).fit_transform(d.X_baseline)
            return KMeans(k, n_init=10, random_state=seed).fit_predict(emb)
        return run

    return [
        Method("MultiTaskRNNClusterer (defaults)", rnn),
        optional_baseline("tslearn TimeSeriesKMeans(metric='dtw'), windows z-normalised",
                          "tslearn", dtw),
        optional_baseline("UMAP + KMeans (n_init=10) on the flattened windows", "umap",
                          umap_kmeans),
    ]


def run(ctx):
    return run_quality(ctx, ctx.datasets, methods)
