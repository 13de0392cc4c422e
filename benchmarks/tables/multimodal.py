"""DeepMultimodalSubspaceClustering with its defaults on UCI multiple features."""

from benchmarks._harness import Method, run_quality

DATASETS = ("mfeat",)
QUICK = dict(pretrain_epochs=2, max_iter=5)


def methods(data, ctx):
    from skdeepcluster import DeepMultimodalSubspaceClustering

    def fit(**params):
        def run(d, seed):
            return DeepMultimodalSubspaceClustering(
                n_clusters=d.n_clusters, random_state=seed, **params,
                **ctx.est(**QUICK)).fit(d.X).labels_
        return run

    return [Method("DMSC (defaults: fusion='late', fusion_function='concat')", fit()),
            Method("DMSC fusion='affinity'", fit(fusion="affinity"), role="option")]


def run(ctx):
    return run_quality(ctx, ctx.datasets, methods)
