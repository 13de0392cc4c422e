"""DeepCluster with its defaults on Fashion-MNIST 10k as 28×28 images."""

from benchmarks._harness import Method, run_quality

DATASETS = ("fashion10k",)
QUICK = dict(n_epochs=1)


def methods(data, ctx):
    from skdeepcluster import DeepCluster

    def fit(d, seed):
        return DeepCluster(n_clusters=d.n_clusters, input_shape=(1, 28, 28), random_state=seed,
                           **ctx.est(**QUICK)).fit(d.X).labels_

    return [Method("DeepCluster (defaults, input_shape=(1, 28, 28))", fit)]


def run(ctx):
    return run_quality(ctx, ctx.datasets, methods)
