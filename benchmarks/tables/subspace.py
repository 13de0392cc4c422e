"""DeepSubspaceClustering with its defaults on digits and three scikit-learn tables."""

from benchmarks._harness import Method, run_quality

DATASETS = ("digits", "iris", "wine", "breast_cancer")
QUICK = dict(pretrain_epochs=2, max_iter=5)


def methods(data, ctx):
    from skdeepcluster import DeepSubspaceClustering

    def fit(d, seed):
        return DeepSubspaceClustering(n_clusters=d.n_clusters, random_state=seed,
                                      **ctx.est(**QUICK)).fit(d.X).labels_

    return [Method("DeepSubspaceClustering (defaults)", fit)]


def run(ctx):
    return run_quality(ctx, ctx.datasets, methods)
