"""DeepMultimodalSubspaceClustering with its defaults on multi-view data."""

from benchmarks._harness import Method, run_quality

DATASETS = ("mfeat", "nutrimouse_diet", "digits_halves")
QUICK = dict(pretrain_epochs=2, max_iter=5)


def methods(data, ctx):
    from skdeepcluster import DeepMultimodalSubspaceClustering

    def fit(**params):
        def run(d, seed):
            return DeepMultimodalSubspaceClustering(
                n_clusters=d.n_clusters, random_state=seed, **params,
                **ctx.est(**QUICK)).fit(d.X).labels_
        return run

    return [Method("DMSC (defaults: fusion='affinity')", fit()),
            Method("DMSC fusion='late', fusion_function='concat'",
                   fit(fusion="late", fusion_function="concat"), role="option"),
            Method("DMSC n_neighbors=None", fit(n_neighbors=None), role="option")]


def run(ctx):
    return run_quality(ctx, ctx.datasets, methods)
